// Runs the product's state machine locally on the test bed: the ASL file the
// stack deploys, its Lambda tasks executed from the bundles `cdk synth`
// produces (one warm worker process per function), moto for AWS and the real
// kube-apiserver for Kubernetes. Used by the e2e tests, the demo and the bench.
import { ENV } from '../functions/runtime/env-contract.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { StateMachine } from 'aws-local-stepfunctions';
import { mintEksToken } from '../functions/adapters/eks-token.ts';
import { definitionJson, targetItems } from '../infra/model/definition-json.ts';
import { withWaves } from '../infra/model/waves.ts';
import type { WavesOption } from '../functions/domain/waves.ts';
import { appScopeOf, kubeNames, type AppScope } from '../infra/model/kube-names.ts';
import { accessManifests, type RbacNamespace } from '../infra/model/rbac.ts';
import type { TargetRef } from '../functions/domain/target.ts';
import { BUDGET_PARAMETER } from '../functions/domain/execution-budget.ts';
import type { DataShape } from '../functions/domain/shape.ts';
import {
  FUNCTION_STEPS,
  STEP_STATE,
  type StepKind,
  type StepState,
  stepOfState,
  type SyncStepRow,
  taskStates,
} from '../functions/domain/sync-steps.ts';
import { dataShapeEnvValue } from '../functions/runtime/options.ts';
import { withCompleteEventLog } from './asl-event-log.ts';
import { adminApply, createNamespace, uniqueName } from './kube-admin.ts';
import { addAccessEntry, provisionIdentity, type Identity } from './identities.ts';
import { LocalFunction } from './lambda-runtime.ts';
import type { TestbedDetails } from './testbed.ts';

/** The app name of the test bed's local mappings (their Kubernetes names' scope, infra/model/kube-names.ts). */
export const TESTBED_APP_NAME = 'testbed';

/**
 * Every Lambda task state of the step table (functions/domain/sync-steps.ts) and the bundle it runs; an optional
 * step's worker (RestartWorkloads) starts on first use. RecheckRollouts (an `alsoStates` of RestartWorkloads) runs
 * the same function.
 */
const TASKS = Object.fromEntries(FUNCTION_STEPS.map((s) => [s.state, s.kind])) as {
  readonly [R in SyncStepRow as R['state']]: R['kind'];
};

/** Bundle file (index.mjs) per function folder name. */
export type Bundles = Record<StepKind, string>;

/** Options of one local mapping. */
/** The metric namespace every local mapping's apply-secret records its freshness in (METRIC_NAMESPACE). */
export const TESTBED_METRIC_NAMESPACE = 'EksSecretSync/testbed';

