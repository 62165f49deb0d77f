/**
 * The environment contract between each function and the CDK construct that
 * deploys it: every variable name is written here once. The function side
 * reads with these names (functions/runtime), the infra side builds each
 * function's environment as a {@link FunctionEnvironment} of its kind, so a
 * renamed or forgotten variable fails the type check on both sides.
 *
 * Pure data: no imports, no `process.env`.
 */

/** Every environment variable a function of this project reads, by purpose. */
export const ENV = {
  /** The mapping's id: encryption context, log field, the Kubernetes group's suffix. */
  mappingId: 'MAPPING_ID',
  /** The full ARN of the mapping's AWS secret. */
  secretArn: 'SECRET_ARN',
  /** The mapping's `source` provider (functions/domain/source.ts); unset: secretsManager, as every mapping before. */
  sourceKind: 'SOURCE_KIND',
  /** The staging label the mapping follows (its `label` option); unset: AWSCURRENT, as every mapping before. */
  followLabel: 'FOLLOW_LABEL',
  /** The seal key (KMS key ARN) that wraps the data keys of sealed values. */
  sealKeyId: 'SEAL_KEY_ID',
  /** The Kubernetes Secret's type (default Opaque). */
  secretType: 'SECRET_TYPE',
  /** JSON `{data, includeOtherKeys}`: the mapping's data spec (functions/domain/shape.ts); unset: every key as is. */
  dataShape: 'DATA_SHAPE',
  /** The Kubernetes identity (the identity role's ARN: the Kubernetes functions' role), named in error messages. */
  kubeIdentity: 'KUBE_IDENTITY',
  /**
   * JSON array of the API server URLs of the mapping's target clusters (infra/constructs/functions/kubernetes.ts):
   * the only
   * endpoints a Kubernetes function sends the mapping's token to, whatever its input names.
   */
  clusterEndpoints: 'CLUSTER_ENDPOINTS',
  /** The Kubernetes client's request timeout in ms (default 10000). */
  kubeTimeoutMs: 'KUBE_TIMEOUT_MS',
  /**
   * `https://<DNS name>` of the KMS interface endpoint a function in a VPC calls (infra/constructs/vpc-endpoints.ts);
   * unset:
   * the KMS adapter's default (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else the regional endpoint).
   */
  kmsEndpointUrl: 'KMS_ENDPOINT_URL',
  /** "true" to remove keys this tool wrote earlier that the source dropped. */
  prune: 'PRUNE',
  /** "true" to take over a Secret another controller owns (the mapping option `adopt`). */
  adopt: 'ADOPT',
  /** JSON object of labels to set on the Secret. */
  labels: 'LABELS',
  /** JSON object of annotations to set on the Secret. */
  annotations: 'ANNOTATIONS',
  /** JSON array of workloads to restart (`deployment/<name>`, ...). */
  restartTargets: 'RESTART_TARGETS',
  /** Seconds to follow the restarted workloads' rollouts (0: not followed; default 0). */
  rolloutTimeoutSeconds: 'ROLLOUT_TIMEOUT_SECONDS',
  /** Seconds of the restart window that coalesces restarts (0 or unset: restart at once, not coalesced). */
  restartWindowSeconds: 'RESTART_WINDOW_SECONDS',
  /** The CloudWatch namespace of the app's metrics (the freshness metric of apply-secret; unset: not recorded). */
  metricNamespace: 'METRIC_NAMESPACE',
  /** "retain" (default) or "delete": what a deleted AWS secret does to the Secret. */
  deletionPolicy: 'DELETION_POLICY',
  /** JSON object mapping id -> state machine ARN (the redrive consumer; explicit ones, beside the prefix). */
  stateMachines: 'STATE_MACHINES',
  /** The ARN of every state machine of the app up to the mapping id (the redrive consumer). */
  stateMachineArnPrefix: 'STATE_MACHINE_ARN_PREFIX',
  /** The queue where the redrive consumer parks messages that failed too often. */
  parkedQueueUrl: 'PARKED_QUEUE_URL',
  /** How many times the redrive consumer replays one sync before parking it. */
  redriveMaxAttempts: 'REDRIVE_MAX_ATTEMPTS',
  /**
   * JSON object cluster name -> region of the mapping's clusters outside the function's region (a Kubernetes step
   * signs each token for its cluster's regional STS host); unset: every cluster is in the function's region.
   */
  clusterRegions: 'CLUSTER_REGIONS',
  /** The sync ledger's DynamoDB table (fetch-secret records what it fetched; the sweep compares; unset: none). */
  syncLedgerTable: 'SYNC_LEDGER_TABLE',
} as const;

