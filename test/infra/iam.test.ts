import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';
import { KUBERNETES_IDENTITY_ID } from '../../infra/constructs/functions/identity.ts';
import { FUNCTION_METADATA_KEY, FUNCTION_NAMES, type FunctionName } from '../../infra/constructs/lambda-defaults.ts';
import { SEAL_KEY_ADMIN_ACTIONS, SEAL_KEY_ADMIN_SID, SEAL_KEY_GRANTOR_SID } from '../../infra/constructs/seal-key.ts';
import { SEAL_GRANTS_RESOURCE_TYPE } from '../../infra/constructs/seal-grants.ts';
import {
  functionId,
  iamStatements,
  ofType,
  roleOf,
  single,
  statementsOf,
  synth,
  type Synthesized,
} from '../support/infra.ts';

const SECRETS = {
  'app-config': 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config-AbCdEf',
  'web-tls': 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/web-tls-X1y2Z3',
} as const;
const MAPPINGS = Object.keys(SECRETS) as (keyof typeof SECRETS)[];
/** The example's mapping with a `restart` list; only it has a restart-workloads function. */
const RESTARTS = 'app-config';
const stepsOf = (id: string) => FUNCTION_NAMES.filter((n) => n !== 'restart-workloads' || id === RESTARTS);
const SECRET_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Actions AWS authorizes only on resource "*" (no resource-level permissions), and who may hold them. */
const RESOURCE_STAR_EXCEPTIONS = [
  // Step Functions -> CloudWatch Logs vended log delivery.
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  // The lost-event sweep's metadata read: ListSecrets supports no resource-level permission.
  'secretsmanager:ListSecrets',
  // Step Functions X-Ray tracing.
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

/** A statement of the seal key's policy. */
interface KeyStatement {
  Sid?: string;
  Action: string | string[];
  Effect: string;
  Principal: { AWS: any };
  Resource: string;
  Condition?: Record<string, Record<string, unknown>>;
}

let s: Synthesized;
const roleOfStep = (mappingId: string, name: FunctionName) => roleOf(s.resources[functionId(s, mappingId, name)]!);
/** The lost-event sweep's role (infra/constructs/functions/sweep-secrets.ts): the one holder of ListSecrets. */
const sweepRole = () =>
  roleOf(
    single(
      ofType(s, 'AWS::Lambda::Function').filter(([, f]) => f.Metadata?.[FUNCTION_METADATA_KEY] === 'sweep-secrets'),
    )[1],
  );
const LIST_SECRETS = 'secretsmanager:ListSecrets';
const sealKeyArn = () => ({ 'Fn::GetAtt': [ofType(s, 'AWS::KMS::Key')[0]![0], 'Arn'] });
const kmsOf = (role: string) => statementsOf(s, role).filter((st) => st.Action.some((a) => a.startsWith('kms:')));
/** The roles of a mapping's functions, each once (the Kubernetes steps share the mapping's identity). */
const rolesOf = (id: string) => [...new Set(stepsOf(id).map((name) => roleOfStep(id, name)))];
/** The function kinds of a mapping that run with `role`. */
const kindsOf = (id: string, role: string) => stepsOf(id).filter((name) => roleOfStep(id, name) === role);
/** The Kubernetes identity's logical id pattern (construct path `Mapping-<id>/MintToken/Role`). */
const identityId = (id: string) =>
  new RegExp(`^Mapping${id.replace(/-/g, '')}${KUBERNETES_IDENTITY_ID}Role[0-9A-F]{8}$`);

beforeAll(() => {
  s = synth();
}, 120_000);

describe('the fetch role', () => {
  it.each(MAPPINGS)(
    'of %s can GetSecretValue (and DescribeSecret with cloudTrailRules) on its own secret ARN and nothing else in ' +
      'Secrets Manager',
    (id) => {
      const statements = statementsOf(s, roleOfStep(id, 'fetch-secret')).filter((st) =>
        st.Action.some((a) => a.startsWith('secretsmanager:')),
      );
      // Only app-config sets cloudTrailRules: DescribeSecret confirms its DeleteSecret events.
      const actions =
        id === 'app-config'
          ? ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']
          : ['secretsmanager:GetSecretValue'];
      expect(statements.map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))).toStrictEqual([
        { Action: actions, Resource: [SECRETS[id]], Condition: undefined },
      ]);
    },
  );

  it("is the only role with any Secrets Manager permission, beside the sweep's ListSecrets (metadata only)", () => {
    const fetchRoles = MAPPINGS.map((id) => roleOfStep(id, 'fetch-secret'));
    const onSecrets = iamStatements(s).filter((st) => st.Action.some((a) => a.startsWith('secretsmanager:')));
    const holders = onSecrets.filter((st) => !st.Action.includes(LIST_SECRETS)).flatMap((st) => st.roles);
    expect(holders.sort()).toStrictEqual(fetchRoles.sort());
    const listers = onSecrets.filter((st) => st.Action.includes(LIST_SECRETS));
    expect(listers.map(({ Action, Resource, roles }) => ({ Action, Resource, roles }))).toStrictEqual([
      { Action: [LIST_SECRETS], Resource: ['*'], roles: [sweepRole()] },
    ]);
  });

  it("decrypts with the secret's customer managed key only through Secrets Manager, for that secret", () => {
    const onSecretKey = kmsOf(roleOfStep('web-tls', 'fetch-secret')).filter((st) => st.Resource.includes(SECRET_KEY));
    expect(onSecretKey.map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))).toStrictEqual([
      {
        Action: ['kms:Decrypt'],
        Resource: [SECRET_KEY],
        Condition: {
          StringEquals: {
            'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
            'kms:EncryptionContext:SecretARN': SECRETS['web-tls'],
          },
        },
      },
    ]);
    expect(
      iamStatements(s)
        .filter((st) => st.Resource.includes(SECRET_KEY))
        .flatMap((st) => st.roles),
    ).toStrictEqual([roleOfStep('web-tls', 'fetch-secret')]);
  });
});

