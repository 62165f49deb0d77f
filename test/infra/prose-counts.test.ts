/**
 * Counts the code knows, written in prose: every "<n> alarms", "<n> targets per mapping", "<n> mappings per
 * stack" and "<n> functions (a sync runs)" in README.md, docs/ and the code's comments must be what the code
 * says. docs/decisions.md is a dated log (its counts are what was measured then) and is not read; a line about an
 * earlier design says "before issue".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_STEP_KINDS } from '../../functions/domain/sync-steps.ts';
import { DEFAULT_MAPPINGS_PER_STACK, MAX_TARGETS } from '../../infra/model/config-schema.ts';
import { synthUnbundled } from '../support/synth-unbundled.ts';

const ROOT = join(import.meta.dirname, '../..');
const WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];
const COUNT_WORD = `(\\d+|${WORDS.join('|')})`;
const countOf = (n: string) => (WORDS.includes(n.toLowerCase()) ? WORDS.indexOf(n.toLowerCase()) : Number(n));

/** A count the code knows, and the phrase that states it in prose. */
interface CountFact {
  readonly what: string;
  readonly phrase: RegExp;
  readonly value: number;
}

/** The files whose prose may state a count: README.md, docs (not the dated decision log), and the source. */
function proseFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(dir, e.name))
        : e.name.endsWith('.ts') || e.name.endsWith('.md')
          ? [join(dir, e.name)]
          : [],
    );
  return ['README.md', ...walk('docs'), ...['infra', 'bin', 'functions', 'testbed'].flatMap(walk)].filter(
    (f) => f !== join('docs', 'decisions.md'),
  );
}

/** Each place where a fact's phrase states a count other than the code's, as `file:line: text`. */
function countProblems(facts: readonly CountFact[], files: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    text.split('\n').forEach((line, i) => {
      if (/before issue/i.test(line)) return;
      for (const f of facts) {
        for (const m of line.matchAll(new RegExp(f.phrase.source, 'gi'))) {
          if (countOf(m[1]!) !== f.value)
            problems.push(`${file}:${i + 1}: "${m[0]}" (the code has ${f.value} ${f.what})`);
        }
      }
    });
  }
  return problems;
}

describe('counts written in prose', () => {
  const { resources } = synthUnbundled(`
mappings:
  - id: one
    secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/one-AbCdEf
    cluster: { name: prod }
    namespace: app
    secretName: one
`);
  const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length;
  const facts: CountFact[] = [
    { what: 'alarms', phrase: new RegExp(`\\b${COUNT_WORD} (?:CloudWatch )?alarms\\b`), value: alarms },
    {
      what: 'targets per mapping at most',
      phrase: new RegExp(`\\b${COUNT_WORD} targets per mapping\\b`),
      value: MAX_TARGETS,
    },
    {
      what: 'mappings per stack by default',
      phrase: new RegExp(`\\b${COUNT_WORD}\\W{0,2} mappings per stack\\b`),
      value: DEFAULT_MAPPINGS_PER_STACK,
    },
    {
      what: "functions every sync runs (the step table's non-optional functions)",
      phrase: new RegExp(`\\b${COUNT_WORD} (?:small )?(?:Lambdas|functions)(?=:| a sync runs| every sync runs| every)`),
      value: CORE_STEP_KINDS.length,
    },
    {
      what: 'other functions beside the optional one',
      phrase: new RegExp(`\\bother ${COUNT_WORD} functions\\b`),
      value: CORE_STEP_KINDS.length,
    },
  ];
  const files = Object.fromEntries(proseFiles().map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));

  it('agree with the code', () => {
    expect(alarms).toBeGreaterThan(0);
    expect(countProblems(facts, files)).toEqual([]);
  });

  it('are found when one drifts (control)', () => {
    const planted = {
      'planted.md':
        'The stack has 12 alarms.\nup to 50 targets per mapping\nthe 13 mappings per stack\n' +
        'a state machine of seven small Lambdas: fetch',
    };
    expect(countProblems(facts, planted)).toEqual([
      `planted.md:1: "12 alarms" (the code has ${alarms} alarms)`,
      `planted.md:2: "50 targets per mapping" (the code has ${MAX_TARGETS} targets per mapping at most)`,
      `planted.md:3: "13 mappings per stack" (the code has ${DEFAULT_MAPPINGS_PER_STACK} mappings per stack by ` +
        'default)',
      `planted.md:4: "seven small Lambdas" (the code has ${CORE_STEP_KINDS.length} functions ` +
        "every sync runs (the step table's non-optional functions))",
    ]);
  });
});