export interface LocalMappingOptions {
  /**
   * Mapping id (default "testbed"). The mapping gets an IAM role of its own in moto, a role session and an
   * access entry putting it in its group (infra/model/kube-names.ts), as a deployed mapping's identity role.
   */
  readonly id?: string;
  /** Seal with this moto KMS key (as mappings of one stack share its key) instead of a new one. */
  readonly sealKeyId?: string;
  /** Namespace prefix; a fresh namespace is created per mapping. */
  readonly namespacePrefix?: string;
  /** Use this namespace as it is instead of creating one (it may not exist: the namespace-missing case). */
  readonly namespace?: string;
  /** Kubernetes Secret name (default "app-config"). */
  readonly secretName?: string;
  /**
   * More targets after the first (`namespace`/`secretName` above), as the mapping option `targets`: each in a
   * namespace of its own name (created unless `missing`) or in the first target's, with its overrides.
   */
  readonly moreTargets?: readonly LocalTarget[];
  /** The API server URL the functions use (e.g. a fault proxy in front of it); default the test bed's. */
  readonly clusterEndpoint?: string;
  /** Name prefix of the AWS secret. */
  readonly awsSecretPrefix?: string;
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
  readonly type?: string;
  readonly prune?: boolean;
  /** The mapping option `adopt` (ADOPT of read-secret). */
  readonly adopt?: boolean;
  readonly labels?: Record<string, string>;
  /** The mapping options `data` and `includeOtherKeys`, passed as the construct passes them (DATA_SHAPE). */
  readonly dataShape?: DataShape;
  /** The mapping option `deletionPolicy` (default retain): DELETION_POLICY of read-secret, the RBAC `delete` verb. */
  readonly deletionPolicy?: 'retain' | 'delete';
  /**
   * Workloads to restart after a write that changed data (`deployment/<name>`, ...), as the mapping option `restart`.
   */
  readonly restart?: string[];
  /** The mapping option `failureEvents`: on every target in the definition, and `create` on events in the RBAC. */
  readonly failureEvents?: boolean;
  /**
   * The mapping option `rolloutTimeoutSeconds` (ROLLOUT_TIMEOUT_SECONDS of restart-workloads, as the construct
   * passes it); default: unset, the rollouts are not followed.
   */
  readonly rolloutTimeoutSeconds?: number;
  /** The mapping option `waves`: the definition gets the wave loop (infra/model/waves.ts); default: none. */
  readonly waves?: WavesOption;
  /**
   * The mapping option `restartWindowSeconds` (RESTART_WINDOW_SECONDS of apply-secret); default: unset, restarts
   * not coalesced. WaitForRestartWindow really waits: keep test windows small.
   */
  readonly restartWindowSeconds?: number;
  /**
   * Skip applying what `eks-secret-sync rbac` prints for the mapping (Role, RoleBinding and, with `restart`,
   * the admission policy), to prove a denial.
   */
  readonly noRbac?: boolean;
  /** Override of the function environment (e.g. a broken setting). */
  readonly env?: Record<string, string>;
  /** Overrides for one step's function only, applied after `env` (e.g. its own endpoint, a fake clock). */
  readonly functionEnv?: Partial<Record<TaskName, Record<string, string>>>;
  /**
   * Execution environments per function (default 1). Lambda runs concurrent
   * executions in separate environments; with more than one, concurrent
   * invocations of a step go to an idle worker instead of queueing.
   */
  readonly workers?: number;
}

/** A further target of a local mapping. */
export interface LocalTarget {
  /** Its namespace; default: a fresh one. */
  readonly namespace?: string;
  /** Leave the namespace uncreated (the namespace-missing case). */
  readonly missing?: boolean;
  readonly secretName: string;
  readonly restart?: string[];
  /**
   * Its cluster when not the test bed's: one of another account and region (testbed/remote-cluster.ts). The
   * mapping's role gets an access entry there, as the app's access stack gives it (infra/constructs/cluster-access.ts),
   * its RBAC is applied there, and each Kubernetes step signs that cluster's tokens for its region (CLUSTER_REGIONS).
   */
  readonly cluster?: TestbedDetails['cluster'];
}

/** A task state every sync may run: a step every mapping has. */
export type StepName = Extract<SyncStepRow, { optional: false }>['state'];

/** A Lambda task state of the sync state machine: a {@link StepName} or an optional step's. */
export type TaskName = StepState;

/** What one execution left behind: everything a canary check must search. */
export interface ExecutionRecord {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output: any;
  readonly error?: { name: string; message: string };
  readonly events: any[];
}

/**
 * A step's result in the state a run of its Task state exited with: at the step table's `resultAt` (also for the
 * states that run the same function, as RecheckRollouts runs RestartWorkloads'), so no reader restates where a
 * step's result sits. Undefined for a state that is no step's.
 */
export function resultIn(state: string, output: unknown): any {
  const row = stepOfState(state);
  if (row === undefined) return undefined;
  return row.resultAt
    .replace(/^\$\./, '')
    .split('.')
    .reduce((o: any, k) => o?.[k], output);
}

/** Every result of step `state` in one execution, in the order its Task state exited (a conflict runs it again). */
export function stepResults(record: ExecutionRecord, state: StepState): any[] {
  return record.events
    .filter((e) => e.type === 'StateExited' && e.state.name === state)
    .map((e) => resultIn(state, e.state.output));
}

/**
 * An earlier release's definition, run against the current functions: an execution that started before a deploy
 * and goes on after it (the functions' code is replaced in place; a function the release removed is deleted).
 */
