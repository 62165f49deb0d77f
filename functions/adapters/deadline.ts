/**
 * How the adapters keep inside the invocation's time ({@link TimeLeft}):
 * an attempt is not started with less than {@link MIN_ATTEMPT_MS} left, and
 * one in flight is aborted when the time is up.
 */
import { TransientError } from '../domain/errors.ts';
import type { TimeLeft } from '../domain/ports.ts';

/** Below this, an attempt could not finish: it is not started. */
export const MIN_ATTEMPT_MS = 200;

/** An abort signal for the time left, or none without a deadline. */
export function deadlineSignal(timeLeft: TimeLeft): AbortSignal | undefined {
  const left = timeLeft();
  return Number.isFinite(left) ? AbortSignal.timeout(Math.max(1, Math.floor(left))) : undefined;
}

/**
 * Throws when the invocation's time is nearly up, before an attempt.
 *
 * @throws TransientError naming the action and the time left.
 */
export function assertTimeForAttempt(timeLeft: TimeLeft, action: string): number {
  const left = timeLeft();
  if (left < MIN_ATTEMPT_MS) {
    throw new TransientError(
      `${action} was not tried: ${Math.max(0, Math.round(left))} ms left of the function's time`,
    );
  }
  return left;
}

/** The error for an attempt cut off at the deadline. */
export function outOfTime(action: string): TransientError {
  return new TransientError(`${action} was cut short: the function's time ran out`);
}
