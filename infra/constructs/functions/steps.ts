/**
 * The functions of one mapping, made from the step table (functions/domain/sync-steps.ts): one entry per row, which
 * turns the mapping's settings into its construct's props. The construct id is the row's state, the function's name
 * its kind; the role, its seal grants (the row's seals and opens) and the VPC placement (the row's `inVpc`) come from
 * the row through StepFunction (./step-function.ts), which the constructs of this folder extend. A new step whose
 * function needs only its environment is `new StepFunction(scope, id, '<kind>', ...)` in its entry here, with no
 * construct file; infra/constructs/mapping.ts makes whatever this table holds, so the mapping needs no edit.
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { dataShapeOf } from '../../../functions/domain/shape.ts';
import { type CoreStepKind, FUNCTION_STEPS, type StepKind, stepOfKind } from '../../../functions/domain/sync-steps.ts';
import { mappingVpc, type Mapping } from '../../model/config.ts';
import { clusterEnv, hasRemoteCluster, homeOf, identityRoleName } from '../../model/cluster-env.ts';
import { appScopeOf } from '../../model/kube-names.ts';
import { appNameOf } from '../app-name.ts';
import type { SyncFunction } from '../lambda-defaults.ts';
import type { KmsInterfaceEndpoint } from '../vpc-endpoints.ts';
import { FetchSecretFunction } from './fetch-secret.ts';
import { ApplySecretFunction, ReadSecretFunction, RestartWorkloadsFunction } from './kubernetes.ts';
import { KUBERNETES_IDENTITY_ID, KubernetesIdentity } from './identity.ts';

/** What a mapping hands each of its step functions. */
export interface StepFunctionContext {
  /** The validated mapping. */
  readonly mapping: Mapping;
  /** The stack's seal key. */
  readonly sealKey: IKey;
  /** Retention of the functions' log groups. */
  readonly logRetention: RetentionDays;
  /** The API server URLs of the clusters of the mapping's targets (the definition's ClustersJson). */
  readonly clusterEndpoints: readonly string[];
  /** The KMS interface endpoint of the mapping's VPC, when the stack made one. */
  readonly kmsEndpoint?: KmsInterfaceEndpoint;
  /** The app's metric namespace (apply-secret's freshness metric). */
  readonly metricNamespace?: string;
  /** The sweep's sync ledger (fetch-secret records what it fetched). */
  readonly syncLedger?: ITable;
  /** The mapping's Kubernetes identity: the role its Kubernetes steps share. */
  readonly identity: KubernetesIdentity;
}

/** How one step's function is made for a mapping. */
interface StepFunctionEntry<K extends StepKind> {
  /** Makes the function (`id`: the row's state). */
  readonly make: (scope: Construct, id: string, ctx: StepFunctionContext) => SyncFunction<K>;
}

/** An optional row's entry: whether a mapping has the function (none is made for a mapping without it). */
interface OptionalStepFunctionEntry<K extends StepKind> extends StepFunctionEntry<K> {
  readonly present: (m: Mapping) => boolean;
}

/** One entry per step kind; an optional row must say when a mapping has its function. */
type StepFunctionTable = {
  readonly [K in StepKind]: K extends CoreStepKind ? StepFunctionEntry<K> : OptionalStepFunctionEntry<K>;
};

/** The settings every function of a mapping takes. */
function common(ctx: StepFunctionContext) {
  return { mappingId: ctx.mapping.id, sealKey: ctx.sealKey, logRetention: ctx.logRetention };
}

/** The settings of a function that calls the API servers of the mapping's targets (with the mapping's identity). */
function connection(ctx: StepFunctionContext) {
  const m = ctx.mapping;
  const home = homeOf(m);
  const clusterRegions = Object.fromEntries(
    m.targets
      .filter((t) => clusterEnv(t.cluster, home).region !== home.region)
      .map((t) => [t.cluster.name, t.cluster.region!]),
  );
  return {
    ...common(ctx),
    role: ctx.identity.role,
    vpc: mappingVpc(m),
    kmsEndpoint: ctx.kmsEndpoint,
    clusterEndpoints: ctx.clusterEndpoints,
    clusterRegions,
  };
}

