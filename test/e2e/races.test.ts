// Racing and duplicate deliveries. Asynchronous Express is at-least-once and
// unordered: every trial creates K versions of the secret in quick succession
// (moto's CreatedDate has one-second precision, so most share a date), then
// starts one execution per label event plus duplicates, all at once, in a
// random order, each step running in one of several warm execution
// environments like Lambda's. Afterwards the Kubernetes Secret must hold the
// newest version. Reproduce a run's choices with RACE_SEED=<seed> (printed in
// the test names; timing still varies). Beyond the final state, every
// accepted write of each trial is read back from the kube-apiserver's audit
// log (test/support/write-history.ts): the source version never goes
// backwards, not even for a moment that a later delivery repairs. A few of the same trials run on a mapping of two
// targets (one Map state writes both) and every target is checked the same way.
import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TargetRef } from '../../functions/domain/target.ts';
import type { LocalMapping } from '../../testbed/local-pipeline.ts';
import { AUDITED_NAMESPACES } from '../../testbed/testbed.ts';
import { b64, secretOf } from '../support/fault-matrix.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminToken, kube } from '../support/kube.ts';
import { acceptedWrites, orderViolations, type OrderViolation } from '../support/write-history.ts';
import { stepResults, TestMapping, type ExecutionRecord } from '../support/pipeline.ts';

const CANARY = 'CANARY-6a0f3c-races';
const SEED = Number(process.env.RACE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TRIALS = 100;
const INTERLEAVED = 60;
const LANES = 2; // mappings running trials side by side; each lane's trials run one after another
/** Trials of a mapping with two targets (each in an audited namespace): checked per target. */
const TARGET_TRIALS = 12;
const TARGET_INTERLEAVED = 8;
const mappings: LocalMapping[] = [];
/** The mapping of two targets, a lane of its own. */
const fanned: LocalMapping[] = [];

/** mulberry32: a small seeded PRNG, so a trial's choices can be replayed from its seed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function shuffle<T>(items: T[], rand: (n: number) => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Moves AWSCURRENT from one version to another, as a rollback does. */
async function moveCurrent(m: LocalMapping, to: string, from: string): Promise<void> {
  const tb = inject('testbed');
  const sm = new SecretsManagerClient({
    region: tb.moto.region,
    endpoint: tb.moto.url,
    credentials: tb.moto.credentials,
  });
  await sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: m.secretArn,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: to,
      RemoveFromVersionId: from,
    }),
  );
  sm.destroy();
}

interface TrialResult {
  readonly trial: number;
  readonly seed: number;
  readonly k: number;
  readonly order: string;
  readonly stale: boolean;
  readonly failed: number;
  readonly dlq: number;
  readonly plans: string[];
  readonly conflicts: number;
  /** Accepted writes of the trial in the audit log (every target), and those that broke the order. */
  readonly writes: number;
  /** The fewest accepted writes of one target in the trial (each target must be written). */
  readonly fewestTargetWrites: number;
  readonly violations: OrderViolation[];
}

/** The trial's accepted writes to the Secret (commit order), from the audit log. */
function writesSince(m: Pick<TargetRef, 'namespace' | 'secretName'>, resourceVersion: number) {
  return acceptedWrites(inject('testbed').cluster.auditLogFile, m.namespace, m.secretName).filter(
    (w) => w.resourceVersion > resourceVersion,
  );
}

const planOf = (r: ExecutionRecord) => stepResults(r, 'ReadSecret').map((plan) => plan.action as string);

/**
 * How the versions meet their deliveries. `versions-first`: all K versions
 * exist before any execution starts, so only the newest is AWSCURRENT when
 * fetched. `interleaved`: each version's delivery starts right after its
 * PutSecretValue, while later versions are still being created, so several
 * executions fetch "their" version as AWSCURRENT and it is replaced before
 * they write.
 */
type Mode = 'versions-first' | 'interleaved';

