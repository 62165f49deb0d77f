/**
 * Clusters in other accounts and regions (issue 25): the app keeps its pipeline in the secrets' account and region
 * and adds one stack per other account and region of its clusters, holding only their access entries; the
 * Kubernetes identity those entries name is the role the home stack creates (by a name known before any deploy:
 * `<app>-<mapping>-mint-token`, the mint-token function's of earlier releases), the execution role of the mapping's
 * Kubernetes functions, and each of them signs its token for the cluster's region. The cross-account trust is
 * judged by the IAM evaluator (test/support/iam-judge.ts), each "cannot" with a positive control.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { parseMappings } from '../../infra/model/config.ts';
import {
  accessEntryCommand,
  clusterAccessStackName,
  identityRoleArn,
  remoteAccessEntries,
} from '../../infra/model/cluster-env.ts';
import { configAppScope, kubeNames } from '../../infra/model/kube-names.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';
import { type ResolvedStack, resolveFleet, type TemplateJson } from '../support/cfn-resolve.ts';
import { fleetRole, judge, type PolicyDocument } from '../support/iam-judge.ts';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`;
/** A cluster block with its endpoint and CA (no deploy-time lookup: the resolver reads every template). */
const block = (fields: string) => `{ ${fields}, endpoint: https://x.example, certificateAuthority: ${CA} }`;
const YAML = `
stack: { name: Xacct }
mappings:
  - id: db
    secretArn: ${SECRET}
    targets:
      - { cluster: ${block('name: home')}, namespace: app, secretName: db }
      - { cluster: ${block('name: eu, region: eu-west-1')}, namespace: app, secretName: db }
      - { cluster: ${block(`name: far, account: "${OTHER}"`)}, namespace: app, secretName: db }
      - { cluster: ${block(`name: far-eu, account: "${OTHER}", region: eu-west-1`)}, namespace: app, secretName: db }
  - id: plain
    secretArn: arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/plain-AbCdEf
    cluster: ${block('name: home')}
    namespace: app
    secretName: plain
`;
const config = parseMappings(YAML, 'xacct.yaml');
const app = configAppScope(config);
const ROLE_ARN = identityRoleArn(app, 'db');
const GROUP = kubeNames(app, 'db').group;

let templates: Record<string, TemplateJson>;
let order: string[];
let dependencies: Record<string, string[]>;

