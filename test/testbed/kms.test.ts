// The hand-written KMS adapter (functions/adapters/kms.ts) against references we
// did not write: moto's KMS for the protocol and its errors, botocore's SigV4
// signer (in the test bed's venv) for the signature, and real sockets for
// timeouts and refused connections.
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsEndpoint, kmsKeyService, type KmsOptions } from '../../functions/adapters/kms.ts';
import { seal, unseal } from '../../functions/adapters/seal.ts';
import { venvDir } from '../../testbed/paths.ts';

const CONTEXT = { mappingId: 'kms-test', purpose: 'secret-data' } as const;

function motoOptions(): KmsOptions {
  const tb = inject('testbed');
  return { region: tb.moto.region, endpoint: tb.moto.url, credentials: async () => tb.moto.credentials };
}

/** A loopback HTTP server answering every request with `answer`; records what it got. */
async function fakeKms(answer: (res: import('node:http').ServerResponse) => void) {
  const seen: { headers: IncomingHttpHeaders; body: string; url: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('kmsKeyService against moto', () => {
  let keyId: string;
  beforeAll(async () => {
    const tb = inject('testbed');
    const kms = new KMSClient({ region: tb.moto.region, endpoint: tb.moto.url, credentials: tb.moto.credentials });
    keyId = (await kms.send(new CreateKeyCommand({ Description: 'kms adapter test' }))).KeyMetadata!.Arn!;
    kms.destroy();
  });

  it('seals and unseals through GenerateDataKey and Decrypt', async () => {
    const keys = kmsKeyService(keyId, motoOptions());
    const sealed = await seal(keys, CONTEXT, Buffer.from('{"password":"s3cr3t"}'));

    expect(Buffer.from(sealed.key, 'base64').length).toBeGreaterThan(32);
    expect((await unseal(keys, CONTEXT, sealed)).toString()).toBe('{"password":"s3cr3t"}');
  });

  it('refuses to open a seal under another encryption context (InvalidCiphertextException, not retried)', async () => {
    const keys = kmsKeyService(keyId, motoOptions());
    const sealed = await seal(keys, CONTEXT, Buffer.from('x'));

    const e = await unseal(keys, { ...CONTEXT, mappingId: 'someone-else' }, sealed).catch((err: Error) => err);

    expect(e).toMatchObject({ name: 'InvalidInputError' });
    expect((e as Error).message).toMatch(/^kms:Decrypt on arn:aws:kms:\S+ failed: InvalidCiphertextException/);
  });

  it('reports an unknown key as NotFoundError naming the key', async () => {
    const region = inject('testbed').moto.region;
    const missing = `arn:aws:kms:${region}:123456789012:key/00000000-0000-0000-0000-000000000000`;
    const e = await kmsKeyService(missing, motoOptions())
      .generateDataKey(CONTEXT)
      .catch((err: Error) => err);

    expect(e).toMatchObject({ name: 'NotFoundError' });
    expect((e as Error).message).toContain(`kms:GenerateDataKey on ${missing} failed: NotFoundException`);
  });
});

describe('kmsKeyService request signing', () => {
  it('signs exactly as botocore SigV4Auth signs the same request', async () => {
    const fake = await fakeKms((res) =>
      res
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end('{"Plaintext":"AA==","CiphertextBlob":"AQ=="}'),
    );
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: 'session/token+=',
    };
    try {
      await kmsKeyService('alias/app', {
        region: 'eu-west-1',
        endpoint: fake.url,
        credentials: async () => credentials,
      }).generateDataKey(CONTEXT);
      const [got] = fake.seen;

      const reference = botocoreAuthorization({
        url: `${fake.url}${got!.url}`,
        headers: Object.fromEntries(
          Object.entries(got!.headers).filter(([k]) => !['authorization', 'connection'].includes(k)),
        ),
        body: got!.body,
        region: 'eu-west-1',
        ...credentials,
      });

      expect(got!.headers['x-amz-target']).toBe('TrentService.GenerateDataKey');
      expect(JSON.parse(got!.body)).toStrictEqual({
        KeyId: 'alias/app',
        KeySpec: 'AES_256',
        EncryptionContext: CONTEXT,
      });
      expect(got!.headers.authorization).toBe(reference);
    } finally {
      await fake.close();
    }
  });
});

describe('kmsKeyService failures', () => {
  // One attempt unless a test is about retries: each failure is then seen once, without backoff.
  const options = (endpoint: string, more: Partial<KmsOptions> = {}): KmsOptions => ({
    region: 'us-east-1',
    endpoint,
    maxAttempts: 1,
    credentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' }),
    ...more,
  });

  it.each([
    [
      400,
      { __type: 'ThrottlingException', message: 'Rate exceeded' },
      'TransientError',
      'ThrottlingException: Rate exceeded',
    ],
    [
      400,
      { __type: 'com.amazonaws.kms#AccessDeniedException', Message: 'not authorized' },
      'PermissionDeniedError',
      'AccessDeniedException: not authorized',
    ],
    [500, { __type: 'KMSInternalException', message: 'oops' }, 'TransientError', 'KMSInternalException: oops'],
    // A body that is not AWS's JSON is not quoted (a proxy's page can hold anything): its size only.
    [502, '<html>Bad Gateway</html>', 'TransientError', 'HTTP502: a 24-byte answer that is not AWS JSON'],
    [200, 'not json', 'TransientError', 'InternalFailure: the answer is not a JSON object'],
    [
      200,
      { CiphertextBlob: 'AQ==' },
      'TransientError',
      'kms:GenerateDataKey on k failed: InternalFailure: the answer has no Plaintext',
    ],
  ] as const)('answers %i %j with %s', async (status, body, name, detail) => {
    const fake = await fakeKms((res) =>
      res.writeHead(status).end(typeof body === 'string' ? body : JSON.stringify(body)),
    );
    try {
      const e = await kmsKeyService('k', options(fake.url))
        .generateDataKey(CONTEXT)
        .catch((err: Error) => err);

      expect(e).toMatchObject({ name });
      expect((e as Error).message).toContain(detail);
    } finally {
      await fake.close();
    }
  });

  it('retries a throttled call as the SDK does and succeeds on the third attempt', async () => {
    let calls = 0;
    const fake = await fakeKms((res) =>
      ++calls < 3
        ? res.writeHead(400).end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }))
        : res.writeHead(200).end('{"Plaintext":"AA==","CiphertextBlob":"AQ=="}'),
    );
    try {
      const dk = await kmsKeyService('k', options(fake.url, { maxAttempts: undefined })).generateDataKey(CONTEXT);

      expect(Buffer.from(dk.ciphertext)).toStrictEqual(Buffer.of(1));
      expect(fake.seen).toHaveLength(3);
    } finally {
      await fake.close();
    }
  });

  it('gives up after 3 attempts with the last failure, and never retries a permanent one', async () => {
    const fake = await fakeKms((res) =>
      res.writeHead(500).end(JSON.stringify({ __type: 'KMSInternalException', message: 'oops' })),
    );
    const denied = await fakeKms((res) =>
      res.writeHead(400).end(JSON.stringify({ __type: 'AccessDeniedException', message: 'no' })),
    );
    try {
      const e = await kmsKeyService('k', options(fake.url, { maxAttempts: undefined }))
        .generateDataKey(CONTEXT)
        .catch((err: Error) => err);
      const d = await kmsKeyService('k', options(denied.url, { maxAttempts: undefined }))
        .generateDataKey(CONTEXT)
        .catch((err: Error) => err);

      expect(e).toMatchObject({
        name: 'TransientError',
        message: 'kms:GenerateDataKey on k failed: KMSInternalException: oops',
      });
      expect(fake.seen).toHaveLength(3);
      expect(d).toMatchObject({ name: 'PermissionDeniedError' });
      expect(denied.seen).toHaveLength(1);
    } finally {
      await Promise.all([fake.close(), denied.close()]);
    }
  });

  it('fails a call that gets no answer as TransientError after its deadline', async () => {
    const fake = await fakeKms(() => undefined);
    try {
      const started = Date.now();
      const e = await kmsKeyService('k', options(fake.url, { timeoutMs: 300 }))
        .decrypt(Buffer.from('x'), CONTEXT)
        .catch((err: Error) => err);

      expect(e).toMatchObject({ name: 'TransientError' });
      expect((e as Error).message).toBe('kms:Decrypt on k failed: TimeoutError: no answer within 300 ms');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await fake.close();
    }
  });

  it('fails a refused connection as TransientError', async () => {
    const fake = await fakeKms(() => undefined);
    await fake.close();

    const e = await kmsKeyService('k', options(fake.url))
      .decrypt(Buffer.from('x'), CONTEXT)
      .catch((err: Error) => err);

    expect(e).toMatchObject({ name: 'TransientError' });
    expect((e as Error).message).toContain('ECONNREFUSED');
  });
});

