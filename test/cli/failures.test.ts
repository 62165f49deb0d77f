// The CLI's lines when something is wrong or more than the Secret is at stake, against the test bed: one JSON
// document on stdout under --json also on failure, a fix line for plan's 403, the 401 of a cluster-name typo naming
// the binding of the token, and sync restarting a mapping's workloads as the pipeline's RestartWorkloads does.
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYNC_STEPS } from '../../functions/domain/sync-steps.ts';
import { accessManifests } from '../../infra/model/rbac.ts';
import { adminApply, adminToken, kube } from '../support/kube.ts';
import { workload } from '../support/workloads.ts';
import {
  appOf,
  canary,
  cli,
  itPrintsNoSecret,
  motoConfig,
  seedMapping,
  writeMappings,
  type CliRun,
  type TestMapping,
} from './support.ts';

const CANARY = canary();
const runs: CliRun[] = [];

async function run(args: string[]): Promise<CliRun> {
  const r = await cli(args);
  runs.push(r);
  return r;
}

describe('a failed command under --json', () => {
  let denied: TestMapping;
  let file: string;

  beforeAll(async () => {
    denied = await seedMapping({ value: JSON.stringify({ password: CANARY }), noRbac: true });
    file = writeMappings('CliFailures', [denied]);
  });

  it('plan prints one JSON document with the message, the step and the fix, and the fix line in text', async () => {
    const json = await run(['plan', '--mappings', file, '--mapping', denied.id, '--json']);
    const text = await run(['plan', '--mappings', file, '--mapping', denied.id]);

    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toStrictEqual({
      error: {
        command: 'plan',
        exitCode: 1,
        message: expect.stringMatching(/^ReadSecret failed: .* may not get Secret .*forbidden/),
        step: 'ReadSecret',
        fix: expect.stringContaining(`eks-secret-sync rbac --mapping ${denied.id} | kubectl apply -f -`),
      },
    });
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(
      new RegExp(`^eks-secret-sync plan: ReadSecret failed: .*\\n  fix: eks-secret-sync rbac --mapping ${denied.id} `),
    );
  });

  it.each([
    ['a usage error', ['status', '--since', 'soon'], 2, /--since "soon" is not a duration/],
    ['an invalid mappings file', ['status', '--mappings', '/dev/null'], 1, /invalid mappings file/],
  ])('prints one JSON document on stdout for %s', async (_what, args, code, message) => {
    const r = await run([...args, '--json']);

    expect(r.code).toBe(code);
    const out = JSON.parse(r.stdout);
    expect(out.error).toMatchObject({ command: 'status', exitCode: code, message: expect.stringMatching(message) });
  });
});

describe('a cluster-name typo', () => {
  it('gets a 401 whose text says the token is bound to the cluster name it was minted for', async () => {
    const m = await seedMapping({ value: JSON.stringify({ password: CANARY }) });
    const typo = { ...m, cluster: { ...(m.cluster as object), name: 'testbedd' } };
    const file = writeMappings('CliTypo', [typo]);

    const plan = await run(['plan', '--mappings', file, '--mapping', m.id]);
    const status = await run(['status', '--mappings', file, '--mapping', m.id, '--dlq-url', 'http://127.0.0.1:9/q']);

    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('(401): it expired, it was minted for another cluster name');
    expect(plan.stderr).toContain("check the mapping's cluster.name");
    expect(status.stdout).toContain('the token is bound to the cluster name "testbedd" it was signed for');
  });
});

