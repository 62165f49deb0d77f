/**
 * FetchSecret: the AWS secret version an event names, as sealed Kubernetes
 * data and a value-free description of its source and keys.
 */
import type { FetchOutput, SyncInput } from '../domain/contract.ts';
import { encodeSecretData } from '../domain/data-codec.ts';
import { nameList } from '../domain/names.ts';
import type { Clock, Sealer } from '../domain/ports.ts';
import type { SecretSource } from '../domain/source.ts';
import {
  assertValidKeys,
  assertWithinKeyBudget,
  assertWithinSizeLimit,
  type SecretPayload,
} from '../domain/secret-data.ts';
import { shapeSecretData, type DataShape } from '../domain/shape.ts';
import { validateTypedValues } from '../domain/secret-types.ts';
import type { SecretData, SecretType } from '../domain/types.ts';

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
  /**
   * The mapping's `data` spec (functions/domain/shape.ts).
   * @default none: every top-level key of the secret as it is
   */
  readonly shape?: DataShape;
}

/**
 * The Kubernetes data a mapping writes from one secret value: shaped by the
 * mapping's `data` spec (or every key as it is), then refused if Kubernetes or
 * the state's size would refuse it (key names, size, key budget, the type's
 * values). The fetch step and the CLI's `render` both call this.
 *
 * @param where - Names the secret (and version) in messages.
 * @throws InvalidInputError naming the mapping, the key and the problem, never a value.
 */
export function secretDataFor(
  payload: SecretPayload,
  settings: Omit<FetchSettings, 'secretArn'>,
  where: string,
): SecretData {
  const data = shapeSecretData(payload, settings.shape, `mapping ${JSON.stringify(settings.mappingId)} (${where})`);
  assertValidKeys(Object.keys(data), where);
  assertWithinSizeLimit(data, where);
  assertWithinKeyBudget(Object.keys(data), where);
  validateTypedValues(settings.type, data);
  return data;
}

/**
 * Reads the secret version the event names (else the current one), through the mapping's source provider
 * (functions/domain/source.ts), shapes it into
 * Kubernetes data ({@link secretDataFor}), refuses what Kubernetes or the state's size would refuse
 * (key names, size, key budget, the type's required values) and seals the
 * data. An event that reports the secret's deletion (Secrets Manager: a CloudTrail DeleteSecret) is checked against the
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
  const asked = ports.source.readEvent(input?.event, secretArn);
  if (asked.deletion) {
    const state = await ports.source.deletion(secretArn);
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
        changedAt: null,
      };
    }
  }
  const version = await ports.source.readVersion(secretArn, asked.versionId);
  const data = secretDataFor(version, settings, `secret ${secretArn} version ${version.versionId}`);
  return {
    source: {
      arn: secretArn,
      versionId: version.versionId,
      createdDate: version.createdDate,
      ...(version.current ? { current: true, currentAt: fetchStarted } : { current: false }),
    },
    keys: nameList(Object.keys(data)),
    sealedData: await ports.sealer.seal({ mappingId, purpose: 'secret-data' }, encodeSecretData(data)),
    changedAt: asked.changedAt,
  };
}
