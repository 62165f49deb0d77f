// docs/cli.md's examples of plan and sync, run as the doc shows them: in the folder `npm run testbed` writes
// (testbed/cli-env.ts: mappings.yaml, kubeconfig, env) with its environment, in the doc's order, with the doc's
// change between the first and the second sync (someone adds ca.crt to the Secret; the AWS secret's password
// changes, port goes, sslmode comes). Output is compared with the doc's after the parts that differ per run are
// named (version ids, times, durations, ports, resourceVersions, the ARN's 6 characters).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DOC_MAPPING, writeCliEnvironment, type CliEnvironment } from '../../testbed/cli-env.ts';
import { cliDoc, examples, type Example } from '../support/cli-docs.ts';
import { adminToken, kube } from '../support/kube.ts';
import { CLI, exec, motoConfig } from './support.ts';

/** The sections whose examples run here, in the doc's order. */
const RUN = ['plan', 'sync'];
const EXAMPLES = examples(cliDoc()).filter((e) => RUN.includes(e.section));
/** The second value of the AWS secret, and what someone else adds to the Secret (the doc's Examples say so). */
const SECOND_VALUE = { username: 'app-user', password: 'example-only-second', sslmode: 'require' };
const CA_CRT = Buffer.from('-----BEGIN CERTIFICATE-').toString('base64');

/** The parts of an output that differ per run, named. */
function normalize(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<version>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/(secret:prod\/app-config-)[A-Za-z0-9]{6}/g, '$1<6 chars>')
    .replace(/ +\d+ ms {2}/g, ' <ms> ms  ')
    .replace(/"ms": \d+/g, '"ms": <ms>')
    .replace(/resourceVersion("?:?) "?\d+"?/g, 'resourceVersion$1 <rv>')
    .replace(/sha256:[0-9a-f]{8}/g, 'sha256:<hash>');
}

let bed: CliEnvironment;

beforeAll(async () => {
  bed = await writeCliEnvironment(inject('testbed'), mkdtempSync(join(tmpdir(), 'cli-docs-bed-')));
});

/** The doc's change between the first and the second sync. */
async function changeBoth(): Promise<void> {
  const path = `/api/v1/namespaces/${DOC_MAPPING.namespace}/secrets/${DOC_MAPPING.id}`;
  const patched = await kube(
    adminToken(),
    'PATCH',
    path,
    { data: { 'ca.crt': CA_CRT } },
    'application/merge-patch+json',
  );
  expect(patched.status).toBe(200);
  const sm = new SecretsManagerClient(motoConfig());
  await sm.send(new PutSecretValueCommand({ SecretId: bed.secretArn, SecretString: JSON.stringify(SECOND_VALUE) }));
  sm.destroy();
}

describe('docs/cli.md examples on the test bed', () => {
  it('has the examples this test runs', () => {
    expect(EXAMPLES.map((e) => e.argv.join(' '))).toStrictEqual([
      'plan --mapping app-config',
      'plan --mapping app-config --show-lengths --show-hashes',
      'sync --mapping app-config',
      'sync --mapping app-config',
      'sync --mapping app-config --dry-run --json',
    ]);
  });

  it('prints what the doc shows, run in the folder npm run testbed writes', async () => {
    // The doc's story order: plan, sync, (change), plan --show-lengths, sync --dry-run --json, sync.
    const [plan1, plan2, sync1, sync2, dry] = EXAMPLES as [Example, Example, Example, Example, Example];
    const results: [Example, { code: number; stdout: string; stderr: string }][] = [];
    const env = { PATH: '/usr/bin:/bin', HOME: bed.dir, TZ: 'UTC', ...bed.env };
    const run = async (e: Example) => results.push([e, await exec(process.execPath, [CLI, ...e.argv], env, bed.dir)]);
    await run(plan1);
    await run(sync1);
    await changeBoth();
    await run(plan2);
    await run(dry);
    await run(sync2);
    for (const [e, r] of results) {
      expect({ line: e.line, code: r.code, output: normalize(r.stdout + r.stderr) }).toStrictEqual({
        line: e.line,
        code: e.exitCode,
        output: normalize(e.output),
      });
    }
  });
});