describe('sync of a mapping with restart', () => {
  it('restarts the listed workload after a write that changed data, with the restart step module', async () => {
    const m = await seedMapping({ value: JSON.stringify({ password: CANARY }), stack: 'CliRestart' });
    const withRestart = { ...m, restart: ['deployment/api'] };
    await adminApply([
      ...accessManifests(
        { id: m.id, namespace: m.namespace, secretName: m.secretName, restart: ['deployment/api'] },
        appOf('CliRestart', m),
      ),
      workload('Deployment', m.namespace, 'api'),
    ]);
    const file = writeMappings('CliRestart', [withRestart]);

    const first = await run(['sync', '--mappings', file, '--mapping', m.id, '--json']);
    const again = await run(['sync', '--mappings', file, '--mapping', m.id]);

    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout);
    // Every step of the step table, in its order: the optional RestartWorkloads included, after the write.
    const states = out.trace.map((r: { state: string }) => r.state);
    expect(states.slice(-1)).toStrictEqual(['RestartWorkloads']);
    expect(states).toStrictEqual(
      SYNC_STEPS.filter((r) => !r.optional || r.kind === 'restart-workloads').map((r) => r.state),
    );
    expect(out.restarted).toMatchObject({ workloads: ['deployment/api'], versionId: out.source.versionId });
    const api = await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${m.namespace}/deployments/api`);
    expect(api.body.spec.template.metadata.annotations).toMatchObject({
      'kubectl.kubernetes.io/restartedAt': out.restarted.restartedAt,
      'eks-secret-sync.io/restarted-for-version': out.source.versionId,
    });
    // Nothing changed: no write, no restart (RestartNeeded is false).
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('RestartWorkloads');

    const sm = new SecretsManagerClient(motoConfig());
    await sm.send(
      new PutSecretValueCommand({ SecretId: m.secretArn, SecretString: JSON.stringify({ password: 'x' }) }),
    );
    sm.destroy();
    const changed = await run(['sync', '--mappings', file, '--mapping', m.id]);
    expect(changed.stdout).toMatch(/RestartWorkloads\s+\d+ ms\s+restarted deployment\/api \(restartedAt \S+Z\)/);
  });
});

describe('sync of a mapping with restartWindowSeconds', () => {
  it('restarts at the boundary of the window, after waiting for it, as the state machine does (coalescing)', async () => {
    const m = await seedMapping({ value: JSON.stringify({ password: CANARY }), stack: 'CliWindow' });
    const withWindow = { ...m, restart: ['deployment/api'], restartWindowSeconds: 3 };
    await adminApply([
      ...accessManifests(
        { id: m.id, namespace: m.namespace, secretName: m.secretName, restart: ['deployment/api'] },
        appOf('CliWindow', m),
      ),
      workload('Deployment', m.namespace, 'api'),
    ]);
    const file = writeMappings('CliWindow', [withWindow]);

    const before = Date.now();
    const first = await run(['sync', '--mappings', file, '--mapping', m.id, '--json']);

    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout);
    const at = Date.parse(out.restarted.restartedAt);
    // the grid of restartWindowSeconds (domain/restart.ts restartBoundary): a multiple of 3 s, after the write,
    // waited for before the patch
    expect(at % 3000).toBe(0);
    expect(at).toBeGreaterThan(before - 1000);
    expect(out.restarted.restartedAt).not.toBe(new Date(before).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const api = await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${m.namespace}/deployments/api`);
    const annotations = api.body.spec.template.metadata.annotations;
    expect(annotations['kubectl.kubernetes.io/restartedAt']).toBe(out.restarted.restartedAt);
    // a coalesced restart carries no version (two secrets rotated together would make two patches)
    expect(annotations['eks-secret-sync.io/restarted-for-version']).toBeUndefined();

    // control without the window: restartedAt is the time the restart was asked for, with the version
    const plain = writeMappings('CliWindow', [{ ...withWindow, restartWindowSeconds: 0 }]);
    const sm = new SecretsManagerClient(motoConfig());
    await sm.send(
      new PutSecretValueCommand({ SecretId: m.secretArn, SecretString: JSON.stringify({ password: `${CANARY}-2` }) }),
    );
    const again = await run(['sync', '--mappings', plain, '--mapping', m.id, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const api2 = await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${m.namespace}/deployments/api`);
    expect(api2.body.spec.template.metadata.annotations['eks-secret-sync.io/restarted-for-version']).toBe(
      JSON.parse(again.stdout).source.versionId,
    );

    // the text output says where the restart time came from
    await sm.send(
      new PutSecretValueCommand({ SecretId: m.secretArn, SecretString: JSON.stringify({ password: `${CANARY}-3` }) }),
    );
    sm.destroy();
    const text = await run(['sync', '--mappings', file, '--mapping', m.id]);
    expect(text.stdout).toMatch(/RestartWorkloads\s+\d+ ms\s+restarted deployment\/api \(restartedAt \S+Z, /);
    expect(text.stdout).toContain('Z, the boundary of its 3 s restart window)');
  });
});

itPrintsNoSecret(() => [CANARY]);
