// The bench's Express log records (bench/log-records.ts): the records AWS writes besides the local interpreter's
// events (the Map's start and end, three per Lambda task), payloads as escaped strings inside the record.
import { describe, expect, it } from 'vitest';
import { type LocalEvent, logRecords, type RecordNames } from '../../bench/log-records.ts';

const names: RecordNames = {
  executionArn: 'arn:aws:states:us-east-1:123456789012:express:m:a:b',
  roleArn: 'arn:aws:iam::123456789012:role/r',
  lambdaTask: (state) =>
    state === 'Fetch' || state === 'Refetch'
      ? { invokes: 'Fetch', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', timeoutSeconds: 30 }
      : undefined,
};

const payload = { sealed: 'abc', quoted: 'say "hi"' };
const state = (name: string, type: string, io: unknown) => ({ name, type, input: io, output: io });
const events: LocalEvent[] = [
  { type: 'ExecutionStarted', timestamp: 1, input: { event: 1 } },
  { type: 'StateEntered', timestamp: 2, state: state('Fetch', 'Task', payload) },
  { type: 'StateExited', timestamp: 3, state: state('Fetch', 'Task', payload) },
  { type: 'StateEntered', timestamp: 4, state: state('Targets', 'Map', {}) },
  { type: 'MapIterationStarted', timestamp: 5, index: 0, parentState: { name: 'Targets' } },
  { type: 'StateEntered', timestamp: 6, state: state('Pick', 'Choice', payload) },
  { type: 'StateExited', timestamp: 7, state: state('Pick', 'Choice', payload) },
  { type: 'MapIterationSucceeded', timestamp: 8, index: 0, parentState: { name: 'Targets' } },
  { type: 'StateExited', timestamp: 9, state: state('Targets', 'Map', []) },
  { type: 'ExecutionSucceeded', timestamp: 10, output: [] },
];
const calls = [{ state: 'Fetch', input: { v: 1 }, output: payload }];

describe('Express log records rebuilt from a local execution', () => {
  it('adds the records AWS writes besides the local events: the Map start and end, three per Lambda task', () => {
    const r = logRecords(events, calls, names);
    expect(r.byType).toStrictEqual({
      ExecutionStarted: 1,
      TaskStateEntered: 1,
      LambdaFunctionScheduled: 1,
      LambdaFunctionStarted: 1,
      LambdaFunctionSucceeded: 1,
      TaskStateExited: 1,
      MapStateEntered: 1,
      MapStateStarted: 1,
      MapIterationStarted: 1,
      ChoiceStateEntered: 1,
      ChoiceStateExited: 1,
      MapIterationSucceeded: 1,
      MapStateSucceeded: 1,
      MapStateExited: 1,
      ExecutionSucceeded: 1,
    });
    expect(r.count).toBe(events.length + 5);
    const scheduled = JSON.parse(r.lines.find((l) => l.includes('LambdaFunctionScheduled'))!);
    expect(scheduled).toMatchObject({
      id: '3',
      previous_event_id: '2',
      execution_arn: names.executionArn,
      details: { resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', input: '{"v":1}', timeoutInSeconds: 30 },
    });
    expect(JSON.parse(r.lines.find((l) => l.includes('MapStateStarted'))!).details).toStrictEqual({ length: 1 });
  });

  it('counts each payload as the escaped string the record holds, larger than the payload', () => {
    const r = logRecords(events, calls, names);
    const raw = JSON.stringify(payload);
    const entered = r.lines.find((l) => l.includes('"ChoiceStateEntered"'))!;
    expect(entered).toContain(JSON.stringify(raw).slice(1, -1));
    expect(JSON.stringify(raw).length - 2).toBeGreaterThan(raw.length);
    expect(r.bytes).toBe(r.lines.reduce((a, l) => a + Buffer.byteLength(l), 0));
    expect(r.payloadBytes + r.envelopeBytes).toBe(r.bytes);
    expect(r.envelopeBytes).toBeGreaterThan(r.count * names.executionArn.length);
  });

  // Positive control: a Lambda task whose invocation was not recorded cannot be rebuilt silently.
  it('refuses a Lambda task state with no invocation to match, and matches a re-run state to its function', () => {
    expect(() => logRecords(events, [], names)).toThrow(/no Lambda invocation left for the Task state Fetch/);
    const again: LocalEvent[] = [{ type: 'StateEntered', timestamp: 1, state: state('Refetch', 'Task', {}) }];
    expect(logRecords(again, calls, names).byType.LambdaFunctionScheduled).toBe(1);
  });
});
