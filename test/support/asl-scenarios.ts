/**
 * Scripted scenarios for the deployed state machine, run alike on two ASL interpreters
 * (test/infra/asl-interpreters.test.ts): each Lambda task answers from the scenario's script, keyed by the
 * function and the target it is called for, so the interpreters differ in nothing but how they read the ASL.
 *
 * The fixture mapping has three targets on two clusters (one looked up at deploy time, so its ClustersJson is
 * filled by CloudFormation's Fn::Base64) and one with `restart`.
 */
import { readFileSync } from 'node:fs';
import type { StepPlaceholder } from '../../functions/domain/sync-steps.ts';
import { EXAMPLE_FILE } from './infra.ts';

/** One answer of a scripted Lambda function: its result, or the error it throws (errorType, errorMessage). */
export type Answer = { readonly result: unknown } | { readonly error: string; readonly cause: string };

/** A Lambda function of the definition, as its placeholder names it (`${<Name>FunctionArn}`): the step table's. */
export type FunctionName = StepPlaceholder extends `${infer N}FunctionArn` ? N : never;

/**
 * A function's answers by key: the target's name (`input.target.name`, every per-target task's), else `*` (the
 * fetch). The n-th call of a key gets the n-th answer; the last one repeats (a Retry's run again is a further call).
 * A function the script does not name at all answers `{}` (a step whose result steers no Choice, as a read-back
 * check, needs no script; one whose result a Choice reads gets its answers here); a named function without an answer
 * for a key is an error.
 */
export type Script = Partial<Record<FunctionName, Readonly<Record<string, readonly Answer[]>>>>;

/** The few outcomes a scenario pins itself; everything else is compared between the interpreters. */
export interface Expectation {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  /** DLQ bodies as `<target or null> <failedStep> <error>`, sorted. */
  readonly dlq?: readonly string[];
  /** Calls of a function for a key (`<Function> <key>`). */
  readonly calls?: Readonly<Record<string, number>>;
  /**
   * Calls of a function for a key beyond those of the `all-synced` run on the same interpreter: what the scenario's
   * trouble costs (a 401: one more run of the refused step, nothing else), however many calls a sync makes without it.
   */
  readonly moreCalls?: Readonly<Record<string, number>>;
}

/** One scripted execution. */
export interface Scenario {
  readonly name: string;
  readonly input: { readonly event: unknown; readonly attempt: number; readonly onlyTarget?: unknown };
  /** Every function's answers (the defaults with the scenario's own on top). */
  readonly answers: Script;
  readonly expect: Expectation;
}

/** The certificate authority of the example file's `web-tls` cluster: a valid base64 PEM. */
const CA = /certificateAuthority: (LS0t\S+)/.exec(readFileSync(EXAMPLE_FILE, 'utf8'))![1]!;

/** The mapping whose deployed definition the scenarios run. */
export const MAPPING_ID = 'registry';

/** Its targets' names (`<cluster>/<namespace>/<secretName>`), in the config's order. */
export const T1 = 'prod/team-a/registry';
export const T2 = 'prod/team-b/registry';
export const T3 = 'staging/team-a/registry';

/** The fixture stack: T1 restarts a workload; `staging` has no endpoint, so the stack looks it up at deploy. */
export const FIXTURE_YAML = `stack:
  name: AslJudge
mappings:
  - id: ${MAPPING_ID}
    secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:ci/registry-AbCdEf
    targets:
      - cluster: { name: prod, endpoint: https://prod.example, certificateAuthority: ${CA} }
        namespace: team-a
        secretName: registry
        restart: [deployment/builder]
      - cluster: { name: prod, endpoint: https://prod.example, certificateAuthority: ${CA} }
        namespace: team-b
        secretName: registry
      - { cluster: { name: staging }, namespace: team-a, secretName: registry }
`;

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ci/registry-AbCdEf';
const sealed = (what: string) => ({ v: 1, key: `a2V5LW9mLSR7${what}`, iv: 'aXY=', tag: 'dGFn', data: 'c2VhbGVk' });
const ok = (result: unknown): Answer => ({ result });
/** A plan as ReadSecret returns it (the merge plan's fields the states after it read, and the read's version). */
const plan = (p: { action: string; added?: string[]; updated?: string[]; restart: string[] }) => ({
  resourceVersion: '41',
  added: [],
  updated: [],
  ...p,
});
const fail = (error: string, cause: string): Answer => ({ error, cause });

/**
 * FetchSecret's `budgetEndsAt` (the execution's start plus its budget, domain/execution-budget.ts): the deadline the
 * wave loop checks before each new wave. Far ahead in the scenarios that run in time, past in those that do not.
 */
const IN_TIME = '2100-01-01T00:00:00Z';
const PAST = '2000-01-01T00:00:00Z';

