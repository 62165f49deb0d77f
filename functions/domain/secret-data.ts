/**
 * Turning a Secrets Manager payload into Kubernetes Secret data, and the rules
 * Kubernetes puts on that data. Pure: no SDK, no I/O.
 *
 * Every message here names keys only, never a value.
 */
import { InvalidInputError } from './errors.ts';
import { sortedUnique } from './names.ts';
import type { SecretData } from './types.ts';

/** The data key used when the payload is not a JSON object (plain text or binary). */
export const SINGLE_VALUE_KEY = 'value';

/** Kubernetes' limit on the summed size of a Secret's decoded values (`core.MaxSecretSize`): 1 MiB. */
export const SECRET_DATA_LIMIT_BYTES = 1_048_576;

/** Longest data key Kubernetes accepts (DNS-1123 subdomain length). */
export const MAX_KEY_LENGTH = 253;

const KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;
const KEY_DISPLAY_CHARS = 64;
const KEY_RULE =
  "a data key may contain only letters, digits, '-', '_' and '.', " +
  `must be 1 to ${MAX_KEY_LENGTH} characters long and must not be '.' or '..'`;

/** The value fields of a `GetSecretValue` response that matter here. */
export interface SecretPayload {
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
}

/** A data key Kubernetes would refuse, and why (the reason names the key's characters, never a value). */
export interface InvalidKey {
  readonly key: string;
  readonly reason: string;
}

function base64Utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Converts a Secrets Manager payload into Kubernetes Secret data (base64 values).
 *
 * - A `secretString` that is a JSON object gives one key per property: a string
 *   value as its UTF-8 bytes, any other value (number, boolean, null, object,
 *   array) as its compact JSON text. `{}` gives no keys at all (a Secret with no
 *   data is valid; mapping rules such as required keys are checked later).
 * - Any other `secretString` (invalid JSON, an array, a string, a number, a
 *   boolean, null) is kept verbatim under {@link SINGLE_VALUE_KEY}.
 * - A `secretBinary` is kept byte for byte under {@link SINGLE_VALUE_KEY}.
 *
 * `secretString` wins when both are present (Secrets Manager never returns both).
 * Text is encoded as UTF-8; an unpaired surrogate (only possible through a JSON
 * `\uD800` escape) becomes U+FFFD, as in any UTF-8 encoder. Keys are not checked
 * here: see {@link assertValidKeys}.
 *
 * @throws InvalidInputError when neither field is present.
 */
export function parseSecretPayload(payload: SecretPayload): SecretData {
  if (payload.secretString !== undefined) {
    const raw = payload.secretString;
    const parsed = tryParseJson(raw);
    if (!isPlainObject(parsed)) return { [SINGLE_VALUE_KEY]: base64Utf8(raw) };
    // fromEntries defines own properties, so a "__proto__" key stays a key.
    return Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [
        key,
        base64Utf8(typeof value === 'string' ? value : JSON.stringify(value)),
      ]),
    );
  }
  if (payload.secretBinary !== undefined) {
    return { [SINGLE_VALUE_KEY]: Buffer.from(payload.secretBinary).toString('base64') };
  }
  throw new InvalidInputError(
    'The secret version has neither SecretString nor SecretBinary: nothing to sync. ' +
      'Put a value in the AWS secret.',
  );
}

/** Shows a key in a message: JSON-quoted, cut to a readable length with its full length noted. */
export function displayKey(key: string): string {
  const chars = Array.from(key);
  if (chars.length <= KEY_DISPLAY_CHARS) return JSON.stringify(key);
  const head = JSON.stringify(chars.slice(0, KEY_DISPLAY_CHARS - 4).join(''));
  return `${head.slice(0, -1)}…" (${chars.length} characters)`;
}

function badCharacters(key: string): string[] {
  return sortedUnique(Array.from(key).filter((c) => !/[-._a-zA-Z0-9]/.test(c)));
}

function reasonsFor(key: string): string[] {
  if (key === '') return ['is empty'];
  if (key === '.' || key === '..') return ["is reserved ('.' and '..' are not allowed)"];
  const reasons: string[] = [];
  if (!KEY_PATTERN.test(key)) {
    const bad = badCharacters(key);
    const shown = bad.slice(0, 10).map((c) => JSON.stringify(c));
    const more = bad.length > shown.length ? ` and ${bad.length - shown.length} more` : '';
    reasons.push(`contains ${shown.join(', ')}${more}`);
  }
  // The apiserver measures bytes (Go len); for a key of allowed characters that is its length.
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_LENGTH) reasons.push(`is ${bytes} bytes long (at most ${MAX_KEY_LENGTH})`);
  return reasons;
}

