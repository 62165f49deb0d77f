/**
 * Mappings whose cluster is reached from a VPC (`cluster.vpc`): which functions run in it, the role permissions
 * Lambda needs for their network interfaces, the KMS interface endpoint made once per VPC and its narrow policy,
 * cdk-nag's findings and their acknowledgments, and cfn-lint on the template.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Token, Validations } from 'aws-cdk-lib';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { createApp } from '../../infra/app.ts';
import { parseMappings } from '../../infra/model/config.ts';
import { EksSecretSync } from '../../infra/constructs/eks-secret-sync.ts';
import { ENI_CREATE_ACTIONS, ENI_DESCRIBE_ACTIONS, ENI_MANAGE_ACTIONS } from '../../infra/constructs/function-vpc.ts';
import { FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/constructs/lambda-defaults.ts';
import {
  KMS_ENDPOINT_TAG,
  KmsInterfaceEndpoint,
  kmsEndpointTagValue,
  kmsEndpointsFor,
} from '../../infra/constructs/vpc-endpoints.ts';
import { Key } from 'aws-cdk-lib/aws-kms';
import { ensureCfnLint } from '../../testbed/python.ts';
import { KUBERNETES_IDENTITY_ID } from '../../infra/constructs/functions/identity.ts';
import { functionId, ofType, roleOf, statementsOf, synth, type Synthesized } from '../support/infra.ts';

const ARN = (n: string) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/${n}-AbCdEf`;
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60718'];
const SG_A = 'sg-0a1b2c3d4e5f60718';
const SG_B = 'sg-0b1c2d3e4f5a60718';
const VPC = 'vpc-0a1b2c3d4e5f60718';

/** Two mappings sharing the endpoint of one VPC (one with restart), one in a VPC without it, one outside. */
const FILE = stringify({
  stack: { name: 'VpcStack' },
  mappings: [
    {
      id: 'private-a',
      secretArn: ARN('a'),
      cluster: { name: 'prod', vpc: { subnetIds: SUBNETS, securityGroupIds: [SG_A], endpoints: { vpcId: VPC } } },
      namespace: 'app',
      secretName: 'a',
      restart: ['deployment/api'],
    },
    {
      id: 'private-b',
      secretArn: ARN('b'),
      cluster: { name: 'prod', vpc: { subnetIds: SUBNETS, securityGroupIds: [SG_B], endpoints: { vpcId: VPC } } },
      namespace: 'app',
      secretName: 'b',
    },
    {
      id: 'nat',
      secretArn: ARN('c'),
      cluster: { name: 'prod', vpc: { subnetIds: [SUBNETS[0]], securityGroupIds: [SG_A] } },
      namespace: 'app',
      secretName: 'c',
    },
    { id: 'public', secretArn: ARN('d'), cluster: { name: 'prod' }, namespace: 'app', secretName: 'd' },
  ],
});

