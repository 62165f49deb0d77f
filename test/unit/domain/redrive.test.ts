import { describe, expect, it } from 'vitest';
import { requestedVersion } from '../../../functions/sources/secrets-manager/event-reading.ts';
import {
  CAUSE_MAX,
  causeLine,
  decideRedrive,
  executionNameOf,
  failureKey,
  isPermanentStartError,
  readDeadLetter,
  mappingOfUndelivered,
  parkedAttributes,
  REDRIVE_DETAIL_TYPE,
  REDRIVE_SOURCE,
  type ParkDecision,
  type QueueMessage,
  type RedriveSettings,
  type StartDecision,
} from '../../../functions/domain/redrive.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config-AbCdEf';
const SM = {
  'app-config': 'arn:aws:states:us-east-1:111122223333:stateMachine:MappingappconfigStateMachine-AAA',
  config: 'arn:aws:states:us-east-1:111122223333:stateMachine:MappingconfigStateMachine-BBB',
};
const settings: RedriveSettings = { stateMachines: SM, maxAttempts: 3 };
const NOW = '2026-11-23T10:00:00.000Z';

const labelEvent = {
  version: '0',
  id: 'e-1',
  source: 'aws.secretsmanager',
  'detail-type': 'Secret Label Updated',
  resources: [ARN],
  detail: { name: 'prod/app-config', labelUpdated: 'AWSCURRENT', versionId: 'v-bad' },
};
const lambdaCause = JSON.stringify({
  errorType: 'PermissionDeniedError',
  errorMessage: 'role may not get Secret app/app-config: forbidden\nsecond line',
  trace: ['at x (y.js:1)'],
});

function syncFailure(over: Record<string, unknown> = {}): QueueMessage {
  const body = {
    mappingId: 'app-config',
    failedStep: 'ReadSecret',
    error: 'PermissionDeniedError',
    cause: lambdaCause,
    event: labelEvent,
    executionId: 'arn:aws:states:us-east-1:111122223333:express:sm:exec-1:x',
    attempt: 1,
    ...over,
  };
  return { body: JSON.stringify(body), attributes: {} };
}

function undelivered(attributes: Record<string, string>): QueueMessage {
  return {
    body: JSON.stringify(labelEvent),
    attributes: { ERROR_CODE: 'SDK_CLIENT_ERROR', ERROR_MESSAGE: 'Rate exceeded', ...attributes },
  };
}

const start = (m: QueueMessage, s = settings) => {
  const d = decideRedrive(m, s, NOW);
  if (d.action !== 'start') throw new Error(`expected start, got park: ${d.detail}`);
  return d as StartDecision;
};
const parkOf = (m: QueueMessage, s = settings) => {
  const d = decideRedrive(m, s, NOW);
  if (d.action !== 'park') throw new Error('expected park');
  return d as ParkDecision;
};

