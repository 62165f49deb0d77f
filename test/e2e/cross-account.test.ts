// Issue 25 on the test bed: ONE mapping with a target in the test bed's cluster (the secrets' account
// 123456789012, us-east-1) and one in a cluster of another account and region (testbed/remote-cluster.ts:
// 210987654321, eu-west-1; its own kube-apiserver, CA and token webhook, whose aws-iam-authenticator verifier is
// bound to that cluster's name and region and maps that cluster's access entries). The mapping's one role (in the
// secrets' account) reaches the other cluster only through the access entry the app's access stack creates there
// (infra/constructs/cluster-access.ts). Then the isolation matrix across the two accounts: a role of either account
// is refused in the other's cluster, and the mapping's role may do there what its sync needs on its own Secret and
// nothing else; each refusal has its positive control. Two moto accounts stand for two AWS accounts
// (docs/testing.md#two-accounts-and-two-regions says what that does not prove).
import { readFileSync } from 'node:fs';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintEksToken } from '../../functions/adapters/eks-token.ts';
import { kubeNames } from '../../infra/model/kube-names.ts';
import { addAccessEntry, type Credentials } from '../../testbed/identities.ts';
import { TESTBED_APP_NAME } from '../../testbed/local-pipeline.ts';
import { adminApply, createNamespace, kubeRequest, type KubeResponse } from '../../testbed/kube-admin.ts';
import { REMOTE_CLUSTER, startRemoteCluster, type RemoteCluster } from '../../testbed/remote-cluster.ts';
import type { TestbedDetails } from '../../testbed/testbed.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { cli, cliEnv, writeMappings, type CliRun } from '../cli/support.ts';
import { TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = `xacct-canary-${Date.now().toString(36)}`;
const TEAM_SECRET = 'team-b-config';
let remote: RemoteCluster;
let m: LocalMapping;
let run: ExecutionRecord;
/** A namespace of the other account's own team in its cluster, with a Secret its RBAC lets the team read. */
let teamNamespace: string;

const home = (): TestbedDetails => inject('testbed');
const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;
const MERGE = 'application/merge-patch+json';

/** A token of `credentials` for `cluster`, signed for the cluster's region as each Kubernetes step signs its own. */
async function tokenFor(credentials: Credentials, cluster: TestbedDetails['cluster']): Promise<string> {
  return (await mintEksToken({ clusterName: cluster.name, region: cluster.region, credentials })).token;
}

/** A read and a write of one Secret, as `token`, on the cluster of `on`. */
const REQUESTS = {
  get: (on: TestbedDetails, token: string, ns: string, name: string) =>
    kubeRequest(on, token, 'GET', secretPath(ns, name)),
  patch: (on: TestbedDetails, token: string, ns: string, name: string) =>
    kubeRequest(on, token, 'PATCH', secretPath(ns, name), { metadata: { annotations: { probe: 'x' } } }, MERGE),
} as const;
const VERBS = Object.keys(REQUESTS) as (keyof typeof REQUESTS)[];

async function whoAmI(on: TestbedDetails, token: string): Promise<KubeResponse> {
  return kubeRequest(on, token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
}

beforeAll(async () => {
  remote = await startRemoteCluster(home(), (msg) => process.stderr.write(`[remote] ${msg}\n`));
  m = await TestMapping.create({
    id: 'xacct',
    secretString: JSON.stringify({ password: CANARY }),
    moreTargets: [{ secretName: 'app-config', cluster: remote.details.cluster }],
  });
  run = await m.run({});
  // The other account's own team: a group of its own, allowed get and patch on one Secret of its namespace.
  teamNamespace = await createNamespace(remote.details, 'team-b');
  const rule = { apiGroups: [''], resources: ['secrets'], resourceNames: [TEAM_SECRET], verbs: ['get', 'patch'] };
  await adminApply(remote.details, [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: TEAM_SECRET, namespace: teamNamespace }, data: {} },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'team-b', namespace: teamNamespace },
      rules: [rule],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'team-b', namespace: teamNamespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'team-b' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: remote.local.groups[0] }],
    },
  ]);
}, 240_000);

afterAll(async () => {
  await m?.close();
  await remote?.stop();
});

