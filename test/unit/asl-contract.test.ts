// The ASL file and the code agree on error names: every name the state
// machine matches is thrown by the code, and every error the code throws on
// purpose is handled by the state machine.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES } from '../../functions/domain/errors.ts';
import * as errors from '../../functions/domain/errors.ts';
import { MAX_CONFLICT_RETRIES, MAX_REAUTHS, MAX_TARGET_CONCURRENCY } from '../../functions/domain/loops.ts';
import { STEP_STATE, SYNC_STEPS, stepOfKind, stepOfState, taskStates } from '../../functions/domain/sync-steps.ts';

const asl = JSON.parse(readFileSync(new URL('../../statemachine/sync.asl.json', import.meta.url), 'utf8'));
/**
 * The Map state that runs every target, and the states of one target's run. Its name and the Choice state a target's
 * run starts at are the ASL's own structure (the step table holds neither): named here once.
 */
const MAP = 'Targets';
const SELECT = 'SelectTarget';
const fanOut = asl.States[MAP];
const inner: Record<string, any> = fanOut.ItemProcessor.States;
/** Every state by name, the top level's and one target's (no name is used twice). */
const S: Record<string, any> = { ...asl.States, ...inner };
const states = Object.entries(S) as [string, any][];
const tasks = states.filter(([, s]) => s.Type === 'Task' && String(s.Resource).includes('FunctionArn'));
const matched = new Set(
  tasks.flatMap(([, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r: any) => r.ErrorEquals as string[])),
);
/** The definition's constants, decoded where a state needs them (infra/constructs/state-machine.ts). */
const TARGETS = "States.StringToJson(States.Base64Decode('${TargetsJson}'))";
/** The targets' Map items (index, name, failureEvents when on): never a spec. */
const ITEMS = "States.StringToJson(States.Base64Decode('${TargetItemsJson}'))";
/** A task's target spec: from the definition by the item's index, in its Parameters (its input), never the state. */
const SPEC = `States.ArrayGetItem(${TARGETS}, $.target.index)`;
const CLUSTERS = "States.StringToJson(States.Base64Decode('${ClustersJson}'))";
/** The targets' indexes, the Map's items. */
const INDEXES = `States.ArrayRange(0, States.MathAdd(States.ArrayLength(${TARGETS}), -1), 1)`;
const ours = (name: string) => !name.startsWith('States.') && !name.startsWith('Lambda.');

/*
 * The order of the steps, derived from the step table (functions/domain/sync-steps.ts) rather than restated here
 * state by state: a step added at its place in the table and the ASL needs no edit in this file.
 */