/** The steps that call an API server and so run in the mapping's VPC: the step table's `inVpc` rows. */
const IN_VPC: readonly FunctionName[] = FUNCTION_STEPS.filter((s) => s.inVpc).map((s) => s.kind);
/** Of those, the ones every mapping has (a mapping without `restart` has no restart-workloads function). */
const IN_VPC_CORE: readonly FunctionName[] = FUNCTION_STEPS.filter((s) => s.inVpc && !s.optional).map((s) => s.kind);
/** How many functions the fixture places: private-a (with restart) all of {@link IN_VPC}, the two others the core. */
const PLACED = IN_VPC.length + 2 * IN_VPC_CORE.length;
/** The placed functions that open sealed data, and so call KMS from the VPC (restart-workloads opens nothing). */
const OPENS_IN_VPC: readonly FunctionName[] = FUNCTION_STEPS.filter((s) => s.inVpc && s.opens.length > 0).map(
  (s) => s.kind,
);
/** The construct path of a mapping's Kubernetes identity: the role its placed functions share. */
const identityPath = (m: string) => `VpcStack/Default/Mapping-${m}/${KUBERNETES_IDENTITY_ID}/Role`;
const ENI_RESOURCE = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':ec2:us-east-1:', { Ref: 'AWS::AccountId' }, ':network-interface/*'],
  ],
};
const ec2Arn = (what: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:us-east-1:`, { Ref: 'AWS::AccountId' }, `:${what}`]],
});

let s: Synthesized;

beforeAll(() => {
  s = synth(FILE); // cdk-nag runs in every synth: it throws on any unacknowledged finding
}, 120_000);

/** The mapping's functions that exist, by kind. */
function functionsOf(mappingId: string): [FunctionName, string][] {
  return FUNCTION_NAMES.flatMap((name) => {
    try {
      return [[name, functionId(s, mappingId, name)] as [FunctionName, string]];
    } catch {
      return [];
    }
  });
}

describe('functions of a mapping whose cluster is in a VPC', () => {
  it('places exactly the functions that call the API server in the given subnets and security groups', () => {
    const placed = (mappingId: string) =>
      functionsOf(mappingId).map(([name, id]) => [name, s.resources[id]!.Properties!.VpcConfig]);
    // The expectation is the step table's: a new step that calls an API server is placed with no edit here.
    expect(IN_VPC).toEqual(expect.arrayContaining(['read-secret', 'apply-secret', 'restart-workloads']));
    expect(IN_VPC).not.toContain('fetch-secret');
    expect(placed('private-a').map(([n]) => n)).toStrictEqual(FUNCTION_STEPS.map((r) => r.kind));
    expect(placed('private-a')).toStrictEqual(
      FUNCTION_STEPS.map((r) => [r.kind, r.inVpc ? { SubnetIds: SUBNETS, SecurityGroupIds: [SG_A] } : undefined]),
    );
    expect(
      placed('nat')
        .filter(([, c]) => c !== undefined)
        .map(([n]) => n),
    ).toStrictEqual(IN_VPC_CORE);
    expect(placed('public').every(([, c]) => c === undefined)).toBe(true);
    // private-a all, private-b and nat the core; the redrive consumer and every other function stay outside.
    expect(ofType(s, 'AWS::Lambda::Function').filter(([, r]) => r.Properties!.VpcConfig)).toHaveLength(PLACED);
  });

  it("gives each placed function's role the network-interface actions, creation limited to its subnets and groups", () => {
    for (const [mappingId, groups] of [
      ['private-a', [SG_A]],
      ['nat', [SG_A]],
    ] as const) {
      for (const [name, id] of functionsOf(mappingId).filter(([n]) => IN_VPC.includes(n))) {
        const ec2 = statementsOf(s, roleOf(s.resources[id]!)).filter((st) =>
          st.Action.some((a) => a.startsWith('ec2:')),
        );
        const subnets = mappingId === 'nat' ? [SUBNETS[0]!] : SUBNETS;
        expect(
          ec2.map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition })),
          name,
        ).toStrictEqual([
          { Action: [...ENI_DESCRIBE_ACTIONS], Resource: ['*'], Condition: undefined },
          {
            Action: [...ENI_CREATE_ACTIONS],
            Resource: [
              ENI_RESOURCE,
              ...subnets.map((n) => ec2Arn(`subnet/${n}`)),
              ...groups.map((g) => ec2Arn(`security-group/${g}`)),
            ],
            Condition: undefined,
          },
          {
            Action: [...ENI_MANAGE_ACTIONS],
            Resource: [ENI_RESOURCE],
            Condition: { ArnEquals: { 'ec2:Subnet': subnets.map((n) => ec2Arn(`subnet/${n}`)) } },
          },
        ]);
      }
    }
  });

  it('gives no other role of the stack an EC2 action', () => {
    const placedRoles = new Set(
      ['private-a', 'private-b', 'nat'].flatMap((m) =>
        functionsOf(m)
          .filter(([n]) => IN_VPC.includes(n))
          .map(([, id]) => roleOf(s.resources[id]!)),
      ),
    );
    // The placed functions of a mapping share its Kubernetes identity: one role per mapping in a VPC.
    expect(placedRoles.size).toBe(3);
    for (const role of placedRoles) expect(role).toMatch(new RegExp(`${KUBERNETES_IDENTITY_ID}Role[0-9A-F]{8}$`));
    const others = ofType(s, 'AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) => !placedRoles.has(id));
    expect(others.length).toBeGreaterThan(10);
    for (const role of others)
      expect(
        statementsOf(s, role)
          .flatMap((st) => st.Action)
          .filter((a) => a.startsWith('ec2:')),
        role,
      ).toEqual([]);
  });
});

describe('the KMS interface endpoint (cluster.vpc.endpoints)', () => {
  it('is created once for the VPC two mappings share, admitting both security groups on 443 only', () => {
    const endpoints = ofType(s, 'AWS::EC2::VPCEndpoint');
    expect(endpoints).toHaveLength(1);
    const [, endpoint] = endpoints[0]!;
    expect(endpoint.Properties).toMatchObject({
      VpcId: VPC,
      ServiceName: 'com.amazonaws.us-east-1.kms',
      VpcEndpointType: 'Interface',
      SubnetIds: SUBNETS,
      PrivateDnsEnabled: false,
    });
    const groups = ofType(s, 'AWS::EC2::SecurityGroup');
    expect(groups).toHaveLength(1);
    const [sgId, sg] = groups[0]!;
    expect(endpoint.Properties!.SecurityGroupIds).toStrictEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    expect(sg.Properties!.VpcId).toBe(VPC);
    expect(
      sg.Properties!.SecurityGroupIngress.map((r: any) => [
        r.IpProtocol,
        r.FromPort,
        r.ToPort,
        r.SourceSecurityGroupId,
      ]),
    ).toStrictEqual([
      ['tcp', 443, 443, SG_A],
      ['tcp', 443, 443, SG_B],
    ]);
    expect(sg.Properties!.SecurityGroupIngress.some((r: any) => r.CidrIp !== undefined)).toBe(false);
    // CDK's spelling of "no outbound rule": an ICMP rule no packet matches.
    expect(sg.Properties!.SecurityGroupEgress).toStrictEqual([
      { IpProtocol: 'icmp', CidrIp: '255.255.255.255/32', FromPort: 252, ToPort: 86, Description: 'Nothing out' },
    ]);
  });

  it('has a policy that lets only tagged principals of this account decrypt with the seal key', () => {
    const [, endpoint] = ofType(s, 'AWS::EC2::VPCEndpoint')[0]!;
    const [sealKeyId] = ofType(s, 'AWS::KMS::Key')[0]!;
    expect(endpoint.Properties!.PolicyDocument).toStrictEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'SealKeyDecryptBySyncFunctions',
          Effect: 'Allow',
          Principal: '*',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [sealKeyId, 'Arn'] },
          Condition: {
            StringEquals: {
              'aws:PrincipalAccount': { Ref: 'AWS::AccountId' },
              [`aws:PrincipalTag/${KMS_ENDPOINT_TAG}`]: kmsEndpointTagValue('VpcStack', VPC),
            },
          },
        },
      ],
    });
  });

  it("points exactly the endpoint's users at its DNS name and tags exactly their roles", () => {
    const [endpointId] = ofType(s, 'AWS::EC2::VPCEndpoint')[0]!;
    const url = {
      'Fn::Join': [
        '',
        [
          'https://',
          {
            'Fn::Select': [
              1,
              { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [endpointId, 'DnsEntries'] }] }] },
            ],
          },
        ],
      ],
    };
    // Its users: the functions that open sealed data in the two mappings of the VPC (read and apply).
    expect(OPENS_IN_VPC).toStrictEqual(['read-secret', 'apply-secret']);
    const users = ['private-a', 'private-b'].flatMap((m) => functionsOf(m).filter(([n]) => OPENS_IN_VPC.includes(n)));
    expect(users).toHaveLength(2 * OPENS_IN_VPC.length);
    const userIds = new Set(users.map(([, id]) => id));
    // Their roles, tagged: each mapping's Kubernetes identity, which its restart-workloads shares (tagged, no URL).
    const userRoles = new Set(users.map(([, id]) => roleOf(s.resources[id]!)));
    expect(userRoles.size).toBe(2);
    const restart = functionId(s, 'private-a', 'restart-workloads');
    expect(userRoles.has(roleOf(s.resources[restart]!))).toBe(true);
    for (const [id, fn] of ofType(s, 'AWS::Lambda::Function')) {
      const variables = fn.Properties!.Environment?.Variables ?? {};
      const role = s.resources[roleOf(fn)]!;
      const tags = (role.Properties!.Tags ?? []).filter((t: any) => t.Key === KMS_ENDPOINT_TAG);
      if (userIds.has(id)) expect(variables[ENV.kmsEndpointUrl], id).toStrictEqual(url);
      else expect(variables[ENV.kmsEndpointUrl], id).toBeUndefined();
      if (userRoles.has(roleOf(fn)))
        expect(tags, id).toStrictEqual([{ Key: KMS_ENDPOINT_TAG, Value: kmsEndpointTagValue('VpcStack', VPC) }]);
      else expect(tags, id).toStrictEqual([]);
    }
    expect(userIds.has(restart)).toBe(false);
  });

  it('adds no resource per mapping: a mapping in a VPC has as many resources as one outside', () => {
    const count = (m: string) =>
      Object.keys(s.resources).filter((id) => id.startsWith(`Mapping${m.replace(/-/g, '')}`)).length;
    expect(count('nat')).toBe(count('public'));
    expect(count('private-b')).toBe(count('public'));
  });

  it('is not created when no mapping asks for it', () => {
    const config = parseMappings(FILE, 'vpc.yaml');
    const stack = new Stack(new App(), 'Plain', { env: { region: 'us-east-1' } });
    const key = new Key(stack, 'Key');
    const without = config.mappings.map((m) => ({
      ...m,
      targets: m.targets.map((t) =>
        t.cluster.vpc ? { ...t, cluster: { ...t.cluster, vpc: { ...t.cluster.vpc, endpoints: undefined } } } : t,
      ),
    }));
    expect(kmsEndpointsFor(stack, without, key).size).toBe(0);
    expect(stack.node.findAll().filter((c) => c instanceof KmsInterfaceEndpoint)).toStrictEqual([]);
    expect([...kmsEndpointsFor(stack, config.mappings, key).keys()]).toStrictEqual([VPC]);
  });
});

describe('cdk-nag and cfn-lint on a stack with functions in a VPC', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports the wildcard resources of the network-interface actions when they are not acknowledged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-vpc-nag-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const real = Validations.prototype.acknowledge;
    // Only the acknowledgments of the VPC placement are dropped; the stack's others stay.
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...args) {
      const [ack] = args as unknown as [{ reason: string }];
      if (ack.reason.startsWith('A function in a VPC')) return;
      return real.apply(this, args);
    });
    const { app } = createApp(parseMappings(FILE, 'vpc.yaml'), { outdir: dir, stackTraces: false });
    expect(() => app.synth()).toThrow('A copy of this report can be found in');
    const report = JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8'));
    const found = report.pluginReports
      .flatMap((p: any) => p.violations.flatMap((v: any) => v.violatingConstructs.map((c: any) => c.constructPath)))
      .sort();
    // Two findings on the policy of each mapping's Kubernetes identity, the role its placed functions share:
    // Resource::* and network-interface/*.
    const expected = ['private-a', 'private-b', 'nat'].flatMap((m) =>
      Array(2).fill(`${identityPath(m)}/DefaultPolicy/Resource`),
    );
    expect(found).toStrictEqual(expected.sort());
  }, 120_000);

  it('finds no cfn-lint error and no warning outside the accepted W3005', async () => {
    const cfnLint = await ensureCfnLint((msg) => process.stderr.write(`[cfn-lint] ${msg}\n`));
    const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-vpc-lint-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'vpc.template.json');
    writeFileSync(file, JSON.stringify(s.json));
    const findings = await new Promise<{ Level: string; Rule: { Id: string }; Message: string }[]>((resolve, reject) =>
      execFile(cfnLint, ['--format', 'json', file], { maxBuffer: 64 << 20 }, (error, stdout) => {
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(error ?? new Error('cfn-lint gave no JSON'));
        }
      }),
    );
    expect(findings.filter((f) => f.Level === 'Error')).toStrictEqual([]);
    for (const f of findings.filter((x) => x.Level === 'Warning')) expect(f.Rule.Id, f.Message).toBe('W3005');
  }, 300_000);
});

describe('a mapping given in code (EksSecretSync props)', () => {
  it('refuses a token among the VPC ids, naming the mapping and the field', () => {
    const stack = new Stack(new App(), 'Code', { env: { region: 'us-east-1' } });
    const subnet = Token.asString({ Ref: 'SomeSubnet' });
    expect(
      () =>
        new EksSecretSync(stack, 'Sync', {
          mappings: [
            {
              id: 'db',
              secretArn: ARN('db'),
              cluster: { name: 'prod', vpc: { subnetIds: [subnet], securityGroupIds: [SG_A] } },
              namespace: 'shop',
              secretName: 'db',
            },
          ],
        }),
    ).toThrow(
      'mappings[0] (id "db"): cluster.vpc.subnetIds[0]: is a token; expected a literal value known at synth time',
    );
  });
});
