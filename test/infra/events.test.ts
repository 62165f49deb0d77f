import { describe, expect, it } from 'vitest';
import { cloudTrailPattern, labelUpdatedPattern, ruleName, rulePrefix } from '../../infra/events.ts';
import { MAX_ID_LENGTH } from '../../infra/config-schema.ts';
import { secretIdSpellings } from '../../infra/secret-arn.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:app-AbCdEf';
const TWO = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:app-two-GhIjKl';

/** EventBridge matching for what these patterns use: exact values (any of a list; any element of an array field), nesting, `$or`. */
function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    if (key === '$or') return (want as Record<string, unknown>[]).some((alt) => matches(alt, event));
    const have = event[key];
    if (Array.isArray(want)) {
      const values = Array.isArray(have) ? have : [have];
      return values.some((v) => want.some((w) => typeof w !== 'object' && w === v));
    }
    return typeof have === 'object' && have !== null && matches(want as Record<string, unknown>, have as Record<string, unknown>);
  });
}

/** CDK's EventPattern keys to the event's own keys. */
function wire(pattern: object): Record<string, unknown> {
  const { detailType, ...rest } = pattern as { detailType?: string[] };
  return detailType ? { 'detail-type': detailType, ...rest } : rest;
}

function cloudTrailEvent(detail: Record<string, unknown>, eventName = 'DeleteSecret') {
  return {
    source: 'aws.secretsmanager',
    'detail-type': 'AWS API Call via CloudTrail',
    account: '111122223333',
    region: 'us-east-1',
    resources: [],
    detail: { eventSource: 'secretsmanager.amazonaws.com', eventName, ...detail },
  };
}

function labelEvent(resource: string, labelUpdated = 'AWSCURRENT') {
  return {
    source: 'aws.secretsmanager',
    'detail-type': 'Secret Label Updated',
    resources: [resource],
    detail: { name: 'app', labelUpdated, versionId: 'v2' },
  };
}

describe('labelUpdatedPattern', () => {
  it.each([
    ['AWSCURRENT moving on this secret', labelEvent(ARN), true],
    ['AWSCURRENT moving on a secret whose name starts the same', labelEvent(TWO), false],
    ['another label moving on this secret', labelEvent(ARN, 'blue'), false],
  ])('matches %s: %s', (_what, event, expected) => {
    expect(matches(wire(labelUpdatedPattern(ARN)), event)).toBe(expected);
  });
});

describe('cloudTrailPattern', () => {
  it.each([
    ['responseElements.arn', { responseElements: { arn: ARN } }, true],
    ['the pre-2024 responseElements.aRN', { responseElements: { aRN: ARN } }, true],
    ['secretId as the full ARN', { requestParameters: { secretId: ARN } }, true],
    ['secretId as the partial ARN', { requestParameters: { secretId: ARN.slice(0, -7) } }, true],
    ['secretId as the name', { requestParameters: { secretId: 'app' } }, true],
    ['secretId naming app-two', { requestParameters: { secretId: 'app-two' } }, false],
    ['secretId as app-two\'s partial ARN', { requestParameters: { secretId: TWO.slice(0, -7) } }, false],
    ['responseElements.arn of app-two', { responseElements: { arn: TWO } }, false],
    ['no identity at all', {}, false],
  ])('matches a DeleteSecret carrying %s: %s', (_what, detail, expected) => {
    expect(matches(wire(cloudTrailPattern(ARN)), cloudTrailEvent(detail))).toBe(expected);
  });

  it('matches RestoreSecret but not other calls on the secret', () => {
    const pattern = wire(cloudTrailPattern(ARN));
    expect(matches(pattern, cloudTrailEvent({ requestParameters: { secretId: 'app' } }, 'RestoreSecret'))).toBe(true);
    expect(matches(pattern, cloudTrailEvent({ requestParameters: { secretId: 'app' } }, 'PutSecretValue'))).toBe(false);
  });

  it('ignores the same name in another account', () => {
    const event = { ...cloudTrailEvent({ requestParameters: { secretId: 'app' } }), account: '444455556666' };
    expect(matches(wire(cloudTrailPattern(ARN)), event)).toBe(false);
  });

  it('refuses a partial ARN as the mapping\'s secret', () => {
    expect(() => cloudTrailPattern(ARN.slice(0, -7))).toThrow('not a full secret ARN');
  });
});

describe('secretIdSpellings', () => {
  it('lists the full ARN, the partial ARN and the name (names may contain slashes and dashes)', () => {
    expect(secretIdSpellings('arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main-Ab12Cd')).toStrictEqual([
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main-Ab12Cd',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main',
      'prod/db-main',
    ]);
  });
});

describe('ruleName', () => {
  it('starts with the stack\'s rule prefix and names the mapping and the kind', () => {
    expect(ruleName('EksSecretSync', 'app-config', 'label')).toBe('EksSecretSync-app-config-label');
    expect(ruleName('EksSecretSync', 'app-config', 'trail').startsWith(rulePrefix('EksSecretSync'))).toBe(true);
  });

  it('stays within the 64 characters EventBridge allows for the longest stack name and id', () => {
    expect(ruleName('S'.repeat(128), 'a'.repeat(MAX_ID_LENGTH), 'label')).toHaveLength(63);
  });
});