type Graph = { StartAt: string; States: Record<string, any> };
/** The value at a Choice rule's `$.a.b[0]` path of `doc`; undefined when absent. */
const valueAt = (doc: unknown, path: string): unknown =>
  path
    .slice(2)
    .split(/\.|(?=\[)/)
    .filter(Boolean)
    .reduce<any>((v, k) => (v == null ? undefined : v[/^\[(\d+)\]$/.exec(k)?.[1] ?? k]), doc);
/** Whether a Choice rule holds for `doc`; an operator this does not know fails the test rather than guess. */
function holds(rule: any, doc: unknown): boolean {
  if (rule.And) return rule.And.every((r: any) => holds(r, doc));
  if (rule.Or) return rule.Or.some((r: any) => holds(r, doc));
  if (rule.Not) return !holds(rule.Not, doc);
  const v = valueAt(doc, rule.Variable);
  if ('IsPresent' in rule) return (v !== undefined) === rule.IsPresent;
  if ('IsNull' in rule) return (v === null) === rule.IsNull;
  if ('IsString' in rule) return (typeof v === 'string') === rule.IsString;
  if ('BooleanEquals' in rule) return v === rule.BooleanEquals;
  if ('StringEquals' in rule) return v === rule.StringEquals;
  if ('StringEqualsPath' in rule) return v === valueAt(doc, rule.StringEqualsPath);
  if ('NumericLessThanEquals' in rule) return typeof v === 'number' && v <= rule.NumericLessThanEquals;
  throw new Error(`no evaluator for the Choice rule ${JSON.stringify(rule)}`);
}
/**
 * The update path: an execution without onlyTarget whose every target succeeds, and one target's run whose plan
 * updates the Secret and lists nothing to restart or re-check (what each Choice reads where it reads it).
 */
const UPDATE_RUN = { check: { anyFailed: false } };
const UPDATE_ITEM = { onlyTarget: null, target: { name: 't' }, write: { plan: { action: 'update' }, applied: {} } };
/** The states a definition visits on the update path: Next, a Map's ItemProcessor, each Choice's branch. */
function updatePath(def: Graph): string[] {
  const visited: string[] = [];
  const walk = (graph: Graph, doc: unknown) => {
    for (let name: string | undefined = graph.StartAt; name !== undefined; ) {
      const s: any = graph.States[name];
      if (s === undefined || visited.length > 100) throw new Error(`the update path reaches ${name} (${visited})`);
      visited.push(name);
      if (s.Type === 'Map') walk(s.ItemProcessor, UPDATE_ITEM);
      name = s.Type === 'Choice' ? (s.Choices.find((c: any) => holds(c, doc))?.Next ?? s.Default) : s.Next;
    }
  };
  walk(def, UPDATE_RUN);
  return visited;
}
/** A definition's states by name, the top level's and one target's, and its Map (one target's run). */
const flat = (def: Graph) => {
  const map = Object.values(def.States).find((s) => s.Type === 'Map');
  return {
    all: { ...def.States, ...map.ItemProcessor.States } as Record<string, any>,
    run: map.ItemProcessor as Graph,
  };
};
const lambdaTask = (s: any) => s?.Type === 'Task' && String(s.Resource).includes('FunctionArn');
/** The row each Lambda Task state runs (its own `state` or one of its `alsoStates`). */
const ROW_OF = new Map<string, { state: string; scope: 'once' | 'target' }>(
  taskStates().map(([state]) => [state, stepOfState(state)!]),
);
/** The rows every sync runs, in the table's order. */
const EVERY_SYNC: readonly string[] = SYNC_STEPS.filter((r) => !r.optional).map((r) => r.state);
const WRITE = STEP_STATE['apply-secret'];
const RESTART = STEP_STATE['restart-workloads'];
/** The step every execution runs first (the fetch, once), and the step a target's run starts with (the read). */
const FIRST = SYNC_STEPS[0].state;
const FIRST_OF_TARGET = SYNC_STEPS.find((r) => r.scope === 'target')!.state;
/** Whether a Lambda Task state runs once per execution (its failure fails the sync) rather than once per target. */
const once = (name: string) => ROW_OF.get(name)?.scope === 'once';

/**
 * What is wrong with the update path's Lambda Task states: each must be a state of the table; the rows' own states
 * must be exactly the rows every sync runs, each once, in the table's order; a further state of a row (a re-check)
 * only after the row ran.
 */
function updatePathProblems(def: Graph): string[] {
  const { all } = flat(def);
  const tasks = updatePath(def).filter((n) => lambdaTask(all[n]));
  const own = tasks.filter((n) => ROW_OF.get(n)?.state === n);
  const problems = tasks.filter((n) => !ROW_OF.has(n)).map((n) => `${n} is no state of the step table`);
  if (own.join() !== EVERY_SYNC.join()) problems.push(`runs ${own.join(', ')}; the table: ${EVERY_SYNC.join(', ')}`);
  tasks.forEach((n, i) => {
    const row = ROW_OF.get(n);
    if (row && row.state !== n && !tasks.slice(0, i).includes(row.state)) problems.push(`${n} before ${row.state}`);
  });
  return problems;
}

/**
 * What is wrong with the restart's place: RestartNeeded and the restart step must be unreachable in a target's run
 * without passing the write (every edge: Next, Default, Choices, Catch), and the write's Next must reach
 * RestartNeeded through Lambda Task states of the table only (rows after the write that every sync runs, or a
 * further state of a row that ran), never a Pass or Choice between them nor past it.
 */
function restartOrderProblems(def: Graph): string[] {
  const { all, run } = flat(def);
  const edges = (s: any): string[] =>
    [
      s.Next,
      s.Default,
      ...(s.Choices ?? []).map((c: any) => c.Next),
      ...(s.Catch ?? []).map((c: any) => c.Next),
    ].filter((n) => typeof n === 'string');
  const seen = new Set<string>();
  for (const todo = [run.StartAt]; todo.length > 0; ) {
    const n = todo.pop() as string;
    if (n === WRITE || seen.has(n)) continue;
    seen.add(n);
    todo.push(...edges(run.States[n] ?? {}));
  }
  const problems = ['RestartNeeded', RESTART].filter((n) => seen.has(n)).map((n) => `${n} reachable before ${WRITE}`);
  const after = EVERY_SYNC.slice(EVERY_SYNC.indexOf(WRITE) + 1);
  const ran = new Set([...EVERY_SYNC.slice(0, EVERY_SYNC.indexOf(WRITE) + 1)]);
  let n: string | undefined = all[WRITE]?.Next;
  for (let i = 0; n !== undefined && i < 20 && lambdaTask(all[n]); i++) {
    const row = ROW_OF.get(n);
    if (!row || (row.state === n ? !after.includes(n) : !ran.has(row.state))) break;
    ran.add(n);
    n = all[n].Next;
  }
  if (n !== 'RestartNeeded')
    problems.push(`${WRITE}'s Next reaches ${n}, not RestartNeeded, through the table's steps`);
  return problems;
}

/**
 * A check run on a copy of the definition that `mutate` changed first: `all` holds every state (to change one), `run`
 * is one target's run's states (to add one).
 */
const plantedFor =
  (check: (def: Graph) => string[]) => (mutate: (all: Record<string, any>, run: Record<string, any>) => void) => {
    const def = structuredClone(asl);
    mutate(flat(def).all, flat(def).run.States);
    return check(def);
  };

/** The Kubernetes steps: their function calls an API server with a token it signs (the table's `inVpc` rows). */
const KUBE_STEPS: readonly string[] = SYNC_STEPS.filter((r) => r.inVpc).map((r) => r.state);
/** The Retry entry a 401 gets: the same step again, with a newly signed token, at most MAX_REAUTHS times. */
const REAUTH_RETRY = {
  ErrorEquals: ['UnauthorizedError'],
  IntervalSeconds: 1,
  BackoffRate: 2,
  MaxAttempts: MAX_REAUTHS,
  MaxDelaySeconds: 20,
  JitterStrategy: 'FULL',
};

/**
 * What is wrong with the handling of a 401 (UnauthorizedError): each Kubernetes step's own state retries it with
 * {@link REAUTH_RETRY}, in no other Retry entry, and no Catch names it (past the retries it falls to the generic
 * catch, `<Step>Failed`, the DLQ); no other Lambda Task state (FetchSecret, the re-check RecheckRollouts) retries it.
 */
function reauthProblems(def: Graph): string[] {
  const { all } = flat(def);
  const problems: string[] = [];
  for (const [name, s] of Object.entries<any>(all).filter(([, s]) => lambdaTask(s))) {
    const entries = (s.Retry ?? []).filter((r: any) => r.ErrorEquals.includes('UnauthorizedError'));
    if (KUBE_STEPS.includes(name)) {
      if (entries.length !== 1 || JSON.stringify(entries[0]) !== JSON.stringify(REAUTH_RETRY)) {
        problems.push(`${name} retries a 401 with ${JSON.stringify(entries)}`);
      }
    } else if (entries.length > 0) {
      problems.push(`${name} retries a 401`);
    }
    const caught = (s.Catch ?? []).filter((c: any) => c.ErrorEquals.includes('UnauthorizedError'));
    if (caught.length > 0) problems.push(`${name} catches a 401 into ${caught.map((c: any) => c.Next).join()}`);
    const generic = (s.Catch ?? []).find((c: any) => c.ErrorEquals.includes('States.ALL'));
    if (generic?.Next !== `${name}Failed`) problems.push(`${name}'s generic catch goes to ${generic?.Next}`);
  }
  return problems;
}

/**
 * Where a definition carries or names a token: `sealedToken` anywhere in its text (comments included), and every
 * key, path or Choice variable naming a token outside the comments (a `$.write.token`, a `token` field).
 */
function tokenPlaces(def: unknown): string[] {
  const found: string[] = [];
  if (/sealedToken/i.test(JSON.stringify(def))) found.push('sealedToken in the definition');
  const walk = (v: unknown, at: string) => {
    if (typeof v === 'string') {
      if (/token/i.test(v)) found.push(`${at}: ${v}`);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Comment') continue;
        if (/token/i.test(k)) found.push(`${at}.${k}`);
        walk(x, `${at}.${k}`);
      }
    }
  };
  walk(def, '');
  return found;
}

