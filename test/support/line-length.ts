/**
 * The line-length rule: at most {@link MAX_LINE} characters in every source
 * file. Biome formats code to that width but has no rule for comments and
 * string literals, hence this check (test/unit/line-length.test.ts).
 *
 * One exemption: the title line of a test call (`it('…', async () => {`),
 * which Biome, like Prettier, deliberately keeps on one line whatever its
 * length so that titles stay greppable.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The widest line allowed (biome.json's formatter.lineWidth). */
export const MAX_LINE = 120;

/** Source files the rule covers: tracked TypeScript and JavaScript, not the Go test bed. */
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

const TEST_TITLE = /^\s*(it|test|describe)(\.(each|skipIf|runIf|concurrent)\(.*?\))?\(\s*['"`]/;

/** A line over the limit: where, and how long. */
export interface LongLine {
  readonly file: string;
  readonly line: number;
  readonly length: number;
}

/** The lines of `text` longer than {@link MAX_LINE}, but for test-call titles. */
export function longLines(file: string, text: string): LongLine[] {
  return text
    .split('\n')
    .flatMap((l, i) => (l.length > MAX_LINE && !TEST_TITLE.test(l) ? [{ file, line: i + 1, length: l.length }] : []));
}

/** Every long line in the repository's tracked source files. */
export function longLinesIn(root: string): LongLine[] {
  // Each path once: during a merge, ls-files lists an unmerged path once per stage.
  const listed = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n');
  const files = [...new Set(listed)].filter((f) => SOURCE.test(f) && !f.startsWith('testbed/server/'));
  return files.flatMap((f) => longLines(f, readFileSync(join(root, f), 'utf8')));
}