describe('kmsEndpoint', () => {
  it.each([
    [{}, 'eu-west-1', 'https://kms.eu-west-1.amazonaws.com'],
    [{}, 'cn-north-1', 'https://kms.cn-north-1.amazonaws.com.cn'],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }, 'eu-west-1', 'http://127.0.0.1:5000'],
    [{ AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_KMS: 'http://b' }, 'eu-west-1', 'http://b'],
  ])('resolves %j in %s to %s, as the SDK does', (env, region, want) => {
    expect(kmsEndpoint(region, env)).toBe(want);
  });
});

/** The Authorization header botocore's SigV4Auth computes for the request, at the request's X-Amz-Date. */
function botocoreAuthorization(input: {
  url: string;
  headers: Record<string, unknown>;
  body: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}): string {
  const sign =
    "botocore.auth.SigV4Auth(Credentials(i['accessKeyId'], i['secretAccessKey'], i.get('sessionToken')), " +
    "'kms', i['region']).add_auth(req)";
  const script = `
import datetime, json, sys
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
i = json.load(sys.stdin)
headers = {k: v for k, v in i['headers'].items() if k not in ('x-amz-date', 'x-amz-security-token')}
at = datetime.datetime.strptime(i['headers']['x-amz-date'], '%Y%m%dT%H%M%SZ')
botocore.auth.get_current_datetime = lambda *a, **k: at
req = AWSRequest(method='POST', url=i['url'], headers=headers, data=i['body'].encode())
${sign}
print(req.headers['Authorization'])
`;
  return execFileSync(join(venvDir, 'bin', 'python'), ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  }).trim();
}
