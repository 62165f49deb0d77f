// `doctor` as a child process against the test bed: each usual misconfiguration is
// seeded (in moto, the apiserver, an EKS stand-in or the clock) and its diagnosis
// and fix checked. Checks the emulator cannot answer must say "could not check".
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ruleName } from '../../infra/constructs/events.ts';
import { accessManifests, rbacManifests } from '../../infra/model/rbac.ts';
import { restartPolicyName } from '../../infra/model/restart-policy.ts';
import { adminApply, adminToken, uniqueName } from '../support/kube.ts';
import { fakeClockEnv, referenceTools } from '../support/reference-tools.ts';
import {
  canary,
  cli,
  cliEnv,
  itPrintsNoSecret,
  motoConfig,
  motoJson,
  seedMapping,
  appOf,
  groupOf,
  WORK,
  writeKubeconfig,
  writeMappings,
  type CliRun,
  type TestMapping,
} from './support.ts';

const CANARY = canary();
const STACK = `CliDoctor${Date.now().toString(36)}`;
const runs: CliRun[] = [];
const eventbridge = existsSync(
  join(import.meta.dirname, '../../node_modules/@aws-sdk/client-eventbridge/package.json'),
);
let kubeconfig: string;
let healthy: TestMapping;

async function doctor(args: string[], env = cliEnv()): Promise<{ run: CliRun; out: any }> {
  const run = await cli(['doctor', '--kubeconfig', kubeconfig, ...args], env);
  runs.push(run);
  return { run, out: args.includes('--json') ? JSON.parse(run.stdout) : undefined };
}

/** The findings of one mapping (or the file-level ones), by check id. */
function byCheck(out: any, id?: string): Record<string, any> {
  const findings = id === undefined ? out.findings : out.mappings.find((m: any) => m.id === id).findings;
  return Object.fromEntries(findings.map((f: any) => [f.check, f]));
}

async function putRule(m: TestMapping, state: 'ENABLED' | 'DISABLED'): Promise<void> {
  const pattern = { source: ['aws.secretsmanager'], resources: [m.secretArn] };
  await motoJson('events', 'AWSEvents.PutRule', {
    Name: ruleName(STACK, m.id, 'label'),
    EventPattern: JSON.stringify(pattern),
    State: state,
  });
}

async function healthyMapping(opts: Parameters<typeof seedMapping>[0] = {}): Promise<TestMapping> {
  const m = await seedMapping({ value: JSON.stringify({ password: CANARY }), stack: STACK, ...opts });
  await putRule(m, 'ENABLED');
  return m;
}

beforeAll(async () => {
  const tb = inject('testbed');
  kubeconfig = writeKubeconfig(adminToken());
  const eks = new EKSClient(motoConfig());
  await eks
    .send(
      new CreateClusterCommand({ name: tb.cluster.name, roleArn: tb.identities.sync.roleArn, resourcesVpcConfig: {} }),
    )
    .catch((e) => (e.name === 'ResourceInUseException' ? undefined : Promise.reject(e)));
  eks.destroy();
  healthy = await healthyMapping();
});

