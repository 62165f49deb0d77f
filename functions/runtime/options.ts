import type { DeletionPolicy, MergeOptions, SecretType } from '../domain/types.ts';
import { parseWorkloads, type WorkloadRef } from '../domain/restart.ts';
import { DEFAULT_SECRET_TYPE, isSecretType, SECRET_TYPES } from '../domain/secret-types.ts';
import { ConfigError } from '../domain/errors.ts';
import { jsonEnv, requireEnv } from './env.ts';

/**
 * The mapping's Secret type from SECRET_TYPE (default Opaque).
 *
 * @throws ConfigError for a type this tool does not support.
 */
export function secretTypeFromEnv(): SecretType {
  const t = process.env.SECRET_TYPE || DEFAULT_SECRET_TYPE;
  if (!isSecretType(t))
    throw new ConfigError(`SECRET_TYPE ${JSON.stringify(t)} is not one of ${SECRET_TYPES.join(', ')}`);
  return t;
}

/**
 * The mapping's `deletionPolicy` from DELETION_POLICY: "retain" (default) or "delete".
 *
 * @throws ConfigError for any other value.
 */
export function deletionPolicyFromEnv(value = process.env.DELETION_POLICY): DeletionPolicy {
  const v = value === undefined || value === '' ? 'retain' : value;
  if (v !== 'retain' && v !== 'delete')
    throw new ConfigError(`DELETION_POLICY must be "retain" or "delete", not ${JSON.stringify(value)}`);
  return v;
}

/**
 * Merge options from MAPPING_ID, PRUNE ("true"/"false"), SECRET_TYPE, the
 * JSON objects LABELS and ANNOTATIONS, and DELETION_POLICY.
 *
 * @throws ConfigError when one is missing or malformed.
 */
export function mergeOptionsFromEnv(): MergeOptions {
  const prune = process.env.PRUNE ?? 'false';
  if (prune !== 'true' && prune !== 'false')
    throw new ConfigError(`PRUNE must be "true" or "false", not ${JSON.stringify(prune)}`);
  return {
    mappingId: requireEnv('MAPPING_ID'),
    prune: prune === 'true',
    type: secretTypeFromEnv(),
    labels: jsonEnv<Record<string, string>>('LABELS', {}),
    annotations: jsonEnv<Record<string, string>>('ANNOTATIONS', {}),
    deletionPolicy: deletionPolicyFromEnv(),
  };
}

/**
 * The mapping's `restart` option from RESTART_TARGETS: a JSON array of
 * `deployment/<name>`, `statefulset/<name>` or `daemonset/<name>`; unset
 * means none. Sorted, without duplicates.
 *
 * @throws ConfigError when it is not such an array.
 */
export function restartTargetsFromEnv(): WorkloadRef[] {
  const refs = jsonEnv<unknown>('RESTART_TARGETS', []);
  if (!Array.isArray(refs) || !refs.every((r): r is string => typeof r === 'string')) {
    throw new ConfigError('RESTART_TARGETS must be a JSON array of strings such as ["deployment/api"]');
  }
  try {
    return parseWorkloads(refs);
  } catch (e) {
    throw new ConfigError(`RESTART_TARGETS: ${(e as Error).message}`);
  }
}
