// Every relative link and #anchor in README.md and docs/*.md resolves, and so
// does every reference into the docs that the code makes; the README stays a
// front door. The checker (test/support/docs-links.ts) is itself shown to
// report a planted broken link, a missing anchor and a broken code reference.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../testbed/paths.ts';
import {
  anchors,
  checkCodeRefs,
  checkMarkdown,
  checkVagueReadmeRefs,
  describe as describeProblems,
  docFiles,
  markdownLinks,
} from '../support/docs-links.ts';

/** Where code may point into the docs: these folders, and the two files at the root that carry comments. */
const CODE_DIRS = ['functions', 'infra', 'bin', 'bench', 'testbed', 'scripts', 'test'];
const CODE_PATHS = [...CODE_DIRS, 'mappings.example.yaml', 'cdk.json'];
const CHECKER = ['test/support/docs-links.ts', 'test/unit/docs-links.test.ts'];

describe('the docs of this repository', () => {
  const files = docFiles(repoRoot);

  it('are README.md and the pages of docs/, with an index', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/README.md');
    expect(files.length).toBeGreaterThan(5);
  });

  it('link only to files that exist', () => {
    const problems = checkMarkdown(repoRoot, files).filter((p) => !p.problem.includes('anchor'));
    expect(describeProblems(problems)).toBe('');
  });

  it('link only to anchors that a heading of the target makes', () => {
    const problems = checkMarkdown(repoRoot, files).filter((p) => p.problem.includes('anchor'));
    expect(describeProblems(problems)).toBe('');
  });

  it('are pointed at by code only where a file and a heading exist', () => {
    expect(describeProblems(checkCodeRefs(repoRoot, CODE_PATHS))).toBe('');
  });

  it('are never pointed at vaguely ("see the README"): code names the docs page', () => {
    expect(describeProblems(checkVagueReadmeRefs(repoRoot, CODE_PATHS, CHECKER))).toBe('');
  });

  it('keep the README under 20 KB: the front door, with the depth in docs/', () => {
    expect(statSync(join(repoRoot, 'README.md')).size).toBeLessThan(20 * 1024);
  });
});

describe('the checker (positive controls on a planted tree)', () => {
  const root = mkdtempSync(join(tmpdir(), 'docs-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (name: string, text: string) => {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  };
  // Built from parts, so that this file's own text holds no reference to a page that does not exist.
  const page = (name: string) => ['docs', `${name}.md`].join('/');

  put(
    'README.md',
    [
      '# Front door',
      '## Set-up',
      `See [the page](${page('a')}#the-a-section), [again](${page('a')}#usage-1) and [set-up](#set-up).`,
      `Broken: [gone](${page('missing')}) and [no anchor](${page('a')}#no-such-heading).`,
      '```sh',
      `echo "[not a link](${page('inside-a-fence')})"`,
      '```',
      `Inline code is not a link either: \`[x](${page('inside-code')})\`.`,
    ].join('\n'),
  );
  put(page('a'), '# The `a` section\n## Usage\n## Usage\n```\n# not a heading\n```\n');
  put('functions/x.ts', `// see ${page('a')}#usage, ${page('a')}#gone, ${page('b')}\n// see the README, Cold start\n`);

  it('reports a link to a file that does not exist', () => {
    const problems = checkMarkdown(root, ['README.md', page('a')]);
    expect(problems).toContainEqual(expect.objectContaining({ file: 'README.md', line: 4, target: page('missing') }));
  });

  it('reports an anchor that no heading of the target makes', () => {
    const problems = checkMarkdown(root, ['README.md', page('a')]);
    expect(problems).toContainEqual(
      expect.objectContaining({
        target: `${page('a')}#no-such-heading`,
        problem: expect.stringContaining('no heading'),
      }),
    );
  });

  it('accepts exactly the good links, and nothing inside code', () => {
    const targets = checkMarkdown(root, ['README.md', page('a')]).map((p) => p.target);
    expect(targets.sort()).toEqual([page('missing'), `${page('a')}#no-such-heading`].sort());
  });

  it('reports a code reference to a missing page or heading, and none to a good one', () => {
    const problems = checkCodeRefs(root, ['functions']);
    expect(problems.map((p) => p.target).sort()).toEqual([`${page('a')}#gone`, page('b')].sort());
    expect(problems[0]).toMatchObject({ file: 'functions/x.ts', line: 1 });
  });

  it('reports a vague README pointer in code', () => {
    expect(checkVagueReadmeRefs(root, ['functions'])).toEqual([
      expect.objectContaining({ file: 'functions/x.ts', line: 2 }),
    ]);
  });

  it('makes GitHub slugs: lowercase, punctuation dropped but - and _, spaces to -, repeats numbered', () => {
    const headings = ["# A mapping's lifecycle: initial sync", '## `restart` (opt-in)', '## snake_case & more'];
    const set = anchors([...headings, '## Usage', '## Usage', '## Usage'].join('\n'));
    expect([...set]).toEqual([
      'a-mappings-lifecycle-initial-sync',
      'restart-opt-in',
      'snake_case--more',
      'usage',
      'usage-1',
      'usage-2',
    ]);
  });

  it('finds inline links and reference definitions, with their lines', () => {
    expect(markdownLinks('x [a](b.md#c "title") y\n\n[ref]: ../d.md')).toEqual([
      { target: 'b.md#c', line: 1 },
      { target: '../d.md', line: 3 },
    ]);
  });
});
