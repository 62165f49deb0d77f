// The event vocabulary's reading of an event for one mapping (the property
// test in test/infra/event-vocabulary.test.ts checks it against Event Ruler).
import { describe, expect, it } from 'vitest';
import { readSecretEvent, secretEventPattern } from '../../../functions/domain/events.ts';
import { PRODUCT_NAME } from '../../../functions/domain/product.ts';
import { isDeleteSecretEvent, requestedVersion } from '../../../functions/sources/secrets-manager/event-reading.ts';
import { cloudTrailCall, labelEvent } from '../../support/secret-events.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config-AbCdEf';
const TWO = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config-two-GhIjKl';

describe('readSecretEvent', () => {
  it.each([
    [
      'AWSCURRENT moving',
      labelEvent(ARN, { versionId: 'v-2' }),
      { verdict: 'trigger', rule: 'label', change: 'current-moved', versionId: 'v-2' },
    ],
    [
      'AWSCURRENT moving, no versionId',
      { ...labelEvent(ARN), detail: { labelUpdated: 'AWSCURRENT' } },
      { verdict: 'trigger', rule: 'label', change: 'current-moved' },
    ],
    ['another label moving', labelEvent(ARN, { label: 'blue' }), { verdict: 'not-a-trigger' }],
    [
      'AWSCURRENT moving on another secret',
      labelEvent(TWO),
      { verdict: 'other-secret', rule: 'label', named: JSON.stringify([TWO]) },
    ],
    [
      'DeleteSecret by name',
      cloudTrailCall('DeleteSecret', ARN, { secretId: 'app/config' }),
      { verdict: 'trigger', rule: 'trail', change: 'deleted' },
    ],
    [
      'RestoreSecret, aRN',
      cloudTrailCall('RestoreSecret', ARN, { arnKey: 'aRN' }),
      { verdict: 'trigger', rule: 'trail', change: 'restored' },
    ],
    [
      'a refused DeleteSecret',
      cloudTrailCall('DeleteSecret', ARN, { errorCode: 'AccessDenied' }),
      { verdict: 'not-a-trigger' },
    ],
    [
      'a DeleteSecret with a null errorCode',
      cloudTrailCall('DeleteSecret', ARN, { errorCode: null }),
      { verdict: 'not-a-trigger' },
    ],
    ['PutSecretValue', cloudTrailCall('PutSecretValue', ARN), { verdict: 'not-a-trigger' }],
    [
      'DeleteSecret of another secret',
      cloudTrailCall('DeleteSecret', TWO),
      { verdict: 'other-secret', rule: 'trail', named: JSON.stringify(TWO) },
    ],
    [
      'DeleteSecret of the same name in another account',
      cloudTrailCall('DeleteSecret', ARN, { secretId: 'app/config', arnKey: 'none', account: '444455556666' }),
      { verdict: 'other-secret', rule: 'trail', named: '"app/config" in account 444455556666 region us-east-1' },
    ],
    [
      'the initial sync',
      { source: PRODUCT_NAME, 'detail-type': 'Initial sync', detail: { mappingId: 'm' } },
      { verdict: 'not-a-trigger' },
    ],
    ['nothing', undefined, { verdict: 'not-a-trigger' }],
  ])('reads %s', (_what, event, want) => {
    expect(readSecretEvent(event, ARN)).toStrictEqual(want);
  });
});

describe('FetchSecret on a refused call', () => {
  it('syncs AWSCURRENT instead of deleting when DeleteSecret was refused', () => {
    const refused = cloudTrailCall('DeleteSecret', ARN, { errorCode: 'AccessDenied' });
    expect(isDeleteSecretEvent(refused, ARN)).toBe(false);
    expect(requestedVersion(refused, ARN)).toBeUndefined();
  });

  it('refuses a RestoreSecret of another secret, naming it', () => {
    expect(() => requestedVersion(cloudTrailCall('RestoreSecret', TWO), ARN)).toThrow(
      expect.objectContaining({ name: 'InvalidInputError', message: expect.stringContaining(TWO) }),
    );
  });
});

describe('secretEventPattern', () => {
  it('filters refused calls out of the CloudTrail rule only (native events carry no errorCode)', () => {
    expect(secretEventPattern('trail', ARN).detail).toMatchObject({ errorCode: [{ exists: false }] });
    expect(secretEventPattern('label', ARN).detail).toStrictEqual({ labelUpdated: ['AWSCURRENT'] });
  });
});