/**
 * Every step's function, in the order the constructs are made. That order is the order of the resources in a
 * deployed template: keep it, and put a new step last.
 */
export const STEP_FUNCTIONS = {
  'fetch-secret': {
    make: (scope, id, ctx) => {
      const m = ctx.mapping;
      return new FetchSecretFunction(scope, id, {
        ...common(ctx),
        source: m.source,
        secretArn: m.secretArn,
        secretType: m.type,
        dataShape: dataShapeOf(m),
        secretKmsKeyArn: m.secretKmsKeyArn,
        describeSecret: m.cloudTrailRules,
        syncLedger: ctx.syncLedger,
      });
    },
  },
  // The mapping's options are every target's defaults; a target's overrides travel in its Map item.
  'read-secret': {
    make: (scope, id, ctx) => new ReadSecretFunction(scope, id, { ...connection(ctx), secretType: ctx.mapping.type }),
  },
  'apply-secret': {
    make: (scope, id, ctx) =>
      new ApplySecretFunction(scope, id, {
        ...connection(ctx),
        secretType: ctx.mapping.type,
        metricNamespace: ctx.metricNamespace,
      }),
  },
  'restart-workloads': {
    present: (m) => m.targets.some((t) => t.restart.length > 0),
    make: (scope, id, ctx) =>
      new RestartWorkloadsFunction(scope, id, {
        ...connection(ctx),
        restart: ctx.mapping.restart,
        rolloutTimeoutSeconds: ctx.mapping.rolloutTimeoutSeconds,
      }),
  },
} as const satisfies StepFunctionTable;

/** The function construct of a step kind. */
export type StepFunctionOf<K extends StepKind> = ReturnType<(typeof STEP_FUNCTIONS)[K]['make']>;

/** A mapping's functions: one per step of the step table; an optional step's only when the mapping has it. */
export type MappingFunctions = { readonly [K in CoreStepKind]: StepFunctionOf<K> } & {
  readonly [K in Exclude<StepKind, CoreStepKind>]?: StepFunctionOf<K>;
};

/**
 * Makes a mapping's functions in {@link STEP_FUNCTIONS} order, each with the row's state as its construct id; an
 * optional step's only when the mapping has it.
 *
 * @returns the functions by kind, in step table order, and the mapping's Kubernetes identity (made first, where the
 *   mint-token function of earlier releases made its role).
 */
export function makeStepFunctions(
  scope: Construct,
  ctx: Omit<StepFunctionContext, 'identity'>,
): { readonly functions: MappingFunctions; readonly identity: KubernetesIdentity } {
  const made: Partial<Record<StepKind, SyncFunction<StepKind>>> = {};
  const m = ctx.mapping;
  // A cluster elsewhere names the role in its access entry before any deploy: a name known from the config.
  const roleName = hasRemoteCluster(m) ? identityRoleName(appScopeOf(appNameOf(scope), m.secretArn), m.id) : undefined;
  const identity = new KubernetesIdentity(scope, KUBERNETES_IDENTITY_ID, { mappingId: m.id, roleName });
  const context: StepFunctionContext = { ...ctx, identity };
  for (const [kind, entry] of Object.entries(STEP_FUNCTIONS) as [StepKind, StepFunctionTable[StepKind]][]) {
    if ('present' in entry && !entry.present(m)) continue;
    made[kind] = entry.make(scope, stepOfKind(kind).state, context);
  }
  const functions = Object.fromEntries(
    FUNCTION_STEPS.flatMap((s) => (made[s.kind] ? [[s.kind, made[s.kind]]] : [])),
  ) as MappingFunctions;
  return { functions, identity };
}