beforeAll(() => {
  const outdir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-xacct-'));
  try {
    const made = createApp(config, { outdir, stackTraces: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const assembly = made.app.synth();
    const all = [...made.stacks, ...made.accessStacks];
    order = all.map((s) => s.stackName);
    templates = Object.fromEntries(
      all.map((s) => [s.stackName, assembly.getStackByName(s.stackName).template as TemplateJson]),
    );
    dependencies = Object.fromEntries(
      made.accessStacks.map((s) => [s.stackName, s.dependencies.map((d) => d.stackName)]),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}, 120_000);

const ofType = (t: TemplateJson, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => (r as { Type: string }).Type === type) as [string, any][];

describe('an app with clusters in other accounts and regions', () => {
  it('adds one access stack per other account and region, deployed after the stack of the role', () => {
    expect(order).toStrictEqual([
      'Xacct',
      clusterAccessStackName('Xacct', { account: ACCOUNT, region: 'eu-west-1' }),
      clusterAccessStackName('Xacct', { account: OTHER, region: 'us-east-1' }),
      clusterAccessStackName('Xacct', { account: OTHER, region: 'eu-west-1' }),
    ]);
    for (const name of order.slice(1)) expect(dependencies[name]).toStrictEqual(['Xacct']);
  });

  it('puts in each access stack only STANDARD entries naming the role with its one group, and no IAM', () => {
    const clusters: Record<string, string> = {
      [clusterAccessStackName('Xacct', { account: ACCOUNT, region: 'eu-west-1' })]: 'eu',
      [clusterAccessStackName('Xacct', { account: OTHER, region: 'us-east-1' })]: 'far',
      [clusterAccessStackName('Xacct', { account: OTHER, region: 'eu-west-1' })]: 'far-eu',
    };
    for (const [name, cluster] of Object.entries(clusters)) {
      const resources = Object.values(templates[name]!.Resources) as { Type: string; Properties: any }[];
      expect(resources.map((r) => r.Type)).toStrictEqual(['AWS::EKS::AccessEntry']);
      expect(resources[0]!.Properties).toStrictEqual({
        ClusterName: cluster,
        PrincipalArn: ROLE_ARN,
        KubernetesGroups: [GROUP],
        Type: 'STANDARD',
      });
    }
  });

  it('keeps in the home stack the entry of the home cluster only', () => {
    const entries = ofType(templates.Xacct!, 'AWS::EKS::AccessEntry').map(([, r]) => r.Properties.ClusterName);
    expect(entries.sort()).toStrictEqual(['home', 'home']);
  });

  it('names the role the entries name exactly as the home stack creates it (resolved), and only that mapping', () => {
    const [home] = resolveFleet([{ name: 'Xacct', template: templates.Xacct! }], {
      account: ACCOUNT,
      region: 'us-east-1',
    });
    const mint = Object.keys(home!.resources).filter((id) => /^Mapping\w+MintTokenRole[0-9A-F]{8}$/.test(id));
    const arns = mint.map((id) => home!.arn(id));
    expect(arns).toContain(ROLE_ARN);
    // The mapping with no cluster elsewhere keeps its generated name (renaming a deployed role replaces it).
    const named = mint.filter((id) => home!.resources[id]!.Properties.RoleName !== undefined);
    expect(named.map((id) => id.startsWith('Mappingdb'))).toStrictEqual([true]);
    expect(home!.resources[named[0]!]!.Properties.RoleName).toBe(ROLE_ARN.split('/').pop());
    // The name of earlier releases, which the clusters' entries already name: `<app>-<mapping>-mint-token`.
    expect(ROLE_ARN).toMatch(/\/[^/]+-db-mint-token$/);
    // The role is the execution role of the mapping's Kubernetes functions, which sign their tokens with it.
    const kubernetes = Object.entries(home!.resources).filter(
      ([id, r]) =>
        r.Type === 'AWS::Lambda::Function' &&
        FUNCTION_STEPS.some((row) => row.inVpc && new RegExp(`^Mappingdb${row.state}Function`).test(id)),
    );
    expect(kubernetes.map(([, f]) => f.Properties.Role)).toStrictEqual([ROLE_ARN, ROLE_ARN]);
  });

  it("signs each token for its cluster's region: the Kubernetes functions know the regions of the clusters elsewhere", () => {
    const fns = (mapping: string) =>
      ofType(templates.Xacct!, 'AWS::Lambda::Function').filter(([id]) => id.startsWith(`Mapping${mapping}`));
    const regions = (mapping: string, state: string) =>
      fns(mapping).find(([id]) => new RegExp(`^Mapping${mapping}${state}Function`).test(id))?.[1].Properties.Environment
        .Variables[ENV.clusterRegions];
    // db restarts nothing: read-secret and apply-secret call its clusters.
    const kubernetes = FUNCTION_STEPS.filter((row) => row.inVpc && !row.optional).map((row) => row.state);
    expect(kubernetes).toStrictEqual(['ReadSecret', 'ApplySecret']);
    for (const state of kubernetes) {
      expect(JSON.parse(regions('db', state)), state).toStrictEqual({ eu: 'eu-west-1', 'far-eu': 'eu-west-1' });
      expect(regions('plain', state), state).toBeUndefined();
    }
    // No mint-token function any more; the fetch calls no cluster.
    expect(fns('db').filter(([id]) => /MintToken/.test(id))).toStrictEqual([]);
    expect(regions('db', 'FetchSecret')).toBeUndefined();
  });

  it('prints the command a cluster administrator runs instead of deploying the access stack', () => {
    const entries = remoteAccessEntries(config);
    expect(entries.map(accessEntryCommand)).toStrictEqual([
      `aws eks create-access-entry --region eu-west-1 --cluster-name eu --principal-arn ${ROLE_ARN} --type STANDARD ` +
        `--kubernetes-groups ${GROUP}`,
      `aws eks create-access-entry --region us-east-1 --cluster-name far --principal-arn ${ROLE_ARN} --type ` +
        `STANDARD --kubernetes-groups ${GROUP}`,
      `aws eks create-access-entry --region eu-west-1 --cluster-name far-eu --principal-arn ${ROLE_ARN} --type ` +
        `STANDARD --kubernetes-groups ${GROUP}`,
    ]);
  });
});

describe('the cross-account trust, judged by the IAM evaluator', () => {
  let home: ResolvedStack;
  const everything: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  };
  const cluster = `arn:aws:eks:us-east-1:${OTHER}:cluster/far`;
  const bootstrapDeployRole = `arn:aws:iam::${OTHER}:role/cdk-hnb659fds-deploy-role-${OTHER}-us-east-1`;
  // What `cdk bootstrap --trust ${ACCOUNT}` gives the cluster account's deploy role (CDK's bootstrap template).
  const bootstrapTrust: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 'sts:AssumeRole' },
    ],
  };

  beforeAll(() => {
    home = resolveFleet([{ name: 'Xacct', template: templates.Xacct! }], { account: ACCOUNT, region: 'us-east-1' })[0]!;
  });

  /** The evaluator's verdict for one principal with its identity policies, called in `account`. */
  const judgeAs =
    (principal: string, identity: readonly PolicyDocument[], account = ACCOUNT) =>
    (action: string, resource: string, resourceAccount: string, resourcePolicy?: PolicyDocument) =>
      judge({ principal, action, resource, resourceAccount, identity: [...identity], resourcePolicy }, account);
  /** An administrator of the cluster's account (`*` on `*` in its own account). */
  const otherAdmin = (account = ACCOUNT) => judgeAs(`arn:aws:iam::${OTHER}:role/Admin`, [everything], account);

  const mintRole = () => {
    const id = Object.keys(home.resources).find((k) => /^MappingdbMintTokenRole[0-9A-F]{8}$/.test(k))!;
    return fleetRole(home, id);
  };

  it.each([
    ['eks:DescribeCluster', cluster],
    ['eks:CreateAccessEntry', cluster],
    ['eks:DeleteCluster', cluster],
    ['sts:AssumeRole', bootstrapDeployRole],
  ])("denies the Kubernetes identity (the mint-token role) %s in the cluster's account", async (action, resource) => {
    const role = mintRole();
    const resourcePolicy = action === 'sts:AssumeRole' ? bootstrapTrust : undefined;
    expect(await judgeAs(role.arn, role.identity)(action, resource, OTHER, resourcePolicy)).toBe('ImplicitlyDenied');
  });

  it('lets a secrets-account role allowed sts:AssumeRole through the bootstrap trust (positive control)', async () => {
    const deployer = judgeAs(`arn:aws:iam::${ACCOUNT}:role/deployer`, [everything]);
    expect(await deployer('sts:AssumeRole', bootstrapDeployRole, OTHER, bootstrapTrust)).toBe('Allowed');
  });

  it.each([
    ['secretsmanager:GetSecretValue', SECRET],
    ['secretsmanager:DescribeSecret', SECRET],
  ])("denies %s on the secret to an administrator of the cluster's account", async (action, resource) => {
    // The app puts no resource policy on the secret: another account's identity policy alone cannot reach it.
    expect(await otherAdmin()(action, resource, ACCOUNT)).toBe('ImplicitlyDenied');
  });

  it("allows it once a resource policy admits the cluster's account (positive control)", async () => {
    const admitting: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
          Action: 'secretsmanager:*',
          Resource: '*',
        },
      ],
    };
    expect(await otherAdmin()('secretsmanager:GetSecretValue', SECRET, ACCOUNT, admitting)).toBe('Allowed');
  });

  it('denies the seal key to an administrator of the cluster account, allowed its own cluster (control)', async () => {
    const [keyId, key] = Object.entries(home.resources).find(([, r]) => r.Type === 'AWS::KMS::Key')!;
    const keyArn = home.arn(keyId);
    expect(await otherAdmin()('kms:Decrypt', keyArn, ACCOUNT, key.Properties.KeyPolicy)).toBe('ImplicitlyDenied');
    expect(await otherAdmin(OTHER)('eks:DescribeCluster', cluster, OTHER)).toBe('Allowed');
  });
});