describe('the seal key', () => {
  // Each step as the step table says it seals and opens (functions/domain/sync-steps.ts): one purpose is written
  // as a string, several as a list; a step that does neither (restart-workloads) adds no statement on the seal key.
  const use = (action: string, purposes: readonly string[]) =>
    purposes.length === 0 ? [] : [{ action, purpose: purposes.length === 1 ? purposes[0] : purposes }];
  const SEAL_USE = FUNCTION_STEPS.map(
    (step) => [step.kind, [...use('kms:GenerateDataKey', step.seals), ...use('kms:Decrypt', step.opens)]] as const,
  );
  /** A role's seal use: the uses of the steps it runs, each once (a role shared by two steps has one statement). */
  const useOfRole = (id: string, role: string) => {
    const uses = SEAL_USE.filter(([kind]) => kindsOf(id, role).includes(kind)).flatMap(([, u]) => u);
    return [...new Map(uses.map((u) => [JSON.stringify(u), u])).values()];
  };

  it.each(SEAL_USE)(
    'is usable by the role of %s as %j and what the other steps of its role use, for its own mapping',
    (name, uses) => {
      for (const id of MAPPINGS.filter((m) => stepsOf(m).includes(name))) {
        const role = roleOfStep(id, name);
        const onSeal = kmsOf(role).filter((st) => !st.Resource.includes(SECRET_KEY));
        const expected = useOfRole(id, role);
        for (const u of uses) expect(expected).toContainEqual(u);
        expect(onSeal.map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))).toStrictEqual(
          expected.map(({ action, purpose }) => ({
            Action: [action],
            Resource: [sealKeyArn()],
            Condition: {
              StringEquals: { 'kms:EncryptionContext:mappingId': id, 'kms:EncryptionContext:purpose': purpose },
            },
          })),
        );
      }
    },
  );

  it("is usable by the Kubernetes identity only to open its own mapping's secret data, and sealed with by the fetch only (by hand)", () => {
    for (const id of MAPPINGS) {
      const [fetch, identity, ...more] = rolesOf(id);
      expect(more).toStrictEqual([]);
      const onSeal = (role: string) =>
        kmsOf(role)
          .filter((st) => !st.Resource.includes(SECRET_KEY))
          .map((st) => [st.Action, st.Condition!.StringEquals]);
      const context = { 'kms:EncryptionContext:mappingId': id, 'kms:EncryptionContext:purpose': 'secret-data' };
      expect(onSeal(fetch!)).toStrictEqual([[['kms:GenerateDataKey'], context]]);
      expect(onSeal(identity!)).toStrictEqual([[['kms:Decrypt'], context]]);
    }
  });

  it('gives the account root administration only: no cryptographic action, no grant, no kms:*', () => {
    const [, key] = single(ofType(s, 'AWS::KMS::Key'), 'key');
    const root = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
    };
    const statements = key.Properties!.KeyPolicy.Statement as KeyStatement[];
    // Unconditioned statements of the root: administration only (the use statements are conditioned on a role).
    const ofRoot = statements.filter(
      (st) => JSON.stringify(st.Principal.AWS) === JSON.stringify(root) && !st.Condition,
    );
    expect(ofRoot).toStrictEqual([
      {
        Sid: SEAL_KEY_ADMIN_SID,
        Action: [...SEAL_KEY_ADMIN_ACTIONS],
        Effect: 'Allow',
        Principal: { AWS: root },
        Resource: '*',
      },
    ]);
    const crypto = /^kms:(\*|Encrypt|Decrypt|ReEncrypt|GenerateDataKey|CreateGrant|Sign|GenerateMac)/;
    expect(SEAL_KEY_ADMIN_ACTIONS.filter((a) => crypto.test(a) || a.includes('*'))).toStrictEqual([]);
    expect(key.Properties!.EnableKeyRotation).toBe(true);
  });

  it('admits no step role in its policy; each step role holds one grant per purpose, as its IAM statement', () => {
    const [, key] = single(ofType(s, 'AWS::KMS::Key'), 'key');
    const statements = key.Properties!.KeyPolicy.Statement as KeyStatement[];
    expect(statements.map((st) => st.Sid)).toStrictEqual([SEAL_KEY_ADMIN_SID, SEAL_KEY_GRANTOR_SID]);
    const grantor = statements.find((st) => st.Sid === SEAL_KEY_GRANTOR_SID)!;
    expect(grantor.Action).toBe('kms:CreateGrant');
    expect(grantor.Principal.AWS).toStrictEqual({ 'Fn::GetAtt': [expect.stringMatching(/^SealGrantor/), 'Arn'] });
    const [, grants] = single(ofType(s, SEAL_GRANTS_RESOURCE_TYPE), 'seal grants resource');
    const listed = (grants.Properties!.Grants as any[]).map((g) => ({
      role: g.GranteePrincipal['Fn::GetAtt'][0],
      operations: g.Operations,
      context: g.EncryptionContext,
    }));
    // The same as every role's own seal statement, purpose by purpose.
    const fromIam = MAPPINGS.flatMap((id) =>
      rolesOf(id).flatMap((role) =>
        kmsOf(role)
          .filter((st) => !st.Resource.includes(SECRET_KEY))
          .flatMap((st) =>
            [st.Condition!.StringEquals!['kms:EncryptionContext:purpose']].flat().map((purpose) => ({
              role,
              operations: st.Action.map((a) => a.replace('kms:', '')),
              context: { mappingId: id, purpose },
            })),
          ),
      ),
    );
    const order = (x: { role: string; context: { purpose: unknown } }) => `${x.role}/${String(x.context.purpose)}`;
    expect(listed.sort((a, b) => order(a).localeCompare(order(b)))).toStrictEqual(
      fromIam.sort((a, b) => order(a).localeCompare(order(b))),
    );
    expect(listed.length).toBeGreaterThan(0);
  });
});

