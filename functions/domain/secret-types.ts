/**
 * What each Secret type requires of its data. Kubernetes checks the required
 * keys itself (422 on create or update); checking first gives a message that
 * says what to change in the AWS secret or the mapping.
 */
import { InvalidInputError } from './errors.ts';
import type { SecretData, SecretType } from './types.ts';

/** Every Secret type a mapping may ask for. */
export const SECRET_TYPES: readonly SecretType[] = ['Opaque', 'kubernetes.io/tls', 'kubernetes.io/dockerconfigjson'];

/** Data keys each type must have (Kubernetes `ValidateSecret`). */
export const REQUIRED_KEYS: Readonly<Record<SecretType, readonly string[]>> = {
  Opaque: [],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
};

/** The Secret type Kubernetes assumes when none is given. */
export const DEFAULT_SECRET_TYPE: SecretType = 'Opaque';

/** True when `value` is one of {@link SECRET_TYPES}. */
export function isSecretType(value: unknown): value is SecretType {
  return typeof value === 'string' && (SECRET_TYPES as readonly string[]).includes(value);
}

/** The keys `type` requires that are not in `keys`, in the order of {@link REQUIRED_KEYS}. */
export function missingRequiredKeys(type: SecretType, keys: Iterable<string>): string[] {
  const present = new Set(keys);
  return REQUIRED_KEYS[type].filter((key) => !present.has(key));
}

/** How complete the key set given to {@link assertRequiredKeys} is. */
export interface RequiredKeysOptions {
  /** Keys the write removes; a required key among them is reported as such. */
  readonly pruned?: readonly string[];
  /**
   * True when `keys` may miss some keys the Secret has (a truncated list of
   * kept names): then only required keys being pruned are reported, and the
   * apiserver stays the judge of the rest.
   */
  readonly partial?: boolean;
}

/**
 * Checks that a key set holds every key the type requires.
 *
 * @param type - The Secret type.
 * @param keys - The keys the Secret will have after the write.
 * @param context - What is being checked, for the message.
 * @param options - Pruned keys and whether `keys` is complete.
 * @throws InvalidInputError naming the missing keys and the type.
 */
export function assertRequiredKeys(
  type: SecretType,
  keys: Iterable<string>,
  context: string,
  options: RequiredKeysOptions = {},
): void {
  const pruned = options.pruned ?? [];
  const missing = missingRequiredKeys(type, keys).filter((k) => !options.partial || pruned.includes(k));
  if (missing.length === 0) return;
  const one = missing.length === 1;
  const names = missing.map((k) => JSON.stringify(k)).join(', ');
  const why = missing.some((k) => pruned.includes(k)) ? ` (pruning would remove ${one ? 'it' : 'some of them'})` : '';
  throw new InvalidInputError(
    `${context}: a Secret of type ${type} needs the data ${one ? 'key' : 'keys'} ${names}, ` +
      `which the result would lack${why}. ` +
      `Add ${one ? 'it' : 'them'} to the AWS secret, or change the mapping's type.`,
  );
}

function decodeJsonObject(base64: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the values a type gives meaning to, among the keys present in `data`
 * (required keys are {@link assertRequiredKeys}' job). For
 * `kubernetes.io/dockerconfigjson`, `.dockerconfigjson` must be a JSON object
 * with an `auths` object. Other types have no value rules here.
 *
 * @throws InvalidInputError describing the problem, never quoting the value.
 */
export function validateTypedValues(type: SecretType, data: SecretData): void {
  if (type !== 'kubernetes.io/dockerconfigjson' || !Object.hasOwn(data, '.dockerconfigjson')) return;
  const config = decodeJsonObject(data['.dockerconfigjson'] ?? '');
  const auths = config?.auths;
  if (config === undefined || typeof auths !== 'object' || auths === null || Array.isArray(auths)) {
    const problem = config === undefined ? 'it is not a JSON object' : 'its "auths" is missing or not an object';
    throw new InvalidInputError(
      `A Secret of type kubernetes.io/dockerconfigjson needs ".dockerconfigjson" to be a JSON object ` +
        `with an "auths" object (${problem}). Fix that value in the AWS secret.`,
    );
  }
}
