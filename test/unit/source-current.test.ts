// The source port's `current` (what the CLI's `status` reads) over the Secrets Manager provider, against a local
// server speaking Secrets Manager's JSON protocol: the current version, its creation date and a pending deletion,
// metadata only; a refusal becomes a named error that says which call on which secret.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDeniedError } from '../../functions/domain/errors.ts';
import { openSource } from '../../functions/sources/open.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config-AbCdEf';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example-key' };

/** What the server answers, by X-Amz-Target operation; set per test. */
let answers: Record<string, { status: number; body: unknown }> = {};
const asked: string[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').replace('secretsmanager.', '');
    asked.push(op);
    req.resume();
    req.on('end', () => {
      const a = answers[op] ?? { status: 400, body: { __type: 'InvalidRequestException', message: `no ${op}` } };
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function current() {
  const { source, close } = openSource('secretsManager', { region: 'us-east-1', endpoint: url, credentials });
  try {
    return await source.current(ARN);
  } finally {
    close();
  }
}

const CREATED = Date.parse('2026-11-23T13:00:00Z') / 1000;
const versions = (...stages: string[][]) => ({
  status: 200,
  body: {
    ARN,
    Versions: stages.map((s, i) => ({ VersionId: `v${i + 1}`, VersionStages: s, CreatedDate: CREATED + i * 60 })),
  },
});

describe("the Secrets Manager source's current version", () => {
  it('is the AWSCURRENT version with its creation date, and no deletion when none is pending', async () => {
    answers = {
      DescribeSecret: { status: 200, body: { ARN, Name: 'app/config' } },
      ListSecretVersionIds: versions(['AWSPREVIOUS'], ['AWSCURRENT']),
    };
    expect(await current()).toStrictEqual({ currentVersionId: 'v2', createdDate: '2026-11-23T13:01:00.000Z' });
  });

  it('carries the deletion date of a secret scheduled for deletion', async () => {
    answers = {
      DescribeSecret: { status: 200, body: { ARN, DeletedDate: Date.parse('2026-12-01T00:00:00Z') / 1000 } },
      ListSecretVersionIds: versions(['AWSCURRENT']),
    };
    expect(await current()).toStrictEqual({
      currentVersionId: 'v1',
      createdDate: '2026-11-23T13:00:00.000Z',
      deletedDate: '2026-12-01T00:00:00.000Z',
    });
  });

  it('names no version when none carries AWSCURRENT', async () => {
    answers = { DescribeSecret: { status: 200, body: { ARN } }, ListSecretVersionIds: versions(['AWSPENDING']) };
    expect(await current()).toStrictEqual({});
  });

  it('never asks for a value', async () => {
    asked.length = 0;
    answers = { DescribeSecret: { status: 200, body: { ARN } }, ListSecretVersionIds: versions(['AWSCURRENT']) };
    await current();
    expect(asked).toStrictEqual(['DescribeSecret', 'ListSecretVersionIds']);
  });

  it('turns a refusal into PermissionDeniedError naming the call and the secret', async () => {
    answers = {
      DescribeSecret: { status: 200, body: { ARN } },
      ListSecretVersionIds: { status: 400, body: { __type: 'AccessDeniedException', message: 'not authorized' } },
    };
    const error = await current().catch((e: Error) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as Error).message).toContain(`secretsmanager:ListSecretVersionIds on ${ARN}`);
  });
});