describe('every step role', () => {
  it("is fetch-secret's own, or the mapping's Kubernetes identity which its Kubernetes steps share; none serves two mappings", () => {
    for (const id of MAPPINGS) {
      const [fetch, identity, ...more] = rolesOf(id);
      expect(more, id).toStrictEqual([]);
      expect(kindsOf(id, fetch!)).toStrictEqual(['fetch-secret']);
      expect(identity).toMatch(identityId(id));
      expect(kindsOf(id, identity!)).toStrictEqual(stepsOf(id).filter((n) => n !== 'fetch-secret'));
    }
    const roles = MAPPINGS.flatMap(rolesOf);
    expect(new Set(roles).size).toBe(roles.length);
  });

  it.each(FUNCTION_NAMES)(
    'of %s writes only to the log groups of the functions it runs (its own) and has no managed policy',
    (name) => {
      for (const id of MAPPINGS.filter((m) => stepsOf(m).includes(name))) {
        const role = roleOfStep(id, name);
        const groups = kindsOf(id, role).map(
          (kind) => s.resources[functionId(s, id, kind)]!.Properties!.LoggingConfig.LogGroup.Ref,
        );
        expect(groups).toContain(s.resources[functionId(s, id, name)]!.Properties!.LoggingConfig.LogGroup.Ref);
        const logs = statementsOf(s, role).filter((st) => st.Action.some((a) => a.startsWith('logs:')));
        expect(logs.map(({ Action, Resource }) => ({ Action, Resource }))).toStrictEqual(
          groups.map((group) => ({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: [{ 'Fn::GetAtt': [group, 'Arn'] }],
          })),
        );
        expect(s.resources[role]!.Properties!.ManagedPolicyArns).toBeUndefined();
      }
    },
  );

  it("of the Kubernetes identity holds only its functions' logs and the seal key: signing a token needs no permission", () => {
    for (const id of MAPPINGS) {
      const identity = rolesOf(id)[1]!;
      expect([...new Set(statementsOf(s, identity).flatMap((st) => st.Action))]).toStrictEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'kms:Decrypt',
      ]);
    }
  });

  it('exist no more for mint-token or plan-merge (no function of theirs is made)', () => {
    const kinds = ofType(s, 'AWS::Lambda::Function').map(([, f]) => f.Metadata?.[FUNCTION_METADATA_KEY]);
    expect(kinds).not.toContain('mint-token');
    expect(kinds).not.toContain('plan-merge');
    expect(kinds.filter((k) => (FUNCTION_NAMES as readonly unknown[]).includes(k)).length).toBe(
      MAPPINGS.flatMap(stepsOf).length,
    );
  });
});

