/**
 * Scale: many mappings, updates in bursts, on the 2-core machine.
 *
 * Every mapping is provisioned for real (AWS secret, KMS key, DLQ, namespace,
 * RBAC, access-entry group). Burst 1 rotates every mapping once (a bulk
 * rotation); each later burst gives its own group of mappings several
 * versions back to back, so their executions race (see {@link burstPlan}).
 * Each update is a PutSecretValue followed at once by the execution its
 * event starts; a burst ends when all its executions have.
 *
 * What differs from AWS, by necessity: one mapping's three functions (fetch,
 * read, apply) are three Node processes of ~90 MiB each, so not all mappings
 * can be warm at once here (200 x 3 x 90 MiB is far over 24 GiB). At most
 * `active` mappings hold workers; an execution whose mapping holds none
 * waits for a slot (the wait counts in its latency), which the least
 * recently used idle mapping gives up by stopping its workers. Workers start lazily, on a mapping's first
 * execution after it got a slot: so a mapping pays its three cold starts again
 * in each burst, as Lambda does after environments were reclaimed.
 */
import { kubeRequest } from '../testbed/kube-admin.ts';
import { LocalMapping, stepResults, type Bundles, type ExecutionRecord } from '../testbed/local-pipeline.ts';
import type { TestbedDetails } from '../testbed/testbed.ts';
import { pool, WarmMappings } from './concurrency.ts';
import { cmdlineMatcher, PeakSampler, sampleTree } from './machine.ts';
import { median, quantile, round, seededRandom } from './stats.ts';

/** Scale parameters. */
export interface ScaleOptions {
  readonly mappings: number;
  readonly updates: number;
  readonly bursts: number;
  /** Mappings whose workers may run at once. */
  readonly active: number;
  readonly log: (msg: string) => void;
}

/** The scale block of results.json. */
export interface ScaleResult {
  readonly mappings: number;
  readonly updates: number;
  readonly bursts: number;
  readonly activeMappingsMax: number;
  readonly setupSeconds: number;
  /** First update of the first burst to the last execution of the last burst. */
  readonly convergeSeconds: number;
  readonly burstSeconds: number[];
  readonly syncsPerSecond: number;
  /** Update (PutSecretValue done) to its execution's end, including any wait for a slot, seconds. */
  readonly latencySeconds: { readonly median: number; readonly p90: number; readonly max: number };
  /** Summed RSS of the whole process tree (bench, workers, moto, etcd, kube-apiserver, webhook), MiB. */
  readonly peakRssMb: number;
  readonly peakProcesses: number;
  readonly peakWorkerRssMb: number;
  readonly peakWorkers: number;
  /** The test bed and the bench before the first burst, MiB. */
  readonly baselineRssMb: number;
  readonly outcomes: Record<string, number>;
  readonly failed: number;
  readonly dlqMessages: number;
  /** Mappings whose Secret does not hold the newest version written (must be 0). */
  readonly lost: number;
  readonly lostMappings: string[];
  /** Mappings whose workers had to start (cold) or were still running (warm), when an execution began. */
  readonly coldStartsPerBurst: number[];
  readonly warmStartsPerBurst: number[];
}

/**
 * Which mapping each update goes to, burst by burst. Burst 1 rotates every
 * mapping once, in random order. The other bursts split the remaining
 * updates evenly; each takes its own group of mappings and gives every one of
 * them several versions back to back (seeded shuffle of the group), so their
 * executions race: conflicts, re-reads and stale versions.
 */
