/**
 * The merge decision (what to write, from key names only) and the Kubernetes
 * request body that carries it out. Pure: plain data in, plain data out.
 */
import { ForeignOwnerError, InvalidInputError } from './errors.ts';
import { planDeletion } from './deletion.ts';
import { ANNOTATIONS, MANAGER_NAME, managedLabels, sourceAnnotations } from './metadata.ts';
import { extendNameList, nameList, sortedUnique } from './names.ts';
import { assertValidKeys } from './secret-data.ts';
import { assertRequiredKeys, DEFAULT_SECRET_TYPE } from './secret-types.ts';
import type { SecretManifest, SecretMergePatch, WriteTarget } from './requests.ts';
import type { MergeOptions, MergePlan, Observation, OwnerRef, SecretData, SecretType, SourceVersion } from './types.ts';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function dateOf(source: SourceVersion, what: string): number {
  const time = Date.parse(source.createdDate);
  if (Number.isNaN(time)) {
    throw new InvalidInputError(
      `The ${what} version's createdDate ${JSON.stringify(source.createdDate)} is not an ISO 8601 date.`,
    );
  }
  return time;
}

function noWrite(
  action: 'none' | 'skip-stale',
  reason: string,
  unchanged: readonly string[] = [],
  kept = nameList([]),
): MergePlan {
  return { action, reason, added: [], updated: [], unchanged, kept, pruned: [], labels: {}, annotations: {} };
}

/**
 * Decides how to bring the Secret to the AWS secret version `source`.
 *
 * - No Secret: `create` with every desired key `added`.
 * - The Secret records another AWS secret (source-arn annotation): throws.
 *   A Secret without our annotations is adopted: its keys are merged into.
 * - The Secret records another version that must not be replaced by `source`:
 *   `skip-stale`, as delivery is at-least-once and unordered. Versions are
 *   ordered by when they were seen as AWSCURRENT (`currentAt`) where both sides
 *   know it, so a rollback to an older version is written and a version
 *   replaced since its fetch is not; a version not AWSCURRENT when fetched
 *   never replaces one recorded as AWSCURRENT; else by creation date, equal
 *   dates going to a `source` that was AWSCURRENT when fetched.
 * - Otherwise missing keys are `added`, changed ones `updated`, equal ones
 *   `unchanged`; keys only in Kubernetes are `kept`, except those this tool
 *   wrote and AWS no longer has, which are `pruned` when `options.prune` is on.
 *   A key this tool never wrote is never pruned.
 * - `none` (no write at all) only when no key changes AND the annotations
 *   already record this exact version, key set and data hash (a Secret
 *   written before the data hash existed gets it with one metadata-only
 *   write). The data hash comes from the observation (ReadSecret computes it
 *   under the Secret's key); without a key ApplySecret makes one. Identical data under a new
 *   version is an `update` that touches only metadata, so the annotations
 *   always name the version the data came from and stale detection keeps working.
 *
 * Label and annotation changes in the mapping alone do not cause a write (the
 * observation carries no metadata): they land with the next write. The
 * managed-keys annotation records the desired keys; with prune off, keys kept
 * after AWS dropped them thus stop being prune candidates after that write.
 * A missing type means Opaque, as in Kubernetes. A create also records
 * that this tool created the Secret (created-by annotation), which decides
 * whether a deletion under deletionPolicy `delete` may delete it as a whole.
 * A `source` marked deleted is planned by {@link planDeletion}.
 *
 * @param source - The AWS secret version being synced.
 * @param observed - What {@link observe} saw.
 * @param options - The mapping's options.
 * @param now - ISO 8601 time for the synced-at annotation.
 * @throws InvalidInputError when a desired key is not a valid data key, the
 *   Secret belongs to another AWS secret, the Secret's type differs from the
 *   mapping's, the result lacks a key the type requires, or a createdDate is
 *   not a date.
 */