describe('the restart-workloads role', () => {
  it(
    "is the mapping's Kubernetes identity: it opens nothing itself, and could open only its own mapping's secret " +
      'data, which it can read through the API server anyway',
    () => {
      const role = roleOfStep(RESTARTS, 'restart-workloads');
      expect(role).toBe(roleOfStep(RESTARTS, 'read-secret'));
      expect(role).toMatch(identityId(RESTARTS));
      expect(kmsOf(role).map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))).toStrictEqual([
        {
          Action: ['kms:Decrypt'],
          Resource: [sealKeyArn()],
          Condition: {
            StringEquals: {
              'kms:EncryptionContext:mappingId': RESTARTS,
              'kms:EncryptionContext:purpose': 'secret-data',
            },
          },
        },
      ]);
    },
  );

  it('exists only for the mapping with restart', () => {
    expect(() => functionId(s, 'web-tls', 'restart-workloads')).toThrow(
      'expected one restart-workloads function for web-tls, found 0',
    );
  });
});

describe('the state machine role', () => {
  it.each(MAPPINGS)('of %s invokes exactly its functions (unqualified) and sends only to the DLQ', (id) => {
    const [, sm] = single(
      ofType(s, 'AWS::StepFunctions::StateMachine').filter(
        ([, r]) => r.Properties!.DefinitionSubstitutions.MappingId === id,
      ),
    );
    const role = sm.Properties!.RoleArn['Fn::GetAtt'][0];
    const scoped = statementsOf(s, role).filter((st) => !st.Resource.includes('*'));
    const queue = ofType(s, 'AWS::SQS::Queue')[0]![0];
    expect(scoped.map(({ Action, Resource }) => ({ Action, Resource }))).toStrictEqual([
      {
        Action: ['lambda:InvokeFunction'],
        Resource: stepsOf(id).map((n) => ({ 'Fn::GetAtt': [functionId(s, id, n), 'Arn'] })),
      },
      { Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': [queue, 'Arn'] }] },
    ]);
  });
});

describe('IAM across the template', () => {
  it('grants no wildcard action in any identity policy', () => {
    const wild = iamStatements(s).flatMap((st) =>
      st.Action.filter((a) => a.includes('*')).map((a) => `${st.policy}: ${a}`),
    );
    expect(wild).toStrictEqual([]);
  });

  it('uses resource "*" only for actions that support no narrower resource, in the state machine and sweep roles', () => {
    const star = iamStatements(s).filter((st) => st.Resource.includes('*'));
    expect([...new Set(star.flatMap((st) => st.Action))].sort()).toStrictEqual(RESOURCE_STAR_EXCEPTIONS);
    const smRoles = ofType(s, 'AWS::StepFunctions::StateMachine').map(
      ([, r]) => r.Properties!.RoleArn['Fn::GetAtt'][0],
    );
    expect([...new Set(star.flatMap((st) => st.roles))].sort()).toStrictEqual([...smRoles, sweepRole()].sort());
  });

  it('lets each EventBridge role start only its own state machine', () => {
    // The mappings' rules (the core's admin-changes rule sends to the alarm topic, when there is one; the sweep's
    // schedule invokes its function, with no role).
    const ofMappings = ([id]: [string, unknown]) => !id.startsWith('AdminWatch') && !id.startsWith('Sweep');
    for (const [, rule] of ofType(s, 'AWS::Events::Rule').filter(ofMappings)) {
      for (const target of rule.Properties!.Targets) {
        const statements = statementsOf(s, target.RoleArn['Fn::GetAtt'][0]);
        expect(statements.map(({ Action, Resource }) => ({ Action, Resource }))).toStrictEqual([
          { Action: ['states:StartExecution'], Resource: [target.Arn] },
        ]);
      }
    }
  });

  it('lets the deploy-time cluster lookup describe only the named cluster', () => {
    const lookup = iamStatements(s).filter((st) => st.Action.includes('eks:DescribeCluster'));
    expect(lookup.map(({ Action, Resource }) => ({ Action, Resource }))).toStrictEqual([
      {
        Action: ['eks:DescribeCluster'],
        Resource: [
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':eks:us-east-1:', { Ref: 'AWS::AccountId' }, ':cluster/prod'],
            ],
          },
        ],
      },
    ]);
  });

  it("attaches a managed policy only to CDK's custom resource provider role (logs only)", () => {
    const managed = ofType(s, 'AWS::IAM::Role').filter(([, r]) => r.Properties!.ManagedPolicyArns);
    expect(
      managed.map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), JSON.stringify(r.Properties!.ManagedPolicyArns)]),
    ).toStrictEqual([
      [
        'AWS679f53fac002430cb0da5b7982bd2287ServiceRole',
        JSON.stringify([
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
            ],
          },
        ]),
      ],
    ]);
  });
});