describe('decideRedrive', () => {
  it("starts the next attempt of a failed sync on its mapping's state machine, with a redrive event around the original", () => {
    const d = start(syncFailure());
    expect(d.stateMachineArn).toBe(SM['app-config']);
    expect(d.input).toStrictEqual({
      attempt: 2,
      event: {
        source: REDRIVE_SOURCE,
        'detail-type': REDRIVE_DETAIL_TYPE,
        time: NOW,
        detail: {
          original: labelEvent,
          failedStep: 'ReadSecret',
          error: 'PermissionDeniedError',
          failedAttempt: 1,
          failedExecutionId: 'arn:aws:states:us-east-1:111122223333:express:sm:exec-1:x',
        },
      },
    });
    expect(d.executionName).toMatch(/^redrive-2-[0-9a-f]{32}$/);
  });

  it("runs one failed target alone: the message's target becomes the input's onlyTarget", () => {
    const target = 'prod-eks/payments/app-config';
    const d = start(syncFailure({ target }));
    expect(d.input.onlyTarget).toBe(target);
    expect((d.input.event.detail as { failedTarget: unknown }).failedTarget).toBe(target);
    expect(start(syncFailure()).input).not.toHaveProperty('onlyTarget');
    // A FetchSecret failure of an unfiltered run: the message's target is null, the redrive runs every target.
    expect(start(syncFailure({ target: null })).input).not.toHaveProperty('onlyTarget');
  });

  it('makes FetchSecret read AWSCURRENT, not the version the original event named', () => {
    const d = start(syncFailure());
    expect(requestedVersion(labelEvent, ARN)).toBe('v-bad');
    expect(requestedVersion(d.input.event, ARN)).toBeUndefined();
  });

  it('keeps the first event when a redriven sync fails again: redrive events never nest', () => {
    const first = start(syncFailure());
    const again = start(syncFailure({ event: first.input.event, attempt: 2, executionId: 'exec-2' }));
    expect(again.input.attempt).toBe(3);
    expect((again.input.event.detail as { original: unknown }).original).toStrictEqual(labelEvent);
    expect(again.executionName).not.toBe(first.executionName);
  });

  it.each([
    [1, 'start'],
    [2, 'start'],
    [3, 'park'],
    [7, 'park'],
  ])('with maxAttempts 3, a failed attempt %i means %s', (attempt, action) => {
    expect(decideRedrive(syncFailure({ attempt }), settings, NOW).action).toBe(action);
  });

  it('parks over the limit saying which attempt failed where', () => {
    expect(parkOf(syncFailure({ attempt: 3 }))).toMatchObject({
      reason: 'max-attempts',
      detail: 'attempt 3 of 3 failed at ReadSecret with PermissionDeniedError',
      mappingId: 'app-config',
      failed: { attempt: 3, mappingId: 'app-config' },
    });
  });

  it('parks every message when maxAttempts is 1 (no redrive at all)', () => {
    expect(parkOf(syncFailure(), { ...settings, maxAttempts: 1 }).reason).toBe('max-attempts');
  });

  it.each([
    ['a body that is not JSON', { body: 'not json {', attributes: {} }, 'unparseable'],
    ['an empty body', { body: '', attributes: {} }, 'unparseable'],
    ['a JSON array', { body: '[1]', attributes: {} }, 'unparseable'],
    ['a JSON object of no known shape', { body: '{"hello":1}', attributes: {} }, 'unparseable'],
    ['a failed sync without an event', syncFailure({ event: 'x' }), 'unparseable'],
    ['a failed sync without an attempt', syncFailure({ attempt: undefined }), 'unparseable'],
    ['a failed sync with attempt 0', syncFailure({ attempt: 0 }), 'unparseable'],
    ['a failed sync of a mapping not in this stack', syncFailure({ mappingId: 'gone' }), 'unknown-mapping'],
    [
      'an EventBridge dead letter for another target',
      undelivered({
        TARGET_ARN: 'arn:aws:states:us-east-1:1:stateMachine:other',
        RULE_ARN: 'arn:aws:events:us-east-1:1:rule/x-other-label',
      }),
      'unknown-mapping',
    ],
    [
      'an EventBridge dead letter whose body is no event',
      { body: '{"a":1}', attributes: { RULE_ARN: 'arn:aws:events:us-east-1:1:rule/x' } },
      'unparseable',
    ],
  ] as const)('parks %s', (_what, message, reason) => {
    expect(parkOf(message).reason).toBe(reason);
  });

  it("starts an undelivered EventBridge event as attempt 2 of its target's mapping (the failed delivery was attempt 1)", () => {
    const d = start(
      undelivered({
        TARGET_ARN: SM.config,
        RULE_ARN: 'arn:aws:events:us-east-1:111122223333:rule/EksSecretSync-config-label',
      }),
    );
    expect(d.stateMachineArn).toBe(SM.config);
    expect(d.input.attempt).toBe(2);
    expect(d.input.event.detail).toStrictEqual({
      original: labelEvent,
      failedStep: 'Delivery',
      error: 'SDK_CLIENT_ERROR',
      failedAttempt: 1,
    });
    expect(d.failed).toMatchObject({ origin: 'undelivered-event', cause: 'Rate exceeded' });
  });

  it('is deterministic for one message', () => {
    expect(decideRedrive(syncFailure(), settings, NOW)).toStrictEqual(decideRedrive(syncFailure(), settings, NOW));
  });
});

describe('failureKey', () => {
  const keyOf = (over: Record<string, unknown> = {}) => {
    const f = readDeadLetter(syncFailure(over), SM);
    if ('action' in f) throw new Error(f.detail);
    return failureKey(f);
  };

  it('is one per failed execution and attempt: two copies of one message have one key and one redrive name', () => {
    expect(keyOf()).toBe('app-config/exec-1/1');
    expect(keyOf()).toBe(keyOf());
    expect(start(syncFailure()).executionName).toBe(start(syncFailure()).executionName);
  });

  it('differs by attempt, by execution, and by mapping', () => {
    expect(new Set([keyOf(), keyOf({ attempt: 2 }), keyOf({ executionId: 'exec-2' })]).size).toBe(3);
    expect(keyOf({ mappingId: 'other' })).toBe('other/exec-1/1');
  });

  it('differs by target: two targets failed in one execution are two failures, with two redrive names', () => {
    const [a, b] = ['c/ns-a/s', 'c/ns-b/s'];
    expect(keyOf({ target: a })).toBe('app-config/exec-1/1#c/ns-a/s');
    expect(keyOf({ target: a })).not.toBe(keyOf({ target: b }));
    expect(start(syncFailure({ target: a })).executionName).toBe(start(syncFailure({ target: a })).executionName);
    expect(start(syncFailure({ target: a })).executionName).not.toBe(start(syncFailure({ target: b })).executionName);
  });

  it('names an execution by its name, so two Express executions of one redrive name (two ARNs) are one failure', () => {
    const express = (uuid: string) => `arn:aws:states:us-east-1:1:express:sm:redrive-2-abc:${uuid}`;
    expect(executionNameOf(express('u1'))).toBe('redrive-2-abc');
    expect(keyOf({ executionId: express('u1') })).toBe(keyOf({ executionId: express('u2') }));
    expect(executionNameOf('arn:aws:states:us-east-1:1:execution:sm:run-7')).toBe('run-7');
    expect(executionNameOf('exec-other')).toBe('exec-other');
  });
});

