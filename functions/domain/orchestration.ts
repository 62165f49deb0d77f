/**
 * One target's run, as the state machine's Map item runs it (statemachine/sync.asl.json), written once for the
 * runs outside Step Functions: the CLI's in-process pipeline (bin/lib/pipeline.ts) and the overhead benchmark's
 * direct sync (bench/direct-sync.ts). The steps arrive as functions; this module holds only the order, the
 * conditions and the loops with their bounds (loops.ts). Pure.
 */
import { ConflictError, UnauthorizedError } from './errors.ts';
import { MAX_CONFLICT_RETRIES, MAX_REAUTHS } from './loops.ts';

/** The per-target steps of a sync (the step table's `scope: 'target'` rows), for one target. */
export interface TargetSteps<Token, Observed, Plan, Applied, Restarted> {
  /** MintToken (and RemintToken). */
  mint(): Promise<Token>;
  /** ReadSecret. */
  read(token: Token): Promise<Observed>;
  /** PlanMerge. */
  plan(observed: Observed): Promise<Plan>;
  /** WriteNeeded: whether ApplySecret runs for this plan. */
  writes(plan: Plan): boolean;
  /** ApplySecret. */
  apply(plan: Plan, token: Token): Promise<Applied>;
  /** RestartNeeded: whether RestartWorkloads runs after the write (a plan that lists workloads). */
  restarts(plan: Plan): boolean;
  /** RestartWorkloads. */
  restart(plan: Plan, token: Token): Promise<Restarted>;
}

/** What one target's run did. */
export interface TargetOutcome<Observed, Plan, Applied, Restarted> {
  readonly observed: Observed;
  readonly plan: Plan;
  /** Set when ApplySecret ran. */
  readonly applied?: Applied;
  /** Set when RestartWorkloads ran. */
  readonly restarted?: Restarted;
}

/**
 * Mints a token; reads, plans and (when the plan writes) applies, back to the read on a 409 (CountConflict, at
 * most {@link MAX_CONFLICT_RETRIES} times) and to a new token on a 401 (CountReauth, at most {@link MAX_REAUTHS}
 * times); after a write whose plan restarts workloads, restarts them, with a new token on a 401 (the same reauth
 * counter, as the state machine's). A step's error past these bounds ends the run.
 *
 * @throws the error of the step that ended the run.
 */
export async function runTarget<Token, Observed, Plan, Applied, Restarted>(
  steps: TargetSteps<Token, Observed, Plan, Applied, Restarted>,
): Promise<TargetOutcome<Observed, Plan, Applied, Restarted>> {
  let token = await steps.mint();
  let conflicts = 0;
  let reauths = 0;
  const reauth = async (e: unknown): Promise<void> => {
    if (!(e instanceof UnauthorizedError) || ++reauths > MAX_REAUTHS) throw e;
    token = await steps.mint();
  };
  let written: Omit<TargetOutcome<Observed, Plan, Applied, Restarted>, 'restarted'>;
  for (;;) {
    try {
      const observed = await steps.read(token);
      const plan = await steps.plan(observed);
      written = steps.writes(plan) ? { observed, plan, applied: await steps.apply(plan, token) } : { observed, plan };
      break;
    } catch (e) {
      if (e instanceof ConflictError && ++conflicts <= MAX_CONFLICT_RETRIES) continue;
      await reauth(e);
    }
  }
  if (written.applied === undefined || !steps.restarts(written.plan)) return written;
  for (;;) {
    try {
      return { ...written, restarted: await steps.restart(written.plan, token) };
    } catch (e) {
      await reauth(e);
    }
  }
}