export function planMerge(source: SourceVersion, observed: Observation, options: MergeOptions, now: string): MergePlan {
  if (source.deleted === true) return planDeletion(source, observed, options, now);
  const context = `Mapping ${JSON.stringify(options.mappingId)}`;
  const desiredKeys = sortedUnique([...observed.same, ...observed.changed, ...observed.missing]);
  assertValidKeys(desiredKeys, context);
  const incomingTime = dateOf(source, 'incoming');
  const labels = { ...options.labels, ...managedLabels(options.mappingId) };
  const annotations = {
    ...options.annotations,
    ...sourceAnnotations(source, desiredKeys),
    ...(observed.dataHash !== undefined && { [ANNOTATIONS.dataHash]: observed.dataHash }),
    [ANNOTATIONS.syncedAt]: now,
  };
  if (!observed.exists) {
    assertRequiredKeys(options.type, desiredKeys, context);
    const reason =
      `The Secret does not exist: create it with ${plural(desiredKeys.length, 'key')} ` +
      `from version ${source.versionId}.`;
    const kept = nameList([]);
    const created = { ...annotations, [ANNOTATIONS.createdBy]: MANAGER_NAME };
    return {
      action: 'create',
      reason,
      added: desiredKeys,
      updated: [],
      unchanged: [],
      kept,
      pruned: [],
      labels,
      annotations: created,
    };
  }
  const controller = observed.owners?.find((o) => o.controller === true);
  if (controller !== undefined && options.adopt !== true) {
    throw new ForeignOwnerError(
      `${context}: the Secret is owned by another controller, ${ownerText(controller)} (an ownerReference with ` +
        `controller: true); two writers of one Secret fight, so nothing was written. Stop the other tool from ` +
        `writing it and set adopt: true on the mapping to take it over (docs/migrating-from-eso.md), or target ` +
        `another Secret.`,
    );
  }
  const last = observed.lastSource;
  if (last !== undefined && last.arn !== source.arn) {
    throw new InvalidInputError(
      `${context}: the Secret was written from ${last.arn}, not from ${source.arn}; ` +
        `one Secret cannot take two sources. Fix the mapping so that it targets another Secret, ` +
        `or delete the Secret if it should change hands.`,
    );
  }
  const stale =
    last === undefined || last.versionId === source.versionId ? undefined : staleness(source, last, incomingTime);
  if (stale !== undefined) return noWrite('skip-stale', stale);
  assertSameType(observed.type, options.type, context);
  const { added, updated, unchanged, pruned, kept } = partition(observed, options.prune, desiredKeys);
  assertRequiredKeys(options.type, [...desiredKeys, ...kept.names], context, { pruned, partial: kept.truncated });

  const recorded =
    last?.versionId === source.versionId &&
    last.createdDate === source.createdDate &&
    sameList(sortedUnique(observed.managedKeys), desiredKeys) &&
    observed.dataHashRecorded === true;
  const writes = added.length + updated.length + pruned.length;
  const adopt = options.adopt === true ? adoption(observed, desiredKeys) : undefined;
  if (adopt !== undefined) {
    const { resourceVersion } = observed;
    const owners = adopt.removedOwners.map(ownerText).join(', ') || 'no owner';
    const reason =
      `Adopt the Secret: remove ${plural(adopt.removedOwners.length, 'ownerReference')} (${owners}) and take ` +
      `${plural(adopt.takeKeys.length, 'key')} under ${MANAGER_NAME}'s field manager, at version ` +
      `${source.versionId}: ${added.length} added, ${updated.length} updated, ${plural(kept.count, 'other key')} kept.`;
    return {
      action: 'update',
      reason,
      added,
      updated,
      unchanged,
      kept,
      pruned,
      resourceVersion,
      labels,
      annotations,
      adopt,
    };
  }
  if (writes === 0 && recorded) {
    const reason = `The Secret already holds version ${source.versionId} with identical data: no write.`;
    return noWrite('none', reason, unchanged, kept);
  }
  const reason =
    writes === 0
      ? `The data already matches; record version ${source.versionId} in the annotations.`
      : `Update to version ${source.versionId}: ${added.length} added, ${updated.length} updated, ` +
        `${pruned.length} pruned, ${unchanged.length} unchanged, ${plural(kept.count, 'other key')} kept.`;
  const { resourceVersion } = observed;
  return { action: 'update', reason, added, updated, unchanged, kept, pruned, resourceVersion, labels, annotations };
}