/**
 * Variables the platform sets, never a construct: Lambda's region, read by
 * the function that signs for it. (The AWS SDK and the KMS adapter also read
 * the SDK's own AWS_REGION / AWS_ENDPOINT_URL* settings; Powertools reads
 * POWERTOOLS_SERVICE_NAME, which the Lambda defaults construct sets.)
 */
export const PLATFORM_ENV = {
  /** The function's region (Lambda sets it). */
  region: 'AWS_REGION',
} as const;

/** One of the names in {@link ENV}. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * What every function that calls a cluster's API server reads (read-secret, apply-secret, restart-workloads): the
 * mapping and the endpoints it may send its token to; optionally the identity named in errors, the client's timeout
 * and the regions of clusters elsewhere (the token's signing region). A new Kubernetes step's kind starts from it.
 */
const KUBE_STEP = {
  required: [ENV.mappingId, ENV.clusterEndpoints],
  optional: [ENV.kubeIdentity, ENV.kubeTimeoutMs, ENV.clusterRegions],
} as const;

/** What a Kubernetes step that opens the sealed data adds: the seal key, and the KMS endpoint of the VPC. */
const OPENS_DATA = { required: [ENV.sealKeyId], optional: [ENV.kmsEndpointUrl] } as const;

/**
 * What each function kind reads: `required` variables must be set and
 * non-empty (checked at init, the error names the variable), `optional` ones
 * have a documented default.
 */
export const FUNCTION_ENV = {
  'fetch-secret': {
    required: [ENV.mappingId, ENV.secretArn, ENV.sealKeyId],
    optional: [ENV.secretType, ENV.dataShape, ENV.sourceKind, ENV.syncLedgerTable, ENV.followLabel],
  },
  'read-secret': {
    required: [...KUBE_STEP.required, ...OPENS_DATA.required],
    optional: [
      ...KUBE_STEP.optional,
      ...OPENS_DATA.optional,
      ENV.prune,
      ENV.secretType,
      ENV.labels,
      ENV.annotations,
      ENV.restartTargets,
      ENV.deletionPolicy,
      ENV.adopt,
    ],
  },
  'apply-secret': {
    required: [...KUBE_STEP.required, ...OPENS_DATA.required],
    optional: [
      ...KUBE_STEP.optional,
      ...OPENS_DATA.optional,
      ENV.secretType,
      ENV.metricNamespace,
      ENV.restartWindowSeconds,
    ],
  },
  'restart-workloads': {
    required: KUBE_STEP.required,
    optional: [...KUBE_STEP.optional, ENV.restartTargets, ENV.rolloutTimeoutSeconds],
  },
  'redrive-sync': {
    required: [ENV.stateMachineArnPrefix, ENV.parkedQueueUrl, ENV.redriveMaxAttempts],
    optional: [ENV.stateMachines],
  },
  'sweep-secrets': {
    required: [ENV.syncLedgerTable, ENV.stateMachineArnPrefix, ENV.metricNamespace],
    optional: [],
  },
  'seal-grants': { required: [], optional: [] },
} as const satisfies Record<string, { required: readonly EnvName[]; optional: readonly EnvName[] }>;

/** A function kind: a folder `functions/<kind>/handler.ts`. */
export type FunctionKind = keyof typeof FUNCTION_ENV;

/** The environment a construct gives a function of kind `K`: every required name, any optional one, nothing else. */
export type FunctionEnvironment<K extends FunctionKind> = {
  readonly [N in (typeof FUNCTION_ENV)[K]['required'][number]]: string;
} & {
  readonly [N in (typeof FUNCTION_ENV)[K]['optional'][number]]?: string;
};
