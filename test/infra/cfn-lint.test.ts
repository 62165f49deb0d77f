/**
 * Every synthesized template, checked by a reference no one here wrote:
 * cfn-lint (PyPI, pinned in testbed/requirements-lint.txt, installed into
 * .venv-lint on first use). Zero errors; each warning rule is either absent
 * or listed in ACCEPTED with the reason it cannot be fixed here. A planted
 * error shows that the lint runs and that this test would fail.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCfnLint } from '../../testbed/python.ts';
import { synth } from '../support/infra.ts';

/** Warning rules accepted, with why. Anything else fails the test. */
const ACCEPTED: Record<string, string> = {
  W3005:
    "CDK writes an explicit DependsOn on a function's role (and on a state machine's role and default policy) next " +
    "to the GetAtt that already orders them, so the role's policy exists before the first invocation; redundant " +
    'but harmless, and not ours to remove without escape hatches on every CDK-made resource.',
};

interface Finding {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

const DIR = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
let cfnLint: string;
let example: { Resources: Record<string, { Type: string; Properties?: any }> };

beforeAll(async () => {
  cfnLint = await ensureCfnLint((msg) => process.stderr.write(`[cfn-lint] ${msg}\n`));
  example = synth().json;
}, 300_000);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** Lints one template with cfn-lint; its findings. */
function lint(name: string, template: object): Promise<Finding[]> {
  const file = join(DIR, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template));
  return new Promise((resolve, reject) => {
    // Exit codes are a bit mask of the levels found (2 error, 4 warning, 8 info); the JSON is the answer.
    execFile(cfnLint, ['--format', 'json', file], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as Finding[]);
      } catch {
        reject(new Error(`cfn-lint gave no JSON (${error?.message ?? 'exit 0'}): ${stderr.slice(0, 500)}`));
      }
    });
  });
}

/** A mappings file with `n` mappings, every option switched on for some, to make every kind of resource. */
function largeFile(n: number): string {
  const mapping = (i: number) =>
    [
      `  - id: app-${i}`,
      `    secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-${i}-AbCdEf`,
      `    cluster: { name: prod-${i % 3}, endpoint: https://ABCDEF${i % 3}.gr7.us-east-1.eks.amazonaws.com, ` +
        'certificateAuthority: ' +
        'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJN' +
        'd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo= }',
      '    namespace: app',
      `    secretName: app-${i}`,
      ...(i % 2 ? ['    restart: [deployment/api]', '    prune: true'] : []),
      ...(i % 3 === 0 ? ['    cloudTrailRules: true', '    deletionPolicy: delete'] : []),
      ...(i % 4 === 1 ? ['    resyncSchedule: rate(1 day)'] : []),
    ].join('\n');
  return `stack:\n  name: Large\nmappings:\n${Array.from({ length: n }, (_, i) => mapping(i)).join('\n')}\n`;
}

/** The findings that fail: errors, and warnings of a rule not accepted. */
const failing = (findings: readonly Finding[]) =>
  findings
    .filter((f) => f.Level === 'Error' || (f.Level === 'Warning' && !(f.Rule.Id in ACCEPTED)))
    .map((f) => `${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`);

describe('cfn-lint', () => {
  it('finds no error and no unaccepted warning in the example stack', async () => {
    const findings = await lint('example', example);
    expect(failing(findings)).toEqual([]);
  }, 300_000);

  it('finds no error and no unaccepted warning in a large stack with every option', async () => {
    const s = synth(largeFile(12));
    expect(Object.keys(s.stack.mappings)).toHaveLength(12);
    expect(failing(await lint('large', s.json))).toEqual([]);
  }, 300_000);

  it('reports a planted error (the control: the lint runs and this test would fail)', async () => {
    const json = structuredClone(example);
    const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    fn.Properties.Runtime = 'nodejs9.x';
    fn.Properties.MemorySize = 1;
    const ids = failing(await lint('planted', json));
    expect(
      ids.some((f) => /^E3\d{3} at Resources\/\w+\/Properties\/(Runtime|MemorySize)/.test(f)),
      ids.join('\n'),
    ).toBe(true);
  }, 300_000);
});
