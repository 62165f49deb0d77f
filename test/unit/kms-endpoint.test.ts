// A function in a VPC with a stack-made KMS endpoint gets that endpoint's URL in KMS_ENDPOINT_URL
// (infra/constructs/vpc-endpoints.ts): its handler must send its KMS calls there, not to AWS_ENDPOINT_URL or the
// regional endpoint. Each Kubernetes handler is loaded with both set, each to a local server that records what
// reaches it. Only the handlers that open the sealed data call KMS at all: no token is sealed, so the restart
// (which opens nothing) makes no KMS call.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { seal } from '../../functions/adapters/seal.ts';
import { ENV, PLATFORM_ENV } from '../../functions/runtime/env-contract.ts';
import { FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';

/** The functions in a VPC that open sealed data (a kms:Decrypt each), and those that open nothing. */
const OPENING_KINDS = FUNCTION_STEPS.filter((s) => s.inVpc && s.opens.length > 0).map((s) => s.kind);
const NOT_OPENING_KINDS = FUNCTION_STEPS.filter((s) => s.inVpc && s.opens.length === 0).map((s) => s.kind);

interface Recorder {
  readonly server: Server;
  readonly url: string;
  readonly targets: string[];
}

/** A server that answers every call like KMS refusing it, and records the X-Amz-Target of each. */
async function recorder(): Promise<Recorder> {
  const targets: string[] = [];
  const server = createServer((req, res) => {
    targets.push(String(req.headers['x-amz-target']));
    req.resume();
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'recorded' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
}

const ENVIRONMENT = {
  [ENV.mappingId]: 'app',
  [ENV.sealKeyId]: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  [ENV.restartTargets]: '["deployment/api"]',
  [ENV.clusterEndpoints]: '["https://example.invalid"]',
  [ENV.kubeTimeoutMs]: '2000',
  [PLATFORM_ENV.region]: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

let endpoint: Recorder;
let fallback: Recorder;
let sealedData: unknown;

beforeAll(async () => {
  [endpoint, fallback] = [await recorder(), await recorder()];
  // A well-formed envelope under a made-up data key: opening it is a kms:Decrypt call.
  const keys = {
    generateDataKey: async () => ({ plaintext: Buffer.alloc(32, 7), ciphertext: Buffer.from('wrapped-key') }),
    decrypt: async () => Buffer.alloc(32, 7),
  };
  sealedData = await seal(keys, { mappingId: 'app', purpose: 'secret-data' }, Buffer.from('{"a":"Yg=="}'));
});

afterAll(() => {
  endpoint.server.close();
  fallback.server.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
  endpoint.targets.length = 0;
  fallback.targets.length = 0;
});

async function invoke(kind: string, kmsEndpointUrl: string | undefined): Promise<unknown> {
  for (const [name, value] of Object.entries(ENVIRONMENT)) vi.stubEnv(name, value);
  vi.stubEnv('AWS_ENDPOINT_URL', fallback.url);
  if (kmsEndpointUrl !== undefined) vi.stubEnv(ENV.kmsEndpointUrl, kmsEndpointUrl);
  vi.resetModules();
  const { handler } = await import(`../../functions/${kind}/handler.ts`);
  const input = {
    sealedData,
    source: { arn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:app-AbCdEf', versionId: 'v1' },
    plan: { action: 'create' },
    versionId: 'v1',
    requestedAt: new Date().toISOString(),
    // The target and its cluster, as the state machine's Map item carries them.
    target: { name: 'c/app/app', cluster: 'c', namespace: 'app', secretName: 'app' },
    clusters: {
      c: { endpoint: 'https://example.invalid', ca: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') },
    },
  };
  return handler(input).catch((e: Error) => e);
}

describe('the KMS endpoint of a function in a VPC', () => {
  // The functions in a VPC: the step table's rows that call an API server.
  it('are read-secret and apply-secret; restart-workloads opens nothing', () => {
    expect(OPENING_KINDS).toStrictEqual(['read-secret', 'apply-secret']);
    expect(NOT_OPENING_KINDS).toStrictEqual(['restart-workloads']);
  });

  it.each(OPENING_KINDS)('%s calls KMS at KMS_ENDPOINT_URL', async (kind) => {
    const outcome = await invoke(kind, endpoint.url);
    expect(outcome).toMatchObject({ name: 'PermissionDeniedError' });
    expect(endpoint.targets).toContain('TrentService.Decrypt');
    expect(fallback.targets).toStrictEqual([]);
  });

  it.each(NOT_OPENING_KINDS)('%s calls KMS nowhere (it signs its token, it opens no seal)', async (kind) => {
    const outcome = await invoke(kind, endpoint.url);
    // It got as far as the cluster (not reachable here: the request fails), never to KMS.
    expect(outcome).toMatchObject({ name: 'TransientError' });
    expect((outcome as Error).message).toContain('https://example.invalid failed');
    expect([endpoint.targets, fallback.targets]).toStrictEqual([[], []]);
  });

  it('goes to the default endpoint setting when KMS_ENDPOINT_URL is not set (control)', async () => {
    await invoke('apply-secret', undefined);
    expect(fallback.targets).toContain('TrentService.Decrypt');
    expect(endpoint.targets).toStrictEqual([]);
  });
});
