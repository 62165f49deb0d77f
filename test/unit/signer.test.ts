// The token signer of the Kubernetes functions (functions/runtime/signer.ts): each presigns its own EKS token at the
// call with its role's credentials (Lambda puts them in the environment), for the cluster's region (CLUSTER_REGIONS,
// else the function's), as a local SigV4 computation: no request to STS or anywhere else.
import diagnostics from 'node:diagnostics_channel';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLUSTER_ID_HEADER, mintEksToken, TOKEN_PREFIX } from '../../functions/adapters/eks-token.ts';
import { ENV, PLATFORM_ENV } from '../../functions/runtime/env-contract.ts';
import { identitySignerFrom } from '../../functions/runtime/signer.ts';

const NOW = new Date('2026-11-23T14:00:00.000Z');
const CREDENTIALS = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjE+/=session',
};
const REGIONS = { [ENV.clusterRegions]: '{"eu":"eu-west-1"}' };

/** The pre-signed URL a token encodes. */
const urlOf = (token: string) => new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));

/** Every HTTP request this process starts (node:http and fetch/undici alike), by URL or host. */
const requests: string[] = [];
const onHttp = (m: unknown) => {
  const r = (m as { request: { host?: string; path?: string } }).request;
  requests.push(`http ${r.host ?? ''}${r.path ?? ''}`);
};
const onUndici = (m: unknown) => {
  const r = (m as { request: { origin?: string; path?: string } }).request;
  requests.push(`undici ${r.origin ?? ''}${r.path ?? ''}`);
};
let recorder: Server;
let recorderUrl: string;

beforeAll(async () => {
  diagnostics.subscribe('http.client.request.start', onHttp);
  diagnostics.subscribe('undici:request:create', onUndici);
  // Where an STS call would go if the SDK's endpoint settings were followed: a local server that answers anything.
  recorder = createServer((req, res) => {
    req.resume();
    res.end('{}');
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
});

afterAll(() => {
  diagnostics.unsubscribe('http.client.request.start', onHttp);
  diagnostics.unsubscribe('undici:request:create', onUndici);
  recorder.close();
});

beforeEach(() => {
  requests.length = 0;
  vi.stubEnv(PLATFORM_ENV.region, 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', CREDENTIALS.sessionToken);
  vi.stubEnv('AWS_ENDPOINT_URL', recorderUrl);
  vi.stubEnv('AWS_ENDPOINT_URL_STS', recorderUrl);
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('identitySignerFrom', () => {
  it("signs a cluster's token for its own region (CLUSTER_REGIONS), byte for byte the token of that region", async () => {
    const signerFor = identitySignerFrom(REGIONS);

    const { token, expiresAt } = await signerFor('eu').mint();

    // The same token mintEksToken makes (checked against `aws eks get-token` in eks-token.test.ts).
    const expected = await mintEksToken({ clusterName: 'eu', region: 'eu-west-1', credentials: CREDENTIALS, now: NOW });
    expect(token).toBe(expected.token);
    expect(expiresAt).toBe('2026-11-23T14:14:00Z');
    const url = urlOf(token);
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      `${CREDENTIALS.accessKeyId}/20261123/eu-west-1/sts/aws4_request`,
    );
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe(`host;${CLUSTER_ID_HEADER}`);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(CREDENTIALS.sessionToken);
    // Control: the token of the same cluster signed for another region differs.
    const other = await mintEksToken({ clusterName: 'eu', region: 'us-east-1', credentials: CREDENTIALS, now: NOW });
    expect(token).not.toBe(other.token);
  });

  it("signs a cluster CLUSTER_REGIONS does not name, or every cluster without it, for the function's region", async () => {
    const listed = await identitySignerFrom(REGIONS)('home').mint();
    const unset = await identitySignerFrom({})('home').mint();

    const expected = await mintEksToken({
      clusterName: 'home',
      region: 'us-east-1',
      credentials: CREDENTIALS,
      now: NOW,
    });
    expect([listed.token, unset.token]).toStrictEqual([expected.token, expected.token]);
    expect(urlOf(unset.token).host).toBe('sts.us-east-1.amazonaws.com');
  });

  it('binds each token to its cluster: two clusters of one region get different signatures', async () => {
    const signerFor = identitySignerFrom({});

    const [a, b] = [await signerFor('prod').mint(), await signerFor('staging').mint()];

    expect(urlOf(a.token).searchParams.get('X-Amz-Signature')).not.toBe(
      urlOf(b.token).searchParams.get('X-Amz-Signature'),
    );
  });

  it("resolves the role's credentials at each call (Lambda's rotate), signing a new token each time", async () => {
    const signer = identitySignerFrom({})('prod');
    const first = await signer.mint();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAROTATEDEXAMPLE00');
    vi.setSystemTime(new Date(NOW.getTime() + 60_000));

    const second = await signer.mint();

    expect(urlOf(first.token).searchParams.get('X-Amz-Credential')).toMatch(/^ASIAIOSFODNN7EXAMPLE\//);
    expect(urlOf(second.token).searchParams.get('X-Amz-Credential')).toMatch(/^ASIAROTATEDEXAMPLE00\//);
    expect(second.expiresAt).toBe('2026-11-23T14:15:00Z');
  });

  it('makes no request: no STS call, no call anywhere (a local computation)', async () => {
    const signerFor = identitySignerFrom(REGIONS);

    await signerFor('eu').mint();
    await signerFor('home').mint();

    expect(requests).toStrictEqual([]);
    // Control: a request this process makes is seen (node:http and fetch alike).
    await new Promise<void>((resolve, reject) =>
      request(`${recorderUrl}/control`, (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end(),
    );
    await (await fetch(`${recorderUrl}/fetch-control`)).text();
    expect(requests).toStrictEqual([
      expect.stringMatching(/^http 127\.0\.0\.1.*\/control$/),
      expect.stringMatching(/^undici http:\/\/127\.0\.0\.1:\d+\/fetch-control$/),
    ]);
  });

  it('refuses a malformed CLUSTER_REGIONS or a missing AWS_REGION at init, naming the variable', () => {
    expect(() => identitySignerFrom({ [ENV.clusterRegions]: '{"eu":"not a region"}' })).toThrow(ENV.clusterRegions);
    vi.stubEnv(PLATFORM_ENV.region, '');
    expect(() => identitySignerFrom({})).toThrow(`${PLATFORM_ENV.region} is not set`);
  });

  it('names no credential in the error of a role without credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');

    const e = await identitySignerFrom({})('prod')
      .mint()
      .then(
        () => new Error('expected a rejection'),
        (x: Error) => x,
      );

    expect(e.message).not.toBe('expected a rejection');
    expect(e.message).not.toContain(CREDENTIALS.secretAccessKey);
    expect(e.message).not.toContain(CREDENTIALS.sessionToken);
    expect(e.message).not.toContain(TOKEN_PREFIX);
  });
});
