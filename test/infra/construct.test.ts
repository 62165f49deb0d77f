import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';
import { MappingsError } from '../../infra/model/config.ts';
import { EksSecretSync } from '../../infra/constructs/eks-secret-sync.ts';
import { INITIAL_SYNC_RESOURCE_TYPE } from '../../infra/constructs/mapping.ts';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/lambda-defaults.ts';
import type { EksSecretSyncProps, MappingProps } from '../../infra/constructs/sync-props.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/db-AbCdEf';
const base = { id: 'db', secretArn: ARN, namespace: 'shop', secretName: 'db' } as const;
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

/** A user's stack (bundling skipped: the other tests cover the bundles). */
function userStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, stackTraces: false });
  return new Stack(app, 'User', { env: { region: 'us-east-1' } });
}

/** The cluster of the same app: its name, endpoint and CA data are tokens until deploy time. */
function clusterOfTheApp(stack: Stack): eks.ICluster {
  const cfn = new eks.CfnCluster(stack, 'Cluster', {
    roleArn: 'arn:aws:iam::111122223333:role/eks',
    resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'] },
    accessConfig: { authenticationMode: 'API' },
  });
  return eks.Cluster.fromClusterAttributes(stack, 'Imported', {
    clusterName: cfn.ref,
    clusterEndpoint: cfn.attrEndpoint,
    clusterCertificateAuthorityData: cfn.attrCertificateAuthorityData,
  });
}

function problemsOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (e) {
    if (e instanceof MappingsError) return e.problems;
    throw e;
  }
  return [];
}

describe('EksSecretSync with a cluster of the same app', () => {
  const synth = () => {
    const stack = userStack();
    new EksSecretSync(stack, 'Sync', { mappings: [{ ...base, cluster: clusterOfTheApp(stack) }] });
    return Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: any }> };
  };
  type Template = ReturnType<typeof synth>;
  const ofType = (t: Template, type: string) => Object.values(t.Resources).filter((r) => r.Type === type);

  it("refers to the cluster's name, endpoint and CA data and looks nothing up", () => {
    const t = synth();
    const [clusterId] = Object.entries(t.Resources).find(([, r]) => r.Type === 'AWS::EKS::Cluster')!;
    expect(ofType(t, 'AWS::EKS::AccessEntry').map((r) => r.Properties.ClusterName)).toStrictEqual([{ Ref: clusterId }]);
    // The endpoint and CA reach the state (ClustersJson), encoded by CloudFormation at deploy time.
    const [machine] = ofType(t, 'AWS::StepFunctions::StateMachine');
    const encoded = JSON.stringify(machine!.Properties.DefinitionSubstitutions.ClustersJson['Fn::Base64']);
    expect(encoded).toContain(JSON.stringify({ 'Fn::GetAtt': [clusterId, 'Endpoint'] }));
    expect(encoded).toContain(JSON.stringify({ 'Fn::GetAtt': [clusterId, 'CertificateAuthorityData'] }));
    expect(ofType(t, 'Custom::AWS')).toStrictEqual([]);
  }, 60_000);

  it('starts the initial sync with the same settings hash in every synth (tokens count by their expression)', () => {
    const input = (t: Template) => JSON.stringify(ofType(t, INITIAL_SYNC_RESOURCE_TYPE)[0]!.Properties.Create);
    const first = input(synth());
    expect(first).toMatch(/configHash/);
    expect(input(synth())).toBe(first);
  });
});

