/**
 * The step table: every Lambda step of a sync, written once. The constructs (function names, seal grants, which
 * functions run in the VPC, the definition's `${...FunctionArn}` substitutions), the local runner, the bench, the
 * CLI's pipeline and the tests read it; test/unit/sync-steps.test.ts checks it against statemachine/sync.asl.json
 * (each Task state's placeholder and result path). Pure data: no imports but types.
 */
import type { SealContext } from './ports.ts';

/** What a seal binds to, by what it holds (the encryption context's `purpose`). */
export type SealPurpose = SealContext['purpose'];

/**
 * One Lambda step of the state machine. `kind` is the function folder (`functions/<kind>/handler.ts`) and the
 * construct's function name; `state` the ASL Task state that runs it. Two rows may name one kind: the later row is a
 * step of its own (its place in the run, its result path, its trace row) that runs the earlier row's function, and
 * must agree with it on what belongs to the function (placeholder, seal purposes, `inVpc`, `optional`;
 * test/unit/sync-steps.test.ts checks it). The function's construct id is its first row's state.
 */
export interface SyncStep {
  /** The ASL Task state that runs the step (also the CLI's and the local runner's trace name). */
  readonly state: string;
  /** Further Task states that run the same function (RecheckRollouts runs restart-workloads again). */
  readonly alsoStates: readonly string[];
  /** The function kind: `functions/<kind>/handler.ts`. */
  readonly kind: string;
  /** The ASL placeholder the function's ARN fills (`${<placeholder>}` in `Resource`). */
  readonly placeholder: string;
  /** The Task state's `ResultPath`. */
  readonly resultPath: string;
  /**
   * Where the function's result sits in the state: the `ResultPath`, or below it when a `ResultSelector`
   * `{"<key>.$": "$"}` wraps the result (ApplySecret's write sits at `$.write.applied`, replacing the sealed data and
   * the plan the write used).
   */
  readonly resultAt: string;
  /** Seal purposes the function seals with (kms:GenerateDataKey on the seal key, per purpose). */
  readonly seals: readonly SealPurpose[];
  /**
   * Seal purposes the function opens (kms:Decrypt on the seal key, per purpose), in the order the template has
   * always listed them (a reordered list is a template change).
   */
  readonly opens: readonly SealPurpose[];
  /** Whether it calls a cluster's API server (then it runs in the mapping's VPC when the mapping has one). */
  readonly inVpc: boolean;
  /** Runs once per execution (`once`) or once per target, inside the Map (`target`). */
  readonly scope: 'once' | 'target';
  /** Only some mappings have the function (restart-workloads: a mapping with a `restart` list). */
  readonly optional: boolean;
}

/** The steps, in the order the state machine runs them. */
export const SYNC_STEPS = [
  {
    state: 'FetchSecret',
    alsoStates: [],
    kind: 'fetch-secret',
    placeholder: 'FetchSecretFunctionArn',
    resultPath: '$.fetched',
    resultAt: '$.fetched',
    seals: ['secret-data'],
    opens: [],
    inVpc: false,
    scope: 'once',
    optional: false,
  },
  {
    state: 'ReadSecret',
    alsoStates: [],
    kind: 'read-secret',
    placeholder: 'ReadSecretFunctionArn',
    resultPath: '$.write.plan',
    resultAt: '$.write.plan',
    seals: [],
    opens: ['secret-data'],
    inVpc: true,
    scope: 'target',
    optional: false,
  },
  {
    state: 'ApplySecret',
    alsoStates: [],
    kind: 'apply-secret',
    placeholder: 'ApplySecretFunctionArn',
    resultPath: '$.write',
    resultAt: '$.write.applied',
    seals: [],
    opens: ['secret-data'],
    inVpc: true,
    scope: 'target',
    optional: false,
  },
  {
    state: 'RestartWorkloads',
    alsoStates: ['RecheckRollouts'],
    kind: 'restart-workloads',
    placeholder: 'RestartWorkloadsFunctionArn',
    resultPath: '$.restarted',
    resultAt: '$.restarted',
    seals: [],
    opens: [],
    inVpc: true,
    scope: 'target',
    optional: true,
  },
] as const satisfies readonly SyncStep[];

/** One row of {@link SYNC_STEPS}. */
export type SyncStepRow = (typeof SYNC_STEPS)[number];

/** A step's function kind. */
export type StepKind = SyncStepRow['kind'];

/** The Task state that runs a step. */
export type StepState = SyncStepRow['state'];

/** The steps every mapping has. */
export type CoreStepKind = Extract<SyncStepRow, { optional: false }>['kind'];

/** A step's ARN placeholder in the ASL. */
export type StepPlaceholder = SyncStepRow['placeholder'];

/**
 * The functions: the first row of each kind, in table order (a later row of a kind runs that row's function). What
 * counts or lists functions (names, VPC placement, seal grants, the functions a stack holds) reads these; what
 * counts or orders the steps of a run reads {@link SYNC_STEPS}.
 */
export const FUNCTION_STEPS: readonly SyncStepRow[] = SYNC_STEPS.filter(
  (s, i) => SYNC_STEPS.findIndex((r) => r.kind === s.kind) === i,
);

/** The function kinds of the steps, in order, each once. */
export const STEP_KINDS: readonly StepKind[] = FUNCTION_STEPS.map((s) => s.kind);

/** The function kinds every mapping has, in order. */
export const CORE_STEP_KINDS = FUNCTION_STEPS.filter((s) => !s.optional).map((s) => s.kind) as readonly CoreStepKind[];

/** The step of a function kind (its first row: the one whose state names the function's construct). */
export function stepOfKind<K extends StepKind>(kind: K): Extract<SyncStepRow, { kind: K }> {
  return SYNC_STEPS.find((s) => s.kind === kind) as Extract<SyncStepRow, { kind: K }>;
}

/**
 * The row of a Task state: the row whose `state` it is, or one of whose `alsoStates` (RecheckRollouts:
 * RestartWorkloads').
 */
export function stepOfState(state: string): SyncStepRow | undefined {
  return SYNC_STEPS.find((s) => s.state === state || (s.alsoStates as readonly string[]).includes(state));
}

/** Every Lambda Task state and the function kind it runs (RecheckRollouts included), in table order. */
export function taskStates(): ReadonlyArray<readonly [state: string, kind: StepKind]> {
  return SYNC_STEPS.flatMap((s) => [s.state, ...s.alsoStates].map((state) => [state, s.kind] as const));
}

/** The function's step state by kind (its first row's), e.g. `STEP_STATE['fetch-secret']` = `FetchSecret`. */
export const STEP_STATE = Object.fromEntries(FUNCTION_STEPS.map((s) => [s.kind, s.state])) as {
  readonly [R in SyncStepRow as R['kind']]: R['state'];
};
