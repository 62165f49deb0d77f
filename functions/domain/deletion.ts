/**
 * What a deletion of the AWS secret does to the Kubernetes Secret (the
 * mapping's `deletionPolicy`), and the request that carries it out. Pure:
 * plain data in, plain data out.
 *
 * A deletion reaches the plan (ReadSecret) as a source with `deleted: true` (FetchSecret
 * sets it only for a CloudTrail DeleteSecret event of this secret that
 * DescribeSecret confirms) and an observation of empty AWS data, so every key
 * of the Secret is either `dropped` (this tool wrote it: managed-keys
 * annotation) or one of `others`.
 */
import { InvalidInputError } from './errors.ts';
import { ANNOTATIONS, encodeManagedKeys } from './metadata.ts';
import { extendNameList, nameList } from './names.ts';
import type { SecretDeleteOptions, SecretMergePatch } from './requests.ts';
import type { MergeOptions, MergePlan, Observation, SourceVersion } from './types.ts';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function noWrite(action: 'none' | 'skip-stale' | 'retain', reason: string, observed: Observation): MergePlan {
  const kept = extendNameList(observed.others, observed.dropped);
  return { action, reason, added: [], updated: [], unchanged: [], kept, pruned: [], labels: {}, annotations: {} };
}

/**
 * Decides what the deletion of the AWS secret `source` does to the Secret.
 *
 * - Policy `retain` (the default): `retain`, no write; the execution ends
 *   successfully (deleting a secret on purpose is not a failed sync).
 * - Policy `delete`, in this order: no Secret, or a Secret without our source
 *   record: `none`. A Secret written since the deletion was seen (its
 *   `source-current-at` is later than the fetch that saw the deletion: the
 *   secret was restored and synced meanwhile): `skip-stale`. A Secret this
 *   tool created (created-by annotation) that holds no key of others:
 *   `delete-secret`. Keys this tool wrote still present: `delete-keys`, which
 *   removes exactly them and records an empty managed-keys list; keys of
 *   others stay. Otherwise `none`.
 *
 * @param now - ISO 8601 time for the synced-at annotation of a `delete-keys`.
 * @throws InvalidInputError when `source` is not a deletion or the Secret was
 *   written from another AWS secret (a Secret is never touched for a source it
 *   does not belong to).
 */
export function planDeletion(
  source: SourceVersion,
  observed: Observation,
  options: MergeOptions,
  now: string,
): MergePlan {
  if (source.deleted !== true) throw new InvalidInputError('planDeletion needs a source marked deleted');
  const what = `The AWS secret ${source.arn} is scheduled for deletion (${source.createdDate})`;
  if ((options.deletionPolicy ?? 'retain') === 'retain') {
    const state = observed.exists
      ? `keeps the Secret unchanged (${plural(observed.others.count + observed.dropped.length, 'key')})`
      : 'leaves the absent Secret absent';
    return noWrite('retain', `${what}; deletionPolicy retain ${state}.`, observed);
  }
  if (!observed.exists) return noWrite('none', `${what}; the Secret does not exist: nothing to delete.`, observed);
  const last = observed.lastSource;
  if (last === undefined) {
    return noWrite(
      'none',
      `${what}; the Secret has no record of a write by this tool: nothing of ours to delete.`,
      observed,
    );
  }
  if (last.arn !== source.arn) {
    throw new InvalidInputError(
      `Mapping ${JSON.stringify(options.mappingId)}: the Secret was written from ${last.arn}, not from ` +
        `${source.arn}; ` +
        'the deletion of this secret does not touch it. Fix the mapping so that it targets another Secret.',
    );
  }
  if (
    last.currentAt !== undefined &&
    source.currentAt !== undefined &&
    Date.parse(last.currentAt) > Date.parse(source.currentAt)
  ) {
    return noWrite(
      'skip-stale',
      `${what}, but the Secret holds version ${last.versionId}, AWSCURRENT at ${last.currentAt}, after the deletion ` +
        `was seen ` +
        `(${source.currentAt}): the secret was restored and synced since; nothing is deleted.`,
      observed,
    );
  }
  const removable = [...observed.dropped];
  const { resourceVersion } = observed;
  const base = { added: [], updated: [], unchanged: [], pruned: removable, resourceVersion, labels: {} };
  if (observed.createdByUs === true && observed.others.count === 0) {
    const reason =
      `${what}; this tool created the Secret and no other keys remain: ` +
      `delete the Secret (${plural(removable.length, 'key')}).`;
    return { ...base, action: 'delete-secret', reason, kept: nameList([]), annotations: {} };
  }
  if (removable.length === 0)
    return noWrite('none', `${what}; no key this tool wrote remains in the Secret: nothing to delete.`, observed);
  const reason =
    `${what}; remove the ${plural(removable.length, 'key')} this tool wrote ` +
    `and keep ${plural(observed.others.count, 'other key')}` +
    (observed.createdByUs === true ? '.' : ' (the Secret stays: this tool did not create it).');
  const annotations = { [ANNOTATIONS.managedKeys]: encodeManagedKeys([]), [ANNOTATIONS.syncedAt]: now };
  return { ...base, action: 'delete-keys', reason, kept: observed.others, annotations };
}

/**
 * Builds the Kubernetes request body that carries out a deletion plan.
 *
 * - `delete-keys`: a JSON merge patch with the resourceVersion precondition,
 *   `null` for each removed key, and the plan's annotations (managed keys now
 *   empty). Keys of others are not sent.
 * - `delete-secret`: DeleteOptions with the resourceVersion precondition.
 *
 * @throws Error for any other action or a plan without resourceVersion:
 *   programming errors, not input errors.
 */
export function buildDeletion(plan: MergePlan): SecretMergePatch | SecretDeleteOptions {
  if (plan.resourceVersion === undefined)
    throw new Error(`buildDeletion: a '${plan.action}' plan must carry the resourceVersion it was planned against.`);
  if (plan.action === 'delete-secret') {
    return { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: plan.resourceVersion } };
  }
  if (plan.action === 'delete-keys') {
    const metadata = { resourceVersion: plan.resourceVersion, labels: plan.labels, annotations: plan.annotations };
    return { metadata, data: Object.fromEntries(plan.pruned.map((k) => [k, null])) };
  }
  throw new Error(`buildDeletion: a '${plan.action}' plan is not a deletion.`);
}
