import {
  MAPPING_OPTIONS,
  type MappingOption,
  OPTION_NAMES,
  TARGET_OPTIONS,
} from '../../infra/model/mapping-options.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadMappings, MappingsError, parseMappings, stackRegion } from '../../infra/model/config.ts';
import { soleTarget, targetName } from '../../infra/model/targets.ts';
import { DEFAULT_MAPPINGS_PER_STACK } from '../../infra/model/config-schema.ts';
import { EXAMPLE_FILE } from '../support/infra.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/payments-Ab12Cd';
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

function mapping(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'payments',
    secretArn: ARN,
    cluster: { name: 'prod' },
    namespace: 'pay',
    secretName: 'payments',
    ...overrides,
  };
}

function problems(file: unknown): readonly string[] {
  try {
    parseMappings(typeof file === 'string' ? file : stringify(file), 'test.yaml');
  } catch (e) {
    if (e instanceof MappingsError) return e.problems;
    throw e;
  }
  return [];
}

const M1 = 'mappings[1] (id "payments")';

describe('the example mappings file', () => {
  it('parses with the documented defaults applied', () => {
    const config = loadMappings(EXAMPLE_FILE);
    expect(config.stack).toStrictEqual({
      name: 'EksSecretSync',
      redriveMaxAttempts: 5,
      logRetentionDays: 30,
      mappingsPerStack: DEFAULT_MAPPINGS_PER_STACK,
      freshnessMinutes: 60,
      sweepMinutes: 15,
    });
    expect(config.mappings.map((m) => [m.id, m.type, m.prune, m.deletionPolicy, m.cloudTrailRules])).toStrictEqual([
      ['app-config', 'Opaque', false, 'retain', true],
      ['web-tls', 'kubernetes.io/tls', true, 'retain', false],
    ]);
    expect(config.mappings[1]!.labels).toStrictEqual({});
    expect(stackRegion(config)).toBe('us-east-1');
  });
});

