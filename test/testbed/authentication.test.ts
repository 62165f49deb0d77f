// EKS-like authentication on the test bed: the apiserver accepts the
// k8s-aws-v1 tokens the product signs, through aws-iam-authenticator's
// verifier, and maps the role to the access entry's username and groups.
import { describe, expect, inject, it } from 'vitest';
import { kube, tokenFor } from '../support/kube.ts';

async function whoAmI(token: string) {
  return kube(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
}

function decodeUrl(token: string): URL {
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
}

function encodeUrl(url: URL | string): string {
  return `k8s-aws-v1.${Buffer.from(url.toString(), 'utf8').toString('base64url')}`;
}

describe('EKS token authentication', () => {
  it('accepts a freshly minted token as the access entry maps the role', async () => {
    const id = inject('testbed').identities.sync;
    const r = await whoAmI(await tokenFor('sync'));
    expect(r.status).toBe(201);
    expect(r.body.status.userInfo.username).toBe(id.username);
    expect(r.body.status.userInfo.groups).toEqual(expect.arrayContaining([...id.groups!, 'system:authenticated']));
    expect(r.body.status.userInfo.extra.canonicalArn).toEqual([id.roleArn]);
  });

  it('tells two mapped roles apart', async () => {
    const r = await whoAmI(await tokenFor('other'));
    expect(r.status).toBe(201);
    expect(r.body.status.userInfo.username).toBe(inject('testbed').identities.other.username);
  });

  it.each([
    [
      'a tampered signature',
      async () => {
        const url = decodeUrl(await tokenFor('sync'));
        const sig = url.searchParams.get('X-Amz-Signature')!;
        url.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
        return encodeUrl(url);
      },
    ],
    [
      'a tampered query (another session token)',
      async () => {
        const url = decodeUrl(await tokenFor('sync'));
        url.searchParams.set('X-Amz-Security-Token', 'forged');
        return encodeUrl(url);
      },
    ],
    ['an expired date (minted 16 minutes ago)', () => tokenFor('sync', { now: new Date(Date.now() - 16 * 60_000) })],
    ['a token minted for another cluster', () => tokenFor('sync', { clusterName: 'another-cluster' })],
    ['a role with no access entry', () => tokenFor('unmapped')],
    [
      'a non-STS host',
      async () => {
        const url = decodeUrl(await tokenFor('sync'));
        url.host = 'sts.example.com';
        return encodeUrl(url);
      },
    ],
    [
      'X-Amz-Expires over 900',
      async () => {
        const url = decodeUrl(await tokenFor('sync'));
        url.searchParams.set('X-Amz-Expires', '3600');
        return encodeUrl(url);
      },
    ],
    ['padding in the base64url', async () => `${await tokenFor('sync')}==`],
    ['a missing prefix', async () => (await tokenFor('sync')).slice('k8s-aws-v1.'.length)],
  ])('refuses %s with 401', async (_what, make) => {
    const r = await whoAmI(await make());
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });
});

// Issue 25: a token signed for another region's STS host, as a Kubernetes step signs it for a cluster of another
// region.
// aws-iam-authenticator v0.7.13 (pkg/token/token.go verifySTSHostnameFormat) accepts the regional STS hosts of any
// region of its partition, whatever its own region, and refuses a host of another partition.
describe('EKS token authentication across regions', () => {
  it.each(['eu-west-1', 'ap-southeast-2'])(
    'accepts a token signed for %s (another region of the partition)',
    async (region) => {
      const token = await tokenFor('sync', { region });
      expect(decodeUrl(token).host).toBe(`sts.${region}.amazonaws.com`);
      const r = await whoAmI(token);
      expect(r.status).toBe(201);
      expect(r.body.status.userInfo.username).toBe(inject('testbed').identities.sync.username);
    },
  );

  it.each([
    ['cn-north-1', 'sts.cn-north-1.amazonaws.com.cn'],
    ['us-iso-east-1', 'sts.us-iso-east-1.c2s.ic.gov'],
  ])('refuses a correctly signed token for %s, whose host is of another partition (control)', async (region, host) => {
    const token = await tokenFor('sync', { region });
    expect(decodeUrl(token).host).toBe(host);
    const r = await whoAmI(token);
    expect(r.status).toBe(401);
  });
});

describe('the test bed connection details', () => {
  it('carries a working token per mapped identity', async () => {
    const tb = inject('testbed');
    const r = await whoAmI(tb.tokens.sync.token);
    expect(r.status).toBe(201);
    expect(r.body.status.userInfo.username).toBe(tb.identities.sync.username);
    expect((await whoAmI(tb.tokens.unmapped.token)).status).toBe(401);
  });
});
