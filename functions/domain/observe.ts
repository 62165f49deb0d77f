/**
 * Comparing the desired data with the Kubernetes Secret, without carrying any
 * value out: the result is safe to put in the execution's state.
 */
import {
  ANNOTATIONS,
  dataHash,
  isOurFieldManager,
  MANAGER_NAME,
  readDataHashKey,
  readLastSource,
  readManagedKeys,
} from './metadata.ts';
import { nameList, sortedUnique } from './names.ts';
import type { KubeSecret } from './ports.ts';
import type { ExistingSecret, KeyManager, Observation, OwnerRef, SecretData } from './types.ts';

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
    ownerReferences: (secret.metadata?.ownerReferences ?? []).map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.name,
      uid: o.uid,
      ...(o.controller === true && { controller: true }),
    })),
    keyManagers: keyManagersOf(secret.metadata?.managedFields ?? []),
  };
}

/** Field manager -> the data keys its `fieldsV1` names (`f:data` -> `f:<key>`); garbage counts as none. */
function keyManagersOf(entries: readonly { manager?: string; fieldsV1?: unknown }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of entries) {
    const data = (e.fieldsV1 as Record<string, unknown> | undefined)?.['f:data'];
    if (typeof data !== 'object' || data === null) continue;
    const keys = Object.keys(data)
      .filter((f) => f.startsWith('f:'))
      .map((f) => f.slice(2));
    const manager = e.manager ?? '';
    out[manager] = sortedUnique([...(out[manager] ?? []), ...keys]);
  }
  return out;
}

/** Managers other than this tool that own any of `desired`, by manager name. */
function otherManagersOf(existing: ExistingSecret, desired: ReadonlySet<string>): KeyManager[] {
  return Object.entries(existing.keyManagers ?? {})
    .filter(([manager]) => !isOurFieldManager(manager))
    .map(([manager, keys]) => ({ manager, keys: keys.filter((k) => desired.has(k)) }))
    .filter((m) => m.keys.length > 0)
    .sort((a, b) => a.manager.localeCompare(b.manager));
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
  const owners: readonly OwnerRef[] = existing.ownerReferences ?? [];
  const otherManagers = otherManagersOf(existing, new Set(desiredKeys));
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
    ...(owners.length > 0 && { owners }),
    ...(otherManagers.length > 0 && { otherManagers }),
  };
}

/**
 * The Secret's managedFields with every other manager's claim on `keys` (`f:data` -> `f:<key>`) removed, and
 * entries left claiming nothing dropped: sent in an adopting merge patch (the apiserver takes managedFields a
 * write sets as the base it records the write on), so the keys then belong to this tool alone, even where the
 * value does not change. Metadata only: managedFields hold field names, never values.
 */
export function releaseKeys(
  managedFields: readonly { readonly manager?: string; readonly fieldsV1?: unknown }[],
  keys: readonly string[],
): unknown[] {
  const out: unknown[] = [];
  for (const entry of managedFields) {
    const fields = entry.fieldsV1 as Record<string, unknown> | undefined;
    const data = fields?.['f:data'];
    if (isOurFieldManager(entry.manager) || typeof data !== 'object' || data === null) {
      out.push(entry);
      continue;
    }
    const keptData = Object.fromEntries(Object.entries(data).filter(([f]) => !keys.includes(f.slice(2))));
    const { 'f:data': _released, ...rest } = fields!;
    const fieldsV1 = Object.keys(keptData).length > 0 ? { ...rest, 'f:data': keptData } : rest;
    if (Object.keys(fieldsV1).length > 0) out.push({ ...entry, fieldsV1 });
  }
  return out;
}
