// The source port (functions/domain/source.ts) and its one provider (functions/sources/secrets-manager/): the
// registry covers every kind a mapping may name, the provider reads events and asks for IAM as the sync needs,
// the mapping's `source` defaults to it, and the fetch function reads its kind from the environment.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/domain/errors.ts';
import { DEFAULT_SOURCE_KIND } from '../../functions/domain/source.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { sourceKindFrom } from '../../functions/runtime/options.ts';
import { OPEN_SOURCE_KINDS } from '../../functions/sources/open.ts';
import { SOURCE_KINDS, SOURCE_PROVIDERS, sourceProvider } from '../../functions/sources/providers.ts';
import { readSecretsManagerEvent } from '../../functions/sources/secrets-manager/event-reading.ts';
import { secretsManagerProvider } from '../../functions/sources/secrets-manager/provider.ts';
import { MappingsError, parseMappings } from '../../infra/model/config.ts';
import { cloudTrailEvent } from '../fixtures/cloudtrail.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config-AbCdEf';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('the source providers', () => {
  it('have one provider per kind a mapping may name, each of its own kind', () => {
    expect(Object.keys(SOURCE_PROVIDERS)).toEqual([...SOURCE_KINDS]);
    expect([...OPEN_SOURCE_KINDS]).toEqual([...SOURCE_KINDS]);
    for (const kind of SOURCE_KINDS) expect(sourceProvider(kind).kind).toBe(kind);
    expect(sourceProvider(DEFAULT_SOURCE_KIND)).toBe(secretsManagerProvider);
  });
});

describe('the Secrets Manager provider', () => {
  it('asks for GetSecretValue on exactly the secret, DescribeSecret only when it watches deletions', () => {
    const region = 'us-east-1';
    expect(secretsManagerProvider.fetchPolicy(ARN, { watchDeletion: false, region })).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ARN },
    ]);
    const [read, decrypt, ...more] = secretsManagerProvider.fetchPolicy(ARN, {
      watchDeletion: true,
      kmsKeyArn: KEY,
      region,
    });
    expect(read!.Action).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
    expect(decrypt).toEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY,
      Condition: {
        StringEquals: {
          'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
          'kms:EncryptionContext:SecretARN': ARN,
        },
      },
    });
    expect(more).toEqual([]);
  });

  it.each([
    ['us-east-1', 'secretsmanager.us-east-1.amazonaws.com'],
    ['us-gov-west-1', 'secretsmanager.us-gov-west-1.amazonaws.com'],
    ['cn-north-1', 'secretsmanager.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', 'secretsmanager.cn-northwest-1.amazonaws.com.cn'],
  ])('lets the secret key decrypt in %s only through %s (the partition DNS suffix)', (region, host) => {
    const arn = ARN.replace('arn:aws:', region.startsWith('cn-') ? 'arn:aws-cn:' : 'arn:aws:').replace(
      'us-east-1',
      region,
    );
    const [, decrypt] = secretsManagerProvider.fetchPolicy(arn, { watchDeletion: false, kmsKeyArn: KEY, region });
    expect(decrypt!.Condition).toEqual({
      StringEquals: { 'kms:ViaService': host, 'kms:EncryptionContext:SecretARN': arn },
    });
  });

  it('reads a label event as a version and when it became current', () => {
    const event = {
      source: 'aws.secretsmanager',
      'detail-type': 'Secret Label Updated',
      time: '2026-12-03T10:00:00Z',
      resources: [ARN],
      detail: { name: 'app/config', labelUpdated: 'AWSCURRENT', versionId: 'v2' },
    };
    expect(readSecretsManagerEvent(event, ARN)).toEqual({
      versionId: 'v2',
      deletion: false,
      changedAt: '2026-12-03T10:00:00.000Z',
    });
  });

  it('reads a DeleteSecret event as a deletion that names no version', () => {
    expect(readSecretsManagerEvent(cloudTrailEvent('DeleteSecret', ARN), ARN)).toEqual({
      deletion: true,
      changedAt: null,
    });
  });

  it('refuses an execution without an event, saying what to send', () => {
    expect(() => readSecretsManagerEvent(undefined, ARN)).toThrow(/has no `event` object/);
  });
});

describe('a mapping names its source', () => {
  const file = (source?: string) =>
    JSON.stringify({
      mappings: [
        {
          id: 'app',
          ...(source !== undefined && { source }),
          secretArn: ARN,
          cluster: { name: 'c' },
          namespace: 'ns',
          secretName: 's',
        },
      ],
    });

  it('is Secrets Manager when it names none', () => {
    expect(parseMappings(file(), 'm.json').mappings[0]!.source).toBe('secretsManager');
  });

  it('refuses a source there is no provider for, naming the choices', () => {
    expect(() => parseMappings(file('ssmParameter'), 'm.json')).toThrow(MappingsError);
    expect(() => parseMappings(file('ssmParameter'), 'm.json')).toThrow(
      /source: "ssmParameter" is not allowed; expected one of "secretsManager"/,
    );
  });
});

describe('the fetch function reads its source kind', () => {
  it('as the default when SOURCE_KIND is unset or empty', () => {
    expect(sourceKindFrom({}, OPEN_SOURCE_KINDS)).toBe(DEFAULT_SOURCE_KIND);
    expect(sourceKindFrom({ [ENV.sourceKind]: '' }, OPEN_SOURCE_KINDS)).toBe(DEFAULT_SOURCE_KIND);
  });

  it('refuses a kind it has no provider for, naming the variable', () => {
    expect(() => sourceKindFrom({ [ENV.sourceKind]: 'vault' }, OPEN_SOURCE_KINDS)).toThrow(ConfigError);
    expect(() => sourceKindFrom({ [ENV.sourceKind]: 'vault' }, OPEN_SOURCE_KINDS)).toThrow(/SOURCE_KIND "vault"/);
  });
});
