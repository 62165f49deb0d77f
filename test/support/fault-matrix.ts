/**
 * The harness of the fault matrix (test/e2e/faults-*.test.ts): mappings whose
 * functions reach moto and the kube-apiserver only through two fault proxies,
 * and one cell runner that checks the whole outcome of a sync: the execution,
 * the DLQ, and the Secret on the apiserver (never a partial or duplicate write).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { ErrorName } from '../../functions/domain/errors.ts';
import { SYNC_STEPS } from '../../functions/domain/sync-steps.ts';
import { FaultProxy, type ActiveRule } from '../../testbed/fault-proxy.ts';
import type { LocalMappingOptions, StepName, TaskName } from '../../testbed/local-pipeline.ts';
import { adminToken, kube } from './kube.ts';
import { TestMapping, type ExecutionRecord, type LocalMapping } from './pipeline.ts';

/** The kube client's timeout in the matrix: short, so a held request costs little (production default 10 s). */
export const KUBE_TIMEOUT_MS = 300;

/**
 * Each step's AWS endpoint carries its own tag (its function kind), so a rule can aim at one step's KMS calls: every
 * step every mapping has, from the step table (a new step is in the matrix without an edit here).
 */
export const TAG = Object.fromEntries(SYNC_STEPS.filter((s) => !s.optional).map((s) => [s.state, s.kind])) as Record<
  StepName,
  string
>;

/** The two proxies every matrix mapping talks through. */
export interface Proxies {
  readonly kube: FaultProxy;
  readonly moto: FaultProxy;
}

/**
 * Starts a TLS proxy in front of the kube-apiserver (serving the test bed's own
 * serving certificate, so the functions still verify the cluster CA) and a
 * plain one in front of moto.
 */
export async function startProxies(): Promise<Proxies> {
  const tb = inject('testbed');
  const dir = dirname(tb.cluster.caFile);
  const kube = await FaultProxy.start({
    target: tb.cluster.server,
    targetCa: readFileSync(tb.cluster.caFile),
    tls: { cert: readFileSync(join(dir, 'serving.crt')), key: readFileSync(join(dir, 'serving.key')) },
  });
  const moto = await FaultProxy.start({ target: tb.moto.url });
  return { kube, moto };
}

/** Creates a mapping whose functions reach both servers only through the proxies. */
export async function mappingVia(p: Proxies, opts: LocalMappingOptions = {}): Promise<LocalMapping> {
  const functionEnv = Object.fromEntries(
    Object.entries(TAG).map(([step, tag]) => [
      step,
      { AWS_ENDPOINT_URL: p.moto.url(tag), ...opts.functionEnv?.[step as StepName] },
    ]),
  );
  return TestMapping.create({
    ...opts,
    clusterEndpoint: p.kube.url(),
    env: { KUBE_TIMEOUT_MS: String(KUBE_TIMEOUT_MS), ...opts.env },
    functionEnv,
  });
}

/** What both matrix files share, filled by the hooks {@link useFaultMatrix} registers. */
export interface FaultMatrix {
  /** The proxies every matrix mapping talks through. */
  readonly p: Proxies;
  /** One mapping synced once at the start, so that the cells exercise updates. */
  readonly shared: LocalMapping;
  /** Every mapping the file opened; closed after the file, and searched for the canary. */
  readonly mappings: LocalMapping[];
  /** A new secret value for a cell, with the canary in it. */
  next(): { password: string; serial: string };
}

/**
 * Registers the matrix's beforeAll (proxies, the shared mapping, its first
 * sync) and afterAll (closing every mapping and both proxies) in the calling
 * file, and returns the bed those hooks fill.
 */
export function useFaultMatrix(canary: string): FaultMatrix {
  let n = 0;
  const bed = {
    p: undefined as unknown as Proxies,
    shared: undefined as unknown as LocalMapping,
    mappings: [] as LocalMapping[],
    next: () => ({ password: `${canary}-${++n}`, serial: String(n) }),
  };
  beforeAll(async () => {
    bed.p = await startProxies();
    bed.shared = await mappingVia(bed.p, { secretString: JSON.stringify(bed.next()) });
    bed.mappings.push(bed.shared);
    expect((await bed.shared.run({ source: 'setup' })).status).toBe('SUCCEEDED');
  });
  afterAll(async () => {
    await Promise.all(bed.mappings.map((m) => m.close()));
    await Promise.all([bed.p?.kube.stop(), bed.p?.moto.stop()]);
  });
  return bed;
}