/** `Kind "name"` of an owner, for messages and plans (metadata only). */
function ownerText(o: OwnerRef): string {
  return `${o.kind} ${JSON.stringify(o.name)}`;
}

/**
 * What adopting the Secret takes over, or undefined when there is nothing left to take: every ownerReference
 * (deleting any owner would delete the Secret) and the desired keys, when an owner or another field manager
 * of a desired key remains.
 */
function adoption(observed: Observation, desiredKeys: readonly string[]): MergePlan['adopt'] {
  const removedOwners = observed.owners ?? [];
  if (removedOwners.length === 0 && (observed.otherManagers ?? []).length === 0) return undefined;
  return { removedOwners, takeKeys: desiredKeys };
}

/**
 * Why `source` must not overwrite `last`, another version, or undefined when
 * it may. Versions are ordered by when they were seen as AWSCURRENT when both
 * sides know it (a fetch starting after a label move can only see the newer
 * version, so a later start means a later truth): this follows rollbacks and
 * refuses a version that was current when fetched but replaced before it was
 * written. A version not current when fetched never replaces one that was: the
 * label move that replaced it starts its own sync. A current version replaces
 * a record that does not say when it was current. Otherwise creation dates
 * decide, and on equal dates only a version current when fetched wins.
 */
function staleness(source: SourceVersion, last: SourceVersion, incomingTime: number): string | undefined {
  const currentAt =
    source.current === true && source.currentAt !== undefined ? Date.parse(source.currentAt) : undefined;
  if (currentAt !== undefined && Number.isNaN(currentAt)) {
    throw new InvalidInputError(
      `The incoming version's currentAt ${JSON.stringify(source.currentAt)} is not an ISO 8601 date.`,
    );
  }
  // The label the mapping follows: `last` was written by the same mapping, so it speaks of the same label.
  const label = source.label ?? 'AWSCURRENT';
  if (last.currentAt !== undefined) {
    if (currentAt !== undefined && currentAt > Date.parse(last.currentAt)) return undefined;
    return (
      `The Secret holds version ${last.versionId}, ${label} at ${last.currentAt}; version ${source.versionId} ` +
      (currentAt === undefined
        ? `was not ${label} when fetched`
        : `was ${label} only earlier, at ${source.currentAt}`) +
      ': it is not written.'
    );
  }
  if (currentAt !== undefined) return undefined;
  const recordedTime = dateOf(last, 'recorded');
  if (recordedTime > incomingTime) {
    return (
      `The Secret holds version ${last.versionId} created ${last.createdDate}, newer than version ` +
      `${source.versionId} created ${source.createdDate}: the older version is not written.`
    );
  }
  if (recordedTime === incomingTime && source.current !== true) {
    return (
      `The Secret holds version ${last.versionId} created at the same time as version ${source.versionId} ` +
      `(${source.createdDate}), which was no longer ${label} when fetched: it is not written.`
    );
  }
  return undefined;
}

function assertSameType(observedType: string | undefined, wanted: SecretType, context: string): void {
  const existing = observedType === undefined || observedType === '' ? DEFAULT_SECRET_TYPE : observedType;
  if (existing === wanted) return;
  throw new InvalidInputError(
    `${context}: the Secret has type ${JSON.stringify(existing)} but the mapping asks for ${wanted}, ` +
      `and a Secret's type cannot change. Delete the Secret so that it is created again with the new type, ` +
      `or set the mapping's type to ${JSON.stringify(existing)}.`,
  );
}

/**
 * Sorts every key into one category. Pruning is re-checked against the
 * observation's own lists: only a key the annotation says we wrote, that AWS
 * no longer has and that is not someone else's.
 */
