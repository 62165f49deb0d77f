/**
 * Comparing the desired data with the Kubernetes Secret, without carrying any
 * value out: the result is safe to put in the execution's state.
 */
import { ANNOTATIONS, dataHash, MANAGER_NAME, readDataHashKey, readLastSource, readManagedKeys } from './metadata.ts';
import { nameList, sortedUnique } from './names.ts';
import type { KubeSecret } from './ports.ts';
import type { ExistingSecret, Observation, SecretData } from './types.ts';

function sameBytes(a: string, b: string): boolean {
  // Equal text is equal bytes; otherwise decode, because two encodings of one value may differ.
  return a === b || Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

/**
 * The Secret as the domain sees it, from what the Kubernetes port read
 * (null when it does not exist): a missing type is Opaque, missing maps are
 * empty. Holds values: for the comparison in this process only.
 */
export function existingSecret(secret: KubeSecret | null): ExistingSecret | null {
  if (secret === null) return null;
  return {
    resourceVersion: secret.metadata?.resourceVersion ?? '',
    type: secret.type ?? 'Opaque',
    data: secret.data ?? {},
    labels: secret.metadata?.labels ?? {},
    annotations: secret.metadata?.annotations ?? {},
  };
}

/**
 * Compares desired data (from AWS) with the Secret read from Kubernetes.
 *
 * Every desired key lands in exactly one of `same`, `changed`, `missing` (each
 * sorted). Keys only in Kubernetes are `dropped` when the managed-keys
 * annotation says this tool wrote them, otherwise counted in `others` (a
 * bounded {@link NameList}, as the Secret may hold anything). `createdByUs`
 * is set when the created-by annotation names this tool. `dataHash` is the
 * keyed hash of `desired` under the Secret's data-hash key, when it has one:
 * a hash, never a value, so it may travel in the state.
 *
 * @param desired - The data the AWS secret version gives.
 * @param existing - The Secret as read, or `null` when it does not exist.
 */
export function observe(desired: SecretData, existing: ExistingSecret | null): Observation {
  const desiredKeys = sortedUnique(Object.keys(desired));
  if (existing === null) {
    return {
      exists: false,
      managedKeys: [],
      same: [],
      changed: [],
      missing: desiredKeys,
      others: nameList([]),
      dropped: [],
    };
  }
  const same: string[] = [];
  const changed: string[] = [];
  const missing: string[] = [];
  for (const key of desiredKeys) {
    if (!Object.hasOwn(existing.data, key)) missing.push(key);
    else if (sameBytes(desired[key] ?? '', existing.data[key] ?? '')) same.push(key);
    else changed.push(key);
  }
  const managedKeys = readManagedKeys(existing.annotations);
  const managed = new Set(managedKeys);
  const onlyInKubernetes = Object.keys(existing.data).filter((key) => !Object.hasOwn(desired, key));
  const lastSource = readLastSource(existing.annotations);
  const key = readDataHashKey(existing.annotations);
  const hash = key === undefined ? undefined : dataHash(key, desired);
  return {
    exists: true,
    resourceVersion: existing.resourceVersion,
    type: existing.type,
    ...(lastSource === undefined ? {} : { lastSource }),
    managedKeys,
    same,
    changed,
    missing,
    others: nameList(onlyInKubernetes.filter((key) => !managed.has(key))),
    dropped: sortedUnique(onlyInKubernetes.filter((key) => managed.has(key))),
    ...(existing.annotations[ANNOTATIONS.createdBy] === MANAGER_NAME && { createdByUs: true }),
    ...(hash !== undefined && { dataHash: hash }),
    ...(hash !== undefined && existing.annotations[ANNOTATIONS.dataHash] === hash && { dataHashRecorded: true }),
  };
}