/** One trial on one mapping: K versions, K + duplicates concurrent executions, then each target's Secret is checked. */
async function trial(m: LocalMapping, index: number, mode: Mode): Promise<TrialResult> {
  const seed = (SEED + index * 7919 + (mode === 'interleaved' ? 1 : 0)) >>> 0;
  const rand = prng(seed);
  const k = 2 + rand(4);
  const values: { password: string; extra?: string }[] = [];
  const versions: string[] = [];
  const secretAt = (x: TargetRef) =>
    kube(adminToken(), 'GET', `/api/v1/namespaces/${x.namespace}/secrets/${x.secretName}`);
  const startedAt = await Promise.all(
    m.targets.map(async (x) => Number((await secretAt(x)).body.metadata.resourceVersion)),
  );
  const early: Promise<ExecutionRecord>[] = [];
  for (let j = 1; j <= k; j++) {
    const value = {
      password: `${CANARY}-${index}-${j}`,
      trial: String(index),
      version: String(j),
      ...(rand(2) ? { extra: `x${j}` } : {}),
    };
    values.push(value);
    versions.push(await m.putSecret({ secretString: JSON.stringify(value) }));
    if (mode === 'interleaved') {
      early.push(m.run(m.labelEvent(versions[j - 1]!)));
      await pause(rand(60));
    }
  }
  const deliveries = versions.map((v, j) => ({ j, event: m.labelEvent(v) }));
  const extra = rand(4);
  const late = mode === 'interleaved' ? [] : deliveries;
  for (let d = extra; d > 0; d--) late.push(deliveries[rand(k)]!); // at-least-once: the same event again
  shuffle(late, rand);
  const runs = await Promise.all([
    ...early,
    ...late.map(async ({ event }, i) => {
      await pause(rand(3) === 0 ? 0 : rand(40) + i);
      return m.run(event);
    }),
  ]);

  const newest = values[k - 1]!;
  const perTarget = await Promise.all(
    m.targets.map(async (x, i) => {
      const s = await secretAt(x);
      const writes = writesSince(x, startedAt[i]!);
      const holds = s.body.metadata?.annotations?.['eks-secret-sync.io/source-version-id'];
      const stale =
        holds !== versions[k - 1] ||
        s.body.data?.password !== b64(newest.password) ||
        s.body.data?.version !== b64(String(k)) ||
        (s.body.data?.extra === undefined) === 'extra' in newest; // prune on: a key the newest version lacks is gone
      const violations = orderViolations(writes, versions).map((v) => ({ ...v, target: x.name }));
      return { stale, writes: writes.length, violations };
    }),
  );
  return {
    trial: index,
    seed,
    k,
    order: [
      ...(mode === 'interleaved' ? versions.map((_, j) => `v${j + 1}`) : []),
      ...late.map((d) => `v${d.j + 1}`),
    ].join(','),
    stale: perTarget.some((x) => x.stale),
    failed: runs.filter((r) => r.status !== 'SUCCEEDED').length,
    dlq: (await m.receiveDlq()).length,
    plans: runs.flatMap(planOf),
    conflicts: runs.reduce(
      (n, r) => n + r.events.filter((e) => e.type === 'StateEntered' && e.state.name === 'CountConflict').length,
      0,
    ),
    writes: perTarget.reduce((n, x) => n + x.writes, 0),
    fewestTargetWrites: Math.min(...perTarget.map((x) => x.writes)),
    violations: perTarget.flatMap((x) => x.violations),
  };
}

