/**
 * The execution's time budget, written once: the runtime (functions/runtime/deadline.ts) and the static worst-case
 * analysis of the ASL (infra/model/asl-budget.ts) read these numbers.
 *
 * Express executions end at {@link EXPRESS_LIMIT_SECONDS} without running a Catch, so a sync that is still
 * retrying then leaves no DLQ message (only the ExecutionsTimedOut metric). Every Lambda task therefore gets the
 * execution's start time ({@link BUDGET_PARAMETER}, `$$.Execution.StartTime`) and stops at
 * {@link EXECUTION_BUDGET_SECONDS} after it: its outside calls end by then, and an invocation that begins later
 * fails at once with ExecutionBudgetError, which no Retry names and every task's Catch sends to SendToDlq. What is
 * left of the five minutes is for that last hand-over (docs/operations.md#the-execution-budget).
 */

/** Step Functions Express: an execution is stopped after this long (FACTS.md). */
export const EXPRESS_LIMIT_SECONDS = 300;

/** Seconds after the execution's start at which the steps stop starting or continuing work. */
export const EXECUTION_BUDGET_SECONDS = 165;

/** The Parameters key through which a Lambda task receives `$$.Execution.StartTime`. */
export const BUDGET_PARAMETER = 'executionStartedAt';

/**
 * How long an invocation that begins after the budget may take to refuse (Lambda's invoke and a cold start, the
 * handler's check, clocks apart): the analysis's allowance per such attempt.
 */
export const GIVE_UP_SECONDS = 5;

/**
 * The milliseconds left of the execution's budget at `nowMs`, or undefined when the input names no start time
 * (a direct call, the CLI's in-process run).
 */
export function budgetLeftMs(startedAt: unknown, nowMs: number): number | undefined {
  if (typeof startedAt !== 'string') return undefined;
  const start = Date.parse(startedAt);
  if (Number.isNaN(start)) return undefined;
  return start + EXECUTION_BUDGET_SECONDS * 1000 - nowMs;
}
