// The fault matrix, SendToDlq: the dead-letter queue itself failing. A sync
// that cannot complete must end in the DLQ; when the DLQ cannot take the
// message, the SendToDlq state retries it, and when that is exhausted the
// execution fails loudly (the per-mapping ExecutionsFailed alarm, checked on
// the template by test/infra/stack.test.ts) with the original event kept in
// the execution's own record (in AWS: its CloudWatch Logs, level ALL, with
// execution data), where a person finds it.
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { attempts } from '../support/fault-matrix.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-c81f09-dlq-faults';
const mappings: LocalMapping[] = [];
afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

/** A mapping whose every sync fails at FetchSecret (a key Kubernetes refuses): every run goes to SendToDlq. */
async function failingMapping(): Promise<LocalMapping> {
  const m = await TestMapping.create({ secretString: JSON.stringify({ 'bad key': CANARY }) });
  mappings.push(m);
  return m;
}

/** What the Step Functions SQS integration raises when SendMessage fails. */
const sqsFailure = () => Object.assign(new Error('Service Unavailable'), { name: 'SQS.AmazonSQSException' });

describe('SendToDlq faults', () => {
  it('SendToDlq × SQS failing twice → retried by the state, exactly one DLQ message', async () => {
    const m = await failingMapping();
    let calls = 0;
    const run = await m.run({ source: 'setup', id: 'dlq-flaky' }, 1, {
      sendToDlq: async (send) => (++calls <= 2 ? Promise.reject(sqsFailure()) : send()),
    });

    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('InvalidInputError');
    expect(calls).toBe(3);
    const dlq = await m.receiveDlq();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ failedStep: 'FetchSecret', error: 'InvalidInputError', event: { id: 'dlq-flaky' } });
  });

  it("SendToDlq × SQS failing always → the execution fails with the DLQ's error after 6 attempts, the event kept in its record", async () => {
    const m = await failingMapping();
    let calls = 0;
    const run = await m.run({ source: 'setup', id: 'dlq-down' }, 1, {
      sendToDlq: async () => {
        calls++;
        throw sqsFailure();
      },
    });

    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('SQS.AmazonSQSException');
    expect(calls).toBe(6); // the first attempt and the state's 5 retries
    expect(await m.receiveDlq()).toEqual([]);
    // What the execution log holds: the execution's input (its first record) carries the original event, the
    // SendToDlq state's input the failed step (the event stays in the input, not in every state).
    const started = run.events.find((e) => e.type === 'ExecutionStarted');
    expect(started.input).toMatchObject({ event: { source: 'setup', id: 'dlq-down' }, attempt: 1 });
    const entered = run.events.filter((e) => e.type === 'StateEntered' && e.state.name === 'SendToDlq');
    expect(entered.length).toBeGreaterThan(0);
    expect(entered[0].state.input).toMatchObject({ failedStep: 'FetchSecret' });
    expect(attempts(run, 'FetchSecret')).toBe(1);
  });

  it('never let a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY], 500);
  });
});
