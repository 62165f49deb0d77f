// Every line of the CLI's docs produced by the current code: the command list (from the command registry) in
// docs/cli.md and README.md#operate, each command's --help options against its docs/cli.md section, every example's
// options against the command's, and the examples that need no AWS or cluster run here and compared byte for byte
// (rbac, render, token under a frozen clock). The examples against the test bed run in test/cli/docs-examples.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, main } from '../../bin/eks-secret-sync.ts';
import { cliDoc, examples, helpOptions, optionsIn, sections, type Example } from '../support/cli-docs.ts';
import { fakeClockEnv, referenceTools } from '../support/reference-tools.ts';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/eks-secret-sync.ts');
const DOC = cliDoc();
const SECTIONS = sections(DOC);
const EXAMPLES = examples(DOC);
const WORK = mkdtempSync(join(tmpdir(), 'cli-docs-'));

/** The clock and key the token example is signed with (the doc says so next to it). */
const TOKEN_CLOCK = '2026-11-23 15:52:20';
const EXAMPLE_KEY = { id: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

async function help(name: string): Promise<string> {
  const out: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: () => undefined, env: {} };
  const code = await main([name, '--help'], io);
  expect(code).toBe(0);
  return out.join('');
}

function run(file: string, args: readonly string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(file, [...args], { cwd, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: stdout + stderr });
    });
  });
}

/** The mappings file the doc's Examples section shows, with its placeholders filled, in a fresh directory. */
function examplesDir(): string {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(SECTIONS.get('Examples') ?? '')?.[1];
  expect(yaml, 'the Examples section shows its mappings file').toBeDefined();
  const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
  const filled = yaml!.replaceAll('<port>', '6443').replaceAll('<base64 PEM>', pem).replaceAll('<6 chars>', 'AbCdEf');
  writeFileSync(join(WORK, 'mappings.yaml'), filled);
  return WORK;
}

/** Where and how an offline example runs; undefined for the examples that need the test bed. */
function offline(e: Example): { cwd: string; env: Record<string, string> } | undefined {
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: WORK,
    TZ: 'UTC',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  if (e.argv[0] === 'render') return { cwd: join(ROOT, 'docs/examples/render'), env };
  if (e.argv[0] === 'rbac') return { cwd: examplesDir(), env };
  if (e.argv[0] === 'token') {
    const keys = { AWS_ACCESS_KEY_ID: EXAMPLE_KEY.id, AWS_SECRET_ACCESS_KEY: EXAMPLE_KEY.secret };
    return { cwd: WORK, env: { ...env, ...keys, ...fakeClockEnv(LIBFAKETIME, TOKEN_CLOCK) } };
  }
  return undefined;
}

/** The project's libfaketime (test/support/reference-tools.ts), never one in /usr: the token example runs under it. */
let LIBFAKETIME: string;

beforeAll(async () => {
  ({ libfaketime: LIBFAKETIME } = await referenceTools());
}, 900_000);

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('the command list', () => {
  it('docs/cli.md has a section and a table row for every command of the registry, and no other', () => {
    const tableRows = [...DOC.matchAll(/^\| \[`([a-z]+)[ `]/gm)].map((m) => m[1]);
    expect([...tableRows].sort()).toStrictEqual([...COMMAND_NAMES].sort());
    for (const name of COMMAND_NAMES) expect(SECTIONS.has(name), `## ${name}`).toBe(true);
  });

  it('the README.md#operate table lists every command of the registry, and no other', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| \[`([a-z]+)[ `].*\]\(docs\/cli\.md#/gm)].map((m) => m[1]);
    expect([...rows].sort()).toStrictEqual([...COMMAND_NAMES].sort());
  });
});

describe.each(COMMAND_NAMES.map((n) => [n]))('%s', (name) => {
  it('its docs section names every option its --help lists, and only those', async () => {
    const fromHelp = helpOptions(await help(name));
    const section = SECTIONS.get(name) ?? '';
    const synopsis = /^`eks-secret-sync [^`]+`$/m.exec(section)?.[0] ?? '';
    const shared = ['mappings', 'kubeconfig', 'context', 'no-color', 'help'];

    expect(fromHelp.size).toBeGreaterThan(0);
    for (const o of fromHelp) if (!shared.includes(o)) expect(optionsIn(section), `--${o}`).toContain(o);
    for (const o of optionsIn(synopsis)) expect(fromHelp, `--${o} of the synopsis`).toContain(o);
  });

  it('its examples use only options its --help lists, and the offline ones print exactly what the doc shows', async () => {
    const fromHelp = helpOptions(await help(name));
    for (const e of EXAMPLES.filter((x) => x.argv[0] === name)) {
      for (const o of optionsIn(e.argv.join(' '))) expect(fromHelp, `line ${e.line}: --${o}`).toContain(o);
      const how = offline(e);
      if (how === undefined) continue;
      const got = await run(process.execPath, [CLI, ...e.argv], how.cwd, how.env);
      expect({ line: e.line, output: got.output, code: got.code }).toStrictEqual({
        line: e.line,
        output: e.output,
        code: e.exitCode,
      });
    }
  });
});

it('runs at least one offline example of each offline command (the comparisons above cannot pass empty)', () => {
  const ran = new Set(EXAMPLES.filter((e) => offline(e) !== undefined).map((e) => e.argv[0]));
  expect([...ran].sort()).toStrictEqual(['rbac', 'render', 'token']);
});
