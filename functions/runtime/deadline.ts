/**
 * The invocation's deadline, from the Lambda context: every outside call of a
 * function ends before it ({@link timeLeft}), so a slow dependency fails the
 * step as a named TransientError, which the state machine retries, instead of
 * running into the function's timeout (docs/decisions.md#a-deadline-for-every-call).
 */
import { MIN_ATTEMPT_MS } from '../adapters/deadline.ts';
import { ExecutionBudgetError } from '../domain/errors.ts';
import { BUDGET_PARAMETER, budgetLeftMs, budgetSecondsOf } from '../domain/execution-budget.ts';
import type { TimeLeft } from '../domain/ports.ts';

/** What is kept of the function's time to fail with a named error, log it and return. */
export const DEADLINE_MARGIN_MS = 2_000;

/** The part of the Lambda context the deadline reads. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

let deadlineAt = Number.POSITIVE_INFINITY;

/**
 * Starts an invocation's clock: the deadline is the Lambda context's, less {@link DEADLINE_MARGIN_MS}, or the
 * execution's budget (domain/execution-budget.ts), whichever comes first. Without a context (a direct call) and
 * without the execution's start time in the input ({@link BUDGET_PARAMETER}), there is none.
 *
 * @throws ExecutionBudgetError when the execution's budget is spent, or has less than an attempt's time
 *   (MIN_ATTEMPT_MS) left: the step does nothing, and the state machine sends the sync to the DLQ while the
 *   execution still has time.
 */
export function startInvocation(context?: InvocationContext, input?: unknown): void {
  const now = Date.now();
  const left = context?.getRemainingTimeInMillis?.();
  const lambda = typeof left === 'number' ? now + left - DEADLINE_MARGIN_MS : Number.POSITIVE_INFINITY;
  const startedAt =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[BUDGET_PARAMETER] : undefined;
  const seconds = budgetSecondsOf(input);
  const budget = budgetLeftMs(startedAt, now, seconds);
  deadlineAt = Math.min(lambda, budget === undefined ? Number.POSITIVE_INFINITY : now + budget);
  // Less than an attempt's time left is spent: a call would not be tried (adapters/deadline.ts), and the state
  // machine would burn its retries on refusals instead of sending the sync to the DLQ.
  if (budget !== undefined && budget < MIN_ATTEMPT_MS) {
    const when = budget <= 0 ? `was spent ${Math.round(-budget / 1000)} s ago` : `has ${Math.round(budget)} ms left`;
    throw new ExecutionBudgetError(
      `the execution's ${seconds} s budget ${when}: ` +
        'the sync goes to the dead-letter queue before Step Functions stops the execution at 5 minutes',
    );
  }
}

/** Milliseconds left of the current invocation for outside calls. */
export const timeLeft: TimeLeft = () => deadlineAt - Date.now();
