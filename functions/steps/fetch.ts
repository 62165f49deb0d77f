/**
 * FetchSecret: the AWS secret version an event names, as sealed Kubernetes
 * data and a value-free description of its source and keys.
 */
import type { FetchOutput, SyncInput } from '../domain/contract.ts';
import { encodeSecretData } from '../domain/data-codec.ts';
import { nameList } from '../domain/names.ts';
import type { Clock, SecretSource, Sealer } from '../domain/ports.ts';
import {
  assertValidKeys,
  assertWithinKeyBudget,
  assertWithinSizeLimit,
  parseSecretPayload,
} from '../domain/secret-data.ts';
import { validateTypedValues } from '../domain/secret-types.ts';
import type { SecretType } from '../domain/types.ts';
import { isDeleteSecretEvent, requestedVersion } from '../domain/event-reading.ts';

/** What the fetch step works through. */
export interface FetchPorts {
  readonly source: SecretSource;
  readonly sealer: Sealer;
  readonly clock: Clock;
}

/** The mapping's settings the fetch step needs. */
export interface FetchSettings {
  readonly mappingId: string;
  readonly secretArn: string;
  readonly type: SecretType;
}

/**
 * Reads the secret version the event names (else AWSCURRENT), parses it into
 * Kubernetes data, refuses what Kubernetes or the state's size would refuse
 * (key names, size, key budget, the type's required values) and seals the
 * data. A CloudTrail DeleteSecret event of this secret is checked against the
 * secret's state now: still scheduled for deletion, the output is a deletion
 * (`source.deleted`, no keys, empty data sealed as usual so the next steps run
 * unchanged); restored meanwhile (a late delivery), it is a normal sync of
 * AWSCURRENT.
 *
 * @throws InvalidInputError for a malformed event or bad keys or values; NotFoundError,
 *   PermissionDeniedError, TransientError from the secret source or the sealer.
 */
export async function fetchSecret(ports: FetchPorts, settings: FetchSettings, input: SyncInput): Promise<FetchOutput> {
  const { mappingId, secretArn } = settings;
  // Taken before the read: a fetch that starts after a label move can only see the newer version.
  const fetchStarted = ports.clock.now().toISOString();
  if (isDeleteSecretEvent(input?.event, secretArn)) {
    const state = await ports.source.describeSecretDeletion(secretArn);
    if (state.deletedDate !== undefined) {
      return {
        source: {
          arn: secretArn,
          versionId: state.currentVersionId ?? 'deleted',
          createdDate: state.deletedDate,
          deleted: true,
          currentAt: fetchStarted,
        },
        keys: nameList([]),
        sealedData: await ports.sealer.seal({ mappingId, purpose: 'secret-data' }, encodeSecretData({})),
      };
    }
  }
  const version = await ports.source.getSecretVersion(secretArn, requestedVersion(input?.event, secretArn));
  const data = parseSecretPayload(version);
  const where = `secret ${secretArn} version ${version.versionId}`;
  assertValidKeys(Object.keys(data), where);
  assertWithinSizeLimit(data, where);
  assertWithinKeyBudget(Object.keys(data), where);
  validateTypedValues(settings.type, data);
  const current = version.stages.includes('AWSCURRENT');
  return {
    source: {
      arn: secretArn,
      versionId: version.versionId,
      createdDate: version.createdDate,
      ...(current ? { current: true, currentAt: fetchStarted } : { current: false }),
    },
    keys: nameList(Object.keys(data)),
    sealedData: await ports.sealer.seal({ mappingId, purpose: 'secret-data' }, encodeSecretData(data)),
  };
}
