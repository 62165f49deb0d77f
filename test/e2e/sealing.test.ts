// Ciphertext, asserted: every sealed field of every state of real executions
// (the deployed ASL, the synthesized bundles, moto's KMS, the real
// kube-apiserver) holds no canary in any encoding, opens under its own
// mapping's context only (another mapping, another purpose: refused by KMS),
// and two seals of the same value differ. The KMS requests themselves, recorded
// by a proxy in front of moto, carry each mapping's own encryption context: the
// contract the key policy's conditions rest on, which opening alone cannot show
// (a context without mappingId would open just as well). No token travels: each
// Kubernetes step signs its own at the call, so no state, Lambda input or DLQ
// message holds a token, sealed or plain, and the only sealed thing is the data.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsKeyService } from '../../functions/adapters/kms.ts';
import { seal, unseal } from '../../functions/adapters/seal.ts';
import type { Sealed, SealContext } from '../../functions/domain/ports.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { describeLeaks, scanForLeaks, scanForMarkers } from '../support/leak-scanner.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';
import { FaultProxy } from '../../testbed/fault-proxy.ts';
import { TAG } from '../support/fault-matrix.ts';

const CANARY = `sealing-canary-${Date.now().toString(36)}-do-not-log`;
const mappings: LocalMapping[] = [];
let a: LocalMapping;
let b: LocalMapping;
/** A mapping refused by the cluster (no RBAC), with failureEvents: its sync ends in the DLQ and RecordFailureEvent. */
let c: LocalMapping;
let kms: FaultProxy;
/** Every Lambda input of every mapping's steps, as the function received it (the Parameters applied). */
const lambdaInputs: { mapping: LocalMapping; state: string; input: unknown }[] = [];

/** A mapping whose steps reach moto through the recording proxy, each step's calls tagged `<step>_<mapping>`. */
async function throughKmsRecorder(id: string, secretString: string, opts: { noRbac?: boolean } = {}) {
  const functionEnv = Object.fromEntries(
    Object.entries(TAG).map(([step, tag]) => [step, { AWS_ENDPOINT_URL: kms.url(`${tag}_${id}`) }]),
  );
  const m = await TestMapping.create({
    id,
    secretString,
    functionEnv,
    ...(opts.noRbac && { noRbac: true, failureEvents: true }),
  });
  for (const [state, fn] of Object.entries(m.functions)) {
    const invoke = fn.invoke.bind(fn);
    fn.invoke = (input) => {
      lambdaInputs.push({ mapping: m, state, input: structuredClone(input) });
      return invoke(input);
    };
  }
  return m;
}

/** A sealed field as found in an execution: where, and what it should open as. */
interface Found {
  readonly mapping: LocalMapping;
  readonly path: string;
  readonly purpose: SealContext['purpose'];
  readonly sealed: Sealed;
}

/** A place a token could travel: a field named for one, or a sealed field that is not the data. */
interface TokenFinding {
  readonly path: string;
  readonly why: string;
}

/**
 * Every field of `x` that is or holds a token: a key naming a token (sealedToken, token, ...) or a text value
 * carrying an EKS token's or a presigned STS URL's markers. Paths and reasons only, never the value.
 */
function tokenFields(x: unknown, path: string): TokenFinding[] {
  const found: TokenFinding[] = [];
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'string') {
      for (const l of scanForMarkers(v)) found.push({ path: at, why: l.label });
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, w] of Object.entries(v)) {
      if (/token/i.test(k)) found.push({ path: `${at}.${k}`, why: 'a field named for a token' });
      walk(w, `${at}.${k}`);
    }
  };
  walk(x, path);
  return found;
}

const isSealed = (x: unknown): x is Sealed => {
  const s = x as Sealed;
  return !!s && typeof s === 'object' && s.v === 1 && [s.key, s.iv, s.tag, s.data].every((f) => typeof f === 'string');
};

/** Every sealed envelope anywhere in the inputs and outputs of every state of `m`'s executions. */
function sealedFields(m: LocalMapping): Found[] {
  const found: Found[] = [];
  const walk = (x: unknown, path: string): void => {
    if (isSealed(x)) {
      found.push({ mapping: m, path, purpose: 'secret-data', sealed: x });
      return;
    }
    if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, `${path}.${k}`);
  };
  m.executions.forEach((e, i) => {
    e.events.forEach((ev, j) => {
      walk(ev?.state, `execution[${i}].event[${j}]`);
    });
  });
  return found;
}