/**
 * Lists the keys Kubernetes would refuse as Secret data keys, sorted, each with
 * every reason (bad characters, too long, empty, `.` or `..`). Valid keys are left out.
 */
export function invalidKeyReasons(keys: Iterable<string>): InvalidKey[] {
  return sortedUnique(keys).flatMap((key) => {
    const reasons = reasonsFor(key);
    return reasons.length === 0 ? [] : [{ key, reason: reasons.join(' and ') }];
  });
}

/**
 * Checks that every key can be a Kubernetes Secret data key.
 *
 * @param keys - The data keys, e.g. `Object.keys(parseSecretPayload(...))`.
 * @param context - What the keys belong to, for the message (e.g. the secret's ARN or mapping id).
 * @throws InvalidInputError naming every bad key with its reason, and saying to rename it in the AWS secret.
 */
export function assertValidKeys(keys: Iterable<string>, context: string): void {
  const bad = invalidKeyReasons(keys);
  if (bad.length === 0) return;
  const list = bad.map(({ key, reason }) => `${displayKey(key)} ${reason}`).join('; ');
  const noun = bad.length === 1 ? 'key is' : 'keys are';
  throw new InvalidInputError(
    `${context}: ${bad.length} ${noun} not valid Kubernetes Secret data keys: ${list}. ` +
      `Rename ${bad.length === 1 ? 'it' : 'them'} in the AWS secret: ${KEY_RULE}.`,
  );
}

/** Summed decoded size in bytes of all values, as Kubernetes counts it against {@link SECRET_DATA_LIMIT_BYTES}. */
export function secretDataBytes(data: SecretData): number {
  let total = 0;
  for (const value of Object.values(data)) total += Buffer.byteLength(value, 'base64');
  return total;
}

/**
 * Checks the data fits a Kubernetes Secret.
 *
 * @param data - The data to write.
 * @param context - What the data belongs to, for the message.
 * @param otherBytes - Bytes of values already in the Secret that the write keeps.
 * @throws InvalidInputError when the values add up to more than 1 MiB.
 */
export function assertWithinSizeLimit(data: SecretData, context: string, otherBytes = 0): void {
  const total = secretDataBytes(data) + otherBytes;
  if (total <= SECRET_DATA_LIMIT_BYTES) return;
  throw new InvalidInputError(
    `${context}: the Secret's values would total ${total} bytes, over the Kubernetes limit of ` +
      `${SECRET_DATA_LIMIT_BYTES} bytes (1 MiB). Make the AWS secret smaller or split it across mappings.`,
  );
}

/** Most keys one mapping syncs: key names travel through the execution's state several times. */
export const MAX_KEYS = 500;

/** Most bytes of key names (UTF-8, summed) one mapping syncs, for the same reason. */
export const MAX_KEY_NAME_BYTES = 8192;

/**
 * Checks the key names fit the state machine's payload budget. Key names (never
 * values) appear in the observation, the plan and the managed-keys annotation,
 * so a secret of thousands of tiny keys could push a state past Step Functions'
 * 256 KiB limit (`States.DataLimitExceeded`, measured by `npm run bench`). The
 * limit keeps every state well inside it; real secrets hold far fewer keys.
 *
 * @throws InvalidInputError naming the count, the bytes and the limits.
 */
export function assertWithinKeyBudget(keys: readonly string[], context: string): void {
  const bytes = keys.reduce((n, k) => n + Buffer.byteLength(k, 'utf8'), 0);
  if (keys.length <= MAX_KEYS && bytes <= MAX_KEY_NAME_BYTES) return;
  throw new InvalidInputError(
    `${context}: ${keys.length} keys with ${bytes} bytes of key names exceed one mapping's limit of ` +
      `${MAX_KEYS} keys and ${MAX_KEY_NAME_BYTES} bytes of names (the names travel through the state machine's ` +
      `state, which Step Functions caps at 256 KiB). Split the secret across several secrets and mappings.`,
  );
}
