/**
 * The functions every sync runs, listed in prose ("five Lambda functions (`fetch-secret`, ...)", as docs/deploy.md
 * "What is created" wrote them until 2026-12-04, when it began to name the step table instead, so that a new step
 * needs no edit there): any such list must be the step table's rows that are not optional, in its order, with their
 * count. test/infra/prose-counts.test.ts checks the other counts of functions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_STEP_KINDS } from '../../functions/domain/sync-steps.ts';

const ROOT = join(import.meta.dirname, '../..');
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const LIST = /\b(\d+|[a-z]+) Lambda functions \(((?:`[a-z-]+`(?:, )?)+)\)/gi;

/** Each prose list of functions that is not the step table's core list, as `file:line: text`. */
function listProblems(files: Readonly<Record<string, string>>): string[] {
  const want = CORE_STEP_KINDS.join(', ');
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(LIST)) {
        const count = WORDS.includes(m[1]!.toLowerCase()) ? WORDS.indexOf(m[1]!.toLowerCase()) : Number(m[1]);
        const kinds = m[2]!.replaceAll('`', '');
        if (count !== CORE_STEP_KINDS.length || kinds !== want)
          problems.push(`${file}:${i + 1}: "${m[0]}" (the step table: ${CORE_STEP_KINDS.length}, ${want})`);
      }
    });
  }
  return problems;
}

/** README.md and docs/ but the dated decision log. */
function docs(): Record<string, string> {
  const names = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f))].filter(
    (f) => f.endsWith('.md') && f !== join('docs', 'decisions.md'),
  );
  return Object.fromEntries(names.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
}

describe('the list of functions in prose', () => {
  it('is the step table: its rows that every sync runs, in order, wherever the docs write one', () => {
    expect(listProblems(docs())).toStrictEqual([]);
  });

  it('passes a list that is the step table (control: the checker does not refuse every list)', () => {
    const kinds = CORE_STEP_KINDS.map((k) => `\`${k}\``).join(', ');
    const planted = { 'planted.md': `${WORDS[CORE_STEP_KINDS.length]} Lambda functions (${kinds})` };
    expect(Object.values(planted).join()).toMatch(LIST);
    expect(listProblems(planted)).toStrictEqual([]);
  });

  it('is found when it drifts (control: a function left out, a count off)', () => {
    const planted = {
      'planted.md':
        'four Lambda functions (`fetch-secret`, `mint-token`, `read-secret`, `apply-secret`)\n' +
        `${WORDS[CORE_STEP_KINDS.length + 1]} Lambda functions (${CORE_STEP_KINDS.map((k) => `\`${k}\``).join(', ')})`,
    };
    expect(listProblems(planted)).toHaveLength(2);
  });
});
