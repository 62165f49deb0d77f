/**
 * The sync pipeline run in-process from a terminal, with the caller's
 * credentials: the very steps the Lambdas run (functions/steps), in the state
 * machine's order and with its loop bounds (functions/domain/loops.ts: a 409
 * goes back to the read, a 401 mints again). No Step Functions and no KMS:
 * values are sealed with a key that exists only in this process's memory
 * (functions/adapters/memory-sealer.ts), and never printed. Workloads in the
 * mapping's restart list are not restarted.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Mapping, Target } from '../../infra/config.ts';
import { secretsManagerSource } from '../../functions/adapters/aws.ts';
import { secretClient } from '../../functions/adapters/kube.ts';
import { memorySealer } from '../../functions/adapters/memory-sealer.ts';
import type { FetchOutput, TokenOutput } from '../../functions/domain/contract.ts';
import { ConflictError, UnauthorizedError } from '../../functions/domain/errors.ts';
import { MAX_CONFLICT_RETRIES, MAX_REAUTHS } from '../../functions/domain/loops.ts';
import { existingSecret } from '../../functions/domain/observe.ts';
import { planOutcome } from '../../functions/domain/outcome.ts';
import { systemClock, type Sealer, type SecretStore } from '../../functions/domain/ports.ts';
import { REDRIVE_SOURCE } from '../../functions/domain/redrive.ts';
import { parseWorkloads } from '../../functions/domain/restart.ts';
import { dataShapeOf } from '../../functions/domain/shape.ts';
import type { ExistingSecret, MergePlan, Observation } from '../../functions/domain/types.ts';
import type { SecretData, SourceVersion } from '../../functions/domain/types.ts';
import { applyPlan, WRITE_ACTIONS } from '../../functions/steps/apply.ts';
import { fetchSecret } from '../../functions/steps/fetch.ts';
import { planSync } from '../../functions/steps/plan.ts';
import { readSecret } from '../../functions/steps/read.ts';
import { openData } from '../../functions/steps/sealed.ts';
import { mintToken } from '../../functions/steps/token.ts';
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
  /** The mapping's target to plan or write. */
  readonly target: Target;
  readonly aws: AwsSession;
  readonly kube: KubeconfigFlags;
  /** Write the plan (sync); false stops after PlanMerge (plan, sync --dry-run). */
  readonly apply: boolean;
  /** Called as each step starts (progress display). */
  readonly onStep?: (state: string) => void;
}

/** The execution input of a sync started from the CLI: it names no version, so the fetch reads AWSCURRENT. */
const CLI_INPUT = { event: { source: REDRIVE_SOURCE, 'detail-type': 'CLI sync', detail: {} }, attempt: 1 };

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
    await pipeline(opts, run, step, memorySealer());
    return run;
  } catch (e) {
    throw new PipelineError(e as Error, run);
  }
}

type Step = <T>(state: string, fn: () => Promise<T>, outcome: (t: T) => string) => Promise<T>;

async function pipeline(opts: PipelineOptions, run: PipelineRun, step: Step, sealer: Sealer): Promise<void> {
  const { mapping: m, aws } = opts;
  const mappingId = m.id;
  const fetched = await step(
    'FetchSecret',
    () => fetchCurrent(m, aws, sealer),
    (f) => `version ${f.source.versionId} (${f.source.createdDate}), ${f.keys.count} keys`,
  );
  run.source = fetched.source;
  // The plan view shows masked values: this process sealed them, so it may open them.
  run.desired = await openData(sealer, mappingId, fetched.sealedData);
  const signer = {
    mint: async () => {
      run.target = await resolveKubeTarget(opts.target.cluster, aws, opts.kube);
      return { token: requireToken(run.target), expiresAt: run.target.expiresAt ?? '' };
    },
  };
  const mint = () =>
    step(
      'MintToken',
      () => mintToken({ signer, sealer }, { mappingId }),
      () => {
        const t = run.target!;
        if (!t.expiresAt) return `credentials from ${t.source}`;
        return `token minted for cluster ${opts.target.cluster.name}, expires ${t.expiresAt}; server from ${t.source}`;
      },
    );
  let token = await mint();
  let conflicts = 0;
  let reauths = 0;
  for (;;) {
    try {
      await readPlanApply(opts, run, step, sealer, fetched, token);
      return;
    } catch (e) {
      if (e instanceof ConflictError && ++conflicts <= MAX_CONFLICT_RETRIES) continue;
      if (e instanceof UnauthorizedError && ++reauths <= MAX_REAUTHS) {
        token = await mint();
        continue;
      }
      throw e;
    }
  }
}

