/**
 * Bounded lists of names for display (console, logs, execution state).
 *
 * The state of an Express execution is logged in full, so anything whose size
 * depends on data we do not control (the keys someone else put in a Kubernetes
 * Secret) is reduced to an exact count plus as many names as fit a byte budget.
 */
import type { NameList } from './types.ts';

/** Default byte budget of {@link nameList}: 4 KiB of UTF-8 name text. */
export const DEFAULT_NAME_LIST_BYTES = 4096;

/** Sorts names by UTF-16 code units: stable across runtimes and locales, unlike `localeCompare`. */
function sortedCopy(names: readonly string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Builds a {@link NameList}: the exact count, and the sorted names from the
 * start whose UTF-8 lengths sum to at most `maxBytes`. Stops at the first name
 * that does not fit (a prefix of the sorted list, never a hand-picked subset).
 *
 * @param names - The names; duplicates are counted as given.
 * @param maxBytes - Budget for the listed names' UTF-8 bytes.
 */
export function nameList(names: readonly string[], maxBytes: number = DEFAULT_NAME_LIST_BYTES): NameList {
  const sorted = sortedCopy(names);
  const listed: string[] = [];
  let used = 0;
  for (const name of sorted) {
    const size = Buffer.byteLength(name, 'utf8');
    if (used + size > maxBytes) break;
    used += size;
    listed.push(name);
  }
  return { count: sorted.length, names: listed, truncated: listed.length < sorted.length };
}

/**
 * Adds names to an existing {@link NameList}. The count stays exact; the listed
 * names are the sorted union of the names already listed and `more`, cut to the
 * budget. When `list` was truncated, names it left out stay out.
 *
 * @param list - A list made by {@link nameList}.
 * @param more - Names that are not already counted in `list`.
 * @param maxBytes - Budget for the listed names' UTF-8 bytes.
 */
export function extendNameList(
  list: NameList,
  more: readonly string[],
  maxBytes: number = DEFAULT_NAME_LIST_BYTES,
): NameList {
  const count = list.count + more.length;
  const names = nameList([...list.names, ...more], maxBytes).names;
  return { count, names, truncated: names.length < count };
}

/** The same list sorted by UTF-16 code units, without duplicates. */
export function sortedUnique(names: Iterable<string>): string[] {
  return sortedCopy([...new Set(names)]);
}