describe('doctor on a healthy mapping', () => {
  it('finds no problem, exits 0, and says which checks moto cannot answer', async () => {
    const file = writeMappings(STACK, [healthy]);
    const { run, out } = await doctor(['--mappings', file, '--json']);

    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(out.summary.problems).toBe(0);
    const f = byCheck(out, healthy.id);
    expect(f.secret).toMatchObject({
      verdict: 'ok',
      message: expect.stringMatching(/^the secret exists; AWSCURRENT is version \S+$/),
    });
    expect(f.cluster).toMatchObject({ verdict: 'ok', message: 'cluster testbed exists in us-east-1 (ACTIVE)' });
    expect(f['authentication-mode']).toEqual({
      check: 'authentication-mode',
      verdict: 'unchecked',
      message:
        'could not check the authentication mode: eks:DescribeCluster answered without accessConfig.authenticationMode',
    });
    expect(f['access-entry']).toMatchObject({
      verdict: 'unchecked',
      message:
        `could not check the access entry of group ${groupOf(STACK, healthy)}: ` +
        `eks:ListAccessEntries/DescribeAccessEntry: the endpoint answered HTTP 404 with a body that is not an AWS ` +
        `answer: it does not implement this API`,
    });
    expect(f.namespace).toMatchObject({ verdict: 'ok', message: `namespace ${healthy.namespace} exists` });
    expect(f.rbac).toMatchObject({
      verdict: 'ok',
      message: `group ${groupOf(STACK, healthy)} may get, create, patch Secret ${healthy.namespace}/app-config`,
    });
    expect(f['rbac-scope']).toMatchObject({ verdict: 'ok' });
    if (eventbridge)
      expect(f.rule).toMatchObject({
        verdict: 'ok',
        message: `the EventBridge rule ${ruleName(STACK, healthy.id, 'label')} is ENABLED`,
      });
    else
      expect(f.rule).toMatchObject({
        verdict: 'unchecked',
        message: expect.stringContaining('the package @aws-sdk/client-eventbridge is not installed'),
      });
    const global = byCheck(out);
    expect(global['mappings-file']).toMatchObject({ verdict: 'ok' });
    expect(global['clock-aws']).toMatchObject({
      verdict: 'ok',
      message: expect.stringMatching(/^the local clock is within [12] s of AWS$/),
    });
    expect(global['clock-cluster']).toMatchObject({
      verdict: 'ok',
      message: expect.stringMatching(/^the local clock is within [12] s of the kube-apiserver$/),
    });
  });

  it('prints one line per check with the fix under each problem', async () => {
    const file = writeMappings(STACK, [healthy]);
    const { run } = await doctor(['--mappings', file]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Doctor: ${file}`);
    expect(run.stdout).toMatch(new RegExp(`\\n  ok {9}namespace {12}namespace ${healthy.namespace} exists\\n`));
    expect(run.stdout).toMatch(/\n {2}unchecked {2}authentication-mode {2}could not check the authentication mode: /);
    expect(run.stdout).toMatch(/\n0 problem\(s\), 0 warning\(s\), [23] check\(s\) could not run, \d+ ok\n$/);
    expect(run.stdout).not.toContain('\x1b[');
  });
});

describe('doctor on seeded misconfigurations', () => {
  it('diagnoses each with its fix and exits 3', async () => {
    const sm = new SecretsManagerClient(motoConfig());
    const gone = await healthyMapping();
    await sm.send(new DeleteSecretCommand({ SecretId: gone.secretArn, ForceDeleteWithoutRecovery: true }));
    const deleting = await healthyMapping();
    await sm.send(new DeleteSecretCommand({ SecretId: deleting.secretArn, RecoveryWindowInDays: 7 }));
    sm.destroy();
    const noRule = await seedMapping({ value: JSON.stringify({ password: CANARY }), stack: STACK });
    const disabled = await seedMapping({ value: JSON.stringify({ password: CANARY }), stack: STACK });
    await putRule(disabled, 'DISABLED');
    const noNamespace = await healthyMapping({ namespace: uniqueName('missing'), noRbac: true });
    const noRbac = await healthyMapping({ noRbac: true });
    const broad = await healthyMapping();
    await adminApply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'too-broad', namespace: broad.namespace },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'too-broad', namespace: broad.namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'too-broad' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: groupOf(STACK, broad) }],
      },
    ]);
    const file = writeMappings(STACK, [gone, deleting, noRule, disabled, noNamespace, noRbac, broad]);

    const { run, out } = await doctor(['--mappings', file, '--json']);

    expect(run.code, run.stderr).toBe(3);
    expect(byCheck(out, gone.id).secret).toMatchObject({
      verdict: 'problem',
      message: `the secret ${gone.secretArn} does not exist`,
      fix: expect.stringMatching(
        new RegExp(
          /^create it \(aws secretsmanager create-secret --name cli\/app-\S+ --region us-east-1\) /.source +
            /and put the new full ARN in secretArn/.source,
        ),
      ),
    });
    expect(byCheck(out, deleting.id).secret).toMatchObject({
      verdict: 'problem',
      message: expect.stringMatching(
        /^the secret is scheduled for deletion on \d{4}-\S+Z: syncs fail with NotFoundError/,
      ),
      fix: `aws secretsmanager restore-secret --secret-id ${deleting.secretArn} --region us-east-1`,
    });
    const rule = (m: TestMapping) => byCheck(out, m.id).rule;
    if (eventbridge) {
      expect(rule(noRule)).toMatchObject({
        verdict: 'problem',
        message: expect.stringMatching(
          new RegExp(`^the EventBridge rule ${ruleName(STACK, noRule.id, 'label')} does not exist`),
        ),
      });
      expect(rule(noRule).fix).toBe(
        `deploy the stacks of this mappings file: npx cdk deploy --all -c mappings=${file}`,
      );
      expect(rule(disabled)).toMatchObject({
        verdict: 'problem',
        fix: `aws events enable-rule --name ${ruleName(STACK, disabled.id, 'label')} --region us-east-1`,
      });
    } else {
      for (const m of [noRule, disabled]) {
        expect(rule(m)).toEqual({
          check: 'rule',
          verdict: 'unchecked',
          message:
            `could not check the EventBridge rule ${ruleName(STACK, m.id, 'label')}: the package ` +
            `@aws-sdk/client-eventbridge is not installed (npm install @aws-sdk/client-eventbridge)`,
        });
      }
    }
    expect(byCheck(out, noNamespace.id).namespace).toMatchObject({
      verdict: 'problem',
      message:
        `namespace ${noNamespace.namespace} does not exist: every sync fails with NotFoundError (the tool ` +
        `never creates namespaces)`,
      fix: `kubectl create namespace ${noNamespace.namespace}, or correct the mapping's namespace`,
    });
    expect(byCheck(out, noRbac.id).rbac).toMatchObject({
      verdict: 'problem',
      message:
        `group ${groupOf(STACK, noRbac)} may not get, create, patch Secret ${noRbac.namespace}/app-config: ` +
        `syncs fail with PermissionDeniedError (403)`,
      fix: `eks-secret-sync rbac --mapping ${noRbac.id} | kubectl apply -f -   (as a cluster admin)`,
    });
    const scope = byCheck(out, broad.id)['rbac-scope'];
    expect(scope.verdict).toBe('problem');
    expect(scope.message).toContain(
      `RBAC is too broad: group ${groupOf(STACK, broad)} may also list Secrets in ${broad.namespace}`,
    );
    expect(scope.message).toContain(`get other Secrets in ${broad.namespace}`);
    expect(scope.message).toContain(`RoleBinding "too-broad/${broad.namespace}" of Role "too-broad"`);
    expect(byCheck(out, broad.id).rbac.verdict).toBe('ok');
    for (const m of [gone, deleting, noRule, disabled, noNamespace, noRbac])
      expect(byCheck(out, m.id)['rbac-scope']?.verdict ?? 'ok').toBe('ok');
  });

  it('refuses a partial ARN in the form of a full one (prod/app-config) with the exact ARN to write', async () => {
    // Secrets Manager (and moto) resolve a partial ARN to the secret: only the ARN it returns tells them apart.
    const sm = new SecretsManagerClient(motoConfig());
    const created = await sm.send(
      new CreateSecretCommand({ Name: `${uniqueName('cli/prod')}/app-config`, SecretString: '{"k":"v"}' }),
    );
    sm.destroy();
    const base = await healthyMapping();
    const partial = { ...base, secretArn: created.ARN!.slice(0, -7) };
    expect(partial.secretArn).toMatch(/:secret:cli\/prod-[^/]+\/app-config$/);
    await putRule(partial, 'ENABLED');
    const file = writeMappings(STACK, [partial, healthy]);

    const { run, out } = await doctor(['--mappings', file, '--json']);

    expect(run.code, run.stderr).toBe(3);
    expect(byCheck(out, partial.id).secret).toStrictEqual({
      check: 'secret',
      verdict: 'problem',
      message:
        `secretArn ${partial.secretArn} is not the secret's full ARN: Secrets Manager resolves it to ${created.ARN}, ` +
        `and the mapping's rule matches only the exact ARN, so no change of the secret ever starts a sync`,
      fix: `set secretArn of mapping ${partial.id} to ${created.ARN} and deploy again`,
    });
    expect(byCheck(out, healthy.id).secret.verdict).toBe('ok');
  });

  it('lists every schema error of an invalid mappings file and exits 3', async () => {
    const file = join(WORK, 'invalid.yaml');
    writeFileSync(
      file,
      `mappings:\n  - id: Payments\n    secretArn: arn:aws:secretsmanager:us-east-1:1:secret:x\n    namespace: app\n`,
    );

    const { run, out } = await doctor(['--mappings', file, '--json']);

    expect(run.code).toBe(3);
    const f = byCheck(out)['mappings-file'];
    expect(f).toMatchObject({ verdict: 'problem', message: `the mappings file ${file} is invalid (4 problems)` });
    expect(f.details).toEqual([
      expect.stringContaining('mappings[0] (id "Payments"): id: "Payments" is not a valid id'),
      expect.stringContaining('secretArn: "arn:aws:secretsmanager:us-east-1:1:secret:x" is not a full secret ARN'),
      'mappings[0] (id "Payments"): cluster: is missing; expected a mapping of fields (or list targets)',
      'mappings[0] (id "Payments"): secretName: is missing; expected a string (or list targets)',
    ]);
    expect(f.fix).toBe(
      `correct each problem listed; check the file offline with: npx cdk synth --quiet -c mappings=${file}`,
    );
  });

  it('reports a local clock 20 minutes behind AWS and the apiserver', async () => {
    const file = writeMappings(STACK, [healthy]);
    const { libfaketime } = await referenceTools();
    const { run, out } = await doctor(['--mappings', file, '--json'], {
      ...cliEnv(),
      ...fakeClockEnv(libfaketime, '-20m'),
    });

    expect(run.code, run.stderr).toBe(3);
    for (const [check, what] of [
      ['clock-aws', 'AWS'],
      ['clock-cluster', 'the kube-apiserver'],
    ] as const) {
      const f = byCheck(out)[check];
      expect(f.verdict).toBe('problem');
      expect(f.message).toMatch(
        new RegExp(
          `^the local clock is 1(199|200|201) s behind ${what}: AWS refuses requests signed more than 5 minutes off`,
        ),
      );
      expect(f.fix).toContain('timedatectl set-ntp true');
    }
  });

  it('says it could not check what the caller may not see, instead of passing', async () => {
    const file = writeMappings(STACK, [healthy]);
    // No --kubeconfig: the CLI mints a token with the sync identity, which may not read namespaces or review access.
    const run = await cli(['doctor', '--mappings', file, '--json'], cliEnv('sync'));
    runs.push(run);
    const f = byCheck(JSON.parse(run.stdout), healthy.id);

    expect(run.code).toBe(0);
    expect(f.namespace).toMatchObject({
      verdict: 'unchecked',
      message: expect.stringMatching(
        /^could not check namespace \S+: could not get namespace \S+ as your AWS identity .*forbidden.* \(403\)$/,
      ),
    });
    expect(f.rbac).toMatchObject({
      verdict: 'unchecked',
      message: expect.stringMatching(
        new RegExp(
          /^could not check RBAC: your AWS identity .* may not create subjectaccessreviews /.source +
            /.*run doctor as a cluster admin, e\.g\. with --context$/.source,
        ),
      ),
    });
  });
});

