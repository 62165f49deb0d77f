// The fault matrix, SendToDlq answering twice: SQS stores the message, but the answer is lost (the state sees a
// timeout), so SendToDlq's Retry stores a second, identical copy. A standard queue cannot refuse it (FIFO is not
// possible: docs/decisions.md), so every consumer acts on a failure once, keyed by its failure key
// (functions/domain/redrive.ts): `status` counts one failure, the CLI's `redrive` starts one execution and deletes
// the copy, the redrive-sync function starts one execution for the two copies in a batch or in one warm
// environment. Starts are counted as StartExecution requests on the wire (a proxy in front of moto), not as
// executions: moto refuses a second execution of a name, AWS Express does not, so moto's count would hide one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/eks-secret-sync.ts';
import { countFailures } from '../../bin/lib/dlq-failures.ts';
import { FaultProxy } from '../../testbed/fault-proxy.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';
import { RedriveBed } from '../support/redrive.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANARY = 'CANARY-5d1e3a-dlq-twice';
const START = 'AWSStepFunctions.StartExecution';

let m: LocalMapping;
let bed: RedriveBed;
let proxy: FaultProxy;
let dir: string;
const cliOutput: string[] = [];

/** One failed sync whose SendToDlq answer is lost once after SQS stored the message: two copies in the DLQ. */
async function failTwiceStored(id: string): Promise<void> {
  let calls = 0;
  const run = await m.run({ source: 'setup', id }, 1, {
    sendToDlq: async (send) => {
      const out = await send();
      if (++calls === 1) throw Object.assign(new Error('Read timed out'), { name: 'SQS.SdkClientException' });
      return out;
    },
  });
  expect(run.status).toBe('FAILED');
  expect(calls).toBe(2);
}

/** The CLI in this process, against the test bed through the proxy, with the mapping's file. */
async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  const file = join(dir, 'mappings.yaml');
  writeFileSync(
    file,
    [
      'stack:',
      '  name: DlqTwice',
      '  redriveMaxAttempts: 3',
      'mappings:',
      `  - id: ${m.id}`,
      `    secretArn: ${m.secretArn}`,
      `    cluster: { name: ${m.details.cluster.name} }`,
      `    namespace: ${m.namespace}`,
      `    secretName: ${m.secretName}`,
      '',
    ].join('\n'),
  );
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: proxy.url(),
    AWS_REGION: m.details.moto.region,
    AWS_ACCESS_KEY_ID: m.details.moto.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: m.details.moto.credentials.secretAccessKey,
  });
  let stdout = '';
  let stderr = '';
  try {
    const code = await main([...args, '--mappings', file], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      env: {},
      isTTY: { stdout: false, stderr: false },
    });
    return { code, stdout };
  } finally {
    process.env = saved;
    cliOutput.push(stdout, stderr);
  }
}

/** StartExecution requests sent (by the CLI or the redrive-sync function) since `from`. */
const startsSince = (from: number) => proxy.requests.slice(from).filter((q) => q.target === START).length;

beforeAll(async () => {
  // FetchSecret fails for good (a key Kubernetes refuses): every run ends in SendToDlq.
  m = await TestMapping.create({ id: 'dlq-twice', secretString: JSON.stringify({ 'bad key': CANARY }) });
  proxy = await FaultProxy.start({ target: m.details.moto.url });
  bed = await RedriveBed.create(m, { maxAttempts: 3, env: { AWS_ENDPOINT_URL: proxy.url() } });
  dir = mkdtempSync(join(tmpdir(), 'dlq-twice-'));
}, 120_000);

afterAll(async () => {
  await Promise.all([m?.close(), bed?.close(), proxy?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SendToDlq answering twice', () => {
  it('the lost answer stores two identical messages; status counts one failure in them', async () => {
    await failTwiceStored('twice-status');
    const dlq = await bed.peek(bed.dlqUrl);
    expect(dlq).toHaveLength(2);
    expect(dlq[0]!.body).toBe(dlq[1]!.body);
    const asSqs = dlq.map((x, i) => ({ MessageId: `m${i}`, Body: x.body }));
    expect(countFailures(asSqs)).toMatchObject({ messages: 2, failures: 1, duplicates: 1 });
    const [failure, ...rest] = countFailures(asSqs).items;
    expect(rest).toHaveLength(0);
    expect(failure).toMatchObject({
      mappingId: JSON.parse(dlq[0]!.body).mappingId,
      step: expect.any(String),
      copies: 2,
    });
    // control: two different failures are two
    const other = JSON.stringify({ ...JSON.parse(dlq[1]!.body), attempt: 2 });
    expect(countFailures([asSqs[0]!, { MessageId: 'm9', Body: other }])).toMatchObject({ failures: 2 });

    const run = await cli(['status', '--dlq-url', bed.dlqUrl, '--json']);
    const queue = JSON.parse(run.stdout).deadLetterQueue;
    expect(queue).toMatchObject({
      visible: 2,
      failures: { messages: 2, failures: 1, duplicates: 1, truncated: false },
    });
    expect(await bed.depth(bed.dlqUrl)).toBe(2); // read, released, not deleted
  });

  it('eks-secret-sync redrive starts one execution for the two copies and deletes both', async () => {
    const from = proxy.requests.length;
    const run = await cli([
      'redrive',
      '--dlq-url',
      bed.dlqUrl,
      '--parked-url',
      bed.parkedUrl,
      '--state-machine',
      `${m.id}=${bed.stateMachineArn}`,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).summary).toStrictEqual({
      redriven: 1,
      parked: 0,
      duplicates: 1,
      skipped: 0,
      failed: 0,
    });
    expect(startsSince(from)).toBe(1);
    expect(await bed.depth(bed.dlqUrl)).toBe(0);
  });

  it('the redrive-sync function starts one execution for two copies in one batch, and in two batches', async () => {
    for (const batch of [10, 1]) {
      await failTwiceStored(`twice-consumer-${batch}`);
      expect(await bed.moveDlq()).toBe(2);
      const from = proxy.requests.length;
      let received = 0;
      while (received < 2) {
        const got = await bed.deliver(batch);
        expect(got.failed).toEqual([]);
        received += got.received;
      }
      expect(startsSince(from), `batch size ${batch}`).toBe(1);
      expect(bed.consumerLogs().filter((l) => l.message === 'duplicate').length).toBeGreaterThan(0);
    }
  });

  it('control: without the consumer memory (a cold start between the copies) the check counts two starts', async () => {
    await failTwiceStored('twice-cold');
    expect(await bed.moveDlq()).toBe(2);
    const from = proxy.requests.length;
    await bed.consumer.stop();
    expect((await bed.deliver(1)).received).toBe(1);
    await bed.consumer.stop(); // the next copy meets a new environment, which has not seen the first
    expect((await bed.deliver(1)).received).toBe(1);
    // Two StartExecution requests of one failure: in AWS two Express executions of one idempotent sync. moto
    // refused the second (a name used before), which the consumer acknowledges as a duplicate.
    expect(startsSince(from)).toBe(2);
  });

  it('never let a value or a token reach logs, state, DLQ messages, the consumer or the CLI', () => {
    const captured = [m.captured(), bed.consumer.logs.join('\n'), ...cliOutput].join('\n');
    expectNoSecretMaterial(captured, [CANARY], 500);
  });
});