/** The states of the definition before the token-free sync: none may be left. */
const GONE = [
  'MintToken',
  'MintTokenFailed',
  'RemintToken',
  'RemintTokenFailed',
  'RemintTokenForRecheck',
  'RemintTokenForRecheckFailed',
  'PlanMerge',
  'PlanMergeFailed',
  'CountReauth',
  'StoreReauthCount',
  'ReauthBudgetLeft',
  'CountRestartReauth',
  'StoreRestartReauthCount',
  'RestartReauthBudgetLeft',
];

describe('ASL error contract', () => {
  it('matches only error names the code defines', () => {
    const defined = new Set(
      (Object.values(errors) as unknown[])
        .filter((v): v is new (m: string) => Error => typeof v === 'function')
        .map((C) => new C('x').name),
    );
    expect([...matched].filter(ours).filter((n) => !defined.has(n))).toEqual([]);
  });

  it.each(ERROR_NAMES.map((n) => [n]))('names %s in a Retry or Catch of some task', (name) => {
    expect(matched.has(name)).toBe(true);
  });

  it.each(tasks.map(([n]) => [n]))('%s sends permanent errors straight to its failure state', (name) => {
    const permanent = S[name].Catch.find((c: any) => c.ErrorEquals.includes('InvalidInputError'));
    expect(permanent.ErrorEquals).toEqual([
      'InvalidInputError',
      'NotFoundError',
      'PermissionDeniedError',
      'ConfigError',
    ]);
    expect(permanent.Next).toBe(`${name}Failed`);
  });

  it.each(tasks.map(([n]) => [n]))(
    '%s retries transient errors with backoff and jitter but never permanent ones',
    (name) => {
      const s = S[name];
      const retried = (s.Retry as any[]).flatMap((r) => r.ErrorEquals as string[]);
      expect(retried).toContain('TransientError');
      for (const permanent of [
        'InvalidInputError',
        'NotFoundError',
        'PermissionDeniedError',
        'ConfigError',
        'States.ALL',
      ]) {
        expect(retried).not.toContain(permanent);
      }
      for (const r of s.Retry) {
        expect(r.BackoffRate).toBeGreaterThan(1);
        expect(r.JitterStrategy).toBe('FULL');
      }
    },
  );

  it.each(tasks.map(([n]) => [n]))(
    '%s ends in its own failure state that records the step and sends to the DLQ',
    (name) => {
      const all = S[name].Catch.find((c: any) => c.ErrorEquals.includes('States.ALL'));
      expect(all.Next).toBe(`${name}Failed`);
      // The fetch fails the whole sync; a target's step fails that target only (its own DLQ message).
      const dlq = once(name) ? 'SendToDlq' : 'SendTargetToDlq';
      expect(S[`${name}Failed`]).toMatchObject({ Type: 'Pass', Result: name, ResultPath: '$.failedStep', Next: dlq });
      expect(once(name) ? asl.States : inner).toHaveProperty(dlq);
      expect(S.SendToDlq.Next).toBe('SyncFailed');
      expect(S.SyncFailed.Type).toBe('Fail');
      expect(S.SendTargetToDlq.Next).toBe('FailureEventWanted');
      expect(S.FailureEventWanted.Default).toBe('TargetFailed');
      expect(S.TargetFailed).toMatchObject({ Type: 'Pass', End: true });
    },
  );

  it('records a failure Event only after the DLQ message, only with failureEvents, never failing on it', () => {
    // No token to check for: the function signs its own, so a target that failed before any step still reports.
    expect(S.FailureEventWanted).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.target.failureEvents', IsPresent: true },
            { Variable: '$.target.failureEvents', BooleanEquals: true },
          ],
          Next: 'RecordFailureEvent',
        },
      ],
      Default: 'TargetFailed',
    });
    const into = states
      .filter(([, s]) => JSON.stringify([s.Next, s.Default, s.Choices, s.Catch]).includes('"RecordFailureEvent"'))
      .map(([n]) => n);
    expect(into).toStrictEqual(['FailureEventWanted']);
    const r = S.RecordFailureEvent;
    expect(r).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'TargetFailed' });
    expect(r.Parameters).toMatchObject({ FunctionName: '${ApplySecretFunctionArn}', InvocationType: 'Event' });
    // The DLQ message's own fields, the target and its cluster; never the sealed data, and no token.
    expect(r.Parameters.Payload).toStrictEqual({
      'executionStartedAt.$': '$$.Execution.StartTime',
      report: { 'failedStep.$': '$.failedStep', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
      'target.$': SPEC,
      'clusters.$': CLUSTERS,
    });
    expect(JSON.stringify(r.Parameters)).not.toContain('sealedData');
    expect(tokenPlaces(r.Parameters)).toStrictEqual([]);
    expect(r.Retry).toBeUndefined();
    expect(r.Catch).toStrictEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.reportError', Next: 'TargetFailed' }]);
    expect(r.ResultPath).not.toBe('$.error');
  });

  it('routes ConflictError from ApplySecret back to ReadSecret a bounded number of times', () => {
    expect(S.ApplySecret.Catch[0]).toMatchObject({ ErrorEquals: ['ConflictError'], Next: 'CountConflict' });
    expect(S.ConflictBudgetLeft.Choices[0]).toMatchObject({ Next: 'ReadSecret' });
    expect(S.ConflictBudgetLeft.Default).toBe('ApplySecretFailed');
  });

  it("runs, on a target's update path, the step table's rows every sync runs, in the table's order", () => {
    expect(updatePathProblems(asl)).toStrictEqual([]);
    const path = updatePath(asl);
    expect(path.slice(path.indexOf(WRITE))).toContain('RestartNeeded');
    expect(path.at(-1)).toBe('Done');
    expect(path).toContain('Synced');
  });

  it('finds a step run out of order, a step skipped and a state outside the table (planted)', () => {
    const planted = plantedFor(updatePathProblems);
    expect(planted(() => {})).toStrictEqual([]);
    // ApplySecret before ReadSecret.
    expect(
      planted((all) => {
        for (const c of all[SELECT].Choices) c.Next = 'ApplySecret';
        Object.assign(all.ApplySecret, { Next: 'ReadSecret' });
        Object.assign(all.ReadSecret, { Next: 'RestartNeeded' });
      }),
    ).toStrictEqual([expect.stringMatching(/^runs FetchSecret, ApplySecret, ReadSecret; the table: /)]);
    // ReadSecret skipped.
    expect(planted((all) => Object.assign(all[SELECT].Choices[0], { Next: 'WriteNeeded' }))).toStrictEqual([
      expect.stringMatching(/^runs FetchSecret, ApplySecret; /),
    ]);
    // The restart step on the update path (a plan without workloads to restart).
    expect(planted((all) => Object.assign(all.ApplySecret, { Next: RESTART }))).toStrictEqual([
      expect.stringContaining(`, ${WRITE}, ${RESTART}; the table: `),
    ]);
    // A Task state no row names (a PlanMerge of the definition before, say), or a further state of a row before
    // the row ran.
    expect(
      planted((all, run) => {
        run.PlanMerge = { ...all.ReadSecret, Resource: '${PlanMergeFunctionArn}', Next: 'WriteNeeded' };
        Object.assign(all.ReadSecret, { Next: 'PlanMerge' });
      }),
    ).toStrictEqual(['PlanMerge is no state of the step table']);
    expect(
      planted((all) => {
        Object.assign(all[SELECT].Choices[0], { Next: 'RecheckRollouts' });
        Object.assign(all.RecheckRollouts, { Next: 'ReadSecret' });
      }),
    ).toStrictEqual([`RecheckRollouts before ${RESTART}`]);
  });

  it('restarts workloads only after ApplySecret, only when the plan lists some, and then ends Synced', () => {
    expect(restartOrderProblems(asl)).toStrictEqual([]);
    expect(S.RestartNeeded).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.write.applied.restart', IsPresent: true },
            { Variable: '$.write.applied.restartAt', IsPresent: true },
          ],
          Next: 'WaitForRestartWindow',
        },
        // The write dropped the plan: whether to restart or re-check is in the write's result (ApplySecret's
        // restart, recheck); the restart signs its own token, so nothing runs between.
        { Variable: '$.write.applied.restart', IsPresent: true, Next: RESTART },
        { Variable: '$.write.applied.recheck', IsPresent: true, Next: 'RecheckRollouts' },
      ],
      Default: 'Synced',
    });
    expect(S.RestartWorkloads.Next).toBe('Restarted');
    const into = states
      .filter(([, s]) => JSON.stringify([s.Next, s.Default, s.Choices, s.Catch]).includes('"RestartWorkloads"'))
      .map(([n]) => n);
    expect(into.sort()).toEqual(['RestartNeeded', 'WaitForRestartWindow']);
  });

  it('finds a restart reachable before the write, or the write skipping past RestartNeeded (planted)', () => {
    const planted = plantedFor(restartOrderProblems);
    expect(planted(() => {})).toStrictEqual([]);
    expect(planted((all) => Object.assign(all.ApplySecret, { Next: 'Synced' }))).toStrictEqual([
      `${WRITE}'s Next reaches Synced, not RestartNeeded, through the table's steps`,
    ]);
    // A Pass state between the write and the decision.
    expect(
      planted((all, run) => {
        run.Between = { Type: 'Pass', Next: 'RestartNeeded' };
        Object.assign(all.ApplySecret, { Next: 'Between' });
      }),
    ).toStrictEqual([`${WRITE}'s Next reaches Between, not RestartNeeded, through the table's steps`]);
    // A step every sync runs before the write, run again after it.
    expect(planted((all) => Object.assign(all.ApplySecret, { Next: 'ReadSecret' }))).toStrictEqual([
      `${WRITE}'s Next reaches ReadSecret, not RestartNeeded, through the table's steps`,
    ]);
    // A restart that could run before the write: by a Catch, or by the plan's route.
    expect(planted((all) => Object.assign(all.ReadSecret.Catch[0], { Next: RESTART }))).toStrictEqual([
      `${RESTART} reachable before ${WRITE}`,
    ]);
    expect(planted((all) => Object.assign(all.WriteNeeded, { Default: 'RestartNeeded' }))).toStrictEqual([
      `RestartNeeded reachable before ${WRITE}`,
      `${RESTART} reachable before ${WRITE}`,
    ]);
  });

  it('drops the sealed data and plan at the write: ApplySecret replaces `write` with what it wrote', () => {
    expect(S.ApplySecret).toMatchObject({
      ResultSelector: { plan: { 'action.$': '$.action' }, 'applied.$': '$' },
      ResultPath: '$.write',
    });
    // ReadSecret's result is the plan itself (it reads and plans in one call): no selector, no observation kept.
    expect(S.ReadSecret.ResultPath).toBe('$.write.plan');
    expect(S.ReadSecret.ResultSelector).toBeUndefined();
    // The plan carries no source-* annotation: ApplySecret writes them from the version fetched.
    expect(S.ReadSecret.Parameters.sourceAnnotationsAtWrite).toBe(true);
    expect(S.ReadSecret.Parameters['source.$']).toBe('$.fetched.source');
    expect(S.ApplySecret.Parameters['source.$']).toBe('$.fetched.source');
    // The plan is read only where it is, under `write`; after the write only its action is (from the write's result).
    expect(JSON.stringify(fanOut.ItemProcessor.States)).not.toContain('"$.plan');
    for (const name of ['RestartNeeded', 'WaitForRestartWindow', 'RestartWorkloads', 'Synced', 'Restarted']) {
      const paths = JSON.stringify(S[name]).match(/"\$\.write\.plan[^"]*"/g) ?? [];
      expect([name, paths.filter((p) => p !== '"$.write.plan.action"')]).toStrictEqual([name, []]);
    }
    // Every reader of the sealed data reads it under `write` (the Map's item put it there), never from the fetch.
    for (const [name, st] of Object.entries<any>(fanOut.ItemProcessor.States)) {
      expect([name, JSON.stringify(st).includes('"$.fetched.sealedData')]).toStrictEqual([name, false]);
    }
    const readers = Object.entries<any>(inner)
      .filter(([, st]) => JSON.stringify(st.Parameters ?? {}).includes('"$.write.sealedData"'))
      .map(([n]) => n);
    expect(readers.sort()).toStrictEqual(
      SYNC_STEPS.filter((r) => r.opens.length > 0)
        .map((r) => r.state)
        .sort(),
    );
  });

  it('carries no token: no sealedToken anywhere in the definition, no path, field or Choice naming one', () => {
    expect(tokenPlaces(asl)).toStrictEqual([]);
    for (const name of GONE) expect([name, name in S]).toStrictEqual([name, false]);
    expect(JSON.stringify(asl)).not.toMatch(/MintTokenFunctionArn|PlanMergeFunctionArn|reauths/);
  });

  it('finds a token carried in a Parameters, the Map item, a Choice or a comment (planted)', () => {
    const planted = (mutate: (all: Record<string, any>, def: any) => void) => {
      const def = structuredClone(asl);
      mutate(flat(def).all, def);
      return tokenPlaces(def);
    };
    expect(planted(() => {})).toStrictEqual([]);
    expect(
      planted((all) =>
        Object.assign(all.RestartWorkloads.Parameters, { 'sealedToken.$': '$.write.token.sealedToken' }),
      ),
    ).toStrictEqual([
      'sealedToken in the definition',
      '.States.Targets.ItemProcessor.States.RestartWorkloads.Parameters.sealedToken.$',
      '.States.Targets.ItemProcessor.States.RestartWorkloads.Parameters.sealedToken.$: $.write.token.sealedToken',
    ]);
    expect(planted((_all, def) => Object.assign(def.States.Targets.ItemSelector, { token: {} }))).toStrictEqual([
      '.States.Targets.ItemSelector.token',
    ]);
    expect(
      planted((all) => all.FailureEventWanted.Choices[0].And.push({ Variable: '$.write.token', IsPresent: true })),
    ).toStrictEqual([
      '.States.Targets.ItemProcessor.States.FailureEventWanted.Choices.0.And.2.Variable: $.write.token',
    ]);
    expect(planted((all) => Object.assign(all.ReadSecret, { Comment: 'opens the sealedToken' }))).toStrictEqual([
      'sealedToken in the definition',
    ]);
  });

  it('with restartWindowSeconds, waits for the window boundary ApplySecret returned, then restarts', () => {
    // docs/restart.md#coalescing-restarts: restartAt is only there with the option on; the default path skips it.
    expect(S.WaitForRestartWindow).toStrictEqual({
      Type: 'Wait',
      Comment: expect.any(String),
      TimestampPath: '$.write.applied.restartAt',
      Next: RESTART,
    });
    const into = states
      .filter(([, s]) => JSON.stringify([s.Next, s.Default, s.Choices, s.Catch]).includes('"WaitForRestartWindow"'))
      .map(([n]) => n);
    expect(into).toEqual(['RestartNeeded']);
  });

  it('re-checks the restart only when the plan lists workloads to re-check (a redrive), with the same function', () => {
    expect(S.RecheckNeeded).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.write.plan.recheck[0]', IsPresent: true, Next: 'RecheckRollouts' }],
      Default: 'InSync',
    });
    expect(S.RecheckRollouts.Resource).toBe(S.RestartWorkloads.Resource);
    // Not ApplySecret's output: a redrive that writes nothing has none (and a re-check never waits for a window).
    const { 'applied.$': applied, ...restartParameters } = S.RestartWorkloads.Parameters;
    expect(applied).toBe('$.write.applied');
    expect(S.RecheckRollouts.Parameters).toStrictEqual({ ...restartParameters, recheck: true });
    // The restart's retries, but for a 401: a refused re-check goes to the DLQ (its redrive checks again).
    expect(S.RecheckRollouts.Retry).toStrictEqual(
      S.RestartWorkloads.Retry.filter((r: any) => !r.ErrorEquals.includes('UnauthorizedError')),
    );
    expect(S.RecheckRollouts.Retry).toHaveLength(S.RestartWorkloads.Retry.length - 1);
    expect(S.RecheckRollouts.Next).toBe('Rechecked');
    expect(S.Rechecked).toMatchObject({ Type: 'Pass', End: true });
    // ReadSecret's plan decides it from the execution's attempt (functions/domain/restart.ts recheckAfter).
    expect(S.ReadSecret.Parameters['attempt.$']).toBe('$$.Execution.Input.attempt');
    const into = states
      .filter(([, s]) => JSON.stringify([s.Next, s.Default, s.Choices, s.Catch]).includes('"RecheckRollouts"'))
      .map(([n]) => n);
    expect(into.sort()).toEqual(['RecheckNeeded', 'RestartNeeded']);
  });

  it('writes for create, update and the two deletions, ends Retained for retain, and InSync (or a re-check) otherwise', () => {
    const routes = Object.fromEntries(S.WriteNeeded.Choices.map((c: any) => [c.StringEquals, c.Next]));
    expect(routes).toStrictEqual({
      create: 'ApplySecret',
      update: 'ApplySecret',
      'delete-keys': 'ApplySecret',
      'delete-secret': 'ApplySecret',
      retain: 'Retained',
    });
    expect(S.WriteNeeded.Default).toBe('RecheckNeeded');
    expect(S.Retained).toMatchObject({ Type: 'Pass', End: true });
  });

  it('gives RestartWorkloads the version, a start time fixed for the execution, and no token nor sealed data', () => {
    expect(S.RestartWorkloads.Parameters).toStrictEqual({
      'executionStartedAt.$': '$$.Execution.StartTime',
      'versionId.$': '$.fetched.source.versionId',
      'requestedAt.$': '$$.Execution.StartTime',
      // ApplySecret's output: counts, resourceVersion and, with restartWindowSeconds, restartAt; no value.
      'applied.$': '$.write.applied',
      'target.$': SPEC,
      'clusters.$': CLUSTERS,
    });
  });

  it('runs only the target an input onlyTarget names (by its key), and an unknown name into the DLQ', () => {
    expect(asl.StartAt).toBe('TargetFilter');
    expect(asl.States.TargetFilter.Choices).toStrictEqual([
      { Variable: '$.onlyTarget', IsPresent: true, Next: 'StartOneTarget' },
    ]);
    expect(asl.States.TargetFilter.Default).toBe('Start');
    expect(asl.States.CheckOnlyTarget.Parameters['known.$']).toBe(
      'States.ArrayContains($.filter.all[*].name, $.onlyTarget)',
    );
    expect(asl.States.KnownTarget.Default).toBe('UnknownTarget');
    expect(asl.States.UnknownTarget.Next).toBe('UnknownTargetFailed');
    expect(asl.States.UnknownTargetFailed.Next).toBe('SendToDlq');
    expect(asl.States.SendToDlq.Parameters.MessageBody['target.$']).toBe('$.onlyTarget');
    // Where a selected target goes: 'ASL fan-out to the targets'.
    expect(S[SELECT].Choices.map(({ Next, ...rule }: { Next: string }) => rule)).toStrictEqual([
      { Variable: '$.onlyTarget', IsNull: true },
      { Variable: '$.onlyTarget', StringEqualsPath: '$.target.name' },
    ]);
    expect(S[S[SELECT].Default].End).toBe(true);
    expect(S[S[SELECT].Default].Parameters.failed).toBe(false);
  });

  it('runs a Kubernetes step again on a 401 (its own Retry, MAX_REAUTHS times), then fails it into the DLQ', () => {
    expect(KUBE_STEPS).toStrictEqual(['ReadSecret', 'ApplySecret', 'RestartWorkloads']);
    expect(reauthProblems(asl)).toStrictEqual([]);
    for (const name of KUBE_STEPS) expect(S[name].Retry).toContainEqual(REAUTH_RETRY);
  });

  it('finds a 401 retried too often, caught, retried by the re-check or not retried (planted)', () => {
    const planted = plantedFor(reauthProblems);
    expect(planted(() => {})).toStrictEqual([]);
    const retry401 = (s: any) => s.Retry.find((r: any) => r.ErrorEquals.includes('UnauthorizedError'));
    expect(planted((all) => Object.assign(retry401(all.ApplySecret), { MaxAttempts: MAX_REAUTHS + 1 }))).toStrictEqual([
      expect.stringMatching(/^ApplySecret retries a 401 with .*"MaxAttempts":3/),
    ]);
    expect(
      planted((all) => {
        all.ReadSecret.Retry = all.ReadSecret.Retry.filter((r: any) => !r.ErrorEquals.includes('UnauthorizedError'));
      }),
    ).toStrictEqual(['ReadSecret retries a 401 with []']);
    expect(planted((all) => all.RecheckRollouts.Retry.push({ ...REAUTH_RETRY }))).toStrictEqual([
      'RecheckRollouts retries a 401',
    ]);
    expect(
      planted((all) =>
        all.RestartWorkloads.Catch.unshift({
          ErrorEquals: ['UnauthorizedError'],
          ResultPath: '$.error',
          Next: 'Synced',
        }),
      ),
    ).toStrictEqual(['RestartWorkloads catches a 401 into Synced']);
    // One Retry entry for transient errors and 401s alike would give a 401 four more attempts.
    expect(
      planted((all) => {
        all.ApplySecret.Retry = all.ApplySecret.Retry.filter((r: any) => !r.ErrorEquals.includes('UnauthorizedError'));
        all.ApplySecret.Retry[0].ErrorEquals.push('UnauthorizedError');
      }),
    ).toStrictEqual([expect.stringMatching(/^ApplySecret retries a 401 with .*"MaxAttempts":4/)]);
  });
});