/** The fetch step with the caller's credentials; AWSCURRENT, as the CLI's input names no version. */
async function fetchCurrent(m: Mapping, aws: AwsSession, sealer: Sealer): Promise<FetchOutput> {
  const client = new SecretsManagerClient(await aws.config());
  try {
    const ports = { source: secretsManagerSource(client), sealer, clock: systemClock };
    const settings = { mappingId: m.id, secretArn: m.secretArn, type: m.type, shape: dataShapeOf(m) };
    return await fetchSecret(ports, settings, CLI_INPUT);
  } finally {
    client.destroy();
  }
}

/** ReadSecret, PlanMerge and (with `apply`, for a plan that writes) ApplySecret: one pass of the conflict loop. */
async function readPlanApply(
  opts: PipelineOptions,
  run: PipelineRun,
  step: Step,
  sealer: Sealer,
  fetched: FetchOutput,
  token: TokenOutput,
): Promise<void> {
  const { mapping, target: t } = opts;
  const mappingId = mapping.id;
  const target = run.target!;
  const location = { server: target.server, caPem: target.caPem, namespace: t.namespace, name: t.secretName };
  // The plan view compares values: keep what the read step read, in this process only.
  const kubernetes = (bearer: string): SecretStore => {
    const store = secretClient(location, bearer, target.identity);
    return {
      ...store,
      get: async () => {
        const secret = await store.get();
        run.existing = existingSecret(secret);
        return secret;
      },
    };
  };
  const sealed = { sealedData: fetched.sealedData, sealedToken: token.sealedToken };
  run.observed = await step(
    'ReadSecret',
    () => readSecret({ sealer, kubernetes }, { mappingId }, sealed),
    (o) => (o.exists ? `exists at resourceVersion ${o.resourceVersion}` : 'absent: will create'),
  );
  const { prune, type, labels, annotations, deletionPolicy } = t;
  const settings = {
    options: { mappingId, prune, type, labels, annotations, deletionPolicy },
    restartTargets: parseWorkloads(t.restart).map((w) => w.ref),
  };
  const input = { source: fetched.source, observed: run.observed };
  const plan = await step('PlanMerge', () => planSync({ clock: systemClock }, settings, input), planOutcome);
  run.plan = plan;
  if (!opts.apply || !WRITE_ACTIONS.has(plan.action)) return;
  const where = { mappingId, namespace: t.namespace, name: t.secretName, type: t.type };
  const applied = await step(
    'ApplySecret',
    () => applyPlan({ sealer, kubernetes }, where, { plan, ...sealed }),
    (a) => `${a.action}d, resourceVersion ${a.resourceVersion}`,
  );
  run.applied = { action: applied.action, resourceVersion: applied.resourceVersion };
}

/** The trace as aligned text, like testbed/trace.ts's formatTrace. */
export function formatTrace(
  rows: readonly TraceRow[],
  paint: (row: TraceRow, text: string) => string = (_r, t) => t,
): string {
  const w = Math.max(...rows.map((r) => r.state.length), 5);
  const lines = rows.map((r) => `  ${r.state.padEnd(w)}  ${String(r.ms).padStart(5)} ms  ${paint(r, r.outcome)}`);
  return `${lines.join('\n')}\n`;
}
