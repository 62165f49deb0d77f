// `plan` and `sync` as child processes against the test bed: the pipeline's own
// code run in-process with the sync identity's credentials (moto-issued role
// session, EKS token minted by the CLI), checked on the real apiserver.
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYNC_STEPS } from '../../functions/domain/sync-steps.ts';
import { adminToken, kube, tokenFor } from '../support/kube.ts';
import {
  canary,
  cli,
  itPrintsNoSecret,
  motoConfig,
  seedMapping,
  writeKubeconfig,
  writeMappings,
  type CliRun,
  type TestMapping,
} from './support.ts';

const CANARY = canary();
const CANARY2 = canary();
const runs: CliRun[] = [];
let mapping: TestMapping;
let file: string;

async function run(
  args: string[],
  ...rest: Parameters<typeof cli> extends [unknown, ...infer R] ? R : never
): Promise<CliRun> {
  const r = await cli(args, ...rest);
  runs.push(r);
  return r;
}

async function putSecret(value: object): Promise<void> {
  const sm = new SecretsManagerClient(motoConfig());
  await sm.send(new PutSecretValueCommand({ SecretId: mapping.secretArn, SecretString: JSON.stringify(value) }));
  sm.destroy();
}

const secretPath = () => `/api/v1/namespaces/${mapping.namespace}/secrets/${mapping.secretName}`;

beforeAll(async () => {
  mapping = await seedMapping({
    value: JSON.stringify({ username: 'app', password: CANARY, port: 5432 }),
    prune: true,
  });
  file = writeMappings('CliPlanSync', [mapping]);
});

