/**
 * Fan-out: one rotation of a 64 KiB secret to 1, 10 and 50 targets of one mapping (issue 15). For each: the
 * GetSecretValue calls of the rotation (FetchSecret runs, each one call), the wall time of the execution on the
 * local runner and its ratio to the single-target sync of the same run, and the largest state input or output
 * (bench `payload`'s measure). Targets alternate between two namespaces; each step has WORKERS execution
 * environments (Lambda would give the Map's 10 concurrent iterations one each; this 2-core machine cannot).
 */
import { randomBytes } from 'node:crypto';
import { createNamespace } from '../testbed/kube-admin.ts';
import { LocalMapping, type Bundles, type ExecutionRecord } from '../testbed/local-pipeline.ts';
import type { TestbedDetails } from '../testbed/testbed.ts';
import { AWS_SECRET_MAX, largestFields, largestState } from './payload.ts';

/** Target counts measured. */
export const FANOUT_TARGETS = [1, 10, 50] as const;
/** Execution environments per step. */
const WORKERS = 3;

/** One target count's numbers. */
export interface FanoutRow {
  readonly targets: number;
  readonly status: string;
  readonly getSecretValueCalls: number;
  readonly applies: number;
  readonly wallMs: number;
  readonly ratioToSingle: number;
  readonly maxStateBytes: number;
  readonly where: string;
  readonly largestFields: Record<string, number>;
}

/** The fanout block of results.json. */
export interface FanoutResult {
  readonly secretStringBytes: number;
  readonly workers: number;
  readonly rows: FanoutRow[];
  /** The bound: the largest state of a 50-target rotation under 128 KiB. */
  readonly goal: number;
  readonly met: boolean;
}

const entered = (r: ExecutionRecord, state: string) =>
  r.events.filter((e) => e.type === 'StateEntered' && e.state.name === state).length;

/** A 64 KiB secret of four ~16 KiB values (bench `payload`'s few-large-values shape). */
function secret(): string {
  const per = Math.floor((AWS_SECRET_MAX - 2 - 4 * 20) / 4);
  const value = () => randomBytes(per).toString('base64url').slice(0, per);
  return JSON.stringify(Object.fromEntries([1, 2, 3, 4].map((i) => [`value-${i}`, value()])));
}

async function measure(tb: TestbedDetails, bundles: Bundles, targets: number): Promise<FanoutRow> {
  // A second namespace of this mapping's own: a Secret another count's mapping wrote would be refused (its owner).
  const other = await createNamespace(tb, 'bench-fanout');
  const mapping = await LocalMapping.create(tb, bundles, {
    id: `bench-fanout-${targets}`,
    namespacePrefix: 'bench-fanout',
    secretString: secret(),
    moreTargets: Array.from({ length: targets - 1 }, (_, i) => ({
      ...(i % 2 === 0 && { namespace: other }),
      secretName: `copy-${i}`,
    })),
    workers: WORKERS,
  });
  try {
    // Warm every worker once (a first sync creates the Secrets), then time a rotation that updates them all.
    await mapping.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });
    const versionId = await mapping.putSecret({ secretString: secret() });
    const started = performance.now();
    const r = await mapping.run(mapping.labelEvent(versionId));
    const wallMs = Math.round(performance.now() - started);
    const big = largestState(r);
    return {
      targets,
      status: r.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED ${r.error?.name}: ${r.error?.message.slice(0, 200)}`,
      getSecretValueCalls: entered(r, 'FetchSecret'),
      applies: entered(r, 'ApplySecret'),
      wallMs,
      ratioToSingle: 0,
      maxStateBytes: big.bytes,
      where: big.where,
      largestFields: largestFields(big.payload),
    };
  } finally {
    await mapping.close();
  }
}

/** Measures one rotation per target count in {@link FANOUT_TARGETS}. */
export async function measureFanout(
  tb: TestbedDetails,
  bundles: Bundles,
  opts: { log: (msg: string) => void; targets?: readonly number[] },
): Promise<FanoutResult> {
  const rows: FanoutRow[] = [];
  for (const n of opts.targets ?? FANOUT_TARGETS) {
    const row = await measure(tb, bundles, n);
    opts.log(
      `fanout: ${n} targets: ${row.status}, ${row.getSecretValueCalls} GetSecretValue, ${row.applies} writes, ` +
        `${row.wallMs} ms, largest state ${row.maxStateBytes} B (${row.where})`,
    );
    rows.push(row);
  }
  const single = rows[0]!.wallMs;
  const withRatio = rows.map((r) => ({ ...r, ratioToSingle: Math.round((r.wallMs / single) * 10) / 10 }));
  const goal = 131_072;
  return {
    secretStringBytes: Buffer.byteLength(secret()),
    workers: WORKERS,
    rows: withRatio,
    goal,
    met: withRatio.every((r) => r.status === 'SUCCEEDED' && r.maxStateBytes < goal && r.getSecretValueCalls === 1),
  };
}
