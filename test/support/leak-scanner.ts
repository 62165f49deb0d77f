/**
 * The one leak scanner: finds a secret (a canary value, a token, a credential)
 * in captured text in any of the encodings it could reach an operator in.
 * Every surface the tests capture (function logs, every state's input and
 * output, errors and causes, DLQ bodies, CLI stdout and stderr) goes through
 * {@link scanForLeaks}; test/unit/leak-scanner.test.ts plants each encoding at
 * byte offsets 0-3 and expects it found (the positive controls).
 *
 * Encodings searched, per secret:
 * - raw; JSON-escaped once and twice (a cause is JSON text inside JSON);
 *   URL-encoded (`encodeURIComponent` and form encoding); hex, lower and upper;
 * - base64 and base64url at all three byte alignments: a value at byte
 *   offset k of a larger encoded buffer shows as the characters of its full
 *   4-character groups, which differ by k mod 3;
 * - every 12-character substring of the raw value (a value cut or quoted in part).
 */

/** One secret to search for, with a label that names it in findings (never the value). */
export interface Secret {
  readonly label: string;
  readonly value: string;
}

/** A secret found: which one, in which encoding, where. */
export interface Leak {
  readonly label: string;
  readonly encoding: string;
  readonly index: number;
}

/** Length of the substrings of a value that count as a leak. */
export const SUBSTRING_LENGTH = 12;

/** Shortest needle searched: shorter ones would match by chance. */
const MIN_NEEDLE = 8;

/**
 * The base64 (or base64url) characters that encode `value` when it starts at
 * byte offset `k` (0, 1 or 2) of a larger buffer: full 4-character groups only.
 */
function alignedBase64(value: Buffer, k: number, url: boolean): string {
  const encoded = Buffer.concat([Buffer.alloc(k), value]).toString(url ? 'base64url' : 'base64');
  const start = k === 0 ? 0 : 4;
  const end = Math.floor((k + value.length) / 3) * 4;
  return encoded.slice(start, end);
}

/** Every encoded form of `value` to search for, by encoding name. */
export function encodingsOf(value: string): ReadonlyArray<{ encoding: string; needle: string }> {
  const bytes = Buffer.from(value, 'utf8');
  const json = JSON.stringify(value).slice(1, -1);
  const forms: Array<{ encoding: string; needle: string }> = [
    { encoding: 'raw', needle: value },
    { encoding: 'json', needle: json },
    { encoding: 'json-twice', needle: JSON.stringify(json).slice(1, -1) },
    { encoding: 'url', needle: encodeURIComponent(value) },
    { encoding: 'form', needle: new URLSearchParams({ x: value }).toString().slice(2) },
    { encoding: 'hex', needle: bytes.toString('hex') },
    { encoding: 'HEX', needle: bytes.toString('hex').toUpperCase() },
  ];
  for (const k of [0, 1, 2]) {
    forms.push({ encoding: `base64@${k}`, needle: alignedBase64(bytes, k, false) });
    forms.push({ encoding: `base64url@${k}`, needle: alignedBase64(bytes, k, true) });
  }
  return forms.filter((f) => f.needle.length >= MIN_NEEDLE);
}

/**
 * Every leak of any of `secrets` in `text`: each encoding of
 * {@link encodingsOf}, then every {@link SUBSTRING_LENGTH}-character
 * substring of each raw value (one finding per secret for those).
 *
 * @throws Error when a secret is too short to be searched meaningfully.
 */
export function scanForLeaks(text: string, secrets: readonly Secret[]): Leak[] {
  const leaks: Leak[] = [];
  // Every window of every secret, to its secret: one pass over the text finds them all.
  const windows = new Map<string, string>();
  for (const s of secrets) {
    if (s.value.length < SUBSTRING_LENGTH) {
      throw new Error(`secret ${s.label} is shorter than ${SUBSTRING_LENGTH} characters: plant a longer canary`);
    }
    for (const { encoding, needle } of encodingsOf(s.value)) {
      const index = text.indexOf(needle);
      if (index >= 0) leaks.push({ label: s.label, encoding, index });
    }
    for (let i = 0; i + SUBSTRING_LENGTH <= s.value.length; i++)
      windows.set(s.value.slice(i, i + SUBSTRING_LENGTH), s.label);
  }
  const found = new Set<string>();
  for (let i = 0; i + SUBSTRING_LENGTH <= text.length; i++) {
    const label = windows.get(text.slice(i, i + SUBSTRING_LENGTH));
    if (label !== undefined && !found.has(label)) {
      found.add(label);
      leaks.push({ label, encoding: `substring(${SUBSTRING_LENGTH})`, index: i });
    }
  }
  return leaks;
}

/**
 * Markers of an EKS token or a presigned STS URL, whoever minted it: the
 * token prefix, the signature parameter, and the STS URL's start in base64url
 * at each alignment (a token is `k8s-aws-v1.` + base64url of the URL).
 */
export const TOKEN_MARKERS: readonly Secret[] = [
  { label: 'EKS token prefix', value: 'k8s-aws-v1.' },
  { label: 'SigV4 signature parameter', value: 'X-Amz-Signature' },
  ...[0, 1, 2].map((k) => ({
    label: `presigned STS URL (base64url@${k})`,
    value: alignedBase64(Buffer.from('https://sts.'), k, true),
  })),
];

/** Markers found in `text` (as they are: they are fixed strings, not values). */
export function scanForMarkers(text: string, markers: readonly Secret[] = TOKEN_MARKERS): Leak[] {
  return markers.flatMap((m) => {
    const index = text.indexOf(m.value);
    return index >= 0 ? [{ label: m.label, encoding: 'marker', index }] : [];
  });
}

/** A finding as text for an assertion message: label, encoding and position, never the value. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks.map((l) => `${l.label} as ${l.encoding} at ${l.index}`).join('; ');
}