export interface EarlierDefinition {
  /** Its ASL text, placeholders unfilled (e.g. test/fixtures/sync-6b2032e.asl.json). */
  readonly asl: string;
  /**
   * What its Task states that run no current function do, by state name (e.g. MintToken as it ran before the
   * deploy). A Task state of a removed function not named here fails as Step Functions fails a task whose function
   * was deleted: Lambda.ResourceNotFoundException.
   */
  readonly removed?: Readonly<Record<string, (input: any) => Promise<unknown>>>;
}

/** Every Task state's name of an ASL definition, nested ones (Map, Parallel) included. */
function taskStatesOf(definition: { States?: Record<string, any> }): string[] {
  return Object.entries(definition.States ?? {}).flatMap(([name, s]) => [
    ...(s.Type === 'Task' ? [name] : []),
    ...[s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])].filter(Boolean).flatMap(taskStatesOf),
  ]);
}

/** The error Step Functions raises for a Lambda Task whose function no longer exists. */
function removedFunction(state: string): Error {
  const e = new Error(`Function not found: the function of ${state} was deleted (Service: Lambda, Status Code: 404)`);
  e.name = 'Lambda.ResourceNotFoundException';
  return e;
}

function awsConfig(tb: TestbedDetails) {
  return { region: tb.moto.region, endpoint: tb.moto.url, credentials: tb.moto.credentials };
}

/**
 * A mapping provisioned on the test bed: its own IAM identity and access entry, the AWS secret, the seal key,
 * the DLQ, the namespace, and exactly the objects `eks-secret-sync rbac` prints for it.
 */
export class LocalMapping {
  /** The (first) worker of each step; tests may wrap its `invoke`. */
  readonly functions: Record<TaskName, LocalFunction>;
  /** Every worker of each step ({@link LocalMappingOptions.workers}). */
  readonly pools: Record<TaskName, LocalFunction[]>;
  readonly executions: ExecutionRecord[] = [];
  readonly dlqBodies: string[] = [];
  private readonly machine: StateMachine;

  readonly details: TestbedDetails;
  readonly id: string;
  readonly secretArn: string;
  readonly namespace: string;
  readonly secretName: string;
  /** Every target, the first (`namespace`, `secretName`) first, as the state machine's Map items. */
  readonly targets: readonly TargetRef[];
  readonly dlqUrl: string;
  /** The values of the ASL placeholders this mapping's definition was made with. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** The mapping's own IAM role session and what its access entry gives it (its group, infra/model/kube-names.ts). */
  readonly identity: Identity;
  /** The app the mapping belongs to (`testbed`, in moto's account and region): its Kubernetes names' scope. */
  readonly app: AppScope;

  private constructor(
    app: AppScope,
    identity: Identity,
    details: TestbedDetails,
    id: string,
    secretArn: string,
    namespace: string,
    secretName: string,
    dlqUrl: string,
    env: Record<string, string>,
    bundles: Bundles,
    targets: readonly TargetRef[],
    clusters: Record<string, { endpoint: string; ca: string }>,
    opts: Pick<LocalMappingOptions, 'functionEnv' | 'workers' | 'rolloutTimeoutSeconds' | 'waves'> = {},
  ) {
    this.details = details;
    this.app = app;
    this.identity = identity;
    this.id = id;
    this.secretArn = secretArn;
    this.namespace = namespace;
    this.secretName = secretName;
    this.dlqUrl = dlqUrl;
    this.targets = targets;
    const workers = Math.max(1, opts.workers ?? 1);
    const rollout: Record<string, string> =
      opts.rolloutTimeoutSeconds === undefined ? {} : { ROLLOUT_TIMEOUT_SECONDS: String(opts.rolloutTimeoutSeconds) };
    this.pools = Object.fromEntries(
      Object.entries(TASKS).map(([state, fn]) => {
        const own = state === 'RestartWorkloads' ? rollout : {};
        const fenv = { ...env, ...own, ...opts.functionEnv?.[state as TaskName] };
        return [state, Array.from({ length: workers }, () => new LocalFunction(`${id}-${fn}`, bundles[fn], fenv))];
      }),
    ) as Record<TaskName, LocalFunction[]>;
    this.functions = Object.fromEntries(Object.entries(this.pools).map(([state, pool]) => [state, pool[0]!])) as Record<
      TaskName,
      LocalFunction
    >;
    const asl = readFileSync(new URL('../statemachine/sync.asl.json', import.meta.url), 'utf8');
    const subs: Record<string, string> = {
      MappingId: id,
      DeadLetterQueueUrl: dlqUrl,
      TargetsJson: definitionJson(targets),
      TargetItemsJson: definitionJson(targetItems(targets)),
      ClustersJson: definitionJson(clusters),
      ...Object.fromEntries(
        FUNCTION_STEPS.map((s) => [s.placeholder, `arn:aws:lambda:us-east-1:123456789012:function:${id}-${s.state}`]),
      ),
    };
    this.substitutions = subs;
    this.waves = opts.waves;
    this.machine = this.machineOf(asl);
  }