/** The mapping's Secret as the admin sees it. */
export function secretOf(m: LocalMapping) {
  return kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`);
}

/** How many times a step ran: entered plus retried. */
export function attempts(r: ExecutionRecord, step: TaskName): number {
  return r.events.filter((e) => (e.type === 'StateEntered' || e.type === 'StateRetried') && e.state?.name === step)
    .length;
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What a cell expects. */
export type Outcome =
  | { readonly synced: true }
  | { readonly dlq: ErrorName; readonly step: StepName; readonly cause: RegExp };

/** What one sync under a fault did. */
export interface CellRun {
  readonly run: ExecutionRecord;
  readonly rules: ActiveRule[];
  readonly dlq: any[];
}

/**
 * Runs one sync of `data` (a new AWS secret version, or, with `initial`, the
 * value the mapping was created with) after `arrange` set the faults, and
 * asserts the outcome: synced = the Secret holds exactly the new data and its
 * version, written by one successful write, and the DLQ is empty; DLQ = one
 * message naming the step, the error and a cause matching `outcome.cause`, and
 * the Secret exactly as before (same resourceVersion, data, or still absent).
 * `othersWrite` names keys a concurrent writer adds during the run.
 */
export async function runCell(
  m: LocalMapping,
  p: Proxies,
  data: Record<string, string>,
  outcome: Outcome,
  arrange: () => Promise<ActiveRule[] | ActiveRule | undefined> = async () => undefined,
  opts: { initial?: boolean; othersWrite?: Record<string, string> } = {},
): Promise<CellRun> {
  p.kube.reset();
  p.moto.reset();
  const version = opts.initial ? undefined : await m.putSecret({ secretString: JSON.stringify(data) });
  const before = await secretOf(m);
  const arranged = await arrange();
  const rules = arranged === undefined ? [] : Array.isArray(arranged) ? arranged : [arranged];
  const event = version
    ? m.labelEvent(version)
    : { source: 'eks-secret-sync', 'detail-type': 'Initial sync', id: `initial-${Date.now()}` };

  const run = await m.run(event);
  // A step that failed on one of two parallel AWS calls leaves the other retrying in the background.
  if (run.status === 'FAILED') await p.moto.settled(450);

  const after = await secretOf(m);
  const dlq = await m.receiveDlq();
  const writes = p.kube.requests.filter((q) => q.method === 'PATCH' && q.status !== undefined && q.status < 300);
  if ('synced' in outcome) {
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    expect(dlq).toEqual([]);
    expect(after.status).toBe(200);
    const written = Object.fromEntries(Object.entries({ ...opts.othersWrite, ...data }).map(([k, v]) => [k, b64(v)]));
    expect(after.body.data).toEqual({ ...(before.status === 200 ? before.body.data : {}), ...written });
    if (version) expect(after.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(version);
    // One write; where an answer was lost after the write, the retry may only repeat it idempotently.
    const lost = p.kube.requests.some((q) => q.fault === 'lose-response');
    if (lost) expect(writes.length, 'successful writes').toBeLessThanOrEqual(1);
    else expect(writes, 'successful writes').toHaveLength(1);
  } else {
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe(outcome.dlq);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ mappingId: m.id, failedStep: outcome.step, error: outcome.dlq, attempt: 1, event });
    expect(dlq[0].executionId).toMatch(/^arn:aws:states:us-east-1:123456789012:express:/);
    expect(JSON.parse(dlq[0].cause).errorMessage).toMatch(outcome.cause);
    expect(writes, 'successful writes').toEqual([]);
    expect(after.status).toBe(before.status);
    if (before.status === 200) {
      expect(after.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
      expect(after.body.data).toEqual(before.body.data);
    }
  }
  return { run, rules, dlq };
}