describe('EksSecretSync props', () => {
  it('default to a month of log retention and 5 redrive attempts', () => {
    const stack = userStack();
    new EksSecretSync(stack, 'Sync', { mappings: [{ ...base, cluster: { name: 'shop' } }] });
    const t = Template.fromStack(stack);
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g.Properties.RetentionInDays)).toStrictEqual(groups.map(() => 30));
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.redriveMaxAttempts]: '5' }) },
    });
  });

  it('looks up a cluster imported by its name only at deploy time, as one given by name', () => {
    const stack = userStack();
    const cluster = eks.Cluster.fromClusterAttributes(stack, 'Imported', { clusterName: 'shop' });
    new EksSecretSync(stack, 'Sync', { mappings: [{ ...base, cluster }] });
    expect(Object.keys(Template.fromStack(stack).findResources('Custom::AWS'))).toHaveLength(1);
  });

  it.each<[string, Partial<EksSecretSyncProps>, Partial<MappingProps>, string[]]>([
    [
      'a bad namespace',
      {},
      { namespace: 'Shop_NS' },
      [
        'mappings[0] (id "db"): namespace: "Shop_NS" is not a namespace name; expected lower-case letters, digits ' +
          "and '-', starting and ending with a letter or digit",
      ],
    ],
    [
      'too few redrive attempts',
      { redriveMaxAttempts: 0 },
      {},
      ['redriveMaxAttempts: 0 is too small; expected 1 to 20'],
    ],
    [
      'a CA without endpoint',
      {},
      { cluster: { name: 'shop', certificateAuthority: CA } },
      [
        'mappings[0] (id "db"): cluster.endpoint: is missing; give endpoint and certificateAuthority together, or ' +
          'neither and the stack looks both up at deploy time with eks:DescribeCluster',
      ],
    ],
  ])('are refused, naming the mapping and the field, for %s', (_what, options, mapping, expected) => {
    const mappings = [{ ...base, cluster: { name: 'shop' }, ...mapping }];
    const build = () => new EksSecretSync(userStack(), 'Sync', { mappings, ...options });
    expect(problemsOf(build)).toStrictEqual(expected);
    expect(build).toThrow(/^invalid props of EksSecretSync User\/Sync:\n {2}- /);
  });

  it("are refused when a field other than the cluster's is a token", () => {
    const stack = userStack();
    const secret = new Secret(stack, 'Secret');
    const mappings = [{ ...base, secretArn: secret.secretArn, cluster: { name: 'shop' } }];
    const build = () => new EksSecretSync(stack, 'Sync', { mappings });
    expect(problemsOf(build)).toContain(
      'mappings[0] (id "db"): secretArn: is a token; expected a literal value known at synth time',
    );
  });

  it('name the mappings file instead of the construct when `source` is set', () => {
    const build = () => new EksSecretSync(userStack(), 'Sync', { mappings: [], source: 'teams/a.yaml' });
    expect(build).toThrow('invalid mappings file teams/a.yaml:\n  - mappings: is empty; expected at least one mapping');
  });
});

describe('two EksSecretSync in one stack', () => {
  it('are refused: the outputs and the seal key alias are named after the stack', () => {
    const stack = userStack();
    new EksSecretSync(stack, 'First', { mappings: [{ ...base, cluster: { name: 'shop' } }] });
    const second = () => new EksSecretSync(stack, 'Second', { mappings: [{ ...base, cluster: { name: 'shop' } }] });
    expect(second).toThrow(
      'User/Second: stack User already holds an EksSecretSync (User/First); one stack holds one: give it all the ' +
        'mappings, or put this one in another stack',
    );
  });

  it('are fine in two stacks', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    for (const id of ['A', 'B']) {
      new EksSecretSync(new Stack(app, id), 'Sync', { mappings: [{ ...base, cluster: { name: 'shop' } }] });
    }
    expect(app.synth().stacks.map((s) => s.stackName)).toStrictEqual(['A', 'B']);
  });
});