function partition(observed: Observation, prune: boolean, desiredKeys: readonly string[]) {
  const desired = new Set(desiredKeys);
  const managed = new Set(observed.managedKeys);
  const others = new Set(observed.others.names);
  const added = sortedUnique(observed.missing);
  const updated = sortedUnique(observed.changed).filter((k) => !added.includes(k));
  const unchanged = sortedUnique(observed.same).filter((k) => !added.includes(k) && !updated.includes(k));
  const candidates = sortedUnique(observed.dropped).filter((k) => !desired.has(k) && !others.has(k));
  const pruned = prune ? candidates.filter((k) => managed.has(k)) : [];
  const kept = extendNameList(
    observed.others,
    candidates.filter((k) => !pruned.includes(k)),
  );
  return { added, updated, unchanged, pruned, kept };
}

/**
 * Builds the Kubernetes request body that carries out a plan.
 *
 * - `create`: a full v1 Secret with `desired` as its data.
 * - `update`: a JSON merge patch with the resourceVersion precondition, the
 *   labels and annotations, and in `data` only the added and updated keys
 *   (with their values) and the pruned keys (as `null`). Kept and unchanged
 *   keys are not sent, so values written by others are never touched.
 *
 * @throws Error for `none` and `skip-stale` (nothing to write), an update plan
 *   without resourceVersion, or a plan naming a key `desired` lacks: all
 *   programming errors, not input errors.
 */
export function buildWrite(
  plan: MergePlan,
  desired: SecretData,
  target: WriteTarget,
): SecretManifest | SecretMergePatch {
  const encodedValue = (key: string): string => {
    const value = Object.hasOwn(desired, key) ? desired[key] : undefined;
    if (value === undefined) {
      throw new Error(`buildWrite: the plan writes key ${JSON.stringify(key)} that the desired data lacks.`);
    }
    return value;
  };
  if (plan.action === 'create') {
    const data = Object.fromEntries(Object.keys(desired).map((k) => [k, encodedValue(k)]));
    for (const key of plan.added) encodedValue(key);
    const metadata = {
      name: target.name,
      namespace: target.namespace,
      labels: plan.labels,
      annotations: plan.annotations,
    };
    return { apiVersion: 'v1', kind: 'Secret', metadata, type: target.type, data };
  }
  if (plan.action === 'update') {
    if (plan.resourceVersion === undefined) {
      throw new Error('buildWrite: an update plan must carry the resourceVersion it was planned against.');
    }
    const entries: [string, string | null][] = [
      ...[...plan.added, ...plan.updated].map((k): [string, string] => [k, encodedValue(k)]),
      ...plan.pruned.map((k): [string, null] => [k, null]),
    ];
    const metadata = {
      resourceVersion: plan.resourceVersion,
      labels: plan.labels,
      annotations: plan.annotations,
      // An adoption removes every ownerReference (null deletes the field in a merge patch).
      ...(plan.adopt !== undefined && plan.adopt.removedOwners.length > 0 && { ownerReferences: null }),
    };
    return { metadata, data: Object.fromEntries(entries) };
  }
  throw new Error(`buildWrite: a '${plan.action}' plan has nothing to write.`);
}

/**
 * The server-side apply body of an adoption's second request: the keys the plan takes over, with their values,
 * and this tool's labels, applied with force under this tool's field manager so the keys' ownership moves to it
 * even where the other tool wrote the same value (a merge patch moves only the fields it changes).
 *
 * @throws Error for a plan that adopts nothing, or names a key `desired` lacks: programming errors.
 */
export function buildTakeover(plan: MergePlan, desired: SecretData, target: WriteTarget): SecretManifest {
  if (plan.adopt === undefined) throw new Error('buildTakeover: the plan adopts nothing.');
  const data = Object.fromEntries(
    plan.adopt.takeKeys.map((k) => {
      const value = Object.hasOwn(desired, k) ? desired[k] : undefined;
      if (value === undefined) throw new Error(`buildTakeover: the plan takes key ${JSON.stringify(k)} it lacks.`);
      return [k, value];
    }),
  );
  const metadata = { name: target.name, namespace: target.namespace, labels: plan.labels, annotations: {} };
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: target.type, data };
}
