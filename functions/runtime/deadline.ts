/**
 * The invocation's deadline, from the Lambda context: every outside call of a
 * function ends before it ({@link timeLeft}), so a slow dependency fails the
 * step as a named TransientError, which the state machine retries, instead of
 * running into the function's timeout (docs/decisions.md#a-deadline-for-every-call).
 */
import type { TimeLeft } from '../domain/ports.ts';

/** What is kept of the function's time to fail with a named error, log it and return. */
export const DEADLINE_MARGIN_MS = 2_000;

/** The part of the Lambda context the deadline reads. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

let deadlineAt = Number.POSITIVE_INFINITY;

/** Starts an invocation's clock; without a context (a direct call), there is no deadline. */
export function startInvocation(context?: InvocationContext): void {
  const left = context?.getRemainingTimeInMillis?.();
  deadlineAt = typeof left === 'number' ? Date.now() + left - DEADLINE_MARGIN_MS : Number.POSITIVE_INFINITY;
}

/** Milliseconds left of the current invocation for outside calls. */
export const timeLeft: TimeLeft = () => deadlineAt - Date.now();