describe('ASL loop bounds', () => {
  /** The one bound a budget Choice state compares its counter with (`counter <= bound` goes round again). */
  const bound = (state: string, counter: string) => {
    const s = S[state];
    expect(s.Type).toBe('Choice');
    expect(s.Choices).toHaveLength(1);
    expect(s.Choices[0].Variable).toBe(counter);
    return s.Choices[0].NumericLessThanEquals as number;
  };

  it("start the conflict counter at 0 for each target, in the Map's item (a 401 needs none: the Retry counts)", () => {
    // A target's run starts at SelectTarget and goes straight to its first step ('ASL fan-out to the targets').
    expect(fanOut.ItemSelector).toMatchObject({ conflicts: 0 });
    expect('reauths' in fanOut.ItemSelector).toBe(false);
    // Nothing in a target's run sets it back to 0, and nothing counts re-auths in the state.
    for (const [name, st] of Object.entries<any>(S)) {
      expect([name, JSON.stringify(st).includes('reauths')]).toStrictEqual([name, false]);
      if (name === 'StoreConflictCount') continue;
      expect([st.ResultPath, st.OutputPath]).not.toContain('$.conflicts');
    }
  });

  it('CountConflict adds exactly 1 to $.conflicts', () => {
    expect(S.CountConflict.Parameters).toStrictEqual({ 'value.$': 'States.MathAdd($.conflicts, 1)' });
  });

  it('read and merge again after a conflict at most MAX_CONFLICT_RETRIES times (domain/loops.ts)', () => {
    expect(bound('ConflictBudgetLeft', '$.conflicts')).toBe(MAX_CONFLICT_RETRIES);
  });

  it.each(KUBE_STEPS.map((n) => [n]))('%s runs again after a 401 at most MAX_REAUTHS times', (state) => {
    const entries = S[state].Retry.filter((r: any) => r.ErrorEquals.includes('UnauthorizedError'));
    expect(entries.map((r: any) => r.MaxAttempts)).toStrictEqual([MAX_REAUTHS]);
  });

  it('are 3 and 2, as docs/architecture.md#error-contract documents', () => {
    expect([MAX_CONFLICT_RETRIES, MAX_REAUTHS]).toStrictEqual([3, 2]);
  });
});