describe('one mapping, targets in two accounts and two regions', () => {
  it('are two clusters: other names, accounts, regions, servers and CAs', () => {
    const [a, b] = [home().cluster, remote.details.cluster];
    expect([b.name, b.region, remote.account]).toStrictEqual([
      REMOTE_CLUSTER.name,
      REMOTE_CLUSTER.region,
      REMOTE_CLUSTER.account,
    ]);
    expect(a.region).not.toBe(b.region);
    expect(m.identity.roleArn.split(':')[4]).not.toBe(remote.account);
    expect(a.server).not.toBe(b.server);
    expect(a.caData).not.toBe(b.caData);
    expect(m.targets.map((t) => t.cluster)).toStrictEqual([a.name, b.name]);
  });

  it('syncs: the one execution writes the value into both targets', async () => {
    expect(run.status, JSON.stringify(run.error)).toBe('SUCCEEDED');
    for (const [on, t] of [
      [home(), m.targets[0]!],
      [remote.details, m.targets[1]!],
    ] as const) {
      const r = await kubeRequest(on, on.cluster.adminToken, 'GET', secretPath(t.namespace, t.secretName));
      expect(r.status, `${t.name}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(Buffer.from(r.body.data.password, 'base64').toString()).toBe(CANARY);
    }
  });

  it("writes in the other cluster as the mapping's role of the secrets' account (that cluster's audit log)", () => {
    const t = m.targets[1]!;
    const writes = readFileSync(remote.details.cluster.auditLogFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter(
        (e) =>
          e.objectRef?.resource === 'secrets' &&
          e.objectRef.namespace === t.namespace &&
          e.objectRef.name === t.secretName &&
          e.verb === 'patch' &&
          e.responseStatus?.code < 300,
      );
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      expect(w.user.username).toBe(m.identity.username);
      expect(w.user.username).toContain(':123456789012:');
      expect(w.user.groups).toContain(kubeNames(m.app, 'xacct').group);
    }
  });

  it("is one identity in both clusters: the other cluster's access entry maps the role to its one group", async () => {
    for (const on of [home(), remote.details]) {
      const r = await whoAmI(on, await tokenFor(m.identity.credentials, on.cluster));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.status.userInfo.username).toBe(m.identity.username);
      expect(r.body.status.userInfo.groups).toStrictEqual([kubeNames(m.app, 'xacct').group, 'system:authenticated']);
    }
  });

  it('leaves the value in no log, state or DLQ message', () => {
    expectNoSecretMaterial(m.captured(), [CANARY]);
  });
});

describe('isolation across the two accounts', () => {
  const a = () => home();
  const b = () => remote.details;
  const other = () => home().identities.other;

  it.each(VERBS)(
    "a role of the secrets' account without an entry there is refused in the other cluster: %s",
    async (verb) => {
      const r = await REQUESTS[verb](b(), await tokenFor(other().credentials, b().cluster), teamNamespace, TEAM_SECRET);
      expect(r.status, JSON.stringify(r.body)).toBe(401);
    },
  );

  it("(control) that role is authenticated in its own account's cluster", async () => {
    const r = await whoAmI(a(), await tokenFor(other().credentials, a().cluster));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.status.userInfo.username).toBe(other().username);
  });

  it.each(VERBS)(
    "a role of the other account is refused in the secrets' account's cluster, on the mapping's Secret: %s",
    async (verb) => {
      const t = m.targets[0]!;
      const r = await REQUESTS[verb](
        a(),
        await tokenFor(remote.local.credentials, a().cluster),
        t.namespace,
        t.secretName,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(401);
    },
  );

  it.each(VERBS)('(control) that role may %s its own Secret in its own cluster', async (verb) => {
    const token = await tokenFor(remote.local.credentials, b().cluster);
    const r = await REQUESTS[verb](b(), token, teamNamespace, TEAM_SECRET);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await whoAmI(b(), token)).body.status.userInfo.username).toContain(`:${remote.account}:`);
  });

  it.each(VERBS)("that role is refused on the mapping's Secret in its own cluster (403): %s", async (verb) => {
    const t = m.targets[1]!;
    const r = await REQUESTS[verb](
      b(),
      await tokenFor(remote.local.credentials, b().cluster),
      t.namespace,
      t.secretName,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.message).toContain(`User "${remote.local.username}" cannot`);
  });

  it.each(VERBS)(
    "the mapping's role is refused on the other account's Secret in that cluster (403): %s",
    async (verb) => {
      const r = await REQUESTS[verb](
        b(),
        await tokenFor(m.identity.credentials, b().cluster),
        teamNamespace,
        TEAM_SECRET,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body.message).toContain(`User "${m.identity.username}" cannot`);
    },
  );

  it.each(VERBS)("(control) the mapping's role may %s its own Secret in the other cluster", async (verb) => {
    const t = m.targets[1]!;
    const r = await REQUESTS[verb](b(), await tokenFor(m.identity.credentials, b().cluster), t.namespace, t.secretName);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it("the mapping's role is refused listing Secrets in the other cluster", async () => {
    const token = await tokenFor(m.identity.credentials, b().cluster);
    const r = await kubeRequest(b(), token, 'GET', `/api/v1/namespaces/${m.targets[1]!.namespace}/secrets`);
    expect(r.status, JSON.stringify(r.body)).toBe(403);
  });

  it("the mapping's token minted for the secrets' account's cluster is refused by the other (401)", async () => {
    const t = m.targets[1]!;
    const r = await REQUESTS.get(b(), await tokenFor(m.identity.credentials, a().cluster), t.namespace, t.secretName);
    expect(r.status, JSON.stringify(r.body)).toBe(401);
  });
});

// `doctor` checks each target's cluster in the cluster's own region and account: EKS answers for the caller's
// account only, so a cluster of another account is checked with that account's credentials, and said unchecked
// (with the way to check it) with the secrets' account's. Its Kubernetes checks reach the cluster as the caller,
// with a token minted for that cluster and its region.
describe('doctor across accounts and regions', () => {
  const runs: CliRun[] = [];
  let file: string;
  const DOCTOR_GROUP = 'testbed:doctor';

  /** The findings of one target, by check id. */
  const findingsOf = (out: any, target: string): Record<string, any> =>
    Object.fromEntries(
      out.mappings.find((x: any) => x.id === `xacct ${target}`).findings.map((f: any) => [f.check, f]),
    );
  async function doctor(env: Record<string, string>): Promise<any> {
    const run = await cli(['doctor', '--mappings', file, '--json'], env);
    runs.push(run);
    return JSON.parse(run.stdout);
  }
  const accountB = () => {
    const c = remote.accountCredentials;
    return cliEnv('none', {
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      AWS_SESSION_TOKEN: c.sessionToken!,
    });
  };
  const own = () => `${REMOTE_CLUSTER.name}/${m.targets[1]!.namespace}/app-config`;
  const team = () => `${REMOTE_CLUSTER.name}/${teamNamespace}/app-config`;

  beforeAll(async () => {
    // The cluster in moto's EKS, in its own account and region.
    const eks = new EKSClient({
      region: REMOTE_CLUSTER.region,
      endpoint: home().moto.url,
      credentials: remote.accountCredentials,
    });
    await eks.send(
      new CreateClusterCommand({ name: REMOTE_CLUSTER.name, roleArn: remote.local.roleArn, resourcesVpcConfig: {} }),
    );
    eks.destroy();
    // The caller (the CLI's identity, of the secrets' account) may read namespaces and ask RBAC in that cluster.
    await addAccessEntry(remote.details.cluster.accessEntriesFile, home().identities.sync.roleArn, [DOCTOR_GROUP]);
    await adminApply(remote.details, [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'testbed-doctor' },
        rules: [
          { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
          { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'testbed-doctor' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'testbed-doctor' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: DOCTOR_GROUP }],
      },
    ]);
    const c = remote.details.cluster;
    const cluster = {
      name: c.name,
      account: remote.account,
      region: c.region,
      endpoint: c.server,
      certificateAuthority: c.caData,
    };
    // The mapping's target there, and one in a namespace its RBAC does not reach (the RBAC check's control).
    file = writeMappings(TESTBED_APP_NAME, [
      {
        id: 'xacct',
        secretArn: m.secretArn,
        targets: [
          { cluster, namespace: m.targets[1]!.namespace, secretName: 'app-config' },
          { cluster, namespace: teamNamespace, secretName: 'app-config' },
        ],
      } as never,
    ]);
  });

  it("says the cluster is unchecked with the secrets' account's credentials, naming its account", async () => {
    const f = findingsOf(await doctor(cliEnv('sync')), own());
    expect(f.cluster).toMatchObject({
      verdict: 'unchecked',
      message: expect.stringContaining(
        `the mapping's cluster is in account ${remote.account}; with your credentials no cluster ` +
          `${REMOTE_CLUSTER.name} in ${REMOTE_CLUSTER.region} is visible`,
      ),
    });
  });

  it('finds the cluster in its own region with credentials of its account', async () => {
    const f = findingsOf(await doctor(accountB()), own());
    expect(f.cluster).toMatchObject({
      verdict: 'ok',
      message: `cluster ${REMOTE_CLUSTER.name} exists in ${REMOTE_CLUSTER.region} (ACTIVE)`,
    });
  });

  it('(control) the cluster is in no other region of its account: the region came from the mapping', async () => {
    const eks = new EKSClient({
      region: home().moto.region,
      endpoint: home().moto.url,
      credentials: remote.accountCredentials,
    });
    const out = await eks.send(new ListClustersCommand({}));
    eks.destroy();
    expect(out.clusters ?? []).not.toContain(REMOTE_CLUSTER.name);
  });

  it("checks namespace and RBAC in that cluster through a token for it: the mapping's target passes", async () => {
    const f = findingsOf(await doctor(cliEnv('sync')), own());
    expect(f['cluster-access']).toBeUndefined();
    expect(f.namespace).toMatchObject({ verdict: 'ok', message: `namespace ${m.targets[1]!.namespace} exists` });
    expect(f.rbac).toMatchObject({ verdict: 'ok' });
  });

  it('(control) finds the RBAC missing for a target in a namespace the mapping has no Role in', async () => {
    const f = findingsOf(await doctor(cliEnv('sync')), team());
    expect(f.namespace).toMatchObject({ verdict: 'ok' });
    expect(f.rbac).toMatchObject({ verdict: 'problem' });
  });

  it("does not take a cluster of the same name in the caller's own account for the mapping's", async () => {
    // Prepare: a look-alike in the secrets' account, in the same region (last: the tests above expect none)
    const eks = new EKSClient({
      region: REMOTE_CLUSTER.region,
      endpoint: home().moto.url,
      credentials: home().moto.credentials,
    });
    await eks.send(
      new CreateClusterCommand({ name: REMOTE_CLUSTER.name, roleArn: m.identity.roleArn, resourcesVpcConfig: {} }),
    );
    eks.destroy();

    // Act / Assess
    const f = findingsOf(await doctor(cliEnv('sync')), own());
    const secretsAccount = m.identity.roleArn.split(':')[4];
    expect(f.cluster).toMatchObject({
      verdict: 'unchecked',
      message: expect.stringContaining(
        `with your credentials ${REMOTE_CLUSTER.name} in ${REMOTE_CLUSTER.region} is of ${secretsAccount}`,
      ),
    });
  });

  it("reads a VPC mapping's network in two regions: the functions' subnets in theirs, the path unchecked", async () => {
    // Prepare: the functions' VPC in the secrets' region; the cluster (the look-alike above, of the secrets'
    // account) in eu-west-1
    const aws = { region: home().moto.region, endpoint: home().moto.url, credentials: home().moto.credentials };
    const ec2 = new EC2Client(aws);
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.42.1.0/24' }))).Subnet!
      .SubnetId!;
    const group = (
      await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: `fn-${vpcId}`, Description: 'functions', VpcId: vpcId }),
      )
    ).GroupId!;
    ec2.destroy();
    const c = remote.details.cluster;
    const vpc = { subnetIds: [subnet], securityGroupIds: [group] };
    const cluster = { name: c.name, region: c.region, endpoint: c.server, certificateAuthority: c.caData, vpc };
    const target = { cluster, namespace: m.targets[1]!.namespace, secretName: 'app-config' };
    file = writeMappings(TESTBED_APP_NAME, [{ id: 'xacct', secretArn: m.secretArn, ...target }]);

    // Act
    const out = await doctor(cliEnv('sync'));

    // Assess
    const f = Object.fromEntries(out.mappings[0].findings.map((x: any) => [x.check, x]));
    expect(f.cluster).toMatchObject({
      verdict: 'ok',
      message: `cluster ${c.name} exists in ${c.region} (ACTIVE)`,
    });
    expect(f['api-reach']).toMatchObject({
      verdict: 'unchecked',
      message: expect.stringContaining('doctor does not follow VPC peering or Transit Gateway paths between regions'),
    });
    // The subnet was looked for in the functions' region (in the cluster's it would be reported missing).
    expect(f['kms-reach']).toBeDefined();
    expect(JSON.stringify(out)).not.toContain('of cluster.vpc do not exist');
  });

  it('prints no secret value', () => {
    expectNoSecretMaterial(runs.map((r) => r.stdout + r.stderr).join('\n'), [CANARY]);
  });
});