  private readonly waves: WavesOption | undefined;

  /**
   * The state machine of an ASL text with this mapping's placeholders filled. A placeholder of a function the
   * current step table no longer has (an earlier release's definition: `MintTokenFunctionArn`) names a function
   * of its own that no worker runs.
   */
  private machineOf(asl: string): StateMachine {
    const fill = (k: string) =>
      this.substitutions[k] ??
      (k.endsWith('FunctionArn')
        ? `arn:aws:lambda:us-east-1:123456789012:function:${this.id}-removed-${k}`
        : undefined);
    const definition = JSON.parse(
      asl.replace(/\$\{(\w+)\}/g, (_, k: string) => {
        const v = fill(k);
        if (v === undefined) throw new Error(`the definition has a placeholder the test bed does not fill: ${k}`);
        return v;
      }),
    );
    const names = this.targets.map((t) => t.name);
    return withCompleteEventLog(new StateMachine(this.waves ? withWaves(definition, names, this.waves) : definition));
  }

  /** Provisions everything for one mapping and returns it. */
  static async create(tb: TestbedDetails, bundles: Bundles, opts: LocalMappingOptions = {}): Promise<LocalMapping> {
    const id = opts.id ?? 'testbed';
    const cfg = awsConfig(tb);
    const sm = new SecretsManagerClient(cfg);
    const kms = new KMSClient(cfg);
    const sqs = new SQSClient(cfg);
    const secret = await sm.send(
      new CreateSecretCommand({
        Name: uniqueName(opts.awsSecretPrefix ?? 'app/config'),
        SecretString: opts.secretString,
        SecretBinary: opts.secretBinary,
      }),
    );
    const app = appScopeOf(TESTBED_APP_NAME, secret.ARN!);
    const identity = await provisionIdentity(tb.moto, tb.cluster, uniqueName(`ess-${id}`), [kubeNames(app, id).group]);
    const sealKeyId =
      opts.sealKeyId ??
      (await kms.send(new CreateKeyCommand({ Description: 'eks-secret-sync seal key (test)' }))).KeyMetadata!.Arn!;
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }));
    const namespace = opts.namespace ?? (await createNamespace(tb, opts.namespacePrefix ?? 'sync'));
    const secretName = opts.secretName ?? 'app-config';
    const first = { namespace, secretName, restart: undefined as string[] | undefined, cluster: tb.cluster };
    // The admin helpers take the test bed's details; another cluster's are the same with its `cluster`.
    const on = (cluster: TestbedDetails['cluster']) => (cluster === tb.cluster ? tb : { ...tb, cluster });
    const more = [];
    for (const t of opts.moreTargets ?? []) {
      const cluster = t.cluster ?? tb.cluster;
      const ns = t.namespace ?? (t.missing ? uniqueName('missing') : await createNamespace(on(cluster), 'sync'));
      more.push({ namespace: ns, secretName: t.secretName, restart: t.restart, cluster });
    }
    const all = [first, ...more];
    const targets: TargetRef[] = all.map((t) => ({
      name: `${t.cluster.name}/${t.namespace}/${t.secretName}`,
      cluster: t.cluster.name,
      namespace: t.namespace,
      secretName: t.secretName,
      ...(t.restart !== undefined && { restart: t.restart }),
      ...(opts.failureEvents === true && { failureEvents: true }),
    }));
    // What `eks-secret-sync rbac` prints for the mapping: a Role and RoleBinding per namespace of its targets,
    // applied in each target's cluster.
    const grants: (RbacNamespace & { cluster: TestbedDetails['cluster'] })[] = [];
    for (const t of all) {
      let g = grants.find((x) => x.namespace === t.namespace && x.cluster === t.cluster);
      if (!g) {
        g = {
          id,
          namespace: t.namespace,
          secrets: [],
          restart: [],
          failureEvents: opts.failureEvents === true,
          cluster: t.cluster,
        };
        grants.push(g);
      }
      (g.secrets as { name: string; deletionPolicy: 'retain' | 'delete' }[]).push({
        name: t.secretName,
        deletionPolicy: opts.deletionPolicy ?? 'retain',
      });
      for (const w of t.restart ?? opts.restart ?? []) if (!g.restart.includes(w)) (g.restart as string[]).push(w);
    }
    const missing = new Set(more.filter((_t, i) => opts.moreTargets![i]!.missing).map((t) => t.namespace));
    const applied = grants.filter((g) => !missing.has(g.namespace));
    const remote = [...new Set(all.map((t) => t.cluster))].filter((c) => c !== tb.cluster);
    for (const cluster of [tb.cluster, ...remote]) {
      const here = applied.filter((g) => g.cluster === cluster).map(({ cluster: _, ...g }) => g);
      if (!opts.noRbac && here.length > 0) await adminApply(on(cluster), accessManifests(here, app));
    }
    // The access stack's entry in each other cluster: the mapping's role (of the test bed's account), its one group.
    for (const cluster of remote) await addAccessEntry(cluster.accessEntriesFile, identity.roleArn, identity.groups);
    const base = {
      AWS_REGION: tb.moto.region,
      AWS_ENDPOINT_URL: tb.moto.url,
      [ENV.mappingId]: id,
      [ENV.sealKeyId]: sealKeyId,
      [ENV.secretArn]: secret.ARN!,
      [ENV.secretType]: opts.type ?? 'Opaque',
      [ENV.prune]: String(opts.prune ?? false),
      ...(opts.adopt && { [ENV.adopt]: 'true' }),
      [ENV.labels]: JSON.stringify(opts.labels ?? {}),
      [ENV.annotations]: '{}',
      [ENV.restartTargets]: JSON.stringify(opts.restart ?? []),
      [ENV.deletionPolicy]: opts.deletionPolicy ?? 'retain',
      ...(opts.dataShape && { [ENV.dataShape]: dataShapeEnvValue(opts.dataShape) }),
      [ENV.kubeIdentity]: identity.roleArn,
      [ENV.clusterEndpoints]: JSON.stringify([
        opts.clusterEndpoint ?? tb.cluster.server,
        ...remote.map((c) => c.server),
      ]),
      ...(remote.length > 0 && {
        [ENV.clusterRegions]: JSON.stringify(Object.fromEntries(remote.map((c) => [c.name, c.region]))),
      }),
      [ENV.metricNamespace]: TESTBED_METRIC_NAMESPACE,
      ...(opts.restartWindowSeconds !== undefined && {
        [ENV.restartWindowSeconds]: String(opts.restartWindowSeconds),
      }),
      POWERTOOLS_SERVICE_NAME: 'eks-secret-sync',
      ...opts.env,
    };
    // Every function signs with the mapping's own role session, the identity its access entry maps.
    const c = identity.credentials;
    const env = {
      ...base,
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      AWS_SESSION_TOKEN: c.sessionToken ?? '',
    };
    sm.destroy();
    kms.destroy();
    sqs.destroy();
    const clusters = Object.fromEntries([
      [tb.cluster.name, { endpoint: opts.clusterEndpoint ?? tb.cluster.server, ca: tb.cluster.caData }],
      ...remote.map((c) => [c.name, { endpoint: c.server, ca: c.caData }]),
    ]);
    return new LocalMapping(
      app,
      identity,
      tb,
      id,
      secret.ARN!,
      namespace,
      secretName,
      dlq.QueueUrl!,
      env,
      bundles,
      targets,
      clusters,
      opts,
    );
  }

  /**
   * A fresh EKS token of the mapping's identity, minted by the product's token code (`now` backdates it).
   */
  async token(opts: { now?: Date } = {}): Promise<string> {
    const { cluster, moto } = this.details;
    const credentials = this.identity.credentials;
    const minted = await mintEksToken({ clusterName: cluster.name, region: moto.region, credentials, now: opts.now });
    return minted.token;
  }

  /** Writes a new version of the AWS secret; returns its VersionId. */
  async putSecret(value: { secretString?: string; secretBinary?: Uint8Array }): Promise<string> {
    const sm = new SecretsManagerClient(awsConfig(this.details));
    const out = await sm.send(
      new PutSecretValueCommand({
        SecretId: this.secretArn,
        SecretString: value.secretString,
        SecretBinary: value.secretBinary,
      }),
    );
    sm.destroy();
    return out.VersionId!;
  }

  /** The native event Secrets Manager sends when AWSCURRENT moves to `versionId`. */
  labelEvent(versionId: string): Record<string, unknown> {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Secret Label Updated',
      source: 'aws.secretsmanager',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [this.secretArn],
      detail: { name: this.secretArn.split(':')[6], labelUpdated: 'AWSCURRENT', versionId },
    };
  }

  /**
   * Runs one execution of the state machine and records everything it produced.
   * Retry waits are shortened to 5 ms unless `productionRetryTiming` asks for the
   * ASL's own settings (interval, backoff, maximum delay, full jitter).
   */
  async run(
    event: Record<string, unknown>,
    attempt = 1,
    opts: {
      readonly productionRetryTiming?: boolean;
      /**
       * Stands for an execution that started at this time (ISO 8601): the execution's start time the ASL passes
       * to each Lambda task (`executionStartedAt`, domain/execution-budget.ts) is replaced by it, so a cell can
       * reach the end of the execution's budget without waiting minutes. Only a start time the ASL passes is
       * replaced: a task the ASL does not give one still gets none.
       */
      readonly startedAt?: string;
      /** The execution input's target filter (redrive of one target: functions/domain/contract.ts SyncInput). */
      readonly onlyTarget?: unknown;
      /** Stands in front of the SQS SendMessage of the SendToDlq state (a fault cell's hook). */
      readonly sendToDlq?: (send: () => Promise<{ MessageId?: string }>) => Promise<{ MessageId?: string }>;
      /**
       * Runs an earlier release's definition instead of the current one, against the current functions (an
       * execution in flight while a deploy replaces them): {@link EarlierDefinition}.
       */
      readonly definition?: EarlierDefinition;
    } = {},
  ): Promise<ExecutionRecord> {
    const name = randomUUID();
    // Made when a DLQ send needs it: an SDK client's set-up is time no sync spends on AWS (the overhead bench).
    let sqsClient: SQSClient | undefined;
    const sqs = () => (sqsClient ??= new SQSClient(awsConfig(this.details)));
    const started = (input: any) =>
      opts.startedAt !== undefined && input !== null && typeof input === 'object' && BUDGET_PARAMETER in input
        ? { ...input, [BUDGET_PARAMETER]: opts.startedAt }
        : input;
    // Every task state of the table, RecheckRollouts included (it calls RestartWorkloads' function).
    const handlers = Object.fromEntries(
      taskStates().map(([state, kind]) => [state, (input: unknown) => this.invoke(STEP_STATE[kind], started(input))]),
    ) as Record<string, (input: any) => Promise<any>>;
    // The Step Functions SQS integration: MessageBody objects are sent as JSON text.
    handlers.SendToDlq = async (p: { QueueUrl: string; MessageBody: unknown }) => {
      const body = typeof p.MessageBody === 'string' ? p.MessageBody : JSON.stringify(p.MessageBody);
      const send = async () => {
        const out = await sqs().send(new SendMessageCommand({ QueueUrl: p.QueueUrl, MessageBody: body }));
        return { MessageId: out.MessageId, MD5OfMessageBody: out.MD5OfMessageBody };
      };
      return opts.sendToDlq ? opts.sendToDlq(send) : send();
    };
    // The failure Event: Step Functions' Lambda integration (InvocationType Event) hands the Payload to apply-secret;
    // here the invocation is awaited, on AWS it is not (the Event may land after the execution ended).
    handlers.RecordFailureEvent = async (p: { Payload: unknown }) => {
      await this.invoke('ApplySecret', started(p.Payload));
      return { StatusCode: 202 };
    };
    // A target's failure goes to the DLQ from inside the Map (the same SQS integration, the target named).
    handlers.SendTargetToDlq = handlers.SendToDlq;
    // An earlier definition's Task states that no current function runs: as the test says, or the function is gone.
    const earlier = opts.definition === undefined ? [] : taskStatesOf(JSON.parse(opts.definition.asl));
    for (const state of earlier) {
      if (state in handlers) continue;
      handlers[state] = opts.definition?.removed?.[state] ?? (async () => Promise.reject(removedFunction(state)));
    }
    const fast = Object.fromEntries(
      [...taskStates().map(([state]) => state), ...earlier, 'SendToDlq', 'SendTargetToDlq'].map((s) => [s, 5]),
    );
    const input = { event, attempt, ...(opts.onlyTarget !== undefined && { onlyTarget: opts.onlyTarget }) };
    const machine = opts.definition === undefined ? this.machine : this.machineOf(opts.definition.asl);
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        ...(opts.productionRetryTiming ? {} : { retryIntervalOverrides: fast }),
      },
      context: {
        Execution: {
          Id: `arn:aws:states:us-east-1:123456789012:express:${this.id}-sync:${name}:${randomUUID()}`,
          Name: name,
        },
        // aws-local-stepfunctions has no $$.State: the wave loop's clock reads EnteredTime as the time it is read.
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
      },
    });
    const events: any[] = [];
    const collecting = (async () => {
      for await (const e of execution.eventLogs) events.push(e);
    })();
    let record: ExecutionRecord;
    try {
      const output = await execution.result;
      await collecting;
      record = { status: 'SUCCEEDED', output, events };
    } catch (e) {
      await collecting.catch(() => undefined);
      const failed = events.find((x) => x.type === 'ExecutionFailed');
      record = {
        status: 'FAILED',
        output: undefined,
        error: { name: failed?.Error ?? (e as Error).name, message: failed?.Cause ?? (e as Error).message },
        events,
      };
    }
    sqsClient?.destroy();
    this.executions.push(record);
    return record;
  }

  /** Invokes a step on the least busy worker of its pool (always the first when there is one). */
  private invoke(state: TaskName, input: unknown): Promise<unknown> {
    const pool = this.pools[state];
    if (pool.length === 1) return this.functions[state].invoke(input);
    const load = pool.map((f) => this.inFlight.get(f) ?? 0);
    const worker = pool[load.indexOf(Math.min(...load))]!;
    this.inFlight.set(worker, (this.inFlight.get(worker) ?? 0) + 1);
    return worker.invoke(input).finally(() => this.inFlight.set(worker, this.inFlight.get(worker)! - 1));
  }

  private readonly inFlight = new Map<LocalFunction, number>();

  /** Drains the DLQ, keeping the raw bodies for canary checks; returns them parsed. */
  async receiveDlq(): Promise<any[]> {
    const sqs = new SQSClient(awsConfig(this.details));
    const out: any[] = [];
    for (;;) {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (!r.Messages?.length) break;
      for (const m of r.Messages) {
        this.dlqBodies.push(m.Body!);
        out.push(JSON.parse(m.Body!));
        // Deleted once read: a message left in flight would come back after the visibility timeout (30 s)
        // and be counted again by a later check.
        await sqs.send(new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    sqs.destroy();
    return out;
  }

  /** Everything an operator could ever see: function logs, every state's input/output, DLQ bodies, errors. */
  captured(): string {
    return [
      ...Object.values(this.pools)
        .flat()
        .flatMap((f) => f.logs),
      ...this.executions.map((e) => JSON.stringify(e)),
      ...this.dlqBodies,
    ].join('\n');
  }

  /** Stops the function workers. */
  async close(): Promise<void> {
    await Promise.all(
      Object.values(this.pools)
        .flat()
        .map((f) => f.stop()),
    );
  }
}
