/**
 * The seal grants resource (functions/seal-grants): which grants it creates and revokes on the key, on an in-memory
 * key that keeps grants as KMS lists them, and the answer it always sends CloudFormation (a local HTTP server as the
 * response URL).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { SealGrantService } from '../../functions/adapters/kms.ts';
import {
  grantChanges,
  parseSealGrants,
  type ListedGrant,
  type SealGrantSpec,
} from '../../functions/domain/seal-grants.ts';
import { type CustomResourceEvent, handler, reconcile } from '../../functions/seal-grants/handler.ts';

const ROLE = (n: string) => `arn:aws:iam::111122223333:role/eks-secret-sync/0123456789ab/Stack-${n}`;
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const grant = (mapping: string, step: string, purpose: string, op = 'Decrypt') => ({
  Name: `eks-secret-sync/${mapping}/${step}/${purpose}`,
  GranteePrincipal: ROLE(`${mapping}${step}`),
  Operations: [op],
  EncryptionContext: { mappingId: mapping, purpose },
});

/** A key's grants, kept as ListGrants returns them. */
class MemoryKey implements SealGrantService {
  readonly grants: ListedGrant[] = [];
  private next = 1;
  async list() {
    return this.grants.map((g) => ({ ...g }));
  }
  async create(spec: SealGrantSpec) {
    const grantId = `g${this.next++}`;
    this.grants.push({
      grantId,
      name: spec.name,
      granteePrincipal: spec.granteePrincipal,
      operations: [...spec.operations],
      encryptionContextEquals: { ...spec.encryptionContext },
    });
    return { grantId, grantToken: `t-${grantId}` };
  }
  async revoke(grantId: string) {
    const i = this.grants.findIndex((g) => g.grantId === grantId);
    if (i >= 0) this.grants.splice(i, 1);
  }
}

const event = (
  type: CustomResourceEvent['RequestType'],
  grants: unknown,
  old?: unknown,
  url = 'http://127.0.0.1:9/x',
): CustomResourceEvent => ({
  RequestType: type,
  ResponseURL: url,
  StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/S/1',
  RequestId: 'r1',
  LogicalResourceId: 'SealGrants',
  PhysicalResourceId: type === 'Create' ? undefined : 'SealGrants-seal-grants',
  ResourceProperties: { ServiceToken: 'x', KeyArn: KEY, Grants: grants },
  OldResourceProperties: old === undefined ? undefined : { ServiceToken: 'x', KeyArn: KEY, Grants: old },
});

const names = (key: MemoryKey) => key.grants.map((g) => g.name).sort();

