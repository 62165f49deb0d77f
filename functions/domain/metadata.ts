/**
 * The labels and annotations this tool writes on a Kubernetes Secret, and how
 * they are read back. Readers are defensive: annotations can be edited by
 * anyone, so garbage is treated as absent and never throws.
 */
import { createHmac } from 'node:crypto';
import { sortedUnique } from './names.ts';
import { PRODUCT_NAME } from './product.ts';
import type { SourceVersion } from './types.ts';

/** Our name, as the value of {@link MANAGED_BY_LABEL}. */
export const MANAGER_NAME = PRODUCT_NAME;

/** Whether a server-side-apply field manager is this tool's (merge patches, adoptions, per-version creates). */
export function isOurFieldManager(manager: string | undefined): boolean {
  return manager === MANAGER_NAME || (manager ?? '').startsWith(`${MANAGER_NAME}-`);
}

/** Standard label naming the tool that manages the object. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/** Label holding the id of the mapping that writes the Secret. */
export const MAPPING_LABEL = 'eks-secret-sync.io/mapping';

/** Annotations recording what was written and from where. */
export const ANNOTATIONS = {
  /** Full ARN of the AWS secret. */
  sourceArn: 'eks-secret-sync.io/source-arn',
  /** Secrets Manager VersionId last written. */
  sourceVersionId: 'eks-secret-sync.io/source-version-id',
  /** Creation date (ISO 8601) of that version; orders versions to refuse stale writes. */
  sourceCreatedDate: 'eks-secret-sync.io/source-created-date',
  /** When that version was last seen as AWSCURRENT before the write (ISO 8601); absent when it was not. */
  sourceCurrentAt: 'eks-secret-sync.io/source-current-at',
  /** JSON array of the data keys this tool wrote, sorted: the only keys it may ever prune. */
  managedKeys: 'eks-secret-sync.io/managed-keys',
  /**
   * When this tool last wrote the Secret (ISO 8601): the last change, not the last check, because a sync that
   * changes nothing writes nothing (docs/operations.md#reading-a-secrets-status-with-kubectl).
   */
  syncedAt: 'eks-secret-sync.io/synced-at',
  /**
   * `hmac-sha256:<hex>` of the data this tool wrote ({@link dataHash}), keyed by {@link ANNOTATIONS.dataHashKey}:
   * changes exactly when that data changes, for a pod template annotation.
   */
  dataHash: 'eks-secret-sync.io/data-hash',
  /**
   * The key of {@link ANNOTATIONS.dataHash}: 32 random bytes (base64), made at the first write and kept. It is
   * as secret as the Secret it sits on: whoever may read it may read the data (docs/decisions.md).
   */
  dataHashKey: 'eks-secret-sync.io/data-hash-key',
  /**
   * {@link MANAGER_NAME} when this tool created the Secret (set by the
   * server-side-apply create only): under deletionPolicy `delete`, only such
   * a Secret may be deleted as a whole.
   */
  createdBy: 'eks-secret-sync.io/created-by',
} as const;

/** The labels every Secret we write carries: managed-by and the mapping id. */
export function managedLabels(mappingId: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGER_NAME, [MAPPING_LABEL]: mappingId };
}

/** Encodes key names for {@link ANNOTATIONS.managedKeys}: a compact JSON array, sorted, without duplicates. */
export function encodeManagedKeys(keys: Iterable<string>): string {
  return JSON.stringify(sortedUnique(keys));
}

/**
 * The source annotations for a write: ARN, version id, created date, managed
 * keys, and when the version was seen as AWSCURRENT (only when it was).
 * `synced-at` is not included because it changes on every write; see {@link ANNOTATIONS}.
 */
export function sourceAnnotations(source: SourceVersion, keys: Iterable<string>): Record<string, string> {
  return { ...sourceVersionAnnotations(source), [ANNOTATIONS.managedKeys]: encodeManagedKeys(keys) };
}

/** The annotations that name the source version ({@link SOURCE_VERSION_ANNOTATIONS}), from the version alone. */
export function sourceVersionAnnotations(source: SourceVersion): Record<string, string> {
  return {
    [ANNOTATIONS.sourceArn]: source.arn,
    [ANNOTATIONS.sourceVersionId]: source.versionId,
    [ANNOTATIONS.sourceCreatedDate]: source.createdDate,
    ...(source.current === true &&
      source.currentAt !== undefined && { [ANNOTATIONS.sourceCurrentAt]: source.currentAt }),
  };
}

/**
 * The `source-*` annotations: built from the source version by whoever writes. ReadSecret leaves them out of its plan
 * when the state machine asks it to (`sourceAnnotationsAtWrite`), and ApplySecret adds them from its `source` input.
 */