/** The happy path: every target written, T1's workload restarted. */
const DEFAULTS: Script = {
  FetchSecret: {
    '*': [
      ok({
        source: { arn: SECRET_ARN, versionId: 'v-2', createdDate: '2026-12-03T12:00:00.000Z', current: true },
        keys: ['password', 'username'],
        sealedData: sealed('data'),
        changedAt: '2026-12-03T12:00:05.000Z',
        budgetEndsAt: IN_TIME,
      }),
    ],
  },
  // ReadSecret reads and plans: its answer is the plan (T1's restarts its workload).
  ReadSecret: {
    [T1]: [ok(plan({ action: 'update', added: ['username'], updated: ['password'], restart: ['deployment/builder'] }))],
    '*': [ok(plan({ action: 'update', added: ['username'], updated: ['password'], restart: [] }))],
  },
  // As apply-secret answers: restart true when the plan it wrote restarts (T1's), which RestartNeeded reads.
  ApplySecret: {
    [T1]: [ok({ action: 'update', resourceVersion: '42', added: 1, updated: 1, pruned: 0, restart: true })],
    '*': [ok({ action: 'update', resourceVersion: '42', added: 1, updated: 1, pruned: 0 })],
  },
  RestartWorkloads: {
    '*': [ok({ workloads: ['deployment/builder'], restartedAt: '2026-12-03T12:00:01Z', versionId: 'v-2' })],
  },
};

const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Secret Label Updated',
  source: 'aws.secretsmanager',
  account: '111122223333',
  time: '2026-12-03T12:00:00Z',
  region: 'us-east-1',
  resources: [SECRET_ARN],
  detail: { name: 'ci/registry', labelUpdated: 'AWSCURRENT', versionId: 'v-2' },
};

function scenario(
  name: string,
  answers: Script,
  expect: Expectation,
  input: Partial<Scenario['input']> = {},
): Scenario {
  const merged: Record<string, Record<string, readonly Answer[]>> = {};
  for (const fn of Object.keys(DEFAULTS) as FunctionName[]) merged[fn] = { ...DEFAULTS[fn], ...answers[fn] };
  return { name, input: { event, attempt: 1, ...input }, answers: merged, expect };
}

const conflict = fail('ConflictError', 'Secret team-a/registry was modified since it was read (409)');
const unauthorized = fail('UnauthorizedError', 'cluster refused the token (401)');
const transient = fail('TransientError', 'apiserver answered 503');

