/**
 * The sync pipeline run in-process from a terminal, with the caller's credentials:
 * the same product code the five Lambdas run (functions/), step by step, in
 * the state machine's order and with its loops (a 409 goes back to the read, at
 * most 3 times; a 401 mints again, at most twice). No Step Functions, no KMS
 * sealing: values stay in this process's memory and are never printed.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Mapping } from '../../infra/config.ts';
import { getSecretVersion } from '../../functions/adapters/aws.ts';
import { ANNOTATIONS, MANAGER_NAME } from '../../functions/domain/metadata.ts';
import { observe } from '../../functions/domain/observe.ts';
import { buildWrite, planMerge } from '../../functions/domain/plan.ts';
import { assertValidKeys, assertWithinSizeLimit, parseSecretPayload } from '../../functions/domain/secret-data.ts';
import { validateTypedValues } from '../../functions/domain/secret-types.ts';
import type {
  ExistingSecret,
  MergePlan,
  Observation,
  SecretData,
  SourceVersion,
} from '../../functions/domain/types.ts';
import { ConflictError, UnauthorizedError } from '../../functions/domain/errors.ts';
import { secretClient } from '../../functions/adapters/kube.ts';
import type { AwsSession } from './aws.ts';
import { requireToken, resolveKubeTarget, type KubeconfigFlags, type KubeTarget } from './cluster.ts';

/** One step as it ran: the state's name, its duration and a value-free outcome. */
export interface TraceRow {
  readonly state: string;
  readonly ms: number;
  readonly outcome: string;
  readonly failed: boolean;
}

/** What a run saw and did. `desired` and `existing` hold values: never print them. */
export interface PipelineRun {
  readonly trace: TraceRow[];
  source?: SourceVersion;
  desired?: SecretData;
  existing?: ExistingSecret | null;
  observed?: Observation;
  plan?: MergePlan;
  target?: KubeTarget;
  applied?: { readonly action: string; readonly resourceVersion: string };
}

/** A step failed; `run` holds the trace up to and including the failure. */
export class PipelineError extends Error {
  override name = 'PipelineError';
  readonly run: PipelineRun;
  constructor(cause: Error, run: PipelineRun) {
    super(cause.message, { cause });
    this.run = run;
  }
}

/** Inputs of {@link runPipeline}. */
export interface PipelineOptions {
  readonly mapping: Mapping;
  readonly aws: AwsSession;
  readonly kube: KubeconfigFlags;
  /** Write the plan (sync); false stops after PlanMerge (plan, sync --dry-run). */
  readonly apply: boolean;
  /** Called as each step starts (progress display). */
  readonly onStep?: (state: string) => void;
}

const MAX_CONFLICTS = 3;
const MAX_REAUTH = 2;

/**
 * Runs FetchSecret, MintToken, ReadSecret, PlanMerge and (with `apply`) ApplySecret.
 *
 * @throws PipelineError wrapping the first step error that the loops do not absorb.
 */
export async function runPipeline(opts: PipelineOptions): Promise<PipelineRun> {
  const run: PipelineRun = { trace: [] };
  const step = async <T>(state: string, fn: () => Promise<T>, outcome: (t: T) => string): Promise<T> => {
    opts.onStep?.(state);
    const started = performance.now();
    try {
      const result = await fn();
      run.trace.push({ state, ms: Math.round(performance.now() - started), outcome: outcome(result), failed: false });
      return result;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      run.trace.push({
        state,
        ms: Math.round(performance.now() - started),
        outcome: `failed: ${err.name}`,
        failed: true,
      });
      throw err;
    }
  };
  try {
    await pipeline(opts, run, step);
    return run;
  } catch (e) {
    throw new PipelineError(e as Error, run);
  }
}

type Step = <T>(state: string, fn: () => Promise<T>, outcome: (t: T) => string) => Promise<T>;

