// Which events the fetch step treats as a deletion of the secret.
import { describe, expect, it } from 'vitest';
import { isDeleteSecretEvent, requestedVersion } from '../../functions/sources/secrets-manager/event-reading.ts';
import { cloudTrailEvent } from '../fixtures/cloudtrail.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config-AbCdEf';
const OTHER = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config-two-GhIjKl';

describe('isDeleteSecretEvent', () => {
  it.each([
    ['DeleteSecret by full ARN', cloudTrailEvent('DeleteSecret', ARN), true],
    ['DeleteSecret by partial ARN', cloudTrailEvent('DeleteSecret', ARN, { secretId: ARN.slice(0, -7) }), true],
    ['DeleteSecret by name', cloudTrailEvent('DeleteSecret', ARN, { secretId: 'app/config' }), true],
    [
      'DeleteSecret with the pre-2024 aRN only',
      cloudTrailEvent('DeleteSecret', ARN, { secretId: 'x', detail: { responseElements: { aRN: ARN } } }),
      true,
    ],
    ['RestoreSecret', cloudTrailEvent('RestoreSecret', ARN), false],
    [
      'the native label event',
      {
        source: 'aws.secretsmanager',
        'detail-type': 'Secret Label Updated',
        resources: [ARN],
        detail: { versionId: 'v' },
      },
      false,
    ],
    [
      'a scheduled sync',
      { source: 'eks-secret-sync', 'detail-type': 'Scheduled sync', detail: { mappingId: 'm' } },
      false,
    ],
    [
      'an initial sync',
      { source: 'eks-secret-sync', 'detail-type': 'Initial sync', detail: { mappingId: 'm', configHash: 'h' } },
      false,
    ],
    [
      'a made-up DeleteSecret from another source',
      { ...cloudTrailEvent('DeleteSecret', ARN), source: 'example.test' },
      false,
    ],
    ['an empty event', {}, false],
  ])('is %s a deletion: %s', (_what, event, want) => {
    expect(isDeleteSecretEvent(event, ARN)).toBe(want);
  });

  it.each([
    ['full ARN', cloudTrailEvent('DeleteSecret', OTHER)],
    ['name', cloudTrailEvent('DeleteSecret', OTHER, { secretId: 'app/config-two' })],
  ])('refuses a DeleteSecret of another secret (by %s), naming it', (_what, event) => {
    expect(() => isDeleteSecretEvent(event, ARN)).toThrow(
      expect.objectContaining({ name: 'InvalidInputError', message: expect.stringContaining(OTHER) }),
    );
  });

  it('leaves RestoreSecret and DeleteSecret events to read AWSCURRENT (no version named)', () => {
    expect(requestedVersion(cloudTrailEvent('RestoreSecret', ARN), ARN)).toBeUndefined();
    expect(requestedVersion(cloudTrailEvent('DeleteSecret', ARN), ARN)).toBeUndefined();
  });
});