/** Every scenario; names are unique (they name the executions). */
export const SCENARIOS: readonly Scenario[] = [
  scenario('all-synced', {}, { status: 'SUCCEEDED', dlq: [], calls: { [`RestartWorkloads ${T1}`]: 1 } }),
  scenario(
    'one-target-fails',
    { ApplySecret: { [T2]: [fail('PermissionDeniedError', 'patch secrets team-b/registry: forbidden (403)')] } },
    { status: 'FAILED', error: 'PermissionDeniedError', dlq: [`${T2} ApplySecret PermissionDeniedError`] },
  ),
  scenario(
    'all-targets-fail',
    {
      ReadSecret: {
        [T1]: [fail('NotFoundError', 'namespace team-a not found on prod')],
        [T2]: [fail('NotFoundError', 'namespace team-b not found on prod')],
        [T3]: [fail('PermissionDeniedError', 'get secrets team-a/registry: forbidden on staging')],
      },
    },
    {
      status: 'FAILED',
      error: 'NotFoundError',
      dlq: [
        `${T1} ReadSecret NotFoundError`,
        `${T2} ReadSecret NotFoundError`,
        `${T3} ReadSecret PermissionDeniedError`,
      ],
    },
  ),
  scenario(
    'conflict-then-written',
    { ApplySecret: { [T1]: [conflict, DEFAULTS.ApplySecret![T1]![0]!] } },
    // One more read and write than the all-synced run (which writes T1 once), however many reads a write costs.
    { status: 'SUCCEEDED', dlq: [], moreCalls: { [`ReadSecret ${T1}`]: 1, [`ApplySecret ${T1}`]: 1 } },
  ),
  scenario(
    'conflicts-exhausted',
    { ApplySecret: { [T1]: [conflict] } },
    {
      status: 'FAILED',
      error: 'ConflictError',
      dlq: [`${T1} ApplySecret ConflictError`],
      calls: { [`ReadSecret ${T1}`]: 4, [`ApplySecret ${T1}`]: 4 },
    },
  ),
  // A 401 (an access entry not yet in effect): the step's own Retry runs it again, and the function signs a new
  // token (the scenario names keep "reminted": each run mints its token); no other step runs again.
  scenario(
    'unauthorized-then-reminted',
    { ReadSecret: { [T3]: [unauthorized, DEFAULTS.ReadSecret!['*']![0]!] } },
    // One more read; no more writes (the test-bed control compares every entry with the all-synced run: no zero here).
    { status: 'SUCCEEDED', dlq: [], moreCalls: { [`ReadSecret ${T3}`]: 1 } },
  ),
  scenario(
    'unauthorized-exhausted',
    { ReadSecret: { [T3]: [unauthorized] } },
    {
      status: 'FAILED',
      error: 'UnauthorizedError',
      dlq: [`${T3} ReadSecret UnauthorizedError`],
      calls: { [`ReadSecret ${T3}`]: 3, [`ApplySecret ${T3}`]: 0 },
    },
  ),
  scenario(
    'apply-unauthorized-then-reminted',
    { ApplySecret: { [T3]: [unauthorized, DEFAULTS.ApplySecret!['*']![0]!] } },
    // The plan still holds: the write runs again, not the read.
    { status: 'SUCCEEDED', dlq: [], moreCalls: { [`ApplySecret ${T3}`]: 1, [`ReadSecret ${T3}`]: 0 } },
  ),
  scenario(
    'apply-unauthorized-exhausted',
    { ApplySecret: { [T2]: [unauthorized] } },
    {
      status: 'FAILED',
      error: 'UnauthorizedError',
      dlq: [`${T2} ApplySecret UnauthorizedError`],
      calls: { [`ApplySecret ${T2}`]: 3, [`ReadSecret ${T2}`]: 1 },
    },
  ),
  scenario(
    'restart-unauthorized-then-reminted',
    { RestartWorkloads: { [T1]: [unauthorized, DEFAULTS.RestartWorkloads!['*']![0]!] } },
    { status: 'SUCCEEDED', dlq: [], calls: { [`RestartWorkloads ${T1}`]: 2, [`ApplySecret ${T1}`]: 1 } },
  ),
  scenario(
    'restart-unauthorized-exhausted',
    { RestartWorkloads: { [T1]: [unauthorized] } },
    {
      status: 'FAILED',
      error: 'UnauthorizedError',
      dlq: [`${T1} RestartWorkloads UnauthorizedError`],
      calls: { [`RestartWorkloads ${T1}`]: 3 },
    },
  ),
  scenario(
    'restart-conflicts-exhausted',
    { RestartWorkloads: { [T1]: [fail('ConflictError', 'deployment builder was modified (409)')] } },
    {
      status: 'FAILED',
      error: 'ConflictError',
      dlq: [`${T1} RestartWorkloads ConflictError`],
      calls: { [`RestartWorkloads ${T1}`]: 4 },
    },
  ),
  scenario(
    'redrive-one-target',
    {},
    { status: 'SUCCEEDED', dlq: [], calls: { [`ApplySecret ${T2}`]: 1, [`ApplySecret ${T1}`]: 0 } },
    { onlyTarget: T2, attempt: 2 },
  ),
  scenario(
    'redrive-one-target-fails',
    { ApplySecret: { [T3]: [fail('InvalidInputError', 'key "a b" is not a valid Secret key')] } },
    { status: 'FAILED', error: 'InvalidInputError', dlq: [`${T3} ApplySecret InvalidInputError`] },
    { onlyTarget: T3, attempt: 3 },
  ),
  scenario(
    'unknown-target',
    {},
    { status: 'FAILED', error: 'InvalidInputError', dlq: ['prod/team-c/registry TargetFilter InvalidInputError'] },
    { onlyTarget: 'prod/team-c/registry', attempt: 2 },
  ),
  scenario(
    'only-target-not-a-string',
    {},
    { status: 'FAILED', error: 'InvalidInputError', dlq: ['42 TargetFilter InvalidInputError'] },
    { onlyTarget: 42, attempt: 2 },
  ),
  scenario(
    'retries-exhausted-in-target',
    { ReadSecret: { [T3]: [transient] } },
    {
      status: 'FAILED',
      error: 'TransientError',
      dlq: [`${T3} ReadSecret TransientError`],
      calls: { [`ReadSecret ${T3}`]: 5 },
    },
  ),
  scenario(
    'retries-exhausted-in-fetch',
    { FetchSecret: { '*': [fail('TransientError', 'Secrets Manager throttled (429)')] } },
    {
      status: 'FAILED',
      error: 'TransientError',
      dlq: ['null FetchSecret TransientError'],
      calls: { 'FetchSecret *': 5 },
    },
  ),
  scenario(
    'retried-then-fetched',
    { FetchSecret: { '*': [transient, transient, DEFAULTS.FetchSecret!['*']![0]!] } },
    { status: 'SUCCEEDED', dlq: [], calls: { 'FetchSecret *': 3 } },
  ),
  scenario(
    'unknown-error-type-in-target',
    { ReadSecret: { [T1]: [fail('TypeError', "Cannot read properties of undefined (reading 'keys')")] } },
    { status: 'FAILED', error: 'TypeError', dlq: [`${T1} ReadSecret TypeError`], calls: { [`ReadSecret ${T1}`]: 1 } },
  ),
  // An execution of the definition before, redriven or in flight across the deploy: ReadSecret got no source and
  // refuses it (permanent: no retry), so the target's DLQ message is redriven onto the current definition.
  scenario(
    'read-without-source',
    { ReadSecret: { [T2]: [fail('InvalidInputError', 'ReadSecret got no source (the version fetched)')] } },
    {
      status: 'FAILED',
      error: 'InvalidInputError',
      dlq: [`${T2} ReadSecret InvalidInputError`],
      calls: { [`ReadSecret ${T2}`]: 1, [`ApplySecret ${T2}`]: 0 },
    },
  ),
  scenario(
    'unknown-error-type-in-fetch',
    { FetchSecret: { '*': [fail('Error', 'something unexpected')] } },
    { status: 'FAILED', error: 'Error', dlq: ['null FetchSecret Error'], calls: { 'FetchSecret *': 1 } },
  ),
  scenario(
    'in-sync-retained-and-stale',
    {
      ReadSecret: {
        [T1]: [ok(plan({ action: 'none', restart: [] }))],
        [T2]: [ok(plan({ action: 'retain', restart: [] }))],
        [T3]: [ok(plan({ action: 'skip-stale', restart: [] }))],
      },
    },
    { status: 'SUCCEEDED', dlq: [], calls: { [`ApplySecret ${T1}`]: 0 } },
  ),
];