describe('doctor on a mapping with restart', () => {
  it('finds the restart admission policy in place on this Kubernetes 1.35, and reports it missing as a problem', async () => {
    // Prepare: one mapping with everything `eks-secret-sync rbac` prints, one with the Role and RoleBinding only
    const guarded = { ...(await healthyMapping({ noRbac: true })), restart: ['deployment/api'] };
    await adminApply(accessManifests(guarded, appOf(STACK, guarded)));
    const unguarded = { ...(await healthyMapping({ noRbac: true })), restart: ['deployment/api'] };
    await adminApply(rbacManifests(unguarded, appOf(STACK, unguarded)));
    const file = writeMappings(STACK, [guarded, unguarded, healthy]);

    // Act
    const { run, out } = await doctor(['--mappings', file, '--json']);

    // Assess
    expect(run.code, run.stderr).toBe(3);
    expect(byCheck(out, guarded.id)['restart-policy']).toEqual({
      check: 'restart-policy',
      verdict: 'ok',
      message:
        `ValidatingAdmissionPolicy ${restartPolicyName(appOf(STACK, guarded), guarded.id)} and its binding ` +
        'are in place (Kubernetes ' +
        `v1.35.4): ` +
        `group ${groupOf(STACK, guarded)} may change only the restart annotations of its workloads`,
    });
    expect(byCheck(out, unguarded.id)['restart-policy']).toMatchObject({
      verdict: 'problem',
      message: expect.stringMatching(
        new RegExp(
          `^ValidatingAdmissionPolicy ${restartPolicyName(appOf(STACK, unguarded), unguarded.id)} ` +
            'and its binding \\S+ missing in the ' +
            `cluster: `,
        ),
      ),
      fix: `eks-secret-sync rbac --mapping ${unguarded.id} | kubectl apply -f -   (as a cluster admin)`,
    });
    expect(byCheck(out, healthy.id)['restart-policy']).toBeUndefined();
  });
});