export const SOURCE_VERSION_ANNOTATIONS: readonly string[] = [
  ANNOTATIONS.sourceArn,
  ANNOTATIONS.sourceVersionId,
  ANNOTATIONS.sourceCreatedDate,
  ANNOTATIONS.sourceCurrentAt,
];

function stringAt(annotations: Readonly<Record<string, unknown>>, name: string): string | undefined {
  if (!Object.hasOwn(annotations, name)) return undefined;
  const value = annotations[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads the source this tool last wrote from a Secret's annotations.
 *
 * @returns The source, or `undefined` unless the ARN, the version id and a
 *   parseable created date are all present (a partial record is as good as none).
 *   `currentAt` is included only when it is present and parseable.
 */
export function readLastSource(annotations: Readonly<Record<string, unknown>>): SourceVersion | undefined {
  const arn = stringAt(annotations, ANNOTATIONS.sourceArn);
  const versionId = stringAt(annotations, ANNOTATIONS.sourceVersionId);
  const createdDate = stringAt(annotations, ANNOTATIONS.sourceCreatedDate);
  if (arn === undefined || versionId === undefined || createdDate === undefined) return undefined;
  if (Number.isNaN(Date.parse(createdDate))) return undefined;
  const currentAt = stringAt(annotations, ANNOTATIONS.sourceCurrentAt);
  if (currentAt === undefined || Number.isNaN(Date.parse(currentAt))) return { arn, versionId, createdDate };
  return { arn, versionId, createdDate, currentAt };
}

/**
 * Reads the keys this tool wrote last time, sorted and without duplicates.
 *
 * @returns `[]` unless the annotation is a JSON array of strings. All or
 *   nothing: a partly garbled list prunes nothing rather than a guess.
 */
export function readManagedKeys(annotations: Readonly<Record<string, unknown>>): string[] {
  const text = stringAt(annotations, ANNOTATIONS.managedKeys);
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed) || !parsed.every((k): k is string => typeof k === 'string')) return [];
  return sortedUnique(parsed);
}

/** Bytes of a data-hash key ({@link ANNOTATIONS.dataHashKey}). */
export const DATA_HASH_KEY_BYTES = 32;

/** The prefix of a {@link dataHash} value: the algorithm, so a later one can be told apart. */
export const DATA_HASH_PREFIX = 'hmac-sha256:';

/**
 * The data hash: HMAC-SHA256 under `key` over the compact JSON array of `[name, base64 of the value's bytes]`
 * pairs of `data`, sorted by name (names are ASCII, so any sort order agrees), as lower-case hex after
 * {@link DATA_HASH_PREFIX}. Values are decoded and re-encoded, so two encodings of the same bytes hash alike.
 * Keyed, so that a reader of the hash (a pod template, the execution's state) cannot confirm a guessed value;
 * `data` holds values, so call it only where they may be opened.
 *
 * @param key - The Secret's data-hash key ({@link DATA_HASH_KEY_BYTES} bytes).
 * @param data - The data this tool writes: key name to base64 value.
 */
export function dataHash(key: Buffer, data: Readonly<Record<string, string>>): string {
  const pairs = sortedUnique(Object.keys(data)).map((name) => [
    name,
    Buffer.from(data[name] ?? '', 'base64').toString('base64'),
  ]);
  return DATA_HASH_PREFIX + createHmac('sha256', key).update(JSON.stringify(pairs)).digest('hex');
}

/**
 * The Secret's data-hash key from its annotations.
 *
 * @returns The key, or `undefined` unless the annotation is the base64 of exactly {@link DATA_HASH_KEY_BYTES}
 *   bytes (a garbled key is replaced by a new one at the next write).
 */
export function readDataHashKey(annotations: Readonly<Record<string, unknown>>): Buffer | undefined {
  const text = stringAt(annotations, ANNOTATIONS.dataHashKey);
  if (text === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const key = Buffer.from(text, 'base64');
  return key.length === DATA_HASH_KEY_BYTES && key.toString('base64') === text ? key : undefined;
}

/**
 * The data-hash annotations of a Secret that has no valid key yet: a new key and the hash of `data` under it.
 *
 * @param key - {@link DATA_HASH_KEY_BYTES} fresh random bytes.
 */
export function newDataHashAnnotations(key: Buffer, data: Readonly<Record<string, string>>): Record<string, string> {
  return { [ANNOTATIONS.dataHashKey]: key.toString('base64'), [ANNOTATIONS.dataHash]: dataHash(key, data) };
}