describe('mappingOfUndelivered', () => {
  it.each([
    ['the target ARN', { TARGET_ARN: SM['app-config'] }, 'app-config'],
    [
      'the rule name, longest id first (app-config, not config)',
      { RULE_ARN: 'arn:aws:events:us-east-1:1:rule/EksSecretSync-app-config-label' },
      'app-config',
    ],
    [
      'the rule name of a trail rule',
      { RULE_ARN: 'arn:aws:events:us-east-1:1:rule/EksSecretSync-config-trail' },
      'config',
    ],
    ['nothing it knows', { RULE_ARN: 'arn:aws:events:us-east-1:1:rule/other' }, undefined],
  ])('finds the mapping by %s', (_what, attributes, want) => {
    expect(mappingOfUndelivered(attributes, SM)).toBe(want);
  });
});

describe('causeLine', () => {
  it.each([
    [
      'the first line of a Lambda error message, never the trace',
      lambdaCause,
      'role may not get Secret app/app-config: forbidden',
    ],
    ['plain text as it is', 'States.Timeout', 'States.Timeout'],
    ['nothing for a missing cause', undefined, ''],
  ])('keeps %s', (_what, cause, want) => {
    expect(causeLine(cause)).toBe(want);
  });

  it(`cuts a long line to ${CAUSE_MAX} characters`, () => {
    expect(causeLine('x'.repeat(1000))).toHaveLength(CAUSE_MAX);
  });
});

describe('parkedAttributes', () => {
  it("names reason, detail, mapping and attempt, then keeps EventBridge's attributes within the SQS limit of 10", () => {
    const message = undelivered({
      RULE_ARN: 'r',
      TARGET_ARN: SM.config,
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '8',
      EXTRA: 'dropped',
    });
    const attrs = parkedAttributes(parkOf(message, { ...settings, maxAttempts: 1 }), message.attributes);
    expect(Object.keys(attrs)).toHaveLength(10);
    expect(attrs).toMatchObject({
      reason: 'max-attempts',
      mappingId: 'config',
      attempt: '1',
      RULE_ARN: 'r',
      ERROR_CODE: 'SDK_CLIENT_ERROR',
    });
    expect(attrs.EXTRA).toBeUndefined();
  });

  it('has only reason and detail for a message it could not read', () => {
    expect(parkedAttributes(parkOf({ body: 'x', attributes: {} }), {})).toStrictEqual({
      reason: 'unparseable',
      detail: 'the body is not JSON (1 characters)',
    });
  });
});

describe('isPermanentStartError', () => {
  it.each([
    ['InvalidExecutionInput', true],
    ['StateMachineDoesNotExist', true],
    ['ThrottlingException', false],
    ['AccessDeniedException', false],
    [undefined, false],
  ])('%s -> %s', (name, want) => {
    expect(isPermanentStartError(name)).toBe(want);
  });
});

describe('the state machines of an app of several stacks (by name prefix)', () => {
  const PREFIX = 'arn:aws:states:us-east-1:111122223333:stateMachine:EksSecretS-28de36-';
  const byPrefix: RedriveSettings = { stateMachines: {}, stateMachineArnPrefix: PREFIX, maxAttempts: 3 };

  it("starts a failed sync of any mapping on the prefix's state machine", () => {
    const d = decideRedrive(syncFailure({ mappingId: 'web-tls' }), byPrefix, NOW) as StartDecision;
    expect(d.action).toBe('start');
    expect(d.stateMachineArn).toBe(`${PREFIX}web-tls`);
  });

  it('finds the mapping of an undelivered event by target ARN or by rule name, and no other', () => {
    expect(mappingOfUndelivered({ TARGET_ARN: `${PREFIX}app-config` }, {}, PREFIX)).toBe('app-config');
    const rule = 'arn:aws:events:us-east-1:111122223333:rule/EksSecretS-28de36-my-app-1-trail';
    expect(mappingOfUndelivered({ RULE_ARN: rule }, {}, PREFIX)).toBe('my-app-1');
    // Another app's state machine and rule (another prefix): no mapping of this app.
    const other = 'arn:aws:states:us-east-1:111122223333:stateMachine:EksSecretS-aaaaaa-app-config';
    expect(mappingOfUndelivered({ TARGET_ARN: other }, {}, PREFIX)).toBeUndefined();
    const otherRule = 'arn:aws:events:us-east-1:111122223333:rule/EksSecretS-aaaaaa-app-config-label';
    expect(mappingOfUndelivered({ RULE_ARN: otherRule }, {}, PREFIX)).toBeUndefined();
  });
});