/** The fixture with `waves` (docs/restart.md#waves): the same targets, one a wave, later ones written on a stop. */
export const WAVES_YAML = FIXTURE_YAML.replace(
  '    targets:\n',
  '    rolloutTimeoutSeconds: 20\n    waves: { size: 1, heldTargets: write }\n    targets:\n',
);

/** FetchSecret's answer with the budget already ended (a slow execution reaching the wave loop late). */
const fetchedLate: Script = {
  FetchSecret: { '*': [ok({ ...(DEFAULTS.FetchSecret!['*']![0] as { result: object }).result, budgetEndsAt: PAST })] },
};

const unhealthy = fail('RolloutUnhealthyError', '1 of 1 workloads not rolled out after 20 s in cluster prod');

/** Scenarios of the waves fixture: every wave healthy; the first wave unhealthy, the rest written, not restarted. */
export const WAVES_SCENARIOS: readonly Scenario[] = [
  scenario(
    'waves-all-healthy',
    {},
    { status: 'SUCCEEDED', dlq: [], calls: { [`RestartWorkloads ${T1}`]: 1, [`ApplySecret ${T3}`]: 1 } },
  ),
  scenario(
    'waves-stop-at-first',
    {
      RestartWorkloads: { [T1]: [unhealthy] },
      ReadSecret: { [T2]: [ok(plan({ action: 'update', updated: ['password'], restart: ['deployment/x'] }))] },
      ApplySecret: {
        [T2]: [ok({ action: 'update', resourceVersion: '42', added: 0, updated: 1, pruned: 0, restart: true })],
      },
    },
    {
      status: 'FAILED',
      error: 'WavesStoppedError',
      dlq: ['null Waves WavesStoppedError', `${T1} RestartWorkloads RolloutUnhealthyError`],
      calls: {
        [`RestartWorkloads ${T1}`]: 1,
        [`ApplySecret ${T2}`]: 1,
        [`ApplySecret ${T3}`]: 1,
        [`RestartWorkloads ${T2}`]: 0,
      },
    },
  ),
  scenario('waves-out-of-time', fetchedLate, {
    status: 'FAILED',
    error: 'WavesStoppedError',
    dlq: ['null Waves WavesStoppedError'],
    calls: {
      [`RestartWorkloads ${T1}`]: 1,
      [`ReadSecret ${T2}`]: 0,
      [`ApplySecret ${T2}`]: 0,
      [`ApplySecret ${T3}`]: 0,
    },
  }),
  scenario(
    'waves-held-out-of-time',
    { ...fetchedLate, RestartWorkloads: { [T1]: [unhealthy] } },
    {
      status: 'FAILED',
      error: 'WavesStoppedError',
      dlq: ['null Waves WavesStoppedError', `${T1} RestartWorkloads RolloutUnhealthyError`],
      calls: { [`RestartWorkloads ${T1}`]: 1, [`ReadSecret ${T2}`]: 0, [`ApplySecret ${T3}`]: 0 },
    },
  ),
];
