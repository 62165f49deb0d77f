/**
 * Every kind of synthesized template scanned by checkov (PyPI, pinned in testbed/requirements-checkov.txt,
 * installed into .venv-checkov on first use): the example stack, and a fleet's core and second stack with a
 * mapping in a VPC with a KMS endpoint, one with `restart` and three targets on two clusters, and plain ones.
 * No failed check; every skipped check carries its reason in the resource's metadata, written by the
 * constructs (infra/constructs/checkov.ts). A planted unencrypted queue and wildcard policy show that checkov runs and
 * that this test would fail.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOV_SKIPS } from '../../infra/constructs/checkov.ts';
import { ensureCheckov } from '../../testbed/python.ts';
import { FIXTURE_YAML } from '../support/asl-scenarios.ts';
import { fleetYaml } from '../support/fleet.ts';
import { EXAMPLE_FILE } from '../support/infra.ts';
import { templatesOf } from '../support/synth-unbundled.ts';

/** One check result as checkov reports it (`-o json`). */
interface CheckResult {
  readonly check_id: string;
  readonly file_path: string;
  readonly resource: string;
  readonly check_result: { readonly result: string; readonly suppress_comment?: string };
}

interface Report {
  readonly check_type: string;
  readonly results: { readonly failed_checks?: CheckResult[]; readonly skipped_checks?: CheckResult[] };
  readonly summary: { readonly resource_count: number };
}

/**
 * A fleet of two stacks (two mappings a stack): a mapping with every option that adds resources (its own VPC and
 * KMS endpoint, `restart`, CloudTrail rules, a schedule), one with three targets on two clusters, and a plain one.
 */
const FLEET_YAML = (() => {
  const mappingsOf = (yaml: string) => yaml.slice(yaml.indexOf('mappings:\n') + 'mappings:\n'.length);
  const mappings = [fleetYaml(1, 'largest'), FIXTURE_YAML, fleetYaml(1, 'plain')].map(mappingsOf).join('');
  return `stack:\n  name: Checkov\n  mappingsPerStack: 2\nmappings:\n${mappings}`;
})();

/** The control: a queue without a KMS key and a policy granting every action on everything. */
function planted(template: { Resources: Record<string, any> }) {
  const t = structuredClone(template);
  t.Resources.PlantedQueue = { Type: 'AWS::SQS::Queue', Properties: {} };
  t.Resources.PlantedPolicy = {
    Type: 'AWS::IAM::ManagedPolicy',
    Properties: {
      PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    },
  };
  return t;
}

const DIR = mkdtempSync(join(tmpdir(), 'checkov-'));
let checked: Map<string, Report>;

/** Runs checkov once over every template in DIR; its report per template file. */
function scan(checkov: string): Promise<Map<string, Report>> {
  // --skip-download: nothing is fetched from the vendor's platform (no network; guidelines are only links).
  // Not --quiet: it leaves the skipped checks out of the JSON.
  const args = ['-d', DIR, '--framework', 'cloudformation', '-o', 'json', '--compact', '--skip-download'];
  return new Promise((resolve, reject) => {
    // Exit code 1 means failed checks; the JSON is the answer.
    execFile(checkov, args, { maxBuffer: 256 << 20, timeout: 600_000 }, (error, stdout, stderr) => {
      try {
        const out = JSON.parse(stdout) as Report | Report[];
        const reports = (Array.isArray(out) ? out : [out]).filter((r) => r.check_type === 'cloudformation');
        const byFile = new Map<string, Report>();
        const entry = (c: CheckResult, r: Report) => {
          const file = c.file_path.split('/').pop()!;
          if (!byFile.has(file)) byFile.set(file, { ...r, results: { failed_checks: [], skipped_checks: [] } });
          return byFile.get(file)!.results as Required<Report['results']>;
        };
        for (const r of reports) {
          for (const c of r.results.failed_checks ?? []) entry(c, r).failed_checks.push(c);
          for (const c of r.results.skipped_checks ?? []) entry(c, r).skipped_checks.push(c);
        }
        resolve(byFile);
      } catch (e) {
        const why = `${(e as Error).message}; ${error?.message ?? 'exit 0'}`;
        reject(new Error(`checkov gave no report (${why}): ${stdout.slice(0, 500)} ${stderr.slice(-2000)}`));
      }
    });
  });
}

const failing = (r: Report | undefined) => (r?.results.failed_checks ?? []).map((c) => `${c.check_id} ${c.resource}`);

let names: string[];

beforeAll(async () => {
  const checkov = await ensureCheckov((msg) => process.stderr.write(`[checkov] ${msg}\n`));
  const templates = {
    ...templatesOf(readFileSync(EXAMPLE_FILE, 'utf8')),
    ...templatesOf(FLEET_YAML),
  };
  names = Object.keys(templates);
  for (const [name, t] of Object.entries(templates))
    writeFileSync(join(DIR, `${name}.template.json`), JSON.stringify(t));
  writeFileSync(join(DIR, 'Planted.template.json'), JSON.stringify(planted(templates.EksSecretSync!)));
  checked = await scan(checkov);
}, 900_000);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('checkov', () => {
  it('scans the example stack and both stacks of the fleet', () => {
    expect(names.sort()).toStrictEqual(['Checkov', 'Checkov-2', 'EksSecretSync']);
  });

  it.each(['EksSecretSync', 'Checkov', 'Checkov-2'])('finds no failed check in %s', (name) => {
    expect(failing(checked.get(`${name}.template.json`))).toStrictEqual([]);
  });

  it('skips only the decided checks, each with its reason', () => {
    const skipped = [...checked.values()].flatMap((r) => r.results.skipped_checks ?? []);
    expect(skipped.length).toBeGreaterThan(0);
    for (const c of skipped) {
      const decided = CHECKOV_SKIPS.find((s) => s.id === c.check_id);
      expect(decided, `${c.check_id} on ${c.resource}`).toBeDefined();
      expect(c.check_result.suppress_comment).toBe(decided!.comment);
    }
  });

  it('reports a planted unencrypted queue and wildcard policy (the control: this test would fail)', () => {
    const found = failing(checked.get('Planted.template.json'));
    expect(found).toContain('CKV_AWS_27 AWS::SQS::Queue.PlantedQueue');
    expect(found.filter((f) => f.endsWith('AWS::IAM::ManagedPolicy.PlantedPolicy')).length).toBeGreaterThan(0);
  });
});
