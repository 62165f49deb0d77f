// docs/cli.md's examples against the test bed (plan, sync, status, doctor, redrive), run as the doc shows them: in
// the folder `npm run testbed` writes (testbed/cli-env.ts: mappings.yaml, kubeconfig, env, and the deployed app's
// traces of testbed/cli-deployed.ts) with its environment, in the doc's story order, with the doc's change between
// the first and the second sync (someone adds ca.crt to the Secret; the AWS secret's password changes, port goes,
// sslmode comes). Output is compared with the doc's after normalizing only what differs per run (see normalize).
// The offline examples (rbac, render, token) run in test/unit/cli-docs.test.ts; a test below checks the two cover
// every example of the doc.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DOC_MAPPING, FIRST_VALUE, writeCliEnvironment, type CliEnvironment } from '../../testbed/cli-env.ts';
import { cliDoc, examples, type Example } from '../support/cli-docs.ts';
import { adminToken, kube } from '../support/kube.ts';
import { CLI, exec, itPrintsNoSecret, motoConfig } from './support.ts';

/** The sections whose examples run here, in the doc's order; the rest need no test bed (test/unit/cli-docs.test.ts). */
const RUN = ['plan', 'sync', 'status', 'doctor', 'redrive'];
const OFFLINE = ['rbac', 'render', 'token'];
const EXAMPLES = examples(cliDoc()).filter((e) => RUN.includes(e.section));
/** The second value of the AWS secret, and what someone else adds to the Secret (the doc's Examples say so). */
const SECOND_VALUE = { username: 'app-user', password: 'example-only-second', sslmode: 'require' };
const CA_CRT = Buffer.from('-----BEGIN CERTIFICATE-').toString('base64');

/**
 * The parts of an output that differ per run, named; nothing else is touched (values are fixed, so lengths and
 * hash prefixes are compared as printed): moto's ids (version ids, the stack's and executions' UUIDs), times (moto
 * stamps creation with the time of the call; token expiry; `since`) and ages (`3s ago`), the ports of the
 * apiserver and moto, step durations, resourceVersions (the apiserver counts every write of the run), and the 6
 * random characters Secrets Manager appends to a secret's ARN.
 */
function normalize(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\(\d+s ago\)/g, '(<age> ago)')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/(secret:prod\/[a-z-]+-)[A-Za-z0-9]{6}\b/g, '$1<6 chars>')
    .replace(/ +\d+ ms {2}/g, ' <ms> ms  ')
    .replace(/"ms": \d+/g, '"ms": <ms>')
    .replace(/resourceVersion("?:?) "?\d+"?/g, 'resourceVersion$1 <rv>');
}

/** What one example printed, and the doc's example it ran. */
interface Ran {
  readonly example: Example;
  readonly code: number;
  readonly output: string;
}

/** The comparison the doc must pass: exit code and output, both normalized. */
function verdict(example: Example, ran: Ran) {
  return {
    got: { line: ran.example.line, code: ran.code, output: normalize(ran.output) },
    doc: { line: example.line, code: example.exitCode, output: normalize(example.output) },
  };
}

const ran: Ran[] = [];

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

/** The doc's command line as run here: the doc's moto address (in `--dlq-url`) is this run's. */
function argvOf(e: Example): string[] {
  const moto = new URL(bed.dlqUrl).host;
  return e.argv.map((a) => a.replace(/^http:\/\/127\.0\.0\.1:\d+\//, `http://${moto}/`));
}

describe('docs/cli.md examples on the test bed', () => {
  it('has the examples this test runs, and the offline test runs all the others', () => {
    expect(EXAMPLES.map((e) => e.argv.join(' ').replace(/:\d+\//, ':<port>/'))).toStrictEqual([
      'plan --mapping app-config',
      'plan --mapping app-config --show-lengths --show-hashes',
      'sync --mapping app-config',
      'sync --mapping app-config',
      'sync --mapping app-config --dry-run --json',
      'status --mapping app-config --dlq-url http://127.0.0.1:<port>/123456789012/EksSecretSync-DeadLetterQueue',
      'status',
      'status --mapping app-config --dlq-url http://127.0.0.1:<port>/123456789012/EksSecretSync-DeadLetterQueue --json',
      'doctor --context admin@testbed',
      'redrive --dry-run',
    ]);
    const rest = examples(cliDoc()).filter((e) => !RUN.includes(e.section));
    expect(rest.length).toBeGreaterThan(0);
    for (const e of rest) expect(OFFLINE, `line ${e.line}: ${e.section}`).toContain(e.section);
  });

  it('prints what the doc shows, run in the folder npm run testbed writes', async () => {
    // The doc's story order: plan, sync, (change), plan --show-lengths, sync --dry-run --json, status (out of sync),
    // sync, status of every mapping, status --json, doctor, redrive --dry-run.
    const [plan1, plan2, sync1, sync2, dry, status1, status2, status3, doctor, redrive] = EXAMPLES as [
      Example,
      Example,
      Example,
      Example,
      Example,
      Example,
      Example,
      Example,
      Example,
      Example,
    ];
    const env = { PATH: '/usr/bin:/bin', HOME: bed.dir, TZ: 'UTC', ...bed.env };
    const run = async (e: Example) => {
      const r = await exec(process.execPath, [CLI, ...argvOf(e)], env, bed.dir);
      ran.push({ example: e, code: r.code, output: r.stdout + r.stderr });
    };
    await run(plan1);
    await run(sync1);
    await changeBoth();
    await run(plan2);
    await run(dry);
    await run(status1);
    await run(sync2);
    await run(status2);
    await run(status3);
    await run(doctor);
    await run(redrive);
    for (const r of ran) {
      const { got, doc } = verdict(r.example, r);
      expect.soft(got).toStrictEqual(doc);
    }
  });

  it('fails an example edited by one word (positive control of the comparison above)', () => {
    expect(ran.length).toBe(EXAMPLES.length);
    for (const r of ran) {
      // One word of the doc's output changed: the first word of 4+ letters outside the normalized parts.
      const word = /\b[A-Za-z]{4,}\b/.exec(normalize(r.example.output))?.[0];
      expect(word, `line ${r.example.line} has a word`).toBeDefined();
      const edited = { ...r.example, output: r.example.output.replace(word!, `${word}s`) };
      const { got, doc } = verdict(edited, r);
      expect(got, `line ${r.example.line}: "${word}" -> "${word}s"`).not.toStrictEqual(doc);
    }
  });
});

itPrintsNoSecret(() => [FIRST_VALUE.password, SECOND_VALUE.password]);