describe('parseMappings', () => {
  it('applies every default when only the required fields are given', () => {
    const config = parseMappings(stringify({ mappings: [mapping()] }), 'test.yaml');
    expect(config.stack).toStrictEqual({
      name: 'EksSecretSync',
      redriveMaxAttempts: 5,
      logRetentionDays: 30,
      mappingsPerStack: DEFAULT_MAPPINGS_PER_STACK,
      freshnessMinutes: 60,
      sweepMinutes: 15,
    });
    // Each option's default as its descriptor states it (infra/model/mapping-options.ts); a target carries those
    // a target may override.
    const defaults = Object.fromEntries(
      OPTION_NAMES.flatMap((k) => {
        const d: MappingOption = MAPPING_OPTIONS[k];
        return d.default === undefined ? [] : [[k, d.default]];
      }),
    );
    const targetDefaults = Object.fromEntries(TARGET_OPTIONS.map((k) => [k, defaults[k]]));
    expect(defaults).toMatchObject({ type: 'Opaque', prune: false, deletionPolicy: 'retain', restart: [] });
    expect(config.mappings[0]).toStrictEqual({
      id: 'payments',
      source: 'secretsManager',
      secretArn: ARN,
      ...defaults,
      targets: [{ cluster: { name: 'prod' }, namespace: 'pay', secretName: 'payments', ...targetDefaults }],
    });
  });

  it.each([
    [
      'a partial secret ARN',
      { secretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:x' },
      `${M1}: secretArn: "arn:aws:secretsmanager:us-east-1:1:secret:x" is not a full secret ARN; expected ` +
        `arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>-<6 chars>`,
    ],
    [
      'a secret name instead of an ARN',
      { secretArn: 'prod/payments' },
      `${M1}: secretArn: "prod/payments" is not a full secret ARN; expected ` +
        `arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>-<6 chars> (get the full ARN, with the 6 ` +
        `characters Secrets Manager appended to the name, with: aws secretsmanager describe-secret --secret-id ` +
        `prod/payments --query ARN --output text)`,
    ],
    ['a missing secret ARN', { secretArn: undefined }, `${M1}: secretArn: is missing; expected a string`],
    [
      'an upper-case id',
      { id: 'Payments' },
      `mappings[1] (id "Payments"): id: "Payments" is not a valid id; expected lower-case letters, digits and '-', ` +
        `starting and ending with a letter or digit (like a DNS label)`,
    ],
    [
      'an id over 40 characters',
      { id: 'a'.repeat(41) },
      `mappings[1] (id "${'a'.repeat(41)}"): id: "${'a'.repeat(41)}" is longer than 40 characters; choose a shorter id`,
    ],
    ['a missing id', { id: undefined }, 'mappings[1]: id: is missing; expected a string'],
    [
      'an alias instead of a KMS key ARN',
      { secretKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:alias/app' },
      `${M1}: secretKmsKeyArn: "arn:aws:kms:us-east-1:111122223333:alias/app" is not a KMS key ARN; expected ` +
        `arn:aws:kms:<region>:<12-digit account>:key/<key id> (a key ARN, not an alias)`,
    ],
    [
      'an endpoint without a CA',
      { cluster: { name: 'prod', endpoint: 'https://x.eks.amazonaws.com' } },
      `${M1}: cluster.certificateAuthority: is missing; give endpoint and certificateAuthority together, or neither ` +
        `and the stack looks both up at deploy time with eks:DescribeCluster`,
    ],
    [
      'a CA without an endpoint',
      { cluster: { name: 'prod', certificateAuthority: CA } },
      `${M1}: cluster.endpoint: is missing; give endpoint and certificateAuthority together, or neither and the ` +
        `stack looks both up at deploy time with eks:DescribeCluster`,
    ],
    [
      'a CA that is not base64 PEM',
      { cluster: { name: 'prod', endpoint: 'https://x.example', certificateAuthority: 'bm90IGEgY2VydA==' } },
      `${M1}: cluster.certificateAuthority: is not a base64-encoded PEM certificate; expected the value of \`aws eks ` +
        `describe-cluster --query cluster.certificateAuthority.data\``,
    ],
    [
      'an http endpoint',
      { cluster: { name: 'prod', endpoint: 'http://x.example', certificateAuthority: CA } },
      `${M1}: cluster.endpoint: "http://x.example" is not an API server endpoint; expected https://<host> as in ` +
        `\`aws eks describe-cluster --query cluster.endpoint\``,
    ],
    [
      'a bad cluster name',
      { cluster: { name: 'prod cluster' } },
      `${M1}: cluster.name: "prod cluster" is not an EKS cluster name; expected 1-100 letters, digits, '-' or '_', ` +
        `starting with a letter or digit`,
    ],
    [
      'a misspelt cluster field',
      { cluster: { name: 'prod', regoin: 'us-east-1' } },
      `${M1}: cluster: unknown field "regoin"; check the spelling against mappings.example.yaml`,
    ],
    [
      'a bad namespace',
      { namespace: 'Pay_NS' },
      `${M1}: namespace: "Pay_NS" is not a namespace name; expected lower-case letters, digits and '-', starting and ` +
        `ending with a letter or digit`,
    ],
    [
      'a bad Secret name',
      { secretName: 'Payments!' },
      `${M1}: secretName: "Payments!" is not a Secret name; expected lower-case letters, digits, '-' and '.', ` +
        `starting and ending with a letter or digit`,
    ],
    [
      'an unknown Secret type',
      { type: 'kubernetes.io/basic-auth' },
      `${M1}: type: "kubernetes.io/basic-auth" is not allowed; ` +
        'expected one of "Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson"',
    ],
    [
      'a label value with spaces',
      { labels: { team: 'pay ments' } },
      `${M1}: labels.team: value "pay ments" is not a valid label value; expected at most 63 characters of letters, ` +
        `digits, '-', '_', '.', starting and ending with a letter or digit (put free text in annotations)`,
    ],
    [
      'a reserved annotation',
      { annotations: { 'eks-secret-sync.io/source-arn': 'x' } },
      `${M1}: annotations["eks-secret-sync.io/source-arn"]: key "eks-secret-sync.io/source-arn" is reserved: ` +
        `eks-secret-sync writes it itself; choose another key`,
    ],
    ['a non-string annotation value', { annotations: { owner: 5 } }, `${M1}: annotations.owner: 5 is not a string`],
    ['prune as a string', { prune: 'yes' }, `${M1}: prune: "yes" is not true or false`],
    [
      'an unknown deletion policy',
      { deletionPolicy: 'orphan' },
      `${M1}: deletionPolicy: "orphan" is not allowed; expected one of "retain", "delete"`,
    ],
    [
      'a restart of a job',
      { restart: ['deployment/api', 'job/x'] },
      `${M1}: restart[1]: "job/x" is not a workload; expected deployment/<name>, statefulset/<name> or ` +
        `daemonset/<name> in the Secret's namespace`,
    ],
    [
      'a plural rate of 1',
      { resyncSchedule: 'rate(1 hours)' },
      `${M1}: resyncSchedule: "rate(1 hours)" is not an EventBridge schedule; expected rate(<n> minutes|hours|days) ` +
        `(singular unit for 1) or cron(<6 fields>)`,
    ],
    [
      'a misspelt field',
      { prun: true },
      `${M1}: unknown field "prun"; check the spelling against mappings.example.yaml`,
    ],
  ])('reports %s with the mapping, the field, the problem and the fix', (_what, overrides, expected) => {
    const file = {
      mappings: [mapping({ id: 'orders', secretName: 'orders' }), JSON.parse(JSON.stringify(mapping(overrides)))],
    };
    expect(problems(file)).toStrictEqual([expected]);
  });

  it.each([
    ['a cron with 6 fields', 'cron(0 12 * * ? *)'],
    ['a singular rate of 1', 'rate(1 day)'],
    ['a plural rate', 'rate(15 minutes)'],
  ])('accepts %s as resyncSchedule', (_what, resyncSchedule) => {
    expect(problems({ mappings: [mapping({ resyncSchedule })] })).toStrictEqual([]);
  });

  it.each([
    [
      'an unknown stack option',
      { alarmMail: 'a@b.example' },
      'stack: unknown field "alarmMail"; check the spelling against mappings.example.yaml',
    ],
    [
      'a bad alarm email',
      { alarmEmail: 'ops' },
      'stack.alarmEmail: "ops" is not an email address; expected name@example.com',
    ],
    [
      'an unsupported log retention',
      { logRetentionDays: 42 },
      'stack.logRetentionDays: 42 is not a CloudWatch Logs retention period; expected one of 1, 3, 5, 7, 14, 30, 60, ' +
        '90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
    ],
    ['zero redrive attempts', { redriveMaxAttempts: 0 }, 'stack.redriveMaxAttempts: 0 is too small; expected 1 to 20'],
    [
      'a freshness period too short to alarm on',
      { freshnessMinutes: 1 },
      'stack.freshnessMinutes: 1 is too small; expected 5 to 10080 minutes (7 days)',
    ],
    [
      'a sweep period between off and the shortest',
      { sweepMinutes: 2 },
      'stack.sweepMinutes: 2 is out of range; expected 0 (off) or 5 to 1440 minutes (1 day)',
    ],
    [
      'a sweep period that is no whole number of minutes',
      { sweepMinutes: 7.5 },
      'stack.sweepMinutes: 7.5 is not a whole number',
    ],
    [
      'a bad stack name',
      { name: '1stack' },
      `stack.name: "1stack" is not a CloudFormation stack name; expected a letter, then letters, digits and '-' (at ` +
        `most 128)`,
    ],
  ])('reports %s in the stack options', (_what, stack, expected) => {
    expect(problems({ stack, mappings: [mapping()] })).toStrictEqual([expected]);
  });

  it('reports two mappings writing the same Secret, naming both ids', () => {
    const file = {
      mappings: [mapping({ id: 'a' }), mapping({ id: 'b', secretArn: ARN.replace('payments', 'other') })],
    };
    expect(problems(file)).toStrictEqual([
      'mappings[1] (id "b"): writes the same Secret as mappings[0] (id "a") (cluster prod, pay/payments); two ' +
        'mappings may not write one Secret: change namespace or secretName, or merge the mappings',
    ]);
  });

  it('allows the same Secret name in another namespace or cluster', () => {
    const file = {
      mappings: [
        mapping({ id: 'a' }),
        mapping({ id: 'b', namespace: 'other' }),
        mapping({ id: 'c', cluster: { name: 'staging' } }),
      ],
    };
    expect(problems(file)).toStrictEqual([]);
  });

  it('reports a repeated id', () => {
    expect(problems({ mappings: [mapping(), mapping({ secretName: 'other' })] })).toStrictEqual([
      `${M1}: id: "payments" is already the id of mappings[0]; ids must be unique`,
    ]);
  });

  it('reports secrets in two regions, since one stack serves one region', () => {
    const file = {
      mappings: [mapping({ id: 'a' }), mapping({ secretArn: ARN.replace('us-east-1', 'eu-west-1'), secretName: 'b' })],
    };
    expect(problems(file)).toStrictEqual([
      `${M1}: secretArn: is in eu-west-1/111122223333 but mappings[0] is in us-east-1/111122223333; one stack serves ` +
        `the secrets of one account and region (Secrets Manager sends events to that region's default bus): use ` +
        `one mappings file per account and region`,
    ]);
  });

  it('accepts a cluster in another region and another account that gives its endpoint and CA', () => {
    const elsewhere = { name: 'prod', region: 'eu-west-1', account: '444455556666', endpoint: 'https://e.x' };
    expect(
      problems({
        mappings: [
          mapping({ id: 'a', cluster: { name: 'eu', region: 'eu-west-1' } }),
          mapping({ cluster: { ...elsewhere, certificateAuthority: CA }, secretName: 'b' }),
        ],
      }),
    ).toStrictEqual([]);
  });

  it.each([
    [
      'a cluster region of another partition',
      { name: 'prod', region: 'cn-north-1' },
      `${M1}: cluster.region: "cn-north-1" is in partition aws-cn, but the secrets are in aws (us-east-1); an IAM ` +
        'role of one partition cannot sign in to a cluster of another: use a cluster of aws, or a mappings file ' +
        "whose secrets are in cn-north-1's partition",
    ],
    [
      'a cluster of another account without endpoint and CA',
      { name: 'prod', account: '444455556666' },
      `${M1}: cluster: is in account 444455556666, not the secrets' account 111122223333, so the stack cannot ` +
        "look its endpoint and CA up (eks:DescribeCluster runs in the secrets' account): give cluster.endpoint and " +
        "cluster.certificateAuthority, printed with 444455556666's credentials by aws eks describe-cluster --name " +
        "prod --region us-east-1 --query '[cluster.endpoint,cluster.certificateAuthority.data]'",
    ],
  ])('reports %s, saying how to fix it', (_what, cluster, expected) => {
    expect(problems({ mappings: [mapping({ id: 'a' }), mapping({ cluster, secretName: 'b' })] })).toStrictEqual([
      expected,
    ]);
  });

  it('reports an account id that is not 12 digits', () => {
    expect(problems({ mappings: [mapping({ cluster: { name: 'prod', account: '4444' } })] }).join('\n')).toContain(
      '"4444" is not an AWS account id; expected the 12 digits of the cluster\'s account',
    );
  });

  it('reports a secret key in another region than the secret', () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(
      problems({ mappings: [mapping({ id: 'a' }), mapping({ secretKmsKeyArn: key, secretName: 'b' })] }),
    ).toStrictEqual([
      `${M1}: secretKmsKeyArn: is in eu-west-1; the key that encrypts a secret is in the secret's region us-east-1`,
    ]);
  });

  it('reports every problem of a file at once', () => {
    const found = problems({ stack: { logRetentionDays: 2 }, mappings: [mapping({ prune: 1 }), { id: 'x' }] });
    expect(found).toHaveLength(6);
    expect(found.filter((p) => p.startsWith('mappings[1] (id "x"): '))).toHaveLength(4);
  });

  it.each([
    ['an empty file', '', ['mappings: is missing; expected a list']],
    ['an empty list', 'mappings: []', ['mappings: is empty; expected at least one mapping']],
    ['a list of strings', 'mappings: [a]', ['mappings[0]: "a" is not a mapping of fields']],
    [
      'broken YAML',
      'mappings:\n  - id: [a\n',
      [
        'YAML syntax error at line 3, column 1: Flow sequence in block collection must be sufficiently indented and ' +
          'end with a ]',
      ],
    ],
    [
      'a repeated key',
      'mappings: []\nmappings: []\n',
      ['YAML syntax error at line 2, column 1: Map keys must be unique'],
    ],
  ])('reports %s', (_what, text, expected) => {
    expect(problems(text)).toStrictEqual(expected);
  });

  it('prefixes the message with the source and lists one problem per line', () => {
    expect(() => parseMappings('mappings: []', 'teams/a.yaml')).toThrow(
      new MappingsError('teams/a.yaml', ['mappings: is empty; expected at least one mapping']),
    );
    expect(new MappingsError('f.yaml', ['one', 'two']).message).toBe('invalid mappings file f.yaml:\n  - one\n  - two');
  });
});

describe('loadMappings', () => {
  it('says how to point at another file when the file does not exist', () => {
    expect(() => loadMappings('/nonexistent/mappings.yaml')).toThrow(
      'invalid mappings file /nonexistent/mappings.yaml:\n' +
        '  - file not found; pass an existing file with -c mappings=<path>',
    );
  });

  it('reads and validates a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mappings-'));
    writeFileSync(join(dir, 'm.yaml'), stringify({ mappings: [mapping()] }));
    expect(loadMappings(join(dir, 'm.yaml')).mappings.map((m) => m.id)).toStrictEqual(['payments']);
  });
});

