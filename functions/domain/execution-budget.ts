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
 * The Parameters key through which a definition gives its Lambda tasks a shorter budget than
 * {@link EXECUTION_BUDGET_SECONDS} (never a longer one): a mapping with `waves` ({@link WAVES_BUDGET_SECONDS}).
 */
export const BUDGET_SECONDS_PARAMETER = 'budgetSeconds';

/**
 * The budget of a mapping with `waves` (infra/model/waves.ts gives it to every Lambda task): a stop of the wave loop
 * sends one more DLQ message after the targets' own, so the budget ends earlier to leave time for it; the static
 * analysis (infra/model/asl-budget.ts) checks the worst case with it (docs/restart.md#waves).
 */
export const WAVES_BUDGET_SECONDS = 110;

/** The budget an input asks for: {@link BUDGET_SECONDS_PARAMETER} if shorter, else {@link EXECUTION_BUDGET_SECONDS}. */
export function budgetSecondsOf(input: unknown): number {
  const asked =
    typeof input === 'object' && input !== null
      ? (input as Record<string, unknown>)[BUDGET_SECONDS_PARAMETER]
      : undefined;
  return typeof asked === 'number' && asked > 0 && asked < EXECUTION_BUDGET_SECONDS ? asked : EXECUTION_BUDGET_SECONDS;
}

/**
 * When the budget of an invocation's input ends (RFC 3339 in whole seconds, rounded down, `Z`): its start time plus
 * {@link budgetSecondsOf}, or
 * undefined without a start time. FetchSecret returns it as `budgetEndsAt`: the deadline the wave loop compares
 * `$$.State.EnteredTime` with before each new wave (JSONPath ASL has no arithmetic on timestamps).
 */
export function budgetEndsAt(input: unknown): string | undefined {
  const startedAt =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[BUDGET_PARAMETER] : undefined;
  const left = budgetLeftMs(startedAt, 0, budgetSecondsOf(input));
  // Whole seconds, rounded down (the wave loop compares whole seconds: never later than the budget's end).
  return left === undefined ? undefined : new Date(Math.floor(left / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * How long an invocation that begins after the budget may take to refuse (Lambda's invoke and a cold start, the
 * handler's check, clocks apart): the analysis's allowance per such attempt.
 */
export const GIVE_UP_SECONDS = 5;

/**
 * The milliseconds left of the execution's budget (`seconds`, {@link EXECUTION_BUDGET_SECONDS} unless shorter) at
 * `nowMs`, or undefined when the input names no start time (a direct call, the CLI's in-process run).
 */
export function budgetLeftMs(
  startedAt: unknown,
  nowMs: number,
  seconds: number = EXECUTION_BUDGET_SECONDS,
): number | undefined {
  if (typeof startedAt !== 'string') return undefined;
  const start = Date.parse(startedAt);
  if (Number.isNaN(start)) return undefined;
  return start + Math.min(seconds, EXECUTION_BUDGET_SECONDS) * 1000 - nowMs;
}
