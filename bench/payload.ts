/**
 * Payload bound: the largest state input or output of an execution in the
 * worst cases the design allows: a 64 KiB AWS secret (the Secrets Manager
 * limit) of three shapes, synced into an existing Kubernetes Secret that
 * already holds as much data as still fits the 1 MiB limit, in many keys
 * written by someone else (which the tool must keep). For each shape three
 * syncs: the first merge into the existing Secret, a version that changes
 * every value, and a version that renames every key (prune on, so the old
 * keys are dropped and pruned: the most key names a state can carry).
 */
import { MAX_KEY_NAME_BYTES, MAX_KEYS } from '../functions/domain/secret-data.ts';
import { randomBytes } from 'node:crypto';
import { kubeRequest } from '../testbed/kube-admin.ts';
import { LocalMapping, stepResults, type Bundles, type ExecutionRecord } from '../testbed/local-pipeline.ts';
import type { TestbedDetails } from '../testbed/testbed.ts';

/** Secrets Manager's SecretString limit, and Kubernetes's limit on a Secret's data. */
export const AWS_SECRET_MAX = 65_536;
export const KUBE_SECRET_MAX = 1_048_576;

/** One sync's largest state. */
export interface SyncPayload {
  readonly step: string;
  readonly status: string;
  readonly action?: string;
  readonly maxStateBytes: number;
  readonly where: string;
  /** The largest fields of that state (JSON bytes by path, two levels deep, largest first). */
  readonly largestFields: Record<string, number>;
}

/** One shape's numbers. */
export interface ShapeResult {
  readonly shape: string;
  readonly description: string;
  readonly awsKeys: number;
  readonly awsSecretStringBytes: number;
  readonly existingKeys: number;
  readonly existingValueBytes: number;
  readonly othersKept: boolean;
  readonly syncs: SyncPayload[];
  readonly maxStateBytes: number;
}

/** The payload block of results.json. */
export interface PayloadResult {
  readonly maxStateBytes: number;
  readonly worst: { readonly shape: string; readonly step: string; readonly where: string };
  readonly goal: number;
  readonly met: boolean;
  /** Step Functions' hard limit per state input or output. */
  readonly hardLimit: number;
  readonly shapes: ShapeResult[];
}

interface Shape {
  readonly name: string;
  readonly description: string;
  /** Version `v` (1, 2, 3) of the AWS secret as an object of string values; 3 renames every key. */
  version(v: number): Record<string, string>;
}

const alnum = (n: number) => randomBytes(n).toString('base64url').slice(0, n);

/**
 * `count` keys whose values share what is left of `AWS_SECRET_MAX` bytes of
 * JSON: the key budget of one mapping (functions/domain/secret-data.ts)
 * at the largest secret Secrets Manager stores.
 */
function spread(count: number, key: (i: number) => string): Record<string, string> {
  const names = Array.from({ length: count }, (_, i) => key(i));
  const overhead = 2 + names.reduce((n, k) => n + JSON.stringify(k).length + 4, 0);
  const per = Math.floor((AWS_SECRET_MAX - overhead) / count);
  return Object.fromEntries(names.map((k) => [k, alnum(per)]));
}

const SHAPES: Shape[] = [
  {
    name: 'few-large-values',
    description: '4 keys of ~16 KiB each',
    version: (v) => {
      const prefix = v === 3 ? 'renamed' : 'value';
      const per = Math.floor((AWS_SECRET_MAX - 2 - 4 * 20) / 4);
      return Object.fromEntries([1, 2, 3, 4].map((i) => [`${prefix}-${i}`, alnum(per)]));
    },
  },
  {
    name: 'many-small-keys',
    description: `the most keys a mapping syncs (${MAX_KEYS}, 6-character names), values filling 64 KiB`,
    version: (v) => spread(MAX_KEYS, (i) => `${v === 3 ? 'r' : 'k'}${String(i).padStart(5, '0')}`),
  },
  {
    name: 'long-key-names',
    description:
      `keys of 253 characters (the Kubernetes maximum) up to ${MAX_KEY_NAME_BYTES} bytes of names, values ` +
      `filling 64 KiB`,
    version: (v) =>
      spread(Math.floor(MAX_KEY_NAME_BYTES / 253), (i) =>
        `${v === 3 ? 'r' : 'k'}${String(i).padStart(4, '0')}-`.padEnd(253, v === 3 ? 'y' : 'x'),
      ),
  },
];

function decodedBytes(obj: Record<string, string>): number {
  return Object.values(obj).reduce((s, v) => s + Buffer.byteLength(v), 0);
}

/** The largest state input (StateEntered) or output (StateExited) of one execution, as JSON bytes. */
export function largestState(r: ExecutionRecord): { bytes: number; where: string; payload: unknown } {
  let best: { bytes: number; where: string; payload: unknown } = { bytes: 0, where: '', payload: null };
  for (const e of r.events) {
    const payload = e.type === 'StateEntered' ? e.state.input : e.type === 'StateExited' ? e.state.output : undefined;
    if (payload === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(payload));
    if (bytes > best.bytes)
      best = { bytes, where: `${e.state.name} ${e.type === 'StateEntered' ? 'input' : 'output'}`, payload };
  }
  return best;
}