describe('targets', () => {
  const target = (namespace: string, secretName: string, more: Record<string, unknown> = {}) => ({
    cluster: { name: 'prod' },
    namespace,
    secretName,
    ...more,
  });
  const fanOut = (targets: unknown[], more: Record<string, unknown> = {}) => {
    const { cluster: _c, namespace: _n, secretName: _s, ...rest } = mapping(more);
    return { ...rest, targets };
  };

  it('gives each target the mapping options it does not override', () => {
    const m = fanOut([target('a', 'db'), target('b', 'db', { labels: { tier: 'x' }, prune: false, restart: [] })], {
      labels: { team: 'pay' },
      prune: true,
      restart: ['deployment/api'],
      deletionPolicy: 'delete',
    });
    const [one, two] = parseMappings(stringify({ mappings: [m] }), 'test.yaml').mappings[0]!.targets;
    expect(one).toMatchObject({ labels: { team: 'pay' }, prune: true, restart: ['deployment/api'] });
    expect(two).toMatchObject({ labels: { tier: 'x' }, prune: false, restart: [], deletionPolicy: 'delete' });
    expect([one, two].map((t) => targetName(t!))).toStrictEqual(['prod/a/db', 'prod/b/db']);
  });

  it('reads the single-target form as a list of one', () => {
    const parsed = parseMappings(stringify({ mappings: [mapping()] }), 'test.yaml').mappings[0]!;
    expect(soleTarget(parsed, 'x')).toStrictEqual(parsed.targets[0]);
    const fanned = parseMappings(stringify({ mappings: [fanOut([target('a', 'x'), target('b', 'x')])] }), 't');
    expect(() => soleTarget(fanned.mappings[0]!, 'the thing')).toThrow(
      'mapping payments: lists 2 targets, but the thing handles one target per mapping',
    );
  });

  it.each([
    [
      'targets beside the single-target fields',
      { ...fanOut([target('a', 'x')]), namespace: 'pay' },
      [
        `${M1}: namespace: is given together with targets; give cluster, namespace and secretName for one target, ` +
          'or list every target under targets (each with its own cluster, namespace and secretName)',
      ],
    ],
    [
      'neither targets nor a namespace',
      { ...mapping(), namespace: undefined },
      [`${M1}: namespace: is missing; expected a string (or list targets)`],
    ],
    [
      'an empty target list',
      fanOut([]),
      [`${M1}: targets: is empty; list at least one target, or give cluster, namespace and secretName instead`],
    ],
    [
      'more than 40 targets',
      fanOut(Array.from({ length: 41 }, (_, i) => target(`ns${i}`, 'x'))),
      [
        `${M1}: targets: lists 41 targets, more than the 40 one mapping may write; split the targets across ` +
          'mappings of the same secret',
      ],
    ],
    [
      'a bad namespace in a target',
      fanOut([target('a', 'x'), target('B_1', 'x')]),
      [
        `${M1}: targets[1].namespace: "B_1" is not a namespace name; expected lower-case letters, digits and '-', ` +
          'starting and ending with a letter or digit',
      ],
    ],
    [
      'a misspelt target field',
      fanOut([target('a', 'x', { secretname: 'y' })]),
      [`${M1}: targets[0]: unknown field "secretname"; check the spelling against mappings.example.yaml`],
    ],
    [
      'two targets of one mapping writing one Secret',
      fanOut([target('a', 'x'), target('a', 'x')]),
      [
        `${M1}: targets[1]: writes the same Secret as ${M1} targets[0] (cluster prod, a/x); two targets of one ` +
          'mapping may not write one Secret: change namespace or secretName, or drop one',
      ],
    ],
    [
      'a target writing the Secret of another mapping',
      fanOut([target('b', 'y'), target('pay', 'orders')], { secretArn: ARN.replace('payments', 'other') }),
      [
        `${M1}: targets[1]: writes the same Secret as mappings[0] (id "orders") (cluster prod, pay/orders); two ` +
          'mappings may not write one Secret: change namespace or secretName, or merge the mappings',
      ],
    ],
    [
      'one cluster reached two ways',
      fanOut([
        target('a', 'x'),
        { ...target('b', 'x'), cluster: { name: 'prod', endpoint: 'https://e.x', certificateAuthority: CA } },
      ]),
      [
        `${M1}: targets[1].cluster: names cluster prod like targets[0].cluster but with another account, ` +
          'region, endpoint or certificateAuthority; one mapping reaches each cluster one way: give the same ' +
          'cluster block for ' +
          'every target in prod',
      ],
    ],
    [
      'a target cluster in another partition',
      fanOut([target('a', 'x'), target('a', 'x', { cluster: { name: 'gov', region: 'us-gov-west-1' } })]),
      [
        `${M1}: targets[1].cluster.region: "us-gov-west-1" is in partition aws-us-gov, but the secrets are in aws ` +
          '(us-east-1); an IAM role of one partition cannot sign in to a cluster of another: use a cluster of aws, ' +
          "or a mappings file whose secrets are in us-gov-west-1's partition",
      ],
    ],
    [
      'a target type the data spec cannot fill',
      fanOut([target('a', 'x', { type: 'kubernetes.io/tls' })], { data: { token: { from: 'token' } } }),
      'a Secret of type kubernetes.io/tls needs',
    ],
  ])('reports %s, naming the mapping and the target', (_what, m, expected) => {
    const found = problems({ mappings: [mapping({ id: 'orders', secretName: 'orders' }), m] });
    if (typeof expected === 'string') {
      expect(found).toHaveLength(1);
      expect(found[0]!.startsWith(`${M1}: targets[0].type: does not produce`)).toBe(true);
      expect(found[0]).toContain(expected);
    } else expect(found).toStrictEqual(expected);
  });
});