describe('EksSecretSync with targets', () => {
  const cluster = { name: 'prod', endpoint: 'https://prod.example', certificateAuthority: CA };
  const synth = (mapping: MappingProps) => {
    const stack = userStack();
    new EksSecretSync(stack, 'Sync', { mappings: [mapping] });
    return stack;
  };

  it('deploys a list of one target exactly as the single-target form', () => {
    const single = Template.fromStack(synth({ ...base, cluster })).toJSON();
    const { namespace, secretName, ...rest } = base;
    const listed = Template.fromStack(synth({ ...rest, targets: [{ cluster, namespace, secretName }] })).toJSON();
    expect(listed).toStrictEqual(single);
  });

  it("takes a target's cluster of the same app (tokens) like the single-target form's", () => {
    const stack = userStack();
    const { namespace, secretName, ...rest } = base;
    const c = clusterOfTheApp(stack);
    new EksSecretSync(stack, 'Sync', { mappings: [{ ...rest, targets: [{ cluster: c, namespace, secretName }] }] });
    const entries = Template.fromStack(stack).findResources('AWS::EKS::AccessEntry');
    expect(Object.values(entries).map((r) => r.Properties.ClusterName)).toStrictEqual([
      { Ref: Object.keys(Template.fromStack(stack).findResources('AWS::EKS::Cluster'))[0] },
    ]);
  });

  it('deploys several targets as one state machine: one access entry per cluster, the targets in its definition', () => {
    const { namespace, secretName, ...rest } = base;
    const west = { name: 'west', endpoint: 'https://west.example', certificateAuthority: CA };
    const stack = synth({
      ...rest,
      labels: { team: 'shop' },
      targets: [
        { cluster, namespace, secretName },
        { cluster, namespace: 'other', secretName, labels: {} },
        { cluster: west, namespace, secretName, restart: ['deployment/api'] },
      ],
    });
    const t = Template.fromStack(stack);
    const entries = Object.values(t.findResources('AWS::EKS::AccessEntry')).map((r) => r.Properties.ClusterName);
    expect(entries).toStrictEqual(['prod', 'west']);
    const [machine] = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
    const decode = (name: string) =>
      JSON.parse(Buffer.from(machine!.Properties.DefinitionSubstitutions[name], 'base64').toString('utf8'));
    // Each target carries only what it overrides; the functions hold the mapping's options.
    expect(decode('TargetsJson')).toStrictEqual([
      { name: 'prod/shop/db', cluster: 'prod', namespace: 'shop', secretName: 'db' },
      { name: 'prod/other/db', cluster: 'prod', namespace: 'other', secretName: 'db', labels: {} },
      { name: 'west/shop/db', cluster: 'west', namespace: 'shop', secretName: 'db', restart: ['deployment/api'] },
    ]);
    expect(Object.keys(decode('ClustersJson'))).toStrictEqual(['prod', 'west']);
    // One target restarts workloads: the mapping gets its restart function.
    const kinds = Object.values(t.findResources('AWS::Lambda::Function')).map(
      (r) => r.Metadata?.[FUNCTION_METADATA_KEY],
    );
    expect(kinds.filter((k) => k === 'restart-workloads')).toHaveLength(1);
    // The Kubernetes functions may send the token to the two clusters' endpoints and nowhere else.
    const clusters = decode('ClustersJson') as Record<string, { endpoint: string }>;
    // (The step table's rows that call an API server, `inVpc`.)
    const kubernetesKinds: readonly string[] = FUNCTION_STEPS.filter((st) => st.inVpc).map((st) => st.kind);
    const allowLists = Object.values(t.findResources('AWS::Lambda::Function'))
      .filter((r) => kubernetesKinds.includes(r.Metadata?.[FUNCTION_METADATA_KEY]))
      .map((r) => JSON.parse(r.Properties.Environment.Variables.CLUSTER_ENDPOINTS));
    expect(allowLists).toHaveLength(kubernetesKinds.length);
    for (const list of allowLists) expect(list).toStrictEqual(Object.values(clusters).map((c) => c.endpoint));
    expect(allowLists[0]).toStrictEqual([cluster.endpoint, 'https://west.example']);
  });
});

describe('EksSecretSync cluster lookup numbers (clusterLookups)', () => {
  const lookupsOf = (props: Partial<EksSecretSyncProps>) => {
    const stack = userStack();
    new EksSecretSync(stack, 'Sync', {
      mappings: [
        { ...base, id: 'a', cluster: { name: 'prod' } },
        { ...base, id: 'b', secretName: 'b', cluster: { name: 'staging' } },
      ],
      ...props,
    });
    return Object.entries(Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>)
      .filter(([, r]) => r.Type === 'Custom::AWS')
      .map(([id]) => id.replace(/DescribeCluster.*/, ''))
      .sort();
  };

  it('numbers by first use without them (release 0.1.0), and keeps given numbers, a new cluster after them', () => {
    expect(lookupsOf({})).toStrictEqual(['SyncCluster1', 'SyncCluster2']);
    expect(lookupsOf({ clusterLookups: { staging: 7 } })).toStrictEqual(['SyncCluster7', 'SyncCluster8']);
  });

  it('refuses two clusters given one number, naming both', () => {
    expect(problemsOf(() => lookupsOf({ clusterLookups: { prod: 1, staging: 1 } }))).toStrictEqual([
      'clusterLookups: "staging": 1 is also the number of "prod"',
    ]);
  });
});
