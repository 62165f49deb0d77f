// A mapping with several targets through the CLI against the test bed: `rbac` prints one manifest for the
// cluster with a Role per namespace, `plan` and `sync` show and write every target from one fetch, and the
// mapping's identity reaches exactly its targets' Secrets.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { adminApply, adminToken, createNamespace, kube, tokenFor, uniqueName } from '../support/kube.ts';
import {
  addAccessEntryGroup,
  canary,
  cli,
  groupOf,
  itPrintsNoSecret,
  motoConfig,
  writeMappings,
  type CliRun,
} from './support.ts';

const CANARY = canary();
let file: string;
let id: string;
let targets: { namespace: string; secretName: string }[];
let partial: string;
let missing: string;

const run = (args: string[]): Promise<CliRun> => cli(args);

const path = (t: { namespace: string; secretName: string }) =>
  `/api/v1/namespaces/${t.namespace}/secrets/${t.secretName}`;

beforeAll(async () => {
  const tb = inject('testbed');
  id = uniqueName('fan').slice(0, 40);
  const sm = new SecretsManagerClient(motoConfig());
  const created = await sm.send(
    new CreateSecretCommand({ Name: uniqueName('cli/fan'), SecretString: JSON.stringify({ password: CANARY }) }),
  );
  sm.destroy();
  const [one, two] = [await createNamespace('fan'), await createNamespace('fan')];
  targets = [
    { namespace: one, secretName: 'db' },
    { namespace: one, secretName: 'db-copy' },
    { namespace: two, secretName: 'db' },
  ];
  const cluster = { name: tb.cluster.name, endpoint: tb.cluster.server, certificateAuthority: tb.cluster.caData };
  // A second mapping of the same secret: one target in a namespace that does not exist.
  partial = uniqueName('fanp').slice(0, 40);
  missing = uniqueName('gone');
  file = writeMappings('CliFanOut', [
    { id, secretArn: created.ARN!, targets: targets.map((t) => ({ cluster, ...t })) } as never,
    {
      id: partial,
      secretArn: created.ARN!,
      targets: [
        { cluster, namespace: missing, secretName: 'db' },
        { cluster, namespace: two, secretName: 'db-partial' },
      ],
    } as never,
  ]);
  await addAccessEntryGroup(groupOf('CliFanOut', { id, secretArn: created.ARN! }));
  await addAccessEntryGroup(groupOf('CliFanOut', { id: partial, secretArn: created.ARN! }));
});

describe('a mapping with three targets in two namespaces', () => {
  it('gets one manifest for its cluster from rbac: a Role and a RoleBinding per namespace', async () => {
    const r = await run(['rbac', '--mappings', file, '--mapping', id]);

    expect(r.code, r.stderr).toBe(0);
    const header = r.stdout.split('\n')[0];
    expect(header).toBe(
      `# mapping ${id}, cluster ${inject('testbed').cluster.name}: ` +
        targets.map((t) => `${t.namespace}/${t.secretName}`).join(', '),
    );
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS());
    const roles = objects.filter((o) => o.kind === 'Role');
    expect(roles.map((o) => [o.metadata.namespace, o.rules[0].resourceNames])).toStrictEqual([
      [targets[0]!.namespace, ['db', 'db-copy']],
      [targets[2]!.namespace, ['db']],
    ]);
    expect(objects.filter((o) => o.kind === 'RoleBinding')).toHaveLength(2);
    await adminApply(objects);
  });

  it('plans every target (exit 3: each would be created)', async () => {
    const r = await run(['plan', '--mappings', file, '--mapping', id, '--json']);

    expect(r.code, r.stderr).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.targets.map((p: any) => [p.target.namespace, p.target.name, p.action])).toStrictEqual(
      targets.map((t) => [t.namespace, t.secretName, 'create']),
    );
  });

  it('writes every target from one fetch and shows each', async () => {
    const r = await run(['sync', '--mappings', file, '--mapping', id]);

    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.match(/^ {2}FetchSecret\s/gm)).toHaveLength(1);
    for (const t of targets) {
      expect(r.stdout).toContain(`Target ${inject('testbed').cluster.name}/${t.namespace}/${t.secretName}`);
      const secret = await kube(adminToken(), 'GET', path(t));
      expect(secret.status).toBe(200);
      expect(Buffer.from(secret.body.data.password, 'base64').toString()).toBe(CANARY);
    }
  });

  it('shows each target and the version it holds in status', async () => {
    const sqs = new SQSClient(motoConfig());
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('fan-dlq') }))).QueueUrl!;
    sqs.destroy();

    const r = await run(['status', '--mappings', file, '--mapping', id, '--dlq-url', dlqUrl, '--json']);

    const out = JSON.parse(r.stdout);
    const name = inject('testbed').cluster.name;
    expect(out.mappings.map((m: any) => [m.id, m.target, m.state])).toStrictEqual(
      targets.map((t) => [id, `${name}/${t.namespace}/${t.secretName}`, 'in-sync']),
    );
    for (const m of out.mappings) expect(m.secret.versionId).toBe(m.aws.currentVersionId);
  });

  it("leaves the mapping's identity no Secret but its targets' in those namespaces", async () => {
    const token = await tokenFor('sync');
    const other = { namespace: targets[2]!.namespace, secretName: 'db-copy' };
    await kube(adminToken(), 'POST', `/api/v1/namespaces/${other.namespace}/secrets`, {
      metadata: { name: other.secretName },
      data: { x: Buffer.from('y').toString('base64') },
    });

    expect((await kube(token, 'GET', path(targets[2]!))).status).toBe(200);
    expect((await kube(token, 'GET', path(other))).status).toBe(403);
  });
});

describe('a target whose namespace is missing', () => {
  it('fails alone: the other target is written, the failure names the target and the step', async () => {
    const rbac = await run(['rbac', '--mappings', file, '--mapping', partial]);
    // The missing namespace's Role cannot be applied; the other namespace's can.
    const objects = parseAllDocuments(rbac.stdout).map((d) => d.toJS());
    await adminApply(objects.filter((o) => o.metadata.namespace !== missing));

    const r = await run(['sync', '--mappings', file, '--mapping', partial, '--json']);

    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.targets.map((t: any) => [t.target.namespace, t.status, t.error?.step])).toStrictEqual([
      [missing, 'failed', 'ReadSecret'],
      [targets[2]!.namespace, 'written', undefined],
    ]);
    const written = await kube(
      adminToken(),
      'GET',
      path({ namespace: targets[2]!.namespace, secretName: 'db-partial' }),
    );
    expect(written.status).toBe(200);
  });
});

itPrintsNoSecret(() => [CANARY]);