describe('cluster.vpc', () => {
  const SUBNET_A = 'subnet-0a1b2c3d4e5f60718';
  const SUBNET_B = 'subnet-0b1c2d3e4f5a60718';
  const SG = 'sg-0a1b2c3d4e5f60718';
  const VPC = 'vpc-0a1b2c3d4e5f60718';
  const inVpc = (vpc: unknown, id = 'payments') => mapping({ id, secretName: id, cluster: { name: 'prod', vpc } });
  const M0 = 'mappings[0] (id "payments")';
  const SG_FIX =
    'list the security groups of those functions (1 to 5): the cluster security group, or one the cluster ' +
    'security group admits on TCP 443';

  it('accepts subnets and security groups, with or without endpoints, and keeps them as given', () => {
    const vpc = { subnetIds: [SUBNET_A, SUBNET_B], securityGroupIds: [SG], endpoints: { vpcId: VPC } };
    const config = parseMappings(stringify({ mappings: [inVpc(vpc)] }), 'test.yaml');
    expect(config.mappings[0]!.targets[0]!.cluster).toStrictEqual({ name: 'prod', vpc });
    expect(problems({ mappings: [inVpc({ subnetIds: [SUBNET_A], securityGroupIds: [SG] })] })).toStrictEqual([]);
  });

  it.each([
    [
      'subnets without security groups',
      { subnetIds: [SUBNET_A] },
      [
        `${M0}: cluster.vpc.securityGroupIds: is missing: Lambda runs a function in subnets only with security ` +
          `groups; ${SG_FIX}`,
      ],
    ],
    [
      'security groups without subnets',
      { securityGroupIds: [SG] },
      [
        `${M0}: cluster.vpc.subnetIds: is missing; list the private subnets the functions that call the API server ` +
          'run in (they must reach the cluster endpoint)',
      ],
    ],
    [
      'an unknown field, naming the known ones',
      { subnetIds: [SUBNET_A], securityGroupIds: [SG], subnets: [SUBNET_B] },
      [
        `${M0}: cluster.vpc: unknown field "subnets"; expected subnetIds, securityGroupIds and optionally endpoints ` +
          '(docs/mappings.md#cluster-in-a-vpc-clustervpc)',
      ],
    ],
    [
      'an empty list of security groups',
      { subnetIds: [SUBNET_A], securityGroupIds: [] },
      [`${M0}: cluster.vpc.securityGroupIds: is empty; ${SG_FIX}`],
    ],
    [
      'malformed and repeated ids',
      { subnetIds: [SUBNET_A, 'subnet-12', SUBNET_A], securityGroupIds: ['sg-xyz'] },
      [
        `${M0}: cluster.vpc.subnetIds[1]: "subnet-12" is not a subnet id; expected subnet-<8 or 17 hex digits>`,
        `${M0}: cluster.vpc.subnetIds[2]: "${SUBNET_A}" is listed twice; list it once`,
        `${M0}: cluster.vpc.securityGroupIds[0]: "sg-xyz" is not a security group id; expected sg-<8 or 17 hex digits>`,
      ],
    ],
    [
      'more security groups than Lambda takes',
      { subnetIds: [SUBNET_A], securityGroupIds: ['1', '2', '3', '4', '5', '6'].map((n) => `sg-0000000${n}`) },
      [`${M0}: cluster.vpc.securityGroupIds: lists 6 security groups; Lambda takes at most 5`],
    ],
    [
      'endpoints without a VPC id, and an unknown field in them',
      { subnetIds: [SUBNET_A], securityGroupIds: [SG], endpoints: { vpc: VPC } },
      [
        `${M0}: cluster.vpc.endpoints: unknown field "vpc"; expected vpcId and optionally subnetIds ` +
          '(docs/mappings.md#cluster-in-a-vpc-clustervpc)',
        `${M0}: cluster.vpc.endpoints.vpcId: is missing; give the id of the VPC of those subnets (aws ec2 ` +
          'describe-subnets --subnet-ids <id>)',
      ],
    ],
    ['a vpc that is not a block', 'vpc-1', [`${M0}: cluster.vpc: "vpc-1" is not a mapping of fields`]],
  ])('reports %s, naming the mapping, the field and the fix', (_what, vpc, expected) => {
    expect(problems({ mappings: [inVpc(vpc)] })).toStrictEqual(expected);
  });

  it('reports two mappings that put the endpoint of one VPC in different subnets', () => {
    const endpoints = { vpcId: VPC };
    expect(
      problems({
        mappings: [
          inVpc({ subnetIds: [SUBNET_A], securityGroupIds: [SG], endpoints }),
          inVpc({ subnetIds: [SUBNET_B], securityGroupIds: [SG], endpoints }, 'ledger'),
          inVpc(
            { subnetIds: [SUBNET_B], securityGroupIds: [SG], endpoints: { ...endpoints, subnetIds: [SUBNET_A] } },
            'c',
          ),
        ],
      }),
    ).toStrictEqual([
      `mappings[1] (id "ledger"): cluster.vpc.endpoints: puts the endpoint of ${VPC} in subnets ${SUBNET_B}, but ` +
        `${M0} puts it in ${SUBNET_A}; a VPC gets one endpoint: give both mappings the same endpoints.subnetIds`,
    ]);
  });
});