describe('plan', () => {
  it('lists every key as added with masked values and exits 3 when the Secret does not exist', async () => {
    const r = await run(['plan', '--mappings', file, '--mapping', mapping.id]);

    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`Mapping ${mapping.id}: AWS secret ${mapping.secretArn}`);
    expect(r.stdout).toContain('Action: create.');
    expect(r.stdout).toMatch(/KEY\s+CHANGE\s+NOW \(KUBERNETES\)\s+AFTER SYNC/);
    for (const key of ['password', 'port', 'username'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${key}\\s+added\\s+-\\s+\\*{6}\\n`));
    expect((await kube(adminToken(), 'GET', secretPath())).status).toBe(404);
  });

  it('gives lengths and hash prefixes only when asked, in text and JSON', async () => {
    const text = await run(['plan', '--mappings', file, '--mapping', mapping.id, '--show-lengths', '--show-hashes']);
    const json = await run(['plan', '--mappings', file, '--mapping', mapping.id, '--json', '--show-lengths']);

    expect(text.stdout).toMatch(
      new RegExp(`password\\s+added\\s+-\\s+\\*{6} ${CANARY.length} B sha256:[0-9a-f]{8}\\n`),
    );
    expect(json.code).toBe(3);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({
      mapping: mapping.id,
      action: 'create',
      target: { exists: false, namespace: mapping.namespace },
    });
    expect(out.keys).toEqual([
      { key: 'password', change: 'added', now: null, after: { bytes: CANARY.length } },
      { key: 'port', change: 'added', now: null, after: { bytes: 4 } },
      { key: 'username', change: 'added', now: null, after: { bytes: 3 } },
    ]);
  });

  it('reads the cluster and credentials from a kubeconfig context when --kubeconfig is given', async () => {
    const kubeconfig = writeKubeconfig(await tokenFor('sync'), 'sync');
    const r = await run(['plan', '--mappings', file, '--mapping', mapping.id, '--kubeconfig', kubeconfig]);

    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain('(from kubeconfig context "testbed-sync")');
  });
});

describe('sync', () => {
  it('plans but writes nothing with --dry-run', async () => {
    const r = await run(['sync', '--mappings', file, '--mapping', mapping.id, '--dry-run']);

    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/FetchSecret\s+\d+ ms\s+version \S+ \(.+\), 3 keys/);
    // ReadSecret reads and plans (one step, as its function): its line shows the read and the plan's decision.
    expect(r.stdout).toMatch(/ReadSecret\s+\d+ ms\s+absent, plan: create; added \[password, port, username\]$/m);
    expect(r.stdout).not.toContain('ApplySecret');
    expect(r.stdout).toContain('Result: dry run: a sync would create the Secret');
    expect((await kube(adminToken(), 'GET', secretPath())).status).toBe(404);
  });

  it('creates the Secret with the trace of every step and exits 0', async () => {
    const r = await run(['sync', '--mappings', file, '--mapping', mapping.id]);

    expect(r.code, r.stdout + r.stderr).toBe(0);
    const states = [...r.stdout.matchAll(/^ {2}(\w+)\s+\d+ ms {2}/gm)].map((m) => m[1]);
    // Every step every sync runs, in the step table's order (a new step in orchestration.ts needs no edit here).
    expect(states).toContain('ApplySecret');
    expect(states).toEqual(SYNC_STEPS.filter((r) => !r.optional).map((r) => r.state));
    // No token step: each Kubernetes step signs its own token, which no trace line shows.
    expect(states).not.toContain('MintToken');
    expect(states).not.toContain('PlanMerge');
    expect(r.stdout).toMatch(/ReadSecret\s+\d+ ms\s+absent, plan: create; added \[password, port, username\]$/m);
    expect(r.stdout).toMatch(/ApplySecret\s+\d+ ms\s+created, resourceVersion \d+/);
    const secret = await kube(adminToken(), 'GET', secretPath());
    expect(secret.status).toBe(200);
    expect(Buffer.from(secret.body.data.password, 'base64').toString()).toBe(CANARY);
    expect(secret.body.metadata.annotations['eks-secret-sync.io/source-arn']).toBe(mapping.secretArn);
  });

  it('finds nothing to do on a second run (plan exits 0, sync writes nothing)', async () => {
    const plan = await run(['plan', '--mappings', file, '--mapping', mapping.id]);
    const sync = await run(['sync', '--mappings', file, '--mapping', mapping.id, '--json']);

    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Action: none.');
    expect(plan.stdout).toMatch(/password\s+unchanged\s+\*{6}\s+\*{6}/);
    expect(sync.code, sync.stderr).toBe(0);
    const out = JSON.parse(sync.stdout);
    expect(out).toMatchObject({ status: 'unchanged', action: 'none', dryRun: false });
    expect(out.trace.map((t: { state: string }) => t.state)).toEqual(['FetchSecret', 'ReadSecret']);
    expect(out.trace[1].outcome).toMatch(
      /^exists at resourceVersion \d+, plan: none; unchanged \[password, port, username\]$/,
    );
  });

  it('shows added, updated, unchanged, kept and pruned keys after the AWS secret and others changed', async () => {
    // Another writer adds a key; AWS drops `port`, changes `password`, adds `sslmode`.
    await kube(
      adminToken(),
      'PATCH',
      secretPath(),
      { data: { 'written-by-others': Buffer.from('x').toString('base64') } },
      'application/merge-patch+json',
    );
    await new Promise((r) => setTimeout(r, 1100)); // moto's version dates have one-second precision
    await putSecret({ username: 'app', password: CANARY2, sslmode: 'require' });

    const plan = await run(['plan', '--mappings', file, '--mapping', mapping.id, '--show-hashes']);
    const sync = await run(['sync', '--mappings', file, '--mapping', mapping.id]);

    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toMatch(/password\s+updated\s+\*{6} sha256:([0-9a-f]{8})\s+\*{6} sha256:(?!\1)[0-9a-f]{8}\n/);
    expect(plan.stdout).toMatch(/port\s+pruned\s+\*{6} sha256:[0-9a-f]{8}\s+-\n/);
    expect(plan.stdout).toMatch(/sslmode\s+added\s+-\s+\*{6}/);
    expect(plan.stdout).toMatch(/username\s+unchanged/);
    expect(plan.stdout).toMatch(/written-by-others\s+kept/);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/ApplySecret\s+\d+ ms\s+updated, resourceVersion \d+/);
    const data = (await kube(adminToken(), 'GET', secretPath())).body.data;
    expect(Object.keys(data).sort()).toEqual(['password', 'sslmode', 'username', 'written-by-others']);
  });

  it('fails with the failed step in the trace and exits 1 when RBAC does not allow the read', async () => {
    const denied = await seedMapping({ value: JSON.stringify({ password: CANARY }), noRbac: true });
    const deniedFile = writeMappings('CliPlanSync', [denied]);

    const r = await run(['sync', '--mappings', deniedFile, '--mapping', denied.id]);
    const json = await run(['sync', '--mappings', deniedFile, '--mapping', denied.id, '--json']);

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ReadSecret\s+\d+ ms\s+failed: PermissionDeniedError/);
    expect(r.stdout).toMatch(/Result: failed at ReadSecret: PermissionDeniedError: .* may not get Secret .*forbidden/);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'failed',
      error: { name: 'PermissionDeniedError', step: 'ReadSecret' },
    });
  });
});

describe('usage', () => {
  it('exits 2 naming the mappings when --mapping is missing or unknown', async () => {
    const missing = await run(['plan', '--mappings', file]);
    const unknown = await run(['sync', '--mappings', file, '--mapping', 'nope']);

    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`missing required option --mapping ID (the mappings of ${file}: ${mapping.id})`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no mapping "nope" in ${file}; its mappings are ${mapping.id}`);
  });

  it('exits 1 with a clear message when no AWS credentials are found', async () => {
    const { cliEnv } = await import('./support.ts');
    const r = await run(['plan', '--mappings', file, '--mapping', mapping.id], cliEnv('none'));

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not load AWS credentials .*set AWS_PROFILE/);
  });
});

itPrintsNoSecret(() => [CANARY, CANARY2]);
