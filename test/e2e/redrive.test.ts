// Redrive end to end: real DLQ messages from failed runs of the deployed ASL,
// the cause fixed, the redrive-sync BUNDLE turning the moved message into a
// StartExecution on moto's Step Functions, and that exact execution input run
// through the pipeline against the real kube-apiserver.
import { StartMessageMoveTaskCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { accessManifests } from '../../infra/model/rbac.ts';
import { adminApply } from '../../testbed/kube-admin.ts';
import { adminToken, kube } from '../support/kube.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';
import { RedriveBed } from '../support/redrive.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: { close(): Promise<void> }[] = [];

async function setUp(opts: Parameters<typeof TestMapping.create>[0], maxAttempts = 3, env?: Record<string, string>) {
  const m = await TestMapping.create(opts);
  const bed = await RedriveBed.create(m, { maxAttempts, env });
  open.push(m, bed);
  return { m, bed };
}

const secretOf = (m: LocalMapping) =>
  kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`);

afterAll(async () => {
  await Promise.all(open.map((x) => x.close()));
});

describe('redrive through the sync-requests queue and the redrive-sync function', () => {
  it("re-runs a failed sync on the secret's current value once the cause is fixed (a good version was put)", async () => {
    const { m, bed } = await setUp({ id: 'redrive-fix', secretString: JSON.stringify({ ok: '0' }) });
    const bad = await m.putSecret({ secretString: JSON.stringify({ 'bad key!': 'x', ok: '1' }) });
    const failed = await m.run(m.labelEvent(bad));
    expect(failed.status).toBe('FAILED');
    const [dead] = await bed.peek(bed.dlqUrl);
    expect(JSON.parse(dead!.body)).toMatchObject({
      mappingId: 'redrive-fix',
      failedStep: 'FetchSecret',
      error: 'InvalidInputError',
      attempt: 1,
    });

    await pause(1100); // Secrets Manager dates have one-second precision
    const good = await m.putSecret({ secretString: JSON.stringify({ ok: '2', more: '3' }) });
    expect(await bed.moveDlq()).toBe(1);
    expect(await bed.deliver()).toStrictEqual({ received: 1, failed: [] });

    const [started, ...more] = await bed.executions();
    expect(more).toHaveLength(0);
    expect(started!.input.attempt).toBe(2);
    expect(started!.input.event).toMatchObject({
      source: 'eks-secret-sync',
      'detail-type': 'Redrive',
      detail: {
        failedStep: 'FetchSecret',
        error: 'InvalidInputError',
        failedAttempt: 1,
        original: { detail: { versionId: bad } },
      },
    });
    expect(started!.name).toMatch(/^redrive-2-[0-9a-f]{32}$/);

    const rerun = await m.run(started!.input.event, started!.input.attempt);
    expect(rerun.status).toBe('SUCCEEDED');
    const s = await secretOf(m);
    expect(s.body.data).toEqual({ ok: b64('2'), more: b64('3') });
    expect(s.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(good);
    expect([
      await bed.depth(bed.dlqUrl),
      await bed.depth(bed.syncRequestsUrl),
      await bed.depth(bed.parkedUrl),
    ]).toStrictEqual([0, 0, 0]);
  });

  it('re-runs a sync denied by RBAC once the Role is applied', async () => {
    const { m, bed } = await setUp({ id: 'redrive-rbac', secretString: JSON.stringify({ a: '1' }), noRbac: true });
    expect((await m.run({ source: 'test' })).status).toBe('FAILED');
    await adminApply(m.details, accessManifests({ id: m.id, namespace: m.namespace, secretName: m.secretName }, m.app));
    await bed.moveDlq();
    await bed.deliver();
    const [started] = await bed.executions();
    expect((await m.run(started!.input.event, started!.input.attempt)).status).toBe('SUCCEEDED');
    expect((await secretOf(m)).body.data).toEqual({ a: b64('1') });
  });

  it('returns a sync that fails again to the DLQ with attempt + 1, and parks it after redriveMaxAttempts instead of looping', async () => {
    const { m, bed } = await setUp({ id: 'redrive-loop', secretString: JSON.stringify({ a: '1' }), noRbac: true }, 3);
    expect((await m.run(m.labelEvent(await m.putSecret({ secretString: JSON.stringify({ a: '2' }) })))).status).toBe(
      'FAILED',
    );

    for (const attempt of [2, 3]) {
      expect(await bed.moveDlq()).toBe(1);
      expect(await bed.deliver()).toStrictEqual({ received: 1, failed: [] });
      const started = (await bed.executions()).at(-1)!;
      expect(started.input.attempt).toBe(attempt);
      const again = await m.run(started.input.event, started.input.attempt);
      expect(again.status).toBe('FAILED');
      const dlq = await bed.peek(bed.dlqUrl);
      expect(dlq.map((x) => JSON.parse(x.body))).toMatchObject([
        { mappingId: 'redrive-loop', failedStep: 'ReadSecret', error: 'PermissionDeniedError', attempt },
      ]);
      // The original event stays the first one: redrive events never nest.
      expect(JSON.parse(dlq[0]!.body).event.detail.original.source).toBe('aws.secretsmanager');
    }

    expect(await bed.moveDlq()).toBe(1);
    expect(await bed.deliver()).toStrictEqual({ received: 1, failed: [] });
    expect(await bed.executions()).toHaveLength(2); // no third redrive
    const [parked, ...others] = await bed.peek(bed.parkedUrl);
    expect(others).toHaveLength(0);
    expect(parked!.attributes).toMatchObject({
      reason: 'max-attempts',
      mappingId: 'redrive-loop',
      attempt: '3',
      detail: 'attempt 3 of 3 failed at ReadSecret with PermissionDeniedError',
    });
    expect(JSON.parse(parked!.body)).toMatchObject({ mappingId: 'redrive-loop', attempt: 3 });
    expect([
      await bed.depth(bed.dlqUrl),
      await bed.depth(bed.syncRequestsUrl),
      await bed.depth(bed.parkedUrl),
    ]).toStrictEqual([0, 0, 1]);
    expect(bed.consumerLogs().filter((l) => l.message === 'parked')).toMatchObject([
      { level: 'WARN', reason: 'max-attempts', mappingId: 'redrive-loop' },
    ]);
  });

  it('starts an event EventBridge could not deliver as attempt 2 of its mapping, and parks a message it cannot read', async () => {
    const { m, bed } = await setUp({ id: 'redrive-eb', secretString: JSON.stringify({ a: '1' }) });
    const event = m.labelEvent(await m.putSecret({ secretString: JSON.stringify({ a: '2' }) }));
    await bed.sendToSyncRequests(JSON.stringify(event), {
      RULE_ARN: 'arn:aws:events:us-east-1:123456789012:rule/EksSecretSync-redrive-eb-label',
      TARGET_ARN: bed.stateMachineArn,
      ERROR_CODE: 'SDK_CLIENT_ERROR',
      ERROR_MESSAGE: 'Rate exceeded',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '8',
    });
    await bed.sendToSyncRequests('not json {');
    expect(await bed.deliver()).toStrictEqual({ received: 2, failed: [] });

    const [started] = await bed.executions();
    expect(started!.input).toMatchObject({
      attempt: 2,
      event: { detail: { original: event, failedStep: 'Delivery', error: 'SDK_CLIENT_ERROR', failedAttempt: 1 } },
    });
    expect((await m.run(started!.input.event, started!.input.attempt)).status).toBe('SUCCEEDED');
    expect((await secretOf(m)).body.data).toEqual({ a: b64('2') });

    const parked = await bed.peek(bed.parkedUrl);
    expect(parked).toStrictEqual([
      { body: 'not json {', attributes: { reason: 'unparseable', detail: 'the body is not JSON (10 characters)' } },
    ]);
  });

  it(
    'keeps a message it could not start (Step Functions unreachable) and returns it to the DLQ after ' +
      'maxReceiveCount, never dropping it',
    async () => {
      const { m, bed } = await setUp({ id: 'redrive-down', secretString: JSON.stringify({ 'bad key!': 'x' }) }, 3, {
        AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:9', // discard port: connection refused
        AWS_MAX_ATTEMPTS: '1',
      });
      expect((await m.run({ source: 'test' })).status).toBe('FAILED');
      await bed.moveDlq();
      for (let receive = 1; receive <= 5; receive++) {
        const out = await bed.deliver();
        expect(out.received).toBe(1);
        expect(out.failed).toHaveLength(1);
      }
      expect(await bed.deliver()).toStrictEqual({ received: 0, failed: [] }); // moto moved it on the sixth receive
      const [back] = await bed.peek(bed.dlqUrl);
      expect(JSON.parse(back!.body)).toMatchObject({ mappingId: 'redrive-down', attempt: 1 });
      expect([await bed.depth(bed.syncRequestsUrl), await bed.depth(bed.parkedUrl)]).toStrictEqual([0, 0]);
      expect(await bed.executions()).toHaveLength(0);
      expect(bed.consumerLogs().filter((l) => l.level === 'ERROR')).toHaveLength(5);
    },
  );
});

describe('StartMessageMoveTask on the test bed', () => {
  it('is not implemented by moto 5.2.5 (when this fails, moto has it: replace RedriveBed.moveDlq with the real call)', async () => {
    const tb = inject('testbed');
    const sqs = new SQSClient({
      region: tb.moto.region,
      endpoint: tb.moto.url,
      credentials: tb.moto.credentials,
      maxAttempts: 1,
    });
    const error = await sqs
      .send(new StartMessageMoveTaskCommand({ SourceArn: `arn:aws:sqs:${tb.moto.region}:123456789012:any-dlq` }))
      .then(
        () => undefined,
        (e: { $metadata?: { httpStatusCode?: number }; name?: string }) => e,
      );
    sqs.destroy();
    // moto answers an action it does not know with an HTML 500 page, not an AWS error.
    expect(error).toMatchObject({ name: 'SyntaxError', $metadata: { httpStatusCode: 500 } });
  });
});