/** JSON bytes of the fields two levels deep (`fetched.sealedData`, `plan.added`, ...), the `top` largest. */
export function largestFields(payload: unknown, top = 8): Record<string, number> {
  const sizes: [string, number][] = [];
  const size = (x: unknown) => Buffer.byteLength(JSON.stringify(x) ?? '');
  if (payload && typeof payload === 'object') {
    for (const [k, v] of Object.entries(payload)) {
      if (v && typeof v === 'object' && !Array.isArray(v))
        for (const [k2, v2] of Object.entries(v)) sizes.push([`${k}.${k2}`, size(v2)]);
      else sizes.push([k, size(v)]);
    }
  }
  return Object.fromEntries(sizes.sort((a, b) => b[1] - a[1]).slice(0, top));
}

/** Data filling the room the AWS secret leaves under 1 MiB, in many 256-byte values under foreign keys. */
function existingData(room: number): Record<string, string> {
  const per = 256;
  const count = Math.floor(room / per);
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `team-b.setting-${String(i).padStart(5, '0')}`,
      randomBytes(per).toString('base64'),
    ]),
  );
}

async function runShape(tb: TestbedDetails, bundles: Bundles, shape: Shape): Promise<ShapeResult> {
  const versions = [1, 2, 3].map((v) => shape.version(v));
  const awsMax = Math.max(...versions.map(decodedBytes));
  const mapping = await LocalMapping.create(tb, bundles, {
    id: `bench-payload-${shape.name}`,
    namespacePrefix: 'bench-payload',
    prune: true,
    secretString: JSON.stringify(versions[0]),
  });
  try {
    // The existing Secret leaves exactly the room the largest version needs (prune keeps rename from adding up).
    const existing = existingData(KUBE_SECRET_MAX - awsMax);
    const created = await kubeRequest(
      tb,
      tb.cluster.adminToken,
      'POST',
      `/api/v1/namespaces/${mapping.namespace}/secrets`,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: mapping.secretName, namespace: mapping.namespace },
        type: 'Opaque',
        data: existing,
      },
    );
    if (created.status !== 201)
      throw new Error(`creating the existing Secret: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
    const syncs: SyncPayload[] = [];
    const steps = ['merge into the existing Secret', 'change every value', 'rename every key (prune)'];
    for (const [i, step] of steps.entries()) {
      const versionId = i === 0 ? undefined : await mapping.putSecret({ secretString: JSON.stringify(versions[i]) });
      const event = versionId
        ? mapping.labelEvent(versionId)
        : { source: 'eks-secret-sync', 'detail-type': 'Initial sync' };
      const r = await mapping.run(event);
      const big = largestState(r);
      const action = stepResults(r, 'ReadSecret')[0]?.action;
      syncs.push({
        step,
        status: r.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED ${r.error?.name}: ${r.error?.message.slice(0, 200)}`,
        action,
        maxStateBytes: big.bytes,
        where: big.where,
        largestFields: largestFields(big.payload),
      });
    }
    const final = await kubeRequest(
      tb,
      tb.cluster.adminToken,
      'GET',
      `/api/v1/namespaces/${mapping.namespace}/secrets/${mapping.secretName}`,
    );
    const data = (final.body.data ?? {}) as Record<string, string>;
    const othersKept = Object.entries(existing).every(([k, v]) => data[k] === v);
    return {
      shape: shape.name,
      description: shape.description,
      awsKeys: Object.keys(versions[0]!).length,
      awsSecretStringBytes: Buffer.byteLength(JSON.stringify(versions[0])),
      existingKeys: Object.keys(existing).length,
      existingValueBytes: Object.values(existing).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0),
      othersKept,
      syncs,
      maxStateBytes: Math.max(...syncs.map((s) => s.maxStateBytes)),
    };
  } finally {
    await mapping.close();
  }
}

/** How many shapes the phase measures (all of them in the recorded run). */
export const PAYLOAD_SHAPES = SHAPES.length;

/**
 * Runs every shape (or the first `opts.shapes`) and reports the largest state seen.
 *
 * @throws Error when the existing Secret cannot be created.
 */
export async function measurePayload(
  tb: TestbedDetails,
  bundles: Bundles,
  opts: { log: (msg: string) => void; shapes?: number },
): Promise<PayloadResult> {
  const shapes: ShapeResult[] = [];
  for (const shape of SHAPES.slice(0, opts.shapes ?? SHAPES.length)) {
    const r = await runShape(tb, bundles, shape);
    const outcomes = r.syncs.map((s) => `${s.status === 'SUCCEEDED' ? s.action : s.status}`).join(', ');
    opts.log(`payload: ${shape.name}: largest state ${r.maxStateBytes} bytes; ${outcomes}`);
    shapes.push(r);
  }
  const worstShape = shapes.reduce((a, b) => (b.maxStateBytes > a.maxStateBytes ? b : a));
  const worstSync = worstShape.syncs.reduce((a, b) => (b.maxStateBytes > a.maxStateBytes ? b : a));
  return {
    maxStateBytes: worstShape.maxStateBytes,
    worst: { shape: worstShape.shape, step: worstSync.step, where: worstSync.where },
    goal: 131_072,
    met: worstShape.maxStateBytes <= 131_072,
    hardLimit: 262_144,
    shapes,
  };
}