export function burstPlan(opts: Pick<ScaleOptions, 'mappings' | 'updates' | 'bursts'>): number[][] {
  const random = seededRandom(8);
  const shuffle = <T>(xs: T[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const ids = Array.from({ length: opts.mappings }, (_, i) => i);
  const plan = [shuffle([...ids]).slice(0, Math.min(opts.mappings, opts.updates))];
  const rest = opts.bursts - 1;
  let left = opts.updates - plan[0]!.length;
  const groupSize = Math.ceil(opts.mappings / Math.max(rest, 1));
  for (let b = 0; b < rest; b++) {
    const n = Math.round(left / (rest - b));
    left -= n;
    const group = shuffle(ids.slice(b * groupSize, (b + 1) * groupSize));
    if (group.length === 0 || n === 0) continue;
    const picks: number[] = [];
    const each = Math.ceil(n / group.length);
    for (const id of group) for (let k = 0; k < each && picks.length < n; k++) picks.push(id);
    plan.push(picks);
  }
  return plan;
}

const SOURCE_VERSION = 'eks-secret-sync.io/source-version-id';

function content(mapping: number, n: number): string {
  return JSON.stringify({
    config: `mapping-${mapping}-version-${n}`,
    password: Math.random().toString(36).slice(2),
    port: 5432,
  });
}

function outcome(r: ExecutionRecord): string {
  if (r.status !== 'SUCCEEDED') return `failed:${r.error?.name}`;
  return stepResults(r, 'ReadSecret')[0]?.action ?? 'unknown';
}

/**
 * Every mapping that got an update must hold its newest version (annotation
 * and data); nothing may wait in a DLQ. Returns the mappings that do not, and
 * the DLQ messages found.
 */
async function checkNewest(
  tb: TestbedDetails,
  mappings: LocalMapping[],
  latest: Map<number, { versionId: string; content: string }>,
): Promise<{ lostMappings: string[]; dlqMessages: number }> {
  const lostMappings: string[] = [];
  let dlqMessages = 0;
  await pool([...latest.keys()], 8, async (i) => {
    const m = mappings[i]!;
    const want = latest.get(i)!;
    const s = await kubeRequest(
      tb,
      tb.cluster.adminToken,
      'GET',
      `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`,
    );
    const config = s.status === 200 ? Buffer.from(s.body.data?.config ?? '', 'base64').toString() : undefined;
    const ok =
      s.status === 200 &&
      s.body.metadata.annotations?.[SOURCE_VERSION] === want.versionId &&
      config === (JSON.parse(want.content) as { config: string }).config;
    if (!ok) lostMappings.push(m.id);
    dlqMessages += (await m.receiveDlq()).length;
  });
  return { lostMappings, dlqMessages };
}

/**
 * Provisions the mappings, runs the bursts, and checks every Secret.
 *
 * @throws Error when provisioning fails.
 */
export async function measureScale(tb: TestbedDetails, bundles: Bundles, opts: ScaleOptions): Promise<ScaleResult> {
  const tSetup = performance.now();
  const ids = Array.from({ length: opts.mappings }, (_, i) => i);
  const latest = new Map<number, { versionId: string; content: string }>();
  const mappings = await pool(ids, 4, async (i) => {
    const secretString = content(i, 0);
    const m = await LocalMapping.create(tb, bundles, {
      id: `scale-${String(i).padStart(3, '0')}`,
      namespacePrefix: 'scale',
      awsSecretPrefix: 'scale/app',
      secretString,
    });
    if ((i + 1) % 50 === 0) opts.log(`scale: ${i + 1}/${opts.mappings} mappings provisioned`);
    return m;
  });
  const setupSeconds = (performance.now() - tSetup) / 1000;

  const bursts = burstPlan(opts);
  const baselineRssMb = sampleTree().rssBytes / 2 ** 20;
  const sampler = new PeakSampler({ intervalMs: 500, match: cmdlineMatcher('lambda-worker.ts') }).start();
  const slots = new WarmMappings(opts.active);
  const outcomes: Record<string, number> = {};
  const latencies: number[] = [];
  const burstSeconds: number[] = [];
  const coldStartsPerBurst: number[] = [];
  const warmStartsPerBurst: number[] = [];
  const versionCount = new Map<number, number>();
  const t0 = performance.now();
  for (const [b, picks] of bursts.entries()) {
    const tb0 = performance.now();
    const cold0 = slots.coldStarts;
    const warm0 = slots.warmStarts;
    const runs: Promise<void>[] = [];
    for (const i of picks) {
      const m = mappings[i]!;
      const n = (versionCount.get(i) ?? 0) + 1;
      versionCount.set(i, n);
      const value = content(i, n);
      const versionId = await m.putSecret({ secretString: value });
      latest.set(i, { versionId, content: value });
      const tPut = performance.now();
      runs.push(
        (async () => {
          await slots.acquire(m);
          try {
            const r = await m.run(m.labelEvent(versionId));
            const o = outcome(r);
            outcomes[o] = (outcomes[o] ?? 0) + 1;
          } finally {
            slots.release(m);
          }
          latencies.push((performance.now() - tPut) / 1000);
        })(),
      );
    }
    await Promise.all(runs);
    burstSeconds.push(round((performance.now() - tb0) / 1000, 1));
    coldStartsPerBurst.push(slots.coldStarts - cold0);
    warmStartsPerBurst.push(slots.warmStarts - warm0);
    opts.log(
      `scale: burst ${b + 1}/${bursts.length}: ${picks.length} updates over ${new Set(picks).size} mappings in ` +
        `${burstSeconds.at(-1)} s`,
    );
  }
  const convergeSeconds = (performance.now() - t0) / 1000;
  sampler.stop();
  await slots.closeAll();

  const { lostMappings, dlqMessages } = await checkNewest(tb, mappings, latest);
  const failed = Object.entries(outcomes)
    .filter(([k]) => k.startsWith('failed'))
    .reduce((s, [, v]) => s + v, 0);
  return {
    mappings: opts.mappings,
    updates: opts.updates,
    bursts: opts.bursts,
    activeMappingsMax: opts.active,
    setupSeconds: round(setupSeconds, 1),
    convergeSeconds: round(convergeSeconds, 1),
    burstSeconds,
    syncsPerSecond: round(opts.updates / burstSeconds.reduce((a, b) => a + b, 0), 2),
    latencySeconds: {
      median: round(median(latencies), 2),
      p90: round(quantile(latencies, 0.9), 2),
      max: round(Math.max(...latencies), 2),
    },
    peakRssMb: Math.round(sampler.peakRssBytes / 2 ** 20),
    peakProcesses: sampler.peakProcesses,
    peakWorkerRssMb: Math.round(sampler.peakMatchedRssBytes / 2 ** 20),
    peakWorkers: sampler.peakMatchedProcesses,
    baselineRssMb: Math.round(baselineRssMb),
    outcomes,
    failed,
    dlqMessages,
    lost: lostMappings.length,
    lostMappings: lostMappings.sort(),
    coldStartsPerBurst,
    warmStartsPerBurst,
  };
}