/** Runs `trials` trials over the lanes and asserts that none ended stale (on any target). */
async function trials(mode: Mode, trials: number, lanes: readonly LocalMapping[] = mappings): Promise<void> {
  const started = Date.now();
  const results: TrialResult[] = [];
  await Promise.all(
    lanes.map(async (m, lane) => {
      for (let i = lane; i < trials; i += lanes.length) results.push(await trial(m, i, mode));
    }),
  );
  const targets = lanes[0]!.targets.length;
  const stale = results.filter((r) => r.stale);
  const disordered = results.filter((r) => r.violations.length > 0);
  const plans = results.flatMap((r) => r.plans);
  const count = (a: string) => plans.filter((p) => p === a).length;
  process.stderr.write(
    `[races] ${mode}, ${targets} target(s), RACE_SEED=${SEED}: ${results.length} trials, ` +
      `${plans.length} plans (update ${count('update')}, ` +
      `skip-stale ${count('skip-stale')}, none ${count('none')}), ${results.reduce((n, r) => n + r.conflicts, 0)} ` +
      `conflicts, ` +
      `${stale.length} stale, ${results.reduce((n, r) => n + r.writes, 0)} writes checked in the audit log, ` +
      `${disordered.length} out of order, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  expect(results).toHaveLength(trials);
  expect(stale, `${mode}, RACE_SEED=${SEED}: stale trials ${JSON.stringify(stale)}`).toEqual([]);
  expect(disordered, `${mode}, RACE_SEED=${SEED}: writes out of order ${JSON.stringify(disordered)}`).toEqual([]);
  expect(
    results.every((r) => r.fewestTargetWrites > 0),
    'every trial wrote every target at least once (the audit log is read)',
  ).toBe(true);
  expect(
    results.filter((r) => r.failed || r.dlq),
    `${mode}, RACE_SEED=${SEED}: failed executions`,
  ).toEqual([]);
  // The races happened: older versions arrived after newer ones and were refused.
  expect(count('skip-stale')).toBeGreaterThan(0);
}

beforeAll(async () => {
  for (let lane = 0; lane < LANES; lane++) {
    // A namespace the audit policy records Secret writes with bodies for.
    const namespace = AUDITED_NAMESPACES[lane]!;
    expect((await kube(adminToken(), 'POST', '/api/v1/namespaces', { metadata: { name: namespace } })).status).toBe(
      201,
    );
    const m = await TestMapping.create({
      id: `race${lane}`,
      namespace,
      secretString: JSON.stringify({ password: `${CANARY}-initial` }),
      workers: 3,
      prune: true,
    });
    mappings.push(m);
    expect((await m.run({ source: 'setup' })).status).toBe('SUCCEEDED');
  }
  // Two targets, each in an audited namespace of its own (the lanes above use the first two).
  const [first, second] = [AUDITED_NAMESPACES[LANES]!, AUDITED_NAMESPACES[LANES + 1]!];
  for (const name of [first, second])
    expect((await kube(adminToken(), 'POST', '/api/v1/namespaces', { metadata: { name } })).status).toBe(201);
  const m = await TestMapping.create({
    id: 'race-targets',
    namespace: first,
    secretString: JSON.stringify({ password: `${CANARY}-initial` }),
    moreTargets: [{ namespace: second, secretName: 'app-config' }],
    workers: 3,
    prune: true,
  });
  fanned.push(m);
  expect((await m.run({ source: 'setup' })).status).toBe('SUCCEEDED');
});

afterAll(async () => {
  await Promise.all([...mappings, ...fanned].map((m) => m.close()));
});

describe('racing and duplicate deliveries', () => {
  it(`ends every trial at the newest version when all versions exist first: ${TRIALS} trials, RACE_SEED=${SEED}`, async () => {
    await trials('versions-first', TRIALS);
  }, 240_000);

  it(`ends every trial at the newest version when deliveries start while newer versions are created: ${INTERLEAVED} ` +
    `trials, RACE_SEED=${SEED}`, async () => {
    await trials('interleaved', INTERLEAVED);
  }, 240_000);

  it(`ends every trial at the newest version on each of two targets, in order: ${TARGET_TRIALS} + ${TARGET_INTERLEAVED} trials, RACE_SEED=${SEED}`, async () => {
    expect(fanned[0]!.targets).toHaveLength(2);
    await trials('versions-first', TARGET_TRIALS, fanned);
    await trials('interleaved', TARGET_INTERLEAVED, fanned);
  }, 120_000);

  it(
    'follows a rollback: AWSCURRENT moved back to an older version is written, and a late event for the newer one ' +
      'is not',
    async () => {
      const m = mappings[0]!;
      const v1 = await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-rb1`, version: 'rb1' }) });
      expect((await m.run(m.labelEvent(v1))).status).toBe('SUCCEEDED');
      await pause(1100); // a distinctly newer creation date
      const v2 = await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-rb2`, version: 'rb2' }) });
      expect((await m.run(m.labelEvent(v2))).status).toBe('SUCCEEDED');
      await moveCurrent(m, v1, v2); // `aws secretsmanager update-secret-version-stage`: the documented rollback

      const rollback = await m.run(m.labelEvent(v1));
      const late = await m.run(m.labelEvent(v2));

      expect([rollback, late].map((r) => planOf(r)[0])).toEqual(['update', 'skip-stale']);
      const s = await secretOf(m);
      expect(s.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(v1);
      expect(s.body.data.version).toBe(b64('rb1'));
    },
  );

  it("sees, in the audit log, a write that goes back to an older version (the race checker's control on the real apiserver)", async () => {
    const m = mappings[1]!;
    const s = await secretOf(m);
    const before = Number(s.body.metadata.resourceVersion);
    const current = s.body.metadata.annotations['eks-secret-sync.io/source-version-id'];
    const older = await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-ctl` }) });
    const newer = await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-ctl2` }) });
    const annotate = (v: string) =>
      kube(
        adminToken(),
        'PATCH',
        `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`,
        { metadata: { annotations: { 'eks-secret-sync.io/source-version-id': v } } },
        'application/merge-patch+json',
      );
    // Planted: newer, then older (a stale overwrite), then newer again (the repair a final-state check would accept).
    for (const v of [newer, older, newer]) expect((await annotate(v)).status).toBe(200);

    const violations = orderViolations(writesSince(m, before), [current, older, newer]);

    expect(violations).toEqual([expect.objectContaining({ wrote: older, after: newer, reason: 'went backwards' })]);
  });

  it('never lets a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial([...mappings, ...fanned].map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
