/**
 * FetchSecret: the AWS secret version an event names, as sealed Kubernetes
 * data and a value-free description of its source and keys.
 */
import type { SyncInput } from '../domain/contract.ts';
import { encodeSecretData } from '../domain/data-codec.ts';
import { nameList } from '../domain/names.ts';
import type { Clock, Sealed, Sealer } from '../domain/ports.ts';
import type { SecretSource, SourceVersion } from '../domain/source.ts';
import {
  assertValidKeys,
  assertWithinKeyBudget,
  assertWithinSizeLimit,
  type SecretPayload,
} from '../domain/secret-data.ts';
import {
  CURRENT_STAGE,
  otherStages,
  shapeSecretVersions,
  type DataShape,
  type ShapedData,
  type SourceVersions,
} from '../domain/shape.ts';
import { validateTypedValues } from '../domain/secret-types.ts';
import type { NameList, SecretData, SecretType, SourceVersion as SyncedVersion } from '../domain/types.ts';

/** FetchSecret: in `{ event }`, out at `$.fetched`. */
export interface FetchOutput {
  readonly source: SyncedVersion;
  readonly keys: NameList;
  readonly sealedData: Sealed;
  /**
   * When the version changed (the `Secret Label Updated` event's time, domain/freshness.ts), null for triggers
   * that do not say: the start of the freshness metric ApplySecret records.
   */
  readonly changedAt: string | null;
  /**
   * The staging labels `data` entries read that no version carried (AWSPREVIOUS of a secret's first version):
   * their keys are left out of the data. Absent when every label was found.
   */
  readonly missingStages?: readonly string[];
  /**
   * When the execution's budget ends (domain/execution-budget.ts `budgetEndsAt`): the deadline the wave loop of a
   * mapping with `waves` checks before each new wave. Absent without the execution's start time (a direct call).
   */
  readonly budgetEndsAt?: string;
}

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
  /**
   * The staging label the mapping follows (its `label` option): the version a trigger without a version id reads,
   * the only label whose event names a version, and what `current` means for the stale-version check.
   * @default AWSCURRENT
   */
  readonly label?: string;
}

/**
 * The Kubernetes data a mapping writes from one secret value (or, with entries naming a `stage`, from the
 * versions {@link SourceVersions} gives): shaped by the mapping's `data` spec (or every key as it is), then
 * refused if Kubernetes or the state's size would refuse it (key names, size, key budget, the type's values).
 * The checks see the produced keys only, whichever version each came from. The fetch step and the CLI's
 * `render` both call this.
 *
 * @param where - Names the secret (and version) in messages.
 * @throws InvalidInputError naming the mapping, the key and the problem, never a value.
 */
export function secretDataFor(
  versions: SecretPayload | SourceVersions,
  settings: Omit<FetchSettings, 'secretArn'>,
  where: string,
): SecretData {
  return shapedDataFor(versions, settings, where).data;
}

/** {@link secretDataFor}, with the keys left out because no version carries their label. */
export function shapedDataFor(
  versions: SecretPayload | SourceVersions,
  settings: Omit<FetchSettings, 'secretArn'>,
  where: string,
): ShapedData {
  const all: SourceVersions = 'primary' in versions ? versions : { primary: versions };
  const named = `mapping ${JSON.stringify(settings.mappingId)} (${where})`;
  const shaped = shapeSecretVersions(all, settings.shape, named);
  const { data } = shaped;
  assertValidKeys(Object.keys(data), where);
  assertWithinSizeLimit(data, where);
  assertWithinKeyBudget(Object.keys(data), where);
  validateTypedValues(settings.type, data);
  return shaped;
}

/**
 * The other versions the spec reads, one GetSecretValue per staging label (null: no version carries it).
 * Read after the primary version, so a NotFound here is the label, not the secret.
 */
async function readOtherStages(
  source: SecretSource,
  arn: string,
  shape: DataShape | undefined,
  primary: string,
): Promise<Record<string, SourceVersion | null>> {
  const stages = otherStages(shape, primary);
  const read = await Promise.all(stages.map((stage) => source.readStage(arn, stage)));
  return Object.fromEntries(stages.map((stage, n) => [stage, read[n]!]));
}

/**
 * Reads, through the mapping's source provider (functions/domain/source.ts), the secret version the event names (else
 * the one carrying the followed label, `settings.label`, default AWSCURRENT) and, once each, the versions carrying the
 * other staging labels the `data` entries name (`stage: AWSPREVIOUS`; a label no version carries leaves its keys out
 * and is listed in `missingStages`), shapes them into Kubernetes data ({@link shapedDataFor}), refuses what Kubernetes
 * or the state's size would refuse (key names, size, key budget, the type's required values) and seals the data. An
 * event that reports the secret's deletion (Secrets Manager: a CloudTrail DeleteSecret) is checked against the
 * secret's state now: still scheduled for deletion, the output is a deletion (`source.deleted`, no keys, empty data
 * sealed as usual so the next steps run unchanged); restored meanwhile (a late delivery), it is a normal sync of the
 * current version.
 *
 * @throws InvalidInputError for a malformed event or bad keys or values; NotFoundError, PermissionDeniedError,
 *   TransientError from the secret source or the sealer.
 */
export async function fetchSecret(ports: FetchPorts, settings: FetchSettings, input: SyncInput): Promise<FetchOutput> {
  const { mappingId, secretArn } = settings;
  // Taken before the read: a fetch that starts after a label move can only see the newer version.
  const fetchStarted = ports.clock.now().toISOString();
  const label = settings.label ?? CURRENT_STAGE;
  const asked = ports.source.readEvent(input?.event, secretArn, label);
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
  const version = await ports.source.readVersion(secretArn, asked.versionId, label);
  const others = await readOtherStages(ports.source, secretArn, settings.shape, label);
  const { data, omitted } = shapedDataFor(
    { primary: version, others, primaryStage: label },
    settings,
    `secret ${secretArn} version ${version.versionId}`,
  );
  const missingStages = Object.keys(omitted);
  return {
    source: {
      arn: secretArn,
      versionId: version.versionId,
      createdDate: version.createdDate,
      ...(version.current ? { current: true, currentAt: fetchStarted } : { current: false }),
      ...(label !== CURRENT_STAGE && { label }),
    },
    keys: nameList(Object.keys(data)),
    sealedData: await ports.sealer.seal({ mappingId, purpose: 'secret-data' }, encodeSecretData(data)),
    changedAt: asked.changedAt,
    ...(missingStages.length > 0 && { missingStages }),
  };
}