describe('ASL fan-out to the targets', () => {
  it("fetches once, then runs every target in a Map (MAX_TARGET_CONCURRENCY), from the table's first target step", () => {
    expect(asl.States[FIRST].Next).toBe(MAP);
    expect(fanOut).toMatchObject({ Type: 'Map', ItemsPath: '$.targets', MaxConcurrency: MAX_TARGET_CONCURRENCY });
    expect(fanOut.ItemProcessor.StartAt).toBe(SELECT);
    // Every selected target (each Choice) goes to the first per-target step; an unselected one ends (Default).
    expect(S[SELECT].Choices.map((c: { Next: string }) => c.Next)).toStrictEqual([FIRST_OF_TARGET, FIRST_OF_TARGET]);
    expect(Object.keys(inner)).not.toContain(FIRST);
  });

  it('takes the targets and their clusters from the definition, never from the execution input', () => {
    expect(asl.States.Start.Parameters).toStrictEqual({ 'targets.$': INDEXES, onlyTarget: null });
    expect(asl.States.StartOneTarget.Parameters).toStrictEqual({
      'targets.$': INDEXES,
      'onlyTarget.$': '$.onlyTarget',
      filter: { 'all.$': TARGETS },
    });
    // CheckOnlyTarget replaces the list with its answer: no later state carries it.
    expect(asl.States.CheckOnlyTarget.ResultPath).toBe('$.filter');
  });

  it('carries no constant data in the state: the target list and the clusters are read where they are used', () => {
    const leaves = states.filter(([, s]) => s.Type !== 'Map');
    // The items are indexes; each iteration takes its one target's item (index and name) from the definition, and
    // each task that needs the spec takes it by that index in its Parameters: the spec is in no state.
    expect(fanOut.ItemSelector['target.$']).toBe(`States.ArrayGetItem(${ITEMS}, $$.Map.Item.Value)`);
    const specUsers = leaves.filter(([, s]) => JSON.stringify(s.Parameters ?? {}).includes(SPEC)).map(([n]) => n);
    expect(specUsers.sort()).toStrictEqual(
      [...taskStates().map(([state]) => state), 'RecordFailureEvent'].filter((n) => !once(n)).sort(),
    );
    for (const [name, st] of leaves) {
      // No state reads the target but by its item's fields (name, index, failureEvents).
      const paths = JSON.stringify(st).match(/"\$\.target(\.\w+)?"/g) ?? [];
      const bad = paths.filter((p) => !['"$.target.name"', '"$.target.failureEvents"'].includes(p));
      expect([name, bad]).toStrictEqual([name, []]);
    }
    // The clusters (endpoint and CA) only in the Kubernetes tasks' Parameters: in a task's input, not in the state.
    // The Kubernetes tasks are the step table's rows that call an API server (`inVpc`).
    const users = leaves
      .filter(([, s]) => JSON.stringify(s.Parameters ?? {}).includes('${ClustersJson}'))
      .map(([n]) => n);
    expect(users.sort()).toStrictEqual(
      [
        ...taskStates().flatMap(([state, kind]) => (stepOfKind(kind).inVpc ? [state] : [])),
        'RecordFailureEvent',
      ].sort(),
    );
    for (const n of users) expect((S[n].Parameters.Payload ?? S[n].Parameters)['clusters.$']).toBe(CLUSTERS);
    // The event and attempt stay in the execution's input: only the states that send them read them.
    const readers = leaves
      .filter(([, s]) => JSON.stringify(s.Parameters ?? {}).includes('$$.Execution.Input'))
      .map(([n]) => n);
    expect(readers.sort()).toStrictEqual(
      [STEP_STATE['fetch-secret'], STEP_STATE['read-secret'], 'SendTargetToDlq', 'SendToDlq'].sort(),
    );
    for (const [, st] of states) expect(JSON.stringify(st.Parameters ?? {})).not.toMatch(/"\$\.(event|attempt)"/);
  });

  it('gives each target the fetched (sealed) data once, from outside the items', () => {
    expect(fanOut.ItemSelector).toStrictEqual({
      fetched: { 'source.$': '$.fetched.source' },
      write: { 'sealedData.$': '$.fetched.sealedData', 'changedAt.$': '$.fetched.changedAt' },
      'target.$': `States.ArrayGetItem(${ITEMS}, $$.Map.Item.Value)`,
      'onlyTarget.$': '$.onlyTarget',
      conflicts: 0,
    });
    // The event and attempt are read from $$.Execution.Input where they are sent, never carried in the item.
    expect(JSON.stringify(fanOut.ItemSelector)).not.toMatch(/event|attempt/);
  });

  it("gives each Kubernetes task its target's spec and clusters, from which its function signs for that cluster", () => {
    for (const [name, kind] of taskStates().filter(([, kind]) => stepOfKind(kind).inVpc)) {
      expect([name, kind, S[name].Parameters['target.$'], S[name].Parameters['clusters.$']]).toStrictEqual([
        name,
        kind,
        SPEC,
        CLUSTERS,
      ]);
      expect([name, tokenPlaces(S[name].Parameters)]).toStrictEqual([name, []]);
    }
  });

  it("names the mapping and the target in a failed target's DLQ message", () => {
    expect(S.SendTargetToDlq.Parameters.MessageBody).toMatchObject({
      mappingId: '${MappingId}',
      'target.$': '$.target.name',
      'failedStep.$': '$.failedStep',
      'event.$': '$$.Execution.Input.event',
      'attempt.$': '$$.Execution.Input.attempt',
    });
  });

  it("ends each target's run with a small summary (never its state: the Map's output holds 50 of them)", () => {
    for (const end of ['InSync', 'Retained', 'Synced', 'Restarted', 'TargetFailed']) {
      const text = JSON.stringify(S[end].Parameters);
      expect(S[end]).toMatchObject({ Type: 'Pass', End: true });
      expect(text).not.toMatch(/fetched|sealed|token|plan"/);
    }
  });

  it('fails the execution after every target ran when one failed, with the first failed error', () => {
    expect(fanOut.Next).toBe('CheckTargets');
    expect(S.AnyTargetFailed.Choices[0]).toMatchObject({ Variable: '$.check.anyFailed', Next: 'FailedTargets' });
    expect(S.FailedTarget).toMatchObject({ Type: 'Fail', ErrorPath: '$.check.first.Error' });
    expect(S.AnyTargetFailed.Default).toBe('Done');
  });
});