describe('reconcile', () => {
  it('creates every grant on create, and nothing more on a second run (no duplicate)', async () => {
    const key = new MemoryKey();
    const wanted = [
      grant('a', 'ReadSecret', 'secret-data'),
      grant('a', 'FetchSecret', 'secret-data', 'GenerateDataKey'),
    ];
    expect(await reconcile(key, event('Create', wanted))).toBe(2);
    expect(await reconcile(key, event('Update', wanted, wanted))).toBe(0);
    expect(names(key)).toStrictEqual(wanted.map((g) => g.Name).sort());
    expect(key.grants.find((g) => g.name === wanted[0]!.Name)).toMatchObject({
      granteePrincipal: ROLE('aReadSecret'),
      operations: ['Decrypt'],
      encryptionContextEquals: { mappingId: 'a', purpose: 'secret-data' },
    });
  });

  it("on update revokes a removed mapping's grants and replaces a changed one, leaving others' grants alone", async () => {
    const key = new MemoryKey();
    const before = [grant('a', 'ReadSecret', 'secret-data'), grant('b', 'ReadSecret', 'secret-data')];
    await reconcile(key, event('Create', before));
    await key.create({
      name: 'someone-else',
      granteePrincipal: ROLE('x'),
      operations: ['Decrypt'],
      encryptionContext: { mappingId: 'a', purpose: 'secret-data' },
    });
    const after = [{ ...grant('a', 'ReadSecret', 'secret-data'), Operations: ['Decrypt', 'GenerateDataKey'] }];
    expect(await reconcile(key, event('Update', after, before))).toBe(1);
    expect(names(key)).toStrictEqual(['eks-secret-sync/a/ReadSecret/secret-data', 'someone-else']);
    expect(key.grants.find((g) => g.name === after[0]!.Name)!.operations).toStrictEqual(['Decrypt', 'GenerateDataKey']);
  });

  it('revokes every grant it named on delete', async () => {
    const key = new MemoryKey();
    const wanted = [
      grant('a', 'ReadSecret', 'secret-data'),
      grant('a', 'FetchSecret', 'secret-data', 'GenerateDataKey'),
    ];
    await reconcile(key, event('Create', wanted));
    expect(await reconcile(key, event('Delete', wanted))).toBe(0);
    expect(key.grants).toStrictEqual([]);
  });

  it("on the token-free upgrade revokes the eks-token grants and moves the data's to the identity role", async () => {
    const key = new MemoryKey();
    // The release before: a sealed token (MintToken seals it, the Kubernetes steps open it) beside the data.
    const before = [
      grant('a', 'FetchSecret', 'secret-data', 'GenerateDataKey'),
      grant('a', 'MintToken', 'eks-token', 'GenerateDataKey'),
      grant('a', 'ReadSecret', 'secret-data'),
      grant('a', 'ReadSecret', 'eks-token'),
      grant('a', 'ApplySecret', 'secret-data'),
      grant('a', 'ApplySecret', 'eks-token'),
      grant('a', 'RestartWorkloads', 'eks-token'),
    ];
    await reconcile(key, event('Create', before));
    const fetchGrant = key.grants.find((g) => g.name?.includes('FetchSecret'))!.grantId;
    // Now: no token purpose; ReadSecret and ApplySecret run as the mapping's identity (the role kept at MintToken).
    const identity = ROLE('aMintToken');
    const after = [
      grant('a', 'FetchSecret', 'secret-data', 'GenerateDataKey'),
      { ...grant('a', 'ReadSecret', 'secret-data'), GranteePrincipal: identity },
      { ...grant('a', 'ApplySecret', 'secret-data'), GranteePrincipal: identity },
    ];

    expect(await reconcile(key, event('Update', after, before))).toBe(2);

    expect(names(key)).toStrictEqual(after.map((g) => g.Name).sort());
    expect(key.grants.filter((g) => g.encryptionContextEquals?.purpose === 'eks-token')).toStrictEqual([]);
    expect(key.grants.filter((g) => g.operations?.includes('Decrypt')).map((g) => g.granteePrincipal)).toStrictEqual([
      identity,
      identity,
    ]);
    // The unchanged grant stays as it was (not revoked and made again).
    expect(key.grants.find((g) => g.name?.includes('FetchSecret'))!.grantId).toBe(fetchGrant);
  });
});

describe('grantChanges', () => {
  it('treats a grant with another context as not the wanted one', () => {
    const [spec] = parseSealGrants([grant('a', 'ReadSecret', 'secret-data')]);
    const listed: ListedGrant[] = [
      {
        grantId: 'g1',
        name: spec!.name,
        granteePrincipal: spec!.granteePrincipal,
        operations: ['Decrypt'],
        encryptionContextEquals: { mappingId: 'b', purpose: 'secret-data' },
      },
    ];
    expect(grantChanges(listed, [spec!], new Set([spec!.name]))).toStrictEqual({ create: [spec], revoke: ['g1'] });
  });
});

describe('parseSealGrants', () => {
  it.each([
    ['not a list', {}, 'Grants must be a list'],
    ['a bad name', [{ ...grant('a', 'R', 'p'), Name: 'a b' }], 'Grants[0].Name'],
    ['no role ARN', [{ ...grant('a', 'R', 'p'), GranteePrincipal: 'role' }], 'Grants[0].GranteePrincipal'],
    ['Encrypt', [{ ...grant('a', 'R', 'p'), Operations: ['Encrypt'] }], 'Grants[0].Operations'],
    ['no context', [{ ...grant('a', 'R', 'p'), EncryptionContext: {} }], 'Grants[0].EncryptionContext'],
  ])('refuses %s, naming the field', (_, value, message) => {
    expect(() => parseSealGrants(value)).toThrow(message);
  });
});

describe('handler', () => {
  /** A local response URL that records what was PUT to it. */
  async function responseUrl(): Promise<{ url: string; bodies: Record<string, unknown>[]; close: () => void }> {
    const bodies: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => {
        text += c;
      });
      req.on('end', () => {
        bodies.push({ method: req.method, ...JSON.parse(text) });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/response`, bodies, close: () => server.close() };
  }

  it('answers FAILED with the reason when the properties are wrong (and never leaves CloudFormation waiting)', async () => {
    const r = await responseUrl();
    try {
      await handler(event('Create', 'not a list', undefined, r.url));
      expect(r.bodies).toStrictEqual([
        expect.objectContaining({
          method: 'PUT',
          Status: 'FAILED',
          Reason: 'Grants must be a list of seal grants',
          PhysicalResourceId: 'SealGrants-seal-grants',
          RequestId: 'r1',
        }),
      ]);
    } finally {
      r.close();
    }
  });
});