/** An EKS cluster in moto with the network fields DescribeCluster returns (the SDK would drop the output-only ones). */
async function motoCluster(name: string, vpcConfig: Record<string, unknown>): Promise<void> {
  const tb = inject('testbed');
  const res = await fetch(`${tb.moto.url}/clusters`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization:
        `AWS4-HMAC-SHA256 Credential=${tb.moto.credentials.accessKeyId}/20260101/${tb.moto.region}/eks/aws4_request, ` +
        'SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ name, roleArn: tb.identities.sync.roleArn, resourcesVpcConfig: vpcConfig }),
  });
  if (!res.ok) throw new Error(`moto CreateCluster ${name}: HTTP ${res.status} ${await res.text()}`);
}

describe('doctor on clusters reached from a VPC (moto EKS and EC2)', () => {
  it('says when the functions cannot reach the API server or KMS, and why', async () => {
    // One VPC: subnet A routes to a NAT gateway, subnet B only has the main table's local route. The
    // functions' group keeps EC2's default egress; the cluster security group admits it on 443, the closed
    // cluster's does not.
    const ec2 = new EC2Client(motoConfig());
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    const subnet = async (cidr: string) =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr }))).Subnet!.SubnetId!;
    const [natSubnet, isolated] = [await subnet('10.20.1.0/24'), await subnet('10.20.2.0/24')];
    const group = async (name: string) =>
      (await ec2.send(new CreateSecurityGroupCommand({ GroupName: uniqueName(name), Description: name, VpcId: vpc })))
        .GroupId!;
    const [functionsSg, clusterSg, closedSg] = [await group('fn'), await group('cluster'), await group('closed')];
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: clusterSg,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: functionsSg }] },
        ],
      }),
    );
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: natSubnet, AllocationId: eip.AllocationId })))
      .NatGateway!.NatGatewayId!;
    const table = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }),
    );
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: natSubnet }));
    const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
    const elsewhere = (await ec2.send(new CreateSubnetCommand({ VpcId: otherVpc, CidrBlock: '10.30.1.0/24' }))).Subnet!
      .SubnetId!;
    ec2.destroy();
    const [privateCluster, listed, closed] = [uniqueName('private'), uniqueName('listed'), uniqueName('closed')];
    const access = (publicAccess: boolean, sg: string, cidrs = ['0.0.0.0/0']) => ({
      subnetIds: [natSubnet, isolated],
      endpointPublicAccess: publicAccess,
      endpointPrivateAccess: true,
      publicAccessCidrs: cidrs,
      vpcId: vpc,
      clusterSecurityGroupId: sg,
    });
    await motoCluster(privateCluster, access(false, clusterSg));
    await motoCluster(listed, access(true, clusterSg, ['203.0.113.0/24']));
    await motoCluster(closed, access(false, closedSg));
    const base = await healthyMapping();
    const on = (id: string, name: string, vpcBlock?: object): TestMapping => ({
      ...base,
      id,
      secretName: id,
      cluster: { ...(base.cluster as object), name, ...(vpcBlock && { vpc: vpcBlock }) },
    });
    const file = writeMappings(STACK, [
      on('outside-private', privateCluster),
      on('outside-listed', listed),
      on('in-vpc', privateCluster, { subnetIds: [natSubnet], securityGroupIds: [functionsSg] }),
      on('in-vpc-closed', closed, { subnetIds: [isolated], securityGroupIds: [functionsSg] }),
      on('other-vpc', privateCluster, {
        subnetIds: [elsewhere],
        securityGroupIds: [functionsSg],
        endpoints: { vpcId: vpc },
      }),
    ]);

    const { run, out } = await doctor(['--mappings', file, '--json']);

    expect(run.code, run.stderr).toBe(3);
    const reach = (id: string) => {
      const f = byCheck(out, id);
      return [f['api-reach'], f['kms-reach']];
    };
    expect(reach('outside-private')).toEqual([
      {
        check: 'api-reach',
        verdict: 'problem',
        message:
          `cluster ${privateCluster}'s API endpoint is private only: the mapping's functions run outside any VPC ` +
          'and cannot reach it',
        fix:
          `give mapping outside-private a cluster.vpc: subnets of ${vpc} and a security group the cluster security ` +
          `group ${clusterSg} admits on TCP 443 (docs/deploy.md#private-clusters-functions-in-a-vpc)`,
      },
      undefined,
    ]);
    expect(reach('outside-listed')[0]).toMatchObject({
      verdict: 'problem',
      message: expect.stringContaining(`public endpoint admits only 203.0.113.0/24: functions outside a VPC`),
    });
    expect(reach('in-vpc')).toEqual([
      {
        check: 'api-reach',
        verdict: 'ok',
        message:
          `the functions reach cluster ${privateCluster}'s private endpoint: their subnets are in ${vpc} and the ` +
          'cluster security group admits them on 443 (network ACLs not checked)',
      },
      { check: 'kms-reach', verdict: 'ok', message: 'the functions reach KMS through the NAT route of their subnets' },
    ]);
    expect(reach('in-vpc-closed')).toEqual([
      {
        check: 'api-reach',
        verdict: 'problem',
        message:
          `the cluster security group(s) ${closedSg} admit HTTPS neither from ${functionsSg} nor from the ` +
          "functions' subnets: the private endpoint drops their connections",
        fix:
          `aws ec2 authorize-security-group-ingress --group-id ${closedSg} --protocol tcp --port 443 ` +
          `--source-group ${functionsSg}`,
      },
      expect.objectContaining({
        check: 'kms-reach',
        verdict: 'problem',
        fix:
          `add endpoints: { vpcId: ${vpc} } to cluster.vpc of mapping in-vpc-closed, or a NAT route ` +
          '(docs/deploy.md#private-clusters-functions-in-a-vpc)',
      }),
    ]);
    expect(reach('other-vpc')).toEqual([
      expect.objectContaining({
        verdict: 'warning',
        message: expect.stringMatching(
          new RegExp(`^the functions' subnets are in ${otherVpc}, cluster ${privateCluster} in ${vpc}: its private`),
        ),
      }),
      expect.objectContaining({
        verdict: 'problem',
        message: `cluster.vpc.endpoints.vpcId is ${vpc} but the functions' subnets are in ${otherVpc}`,
      }),
    ]);
  });
});

itPrintsNoSecret(() => [CANARY]);