async function pipeline(opts: PipelineOptions, run: PipelineRun, step: Step): Promise<void> {
  const { mapping: m, aws } = opts;
  const fetched = await step(
    'FetchSecret',
    () => fetchSecret(m, aws),
    (f) => `version ${f.source.versionId} (${f.source.createdDate}), ${Object.keys(f.data).length} keys`,
  );
  run.source = fetched.source;
  run.desired = fetched.data;
  const mint = () =>
    step(
      'MintToken',
      () => resolveKubeTarget(m, aws, opts.kube),
      (t) =>
        t.expiresAt
          ? `token minted for cluster ${m.cluster.name}, expires ${t.expiresAt}; server from ${t.source}`
          : `credentials from ${t.source}`,
    );
  run.target = await mint();
  let conflicts = 0;
  let reauths = 0;
  for (;;) {
    const client = secretClient(
      { server: run.target.server, caPem: run.target.caPem, namespace: m.namespace, name: m.secretName },
      requireToken(run.target),
      run.target.identity,
    );
    try {
      const secret = await step(
        'ReadSecret',
        () => client.get(),
        (s) => (s ? `exists at resourceVersion ${s.metadata?.resourceVersion}` : 'absent: will create'),
      );
      run.existing = secret && {
        resourceVersion: secret.metadata?.resourceVersion ?? '',
        type: secret.type ?? 'Opaque',
        data: secret.data ?? {},
        labels: secret.metadata?.labels ?? {},
        annotations: secret.metadata?.annotations ?? {},
      };
      run.observed = observe(fetched.data, run.existing);
      const options = { mappingId: m.id, prune: m.prune, type: m.type, labels: m.labels, annotations: m.annotations };
      run.plan = await step(
        'PlanMerge',
        async () => planMerge(fetched.source, run.observed!, options, new Date().toISOString()),
        planOutcome,
      );
      const plan = run.plan;
      if (!opts.apply || (plan.action !== 'create' && plan.action !== 'update')) return;
      const body = buildWrite(plan, fetched.data, { namespace: m.namespace, name: m.secretName, type: m.type });
      const written = await step(
        'ApplySecret',
        () =>
          plan.action === 'create'
            ? client.apply(body, `${MANAGER_NAME}-${plan.annotations[ANNOTATIONS.sourceVersionId]}`.slice(0, 128))
            : client.mergePatch(body),
        (w) => `${plan.action}d, resourceVersion ${w.metadata?.resourceVersion}`,
      );
      run.applied = { action: plan.action, resourceVersion: written.metadata?.resourceVersion ?? '' };
      return;
    } catch (e) {
      if (e instanceof ConflictError && ++conflicts <= MAX_CONFLICTS) continue;
      if (e instanceof UnauthorizedError && ++reauths <= MAX_REAUTH) {
        run.target = await mint();
        continue;
      }
      throw e;
    }
  }
}

/** The fetch step's work: read AWSCURRENT, parse, and refuse what Kubernetes would refuse. */
async function fetchSecret(m: Mapping, aws: AwsSession): Promise<{ source: SourceVersion; data: SecretData }> {
  const client = new SecretsManagerClient(await aws.config());
  try {
    // Taken before the read, as in the fetch step: it orders versions by when they were AWSCURRENT.
    const fetchStarted = new Date().toISOString();
    const version = await getSecretVersion(client, m.secretArn);
    const data = parseSecretPayload(version);
    const where = `secret ${m.secretArn} version ${version.versionId}`;
    assertValidKeys(Object.keys(data), where);
    assertWithinSizeLimit(data, where);
    validateTypedValues(m.type, data);
    const current = version.stages.includes('AWSCURRENT');
    const source: SourceVersion = {
      arn: m.secretArn,
      versionId: version.versionId,
      createdDate: version.createdDate,
      current,
      ...(current && { currentAt: fetchStarted }),
    };
    return { source, data };
  } finally {
    client.destroy();
  }
}

/** The PlanMerge outcome as testbed/trace.ts shows it: action and key names per change. */
export function planOutcome(p: MergePlan): string {
  const list = (n: string, k: readonly string[]) => (k.length ? `${n} [${k.join(', ')}]` : '');
  return [
    p.action,
    list('added', p.added),
    list('updated', p.updated),
    list('unchanged', p.unchanged),
    p.kept.count ? `kept ${p.kept.count}` : '',
    list('pruned', p.pruned),
  ]
    .filter(Boolean)
    .join('; ');
}

/** The trace as aligned text, like testbed/trace.ts's formatTrace. */
export function formatTrace(
  rows: readonly TraceRow[],
  paint: (row: TraceRow, text: string) => string = (_r, t) => t,
): string {
  const w = Math.max(...rows.map((r) => r.state.length), 5);
  return `${rows.map((r) => `  ${r.state.padEnd(w)}  ${String(r.ms).padStart(5)} ms  ${paint(r, r.outcome)}`).join('\n')}\n`;
}
