/**
 * The key table of `plan` and `sync`: each key with what a sync does to it and
 * its value MASKED. `--show-lengths` adds byte lengths, `--show-hashes` a short
 * SHA-256 prefix; nothing here ever returns a value or a part of one.
 */
import { createHash } from 'node:crypto';
import type { ExistingSecret, MergePlan, SecretData } from '../../functions/domain/types.ts';

/** What a sync does to one key. */
export type KeyChange = 'added' | 'updated' | 'unchanged' | 'kept' | 'pruned';

/** How much of a value may be revealed: nothing but presence, unless a flag asks for more. */
export interface Reveal {
  readonly lengths: boolean;
  readonly hashes: boolean;
}

/** A value as shown: present or not, and what the flags allow. */
export interface MaskedValue {
  readonly bytes?: number;
  /** The first 8 hex digits of SHA-256 of the value's bytes. */
  readonly sha256?: string;
}

/** One row of the table. `now` is the Kubernetes value before, `after` the one after the sync (null: no value). */
export interface KeyRow {
  readonly key: string;
  readonly change: KeyChange;
  readonly now: MaskedValue | null;
  readonly after: MaskedValue | null;
}

/** Shown in place of every value. */
export const MASK = '******';

/** Hex digits of the SHA-256 prefix: enough to tell values apart, too few to be more than a checksum. */
const HASH_DIGITS = 8;

/** A value (base64) as shown: presence, and its length or hash prefix only when `reveal` asks. */
export function mask(base64: string | undefined, reveal: Reveal): MaskedValue | null {
  if (base64 === undefined) return null;
  const bytes = Buffer.from(base64, 'base64');
  return {
    ...(reveal.lengths && { bytes: bytes.length }),
    ...(reveal.hashes && { sha256: createHash('sha256').update(bytes).digest('hex').slice(0, HASH_DIGITS) }),
  };
}

/**
 * The rows of a plan, sorted by key. Kept keys beyond the plan's bounded name
 * list are not rows; {@link moreKept} counts them.
 *
 * @param desired the AWS data (base64 values), @param existing the Secret as read (null when absent).
 */
export function keyRows(
  plan: MergePlan,
  desired: SecretData,
  existing: ExistingSecret | null | undefined,
  reveal: Reveal,
): KeyRow[] {
  const k8s = (key: string) => (existing && Object.hasOwn(existing.data, key) ? existing.data[key] : undefined);
  const aws = (key: string) => (Object.hasOwn(desired, key) ? desired[key] : undefined);
  const rows: KeyRow[] = [
    ...plan.added.map((key) => ({ key, change: 'added' as const, now: null, after: mask(aws(key), reveal) })),
    ...plan.updated.map((key) => ({
      key,
      change: 'updated' as const,
      now: mask(k8s(key), reveal),
      after: mask(aws(key), reveal),
    })),
    ...plan.unchanged.map((key) => ({
      key,
      change: 'unchanged' as const,
      now: mask(k8s(key), reveal),
      after: mask(k8s(key), reveal),
    })),
    ...plan.kept.names.map((key) => ({
      key,
      change: 'kept' as const,
      now: mask(k8s(key), reveal),
      after: mask(k8s(key), reveal),
    })),
    ...plan.pruned.map((key) => ({ key, change: 'pruned' as const, now: mask(k8s(key), reveal), after: null })),
  ];
  return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Kept keys the plan counts but does not name (its name list is bounded). */
export function moreKept(plan: MergePlan): number {
  return plan.kept.count - plan.kept.names.length;
}

/** A masked value as table text: `******`, `****** 12 B`, `****** sha256:1a2b3c4d`, or `-` for no value. */
export function showValue(v: MaskedValue | null): string {
  if (v === null) return '-';
  return [MASK, v.bytes !== undefined ? `${v.bytes} B` : '', v.sha256 !== undefined ? `sha256:${v.sha256}` : '']
    .filter(Boolean)
    .join(' ');
}

/** The reveal flags' help text, shared by plan and sync. */
export const REVEAL_HELP =
  "  --show-lengths       Show each value's length in bytes (values themselves are never shown).\n" +
  `  --show-hashes        Show the first ${HASH_DIGITS} hex digits of each value's SHA-256, to compare values
                       without showing them. A short hash of a guessable value can be guessed:
                       do not paste it where the value must stay secret.`;

/** The reveal flags for parseCommandArgs. */
export const REVEAL_OPTIONS = {
  'show-lengths': { type: 'boolean' },
  'show-hashes': { type: 'boolean' },
} as const;
