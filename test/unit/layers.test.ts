// The layers of .dependency-cruiser.cjs hold for the repository, and the checker reports each kind of breach
// (its positive control: a scratch tree planting one breach per rule). Plus what the import graph cannot see:
// no process.env in the pure domain or the steps.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const SCANNED = ['bin', 'functions', 'infra', 'testbed', 'bench', 'test', 'scripts'];

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** Runs the checker as `npm run lint:deps` does, in `cwd`; returns its violations. */
function cruise(cwd: string, dirs: readonly string[]): Violation[] {
  const run = spawnSync(DEPCRUISE, ['--config', CONFIG, '--output-type', 'json', ...dirs], {
    cwd,
    encoding: 'utf8',
    // The JSON of the whole repository is a few MiB (spawnSync keeps 1 MiB by default).
    maxBuffer: 256 * 1024 * 1024,
  });
  expect(run.stdout, run.stderr).not.toBe('');
  const result = JSON.parse(run.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  expect(result.summary.totalCruised).toBeGreaterThan(0);
  return result.summary.violations;
}

/** A scratch tree with the repository's tsconfig and the given files. */
function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const scratchDirs: string[] = [];
afterAll(() => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

describe('the layers', () => {
  it('hold for the repository: no cycle, no import upwards', () => {
    expect(cruise(ROOT, SCANNED).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toStrictEqual([]);
  });

  /** `from` importing `spec`, and (when given) the imported file `target`. Paths are under functions/ unless rooted. */
  const planted = (from: string, spec: string, target?: string): Record<string, string> => ({
    [under(from)]: `import { x } from '${spec}';\nexport const a = x;\n`,
    ...(target && { [under(target)]: 'export const x = 1;\n' }),
  });
  const under = (path: string) => (/^(bin|infra|testbed|node_modules)\//.test(path) ? path : `functions/${path}`);
  /** A package `name` in the scratch tree's node_modules, for a planted import of it. */
  const pkg = (name: string): Record<string, string> => ({
    [`node_modules/${name}/package.json`]: JSON.stringify({ name, main: 'index.js' }),
    [`node_modules/${name}/index.js`]: 'exports.x = 1;\n',
  });
  it.each([
    [
      'no-circular',
      {
        'functions/domain/a.ts': "import type { B } from './b.ts';\nexport type A = B;\n",
        'functions/domain/b.ts': "import type { A } from './a.ts';\nexport type B = A | 1;\n",
      },
    ],
    ['domain-is-pure', planted('domain/a.ts', '../adapters/x.ts', 'adapters/x.ts')],
    ['domain-uses-pure-builtins-only', planted('domain/a.ts', 'node:https')],
    ['steps-see-domain-only', planted('steps/a.ts', '../adapters/x.ts', 'adapters/x.ts')],
    ['adapters-below-steps-and-runtime', planted('adapters/a.ts', '../runtime/x.ts', 'runtime/x.ts')],
    ['sources-below-steps-and-runtime', planted('sources/p/a.ts', '../../steps/x.ts', 'steps/x.ts')],
    ['steps-see-domain-only', planted('steps/a.ts', '../sources/p/x.ts', 'sources/p/x.ts')],
    ['runtime-below-handlers', planted('runtime/a.ts', '../read-secret/handler.ts', 'read-secret/handler.ts')],
    ['functions-stand-alone', planted('domain/a.ts', '../../infra/x.ts', 'infra/x.ts')],
    ['cli-lib-below-commands', planted('bin/lib/a.ts', '../commands/x.ts', 'bin/commands/x.ts')],
    ['model-is-cdk-free', planted('infra/model/a.ts', '../constructs/x.ts', 'infra/constructs/x.ts')],
    ['model-is-cdk-free', { ...planted('infra/model/a.ts', 'aws-cdk-lib'), ...pkg('aws-cdk-lib') }],
    [
      'cli-and-testbed-use-the-model-only',
      planted('bin/lib/a.ts', '../../infra/constructs/x.ts', 'infra/constructs/x.ts'),
    ],
    [
      'cli-and-testbed-use-the-model-only',
      planted('testbed/a.ts', '../infra/constructs/x.ts', 'infra/constructs/x.ts'),
    ],
    [
      'cli-reads-secrets-through-the-source-port',
      { ...planted('bin/lib/a.ts', '@aws-sdk/client-secrets-manager'), ...pkg('@aws-sdk/client-secrets-manager') },
    ],
    ['resolvable', planted('domain/a.ts', './missing.ts')],
  ])('report %s when a file breaks it', (rule, files) => {
    const dir = scratch(files);
    scratchDirs.push(dir);

    const dirs = ['functions', 'bin', 'infra', 'testbed'].filter((d) =>
      Object.keys(files).some((f) => f.startsWith(`${d}/`)),
    );
    const violations = cruise(dir, dirs);

    expect(violations.map((v) => v.rule.name)).toContain(rule);
  });
});

/** Every .ts file under `dir` (relative to the repository), recursively. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Lines that read the process environment. */
const readsEnv = (text: string) =>
  text.split('\n').filter((line) => /\bprocess\s*\.\s*env\b|\bprocess\s*\[/.test(line));

describe('the pure layers', () => {
  it.each(['functions/domain', 'functions/steps'])(
    '%s never read process.env (ports and options arrive as arguments)',
    (dir) => {
      const files = sources(dir);
      expect(files.length).toBeGreaterThan(0);
      const reads = files.flatMap((f) => readsEnv(readFileSync(join(ROOT, f), 'utf8')).map((l) => `${f}: ${l.trim()}`));
      expect(reads).toStrictEqual([]);
    },
  );

  it('the process.env check sees a read (its positive control)', () => {
    expect(readsEnv('const a = 1;\nconst b = process.env.MAPPING_ID;\n')).toHaveLength(1);
    expect(readsEnv("const c = process['env'];\n")).toHaveLength(1);
  });
});
