// CLUSTER_REGIONS (issue 25) of the Kubernetes functions (read-secret, apply-secret, restart-workloads): the region
// each cluster's token is signed for, the function's own by default; the token's STS host follows it. Each function
// signs its own token at the call (functions/runtime/signer.ts); the handlers are run here up to their request to
// the cluster, whose bearer token is read off the request.
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mintEksToken } from '../../functions/adapters/eks-token.ts';
import { seal } from '../../functions/adapters/seal.ts';
import { FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';
import { ENV, FUNCTION_ENV, PLATFORM_ENV } from '../../functions/runtime/env-contract.ts';
import { clusterRegionsOf } from '../../functions/runtime/env.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const hostOf = (token: string) =>
  new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8')).host;

describe('clusterRegionsOf', () => {
  it.each([
    [undefined, 'home', 'us-east-1'],
    ['{"eu":"eu-west-1"}', 'eu', 'eu-west-1'],
    ['{"eu":"eu-west-1"}', 'home', 'us-east-1'],
    ['{"eu":"eu-west-1"}', 'constructor', 'us-east-1'],
  ])('gives %s for cluster %s the region %s', (json, cluster, region) => {
    expect(clusterRegionsOf(json, 'us-east-1')(cluster)).toBe(region);
  });

  it.each(['[]', '{"eu":"not a region"}', 'not json', '{"eu":1}'])('refuses %s, naming the variable', (json) => {
    expect(() => clusterRegionsOf(json, 'us-east-1')).toThrow(
      `environment variable ${ENV.clusterRegions} is not a JSON object of cluster name -> region; redeploy the stack`,
    );
  });

  it("signs a cluster's token for its region's STS host, and the others for the function's (control)", async () => {
    const regionOf = clusterRegionsOf('{"eu":"eu-west-1"}', 'us-east-1');
    const eu = await mintEksToken({ clusterName: 'eu', region: regionOf('eu'), credentials });
    const home = await mintEksToken({ clusterName: 'home', region: regionOf('home'), credentials });
    expect(hostOf(eu.token)).toBe('sts.eu-west-1.amazonaws.com');
    expect(hostOf(home.token)).toBe('sts.us-east-1.amazonaws.com');
  });
});

/** The Kubernetes functions: the step table's rows that call an API server. */
const KUBE_KINDS = FUNCTION_STEPS.filter((s) => s.inVpc).map((s) => s.kind);

/** The bearer tokens of the requests this process starts, by host. */
const bearers: { host: string; token: string }[] = [];
const onRequest = (m: unknown) => {
  const req = (m as { request: ClientRequest }).request;
  const auth = req.getHeader('authorization');
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) bearers.push({ host: req.host, token: auth.slice(7) });
};
/** A KMS that opens every data key to the same 32 bytes (the data below is sealed under them). */
let kms: Server;
let kmsUrl: string;
let sealedData: unknown;
const DATA_KEY = Buffer.alloc(32, 7);

beforeAll(async () => {
  diagnostics.subscribe('http.client.request.start', onRequest);
  kms = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ KeyId: 'k', Plaintext: DATA_KEY.toString('base64') }));
  });
  await new Promise<void>((resolve) => kms.listen(0, '127.0.0.1', resolve));
  kmsUrl = `http://127.0.0.1:${(kms.address() as AddressInfo).port}`;
  const keys = {
    // Copies: seal zeroes the data key it used.
    generateDataKey: async () => ({ plaintext: Buffer.from(DATA_KEY), ciphertext: Buffer.from('wrapped-key') }),
    decrypt: async () => Buffer.from(DATA_KEY),
  };
  sealedData = await seal(keys, { mappingId: 'app', purpose: 'secret-data' }, Buffer.from('{"a":"Yg=="}'));
});

afterAll(() => {
  diagnostics.unsubscribe('http.client.request.start', onRequest);
  kms.close();
});

afterEach(() => {
  bearers.length = 0;
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** Runs a Kubernetes handler for a target of cluster `cluster` (whose API server is not reachable here). */
async function invoke(kind: string, cluster: string, regions: string | undefined): Promise<Error> {
  const env: Record<string, string> = {
    [ENV.mappingId]: 'app',
    [ENV.sealKeyId]: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    [ENV.kmsEndpointUrl]: kmsUrl,
    [ENV.restartTargets]: '["deployment/api"]',
    [ENV.clusterEndpoints]: '["https://example.invalid"]',
    [ENV.kubeTimeoutMs]: '2000',
    [PLATFORM_ENV.region]: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(regions !== undefined && { [ENV.clusterRegions]: regions }),
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const { handler } = await import(`../../functions/${kind}/handler.ts`);
  const input = {
    sealedData,
    source: { arn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:app-AbCdEf', versionId: 'v1' },
    plan: { action: 'create', added: ['a'], updated: [], pruned: [], annotations: {}, labels: {} },
    versionId: 'v1',
    requestedAt: new Date().toISOString(),
    target: { name: `${cluster}/app/app`, cluster, namespace: 'app', secretName: 'app' },
    clusters: {
      [cluster]: {
        endpoint: 'https://example.invalid',
        ca: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64'),
      },
    },
  };
  return handler(input).then(
    () => new Error('expected the unreachable cluster to fail the call'),
    (e: Error) => e,
  );
}

describe('the Kubernetes functions sign for the cluster’s region (functions/runtime/signer.ts)', () => {
  it('are the three that read CLUSTER_REGIONS, and no other function reads it', () => {
    expect(KUBE_KINDS).toStrictEqual(['read-secret', 'apply-secret', 'restart-workloads']);
    const readers = Object.entries(FUNCTION_ENV)
      .filter(([, c]) => (c.optional as readonly string[]).includes(ENV.clusterRegions))
      .map(([k]) => k);
    expect(readers).toStrictEqual(KUBE_KINDS);
  });

  it.each(KUBE_KINDS)("%s calls a cluster of CLUSTER_REGIONS with a token for that region's STS", async (kind) => {
    const e = await invoke(kind, 'eu', '{"eu":"eu-west-1"}');

    // It reached the cluster's endpoint (not resolvable here) with a token it signed: one call, or the restart's one
    // per workload, each with the same token.
    expect(e.name).toBe('TransientError');
    const calls = bearers.filter((b) => b.host === 'example.invalid');
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => hostOf(c.token)))).toStrictEqual(new Set(['sts.eu-west-1.amazonaws.com']));
    // No message holds the token.
    expect(e.message).not.toContain('k8s-aws-v1.');
  });

  it.each(KUBE_KINDS)("%s signs for the function's region without CLUSTER_REGIONS (control)", async (kind) => {
    await invoke(kind, 'eu', undefined);

    const calls = bearers.filter((b) => b.host === 'example.invalid');
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => hostOf(c.token)))).toStrictEqual(new Set(['sts.us-east-1.amazonaws.com']));
  });
});
