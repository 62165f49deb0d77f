// Ciphertext, asserted: every sealed field of every state of real executions
// (the deployed ASL, the synthesized bundles, moto's KMS, the real
// kube-apiserver) holds no canary in any encoding, opens under its own
// mapping's context only (another mapping, another purpose: refused by KMS),
// and two seals of the same value differ. The KMS requests themselves, recorded
// by a proxy in front of moto, carry each mapping's own encryption context: the
// contract the key policy's conditions rest on, which opening alone cannot show
// (a context without mappingId would open just as well).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsKeyService } from '../../functions/adapters/kms.ts';
import { unseal } from '../../functions/adapters/seal.ts';
import type { Sealed, SealContext } from '../../functions/domain/ports.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { describeLeaks, scanForLeaks } from '../support/leak-scanner.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';
import { FaultProxy } from '../../testbed/fault-proxy.ts';
import { TAG } from '../support/fault-matrix.ts';

const CANARY = `sealing-canary-${Date.now().toString(36)}-do-not-log`;
const mappings: LocalMapping[] = [];
let a: LocalMapping;
let b: LocalMapping;
let kms: FaultProxy;

/** A mapping whose steps reach moto through the recording proxy, each step's calls tagged `<step>_<mapping>`. */
function throughKmsRecorder(id: string, secretString: string) {
  const functionEnv = Object.fromEntries(
    Object.entries(TAG).map(([step, tag]) => [step, { AWS_ENDPOINT_URL: kms.url(`${tag}_${id}`) }]),
  );
  return TestMapping.create({ id, secretString, functionEnv });
}

/** A sealed field as found in an execution: where, and what it should open as. */
interface Found {
  readonly mapping: LocalMapping;
  readonly path: string;
  readonly purpose: SealContext['purpose'];
  readonly sealed: Sealed;
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
      found.push({ mapping: m, path, purpose: /token/i.test(path) ? 'eks-token' : 'secret-data', sealed: x });
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
  mappings.push(a, b);
  // Two executions of A on the same version: the same value sealed twice.
  expect((await a.run({})).status).toBe('SUCCEEDED');
  expect((await a.run({})).status).toBe('SUCCEEDED');
  expect((await b.run({})).status).toBe('SUCCEEDED');
});

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
  await kms?.stop();
});

describe('sealed fields in the state', () => {
  it('are found in the executions: sealed data and sealed tokens of both mappings', () => {
    const all = [...sealedFields(a), ...sealedFields(b)];
    expect(all.filter((f) => f.purpose === 'secret-data').length).toBeGreaterThanOrEqual(3);
    expect(all.filter((f) => f.purpose === 'eks-token').length).toBeGreaterThanOrEqual(3);
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
      // What seals (FetchSecret the data, MintToken the token) and what opens (ReadSecret and ApplySecret both);
      // PlanMerge works on names and hashes and calls no KMS.
      expect(calls).toStrictEqual(
        [
          `ApplySecret Decrypt ${ctx(m.id, 'eks-token')}`,
          `ApplySecret Decrypt ${ctx(m.id, 'secret-data')}`,
          `FetchSecret GenerateDataKey ${ctx(m.id, 'secret-data')}`,
          `MintToken GenerateDataKey ${ctx(m.id, 'eks-token')}`,
          `ReadSecret Decrypt ${ctx(m.id, 'eks-token')}`,
          `ReadSecret Decrypt ${ctx(m.id, 'secret-data')}`,
        ].sort(),
      );
    }
  });

  it('hold no canary in any encoding', () => {
    for (const f of [...sealedFields(a), ...sealedFields(b)]) {
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

  it('do not open under the other purpose of the same mapping', async () => {
    for (const f of sealedFields(a)) {
      const other = f.purpose === 'eks-token' ? 'secret-data' : 'eks-token';
      await expect(unseal(keysOf(a), { mappingId: a.id, purpose: other }, f.sealed), f.path).rejects.toThrow();
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
    expectNoSecretMaterial([a, b].map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