function keysOf(m: LocalMapping) {
  const tb = inject('testbed');
  return kmsKeyService(m.functions.FetchSecret.env.SEAL_KEY_ID!, {
    region: tb.moto.region,
    endpoint: tb.moto.url,
    credentials: async () => tb.moto.credentials,
  });
}

beforeAll(async () => {
  const value = JSON.stringify({ password: CANARY, user: 'app' });
  kms = await FaultProxy.start({ target: inject('testbed').moto.url, recordBodiesOf: /^TrentService\./ });
  a = await throughKmsRecorder('seal-a', value);
  b = await throughKmsRecorder('seal-b', value);
  c = await throughKmsRecorder('seal-c', value, { noRbac: true });
  mappings.push(a, b, c);
  // Two executions of A on the same version: the same value sealed twice.
  expect((await a.run({})).status).toBe('SUCCEEDED');
  expect((await a.run({})).status).toBe('SUCCEEDED');
  expect((await b.run({})).status).toBe('SUCCEEDED');
  // C's read is refused (403): the target's DLQ message, then RecordFailureEvent (refused too: no RBAC).
  expect((await c.run({})).status).toBe('FAILED');
  expect(await c.receiveDlq()).toHaveLength(1);
});

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
  await kms?.stop();
});

describe('sealed fields in the state', () => {
  it('are found in the executions: the sealed data of each mapping, in its fetch, read and write', () => {
    const all = [...sealedFields(a), ...sealedFields(b), ...sealedFields(c)];
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const m of [a, b, c]) expect(sealedFields(m).length, m.id).toBeGreaterThanOrEqual(3);
    // Each function got the sealed data it opens, in its Lambda input.
    const got = (m: LocalMapping, state: string) =>
      lambdaInputs.some((x) => x.mapping === m && x.state === state && isSealed((x.input as any)?.sealedData));
    expect(got(a, 'ReadSecret') && got(a, 'ApplySecret') && got(c, 'ReadSecret')).toBe(true);
  });

  it("are the data only: every one opens as its mapping's secret-data (a sealed token would not)", async () => {
    for (const m of [a, b, c]) {
      for (const f of sealedFields(m)) {
        await expect(
          unseal(keysOf(m), { mappingId: m.id, purpose: 'secret-data' }, f.sealed),
          f.path,
        ).resolves.toBeInstanceOf(Buffer);
      }
    }
  });

  it('the control: a sealed token in the state would not open as the data', async () => {
    // As MintToken sealed it before this release: the same key and mapping, the purpose `eks-token`.
    const planted = await seal(
      keysOf(a),
      { mappingId: a.id, purpose: 'eks-token' as never },
      Buffer.from('k8s-aws-v1.x'),
    );
    await expect(unseal(keysOf(a), { mappingId: a.id, purpose: 'secret-data' }, planted)).rejects.toThrow();
  });

  it("are sealed and opened with exactly their own mapping's encryption context and purpose", () => {
    // Each KMS request as `<step> <operation> <context, keys sorted>`, by mapping (the proxy's tag says which).
    const step = Object.fromEntries(Object.entries(TAG).map(([name, tag]) => [tag, name]));
    const seen = kms.requests
      .filter((r) => r.target?.startsWith('TrentService.'))
      .map((r) => {
        const [tag, mapping] = r.client!.split('_');
        const { EncryptionContext } = JSON.parse(r.body!) as { EncryptionContext?: Record<string, string> };
        const context = JSON.stringify(Object.entries(EncryptionContext ?? {}).sort());
        return { mapping, call: `${step[tag!]} ${r.target!.slice('TrentService.'.length)} ${context}` };
      });
    const ctx = (mappingId: string, purpose: string) =>
      JSON.stringify([
        ['mappingId', mappingId],
        ['purpose', purpose],
      ]);

    for (const m of [a, b]) {
      const calls = [...new Set(seen.filter((r) => r.mapping === m.id).map((r) => r.call))].sort();
      // What seals (FetchSecret the data) and what opens it (ReadSecret and ApplySecret); no token is sealed or
      // opened: each Kubernetes step signs its own.
      expect(calls).toStrictEqual(
        [
          `ApplySecret Decrypt ${ctx(m.id, 'secret-data')}`,
          `FetchSecret GenerateDataKey ${ctx(m.id, 'secret-data')}`,
          `ReadSecret Decrypt ${ctx(m.id, 'secret-data')}`,
        ].sort(),
      );
    }
    // One sync that writes (B's one execution): 1 GenerateDataKey and 2 Decrypt, 3 KMS requests in all.
    expect(
      seen
        .filter((r) => r.mapping === b.id)
        .map((r) => r.call.split(' ').slice(0, 2).join(' '))
        .sort(),
    ).toEqual(['ApplySecret Decrypt', 'FetchSecret GenerateDataKey', 'ReadSecret Decrypt']);
  });

  it('no token, sealed or plain, in any state, Lambda input or DLQ message', () => {
    const states = [a, b, c].flatMap((m) =>
      m.executions.flatMap((e, i) =>
        e.events.flatMap((ev, j) => tokenFields(ev?.state, `${m.id}.execution[${i}].event[${j}]`)),
      ),
    );
    const inputs = lambdaInputs.flatMap((x, i) => tokenFields(x.input, `${x.mapping.id}.${x.state}.input[${i}]`));
    const dlq = [a, b, c].flatMap((m) =>
      m.dlqBodies.flatMap((body, i) => tokenFields(JSON.parse(body), `${m.id}.dlq[${i}]`)),
    );
    expect(lambdaInputs.length).toBeGreaterThanOrEqual(8);
    expect(c.dlqBodies).toHaveLength(1);
    expect(
      lambdaInputs.some((x) => x.mapping === c && (x.input as any)?.report !== undefined),
      'RecordFailureEvent',
    ).toBe(true);
    expect([...states, ...inputs, ...dlq]).toEqual([]);
  });

  it('the control: the token check finds a planted sealed token and a planted plain token', async () => {
    const sealedToken = await seal(keysOf(a), { mappingId: a.id, purpose: 'eks-token' as never }, Buffer.from('x'));
    const input = structuredClone(lambdaInputs.find((x) => x.mapping === a && x.state === 'ApplySecret')!.input) as any;
    expect(tokenFields(input, 'planted')).toEqual([]);
    const plain = await a.token();
    const found = [
      ...tokenFields({ ...input, sealedToken }, 'planted'),
      ...tokenFields({ ...input, cause: `refused ${plain}` }, 'planted'),
    ];
    expect(found.map((f) => f.path)).toEqual(expect.arrayContaining(['planted.sealedToken', 'planted.cause']));
  });

  it('hold no canary in any encoding', () => {
    for (const f of [...sealedFields(a), ...sealedFields(b), ...sealedFields(c)]) {
      const leaks = scanForLeaks(JSON.stringify(f.sealed), [{ label: 'canary', value: CANARY }]);
      expect(leaks, `${f.path}: ${describeLeaks(leaks)}`).toEqual([]);
    }
  });

  it('open under their own mapping and purpose (the control: the fields are real seals)', async () => {
    const data = sealedFields(a).find((f) => f.purpose === 'secret-data')!;
    const opened = await unseal(keysOf(a), { mappingId: a.id, purpose: 'secret-data' }, data.sealed);
    expect(opened.includes(Buffer.from(CANARY))).toBe(true);
  });

  it("do not open under another mapping's context, even with the right key", async () => {
    for (const f of sealedFields(a)) {
      await expect(unseal(keysOf(a), { mappingId: b.id, purpose: f.purpose }, f.sealed), f.path).rejects.toThrow();
    }
  });

  it('do not open under another purpose of the same mapping (the encryption context binds the purpose)', async () => {
    for (const f of sealedFields(a)) {
      await expect(
        unseal(keysOf(a), { mappingId: a.id, purpose: 'eks-token' as never }, f.sealed),
        f.path,
      ).rejects.toThrow();
    }
  });

  it("do not open with another mapping's key", async () => {
    const f = sealedFields(a).find((x) => x.purpose === 'secret-data')!;
    await expect(unseal(keysOf(b), { mappingId: a.id, purpose: 'secret-data' }, f.sealed)).rejects.toThrow();
  });

  it('differ between two seals of the same value (fresh data key and IV each time)', () => {
    const fetched = a.executions.map(
      (e) => e.events.find((ev) => ev.type === 'StateExited' && ev.state.name === 'FetchSecret').state.output.fetched,
    );
    expect(fetched).toHaveLength(2);
    const [one, two] = fetched.map((f) => f.sealedData as Sealed);
    expect(fetched[0].source.versionId).toBe(fetched[1].source.versionId);
    expect(one!.data).not.toBe(two!.data);
    expect(one!.key).not.toBe(two!.key);
    expect(one!.iv).not.toBe(two!.iv);
  });

  it('leave no secret material on any surface of these executions', () => {
    const inputs = lambdaInputs.map((x) => JSON.stringify(x.input));
    expectNoSecretMaterial([...[a, b, c].map((m) => m.captured()), ...inputs].join('\n'), [CANARY], 1000);
  });
});
