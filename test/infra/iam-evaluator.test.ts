/**
 * The IAM of a synthesized fleet, judged by an evaluator nobody on the team wrote: `@cloud-copilot/iam-simulate`
 * (patched for `kms:EncryptionContext:<key>`, test/support/iam-simulate.ts), over the resolved templates of a core
 * stack and a mapping stack (test/fixtures/iam-fleet.yaml: a mapping in a VPC with the KMS endpoint and the CloudTrail
 * rule, one with restart and a customer key, one with three targets on two clusters). One synth for the file.
 * What the evaluator does not model (the root user, grants, PassRole) is in docs/testing.md#iam-evaluator. The
 * seal key's expectations come from the step table (functions/domain/sync-steps.ts), as the grants do; the design
 * that table must keep is asserted on it by hand (`sealDesignProblems`). The Kubernetes steps share one role, the
 * mapping's Kubernetes identity (`MintToken/Role`): a role is judged for what the rows of every function it runs may
 * do, and no role of the fleet may seal or open a token (no token travels).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { rolePath, rulePrefix } from '../../infra/model/resource-names.ts';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';
import { type ResolvedStack, resolveFleet, type TemplateJson } from '../support/cfn-resolve.ts';
import { fleetRole, grantStatements, judge, kmsContext, type Ask, type FleetRole } from '../support/iam-judge.ts';
import { type IamSimulate, iamSimulate, releasedIamSimulate } from '../support/iam-simulate.ts';
import { FUNCTION_STEPS, type SealPurpose, type StepState, type SyncStep } from '../../functions/domain/sync-steps.ts';
import { KUBERNETES_IDENTITY_ID } from '../../infra/constructs/functions/identity.ts';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const REGION = 'us-east-1';
const APP = 'IamFleet';
const MAPPINGS = ['private-a', 'restart-b', 'multi-c'] as const;
type MappingId = (typeof MAPPINGS)[number];
const SECRET: Record<MappingId, string> = {
  'private-a': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/private-a-AbCdEf`,
  'restart-b': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/restart-b-X1y2Z3`,
  'multi-c': `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/multi-c-Q9w8E7`,
};
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60718'];
const SG = 'sg-0a1b2c3d4e5f60718';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const ec2 = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;

/**
 * What each step's role may do with the seal key, per purpose: the step table's `seals` (kms:GenerateDataKey) and
 * `opens` (kms:Decrypt), so a new row is judged with no edit here. The design the table must keep is stated by hand
 * in 'the seal design, on the step table' below: the evaluator judges the template against the table, that test
 * judges the table.
 */
const MAY = (row: SyncStep): Record<string, readonly SealPurpose[]> => ({
  GenerateDataKey: row.seals,
  Decrypt: row.opens,
});
const PURPOSES = ['secret-data'] as const satisfies readonly SealPurpose[];
/** The purposes each seal-key check asks for: the seal's, and the token's of earlier releases, which nobody may use. */
const ASKED = [...PURPOSES, 'eks-token'] as const;

let fleet: ResolvedStack[];
let core: ResolvedStack;
let keyArn: string;
let keyPolicy: { Statement: Record<string, any>[] };

/** The seal key's policy as KMS applies it: the key policy and the statement each grant amounts to. */
const effectiveKeyPolicy = () => ({
  Version: '2012-10-17',
  Statement: [...keyPolicy.Statement, ...grantStatements(fleet)],
});

function stackOf(id: MappingId): ResolvedStack {
  return id === 'multi-c' ? fleet[1]! : core;
}

/** The execution role of a mapping's step (its function's `Role`), or undefined (restart only with `restart`). */
function stepRole(id: MappingId, step: StepState): FleetRole | undefined {
  const s = stackOf(id);
  const pattern = new RegExp(`^Mapping${id.replace(/-/g, '')}${step}Function[0-9A-F]{8}$`);
  const fn = Object.keys(s.resources).find((k) => pattern.test(k));
  if (fn === undefined) return undefined;
  const arn = s.resources[fn]!.Properties.Role as string;
  const role = Object.keys(s.resources).find((k) => s.resources[k]!.Type === 'AWS::IAM::Role' && s.arn(k) === arn);
  if (role === undefined) throw new Error(`${id} ${step}: the function's role ${arn} is not in the stack`);
  return fleetRole(s, role);
}

/** The logical id of a mapping's Kubernetes identity role (the construct path `<mapping>/MintToken/Role`). */
const identityPattern = (id: MappingId) =>
  new RegExp(`^Mapping${id.replace(/-/g, '')}${KUBERNETES_IDENTITY_ID}Role[0-9A-F]{8}$`);

const allow = (ask: Ask) => judge(ask, ACCOUNT);

/** A KMS call on the seal key by a role, with an encryption context. */
function onSealKey(
  role: { arn: string; tags?: Record<string, string>; identity?: any[] },
  action: string,
  ctx: object,
) {
  return allow({
    principal: role.arn,
    action,
    resource: keyArn,
    context: kmsContext(role, ACCOUNT, ctx as Record<string, string>),
    identity: role.identity ?? [],
    resourcePolicy: effectiveKeyPolicy(),
  });
}

const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const kmsEverything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] };

beforeAll(() => {
  const outdir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-iam-'));
  try {
    const { app, stacks } = createApp(loadMappings(join(REPO_ROOT, 'test/fixtures/iam-fleet.yaml')), { outdir });
    const assembly = app.synth();
    fleet = resolveFleet(
      stacks.map((s) => ({
        name: s.stackName,
        template: assembly.getStackByName(s.stackName).template as TemplateJson,
      })),
      { account: ACCOUNT, region: REGION },
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  core = fleet[0]!;
  const [keyId, key] = Object.entries(core.resources).find(([, r]) => r.Type === 'AWS::KMS::Key')!;
  keyArn = core.arn(keyId);
  keyPolicy = key.Properties.KeyPolicy;
}, 240_000);

describe('the evaluator', () => {
  it('drops kms:EncryptionContext:<key> as released, and judges it once patched (the patch is needed and works)', async () => {
    const role = { arn: `arn:aws:iam::${ACCOUNT}:role/r` };
    const simulation = (mappingId: string) => ({
      request: {
        principal: role.arn,
        action: 'kms:Decrypt',
        resource: { resource: keyArn, accountId: ACCOUNT },
        contextVariables: kmsContext(role, ACCOUNT, { mappingId, purpose: 'secret-data' }),
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: role.arn },
            Action: 'kms:Decrypt',
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:mappingId': 'a' } },
          },
        ],
      },
    });
    const overall = (r: Awaited<ReturnType<IamSimulate['runSimulation']>>) =>
      r.resultType === 'error' ? `error: ${r.errors.message}` : r.overallResult;
    const released = await (await releasedIamSimulate()).runSimulation(simulation('a'), {});
    expect(overall(released)).toBe('ImplicitlyDenied');
    expect(released.resultType === 'single' && released.result.ignoredContextKeys).toContain(
      'kms:EncryptionContext:mappingId',
    );
    const patched = await iamSimulate();
    expect(overall(await patched.runSimulation(simulation('a'), {}))).toBe('Allowed');
    expect(overall(await patched.runSimulation(simulation('b'), {}))).toBe('ImplicitlyDenied');
  });
});

/**
 * What is wrong with a step table's seal design, written by hand (the security the design depends on, not a copy of
 * the rows): only the fetch seals, and only secret data; only the steps that read and write the Secret open it; no
 * seal has another purpose (no token is sealed, none travels: each Kubernetes step signs its own); the plan is the
 * read's result (plan-merge is folded into read-secret, and no other step leaves a plan). A new row that needs more
 * is a design change made here, by a person.
 */
function sealDesignProblems(rows: readonly SyncStep[]): string[] {
  const problems: string[] = [];
  const who = (what: string, holds: (r: SyncStep) => boolean, want: string) => {
    const got = rows
      .filter(holds)
      .map((r) => r.kind)
      .join(', ');
    if (got !== want) problems.push(`${what}: ${got || 'none'}, not ${want}`);
  };
  who('seals', (r) => r.seals.length > 0, 'fetch-secret');
  who('opens', (r) => r.opens.length > 0, 'read-secret, apply-secret');
  who('leaves the plan', (r) => r.resultPath === '$.write.plan' || r.resultAt === '$.write.plan', 'read-secret');
  for (const r of rows) {
    for (const [verb, purposes] of [
      ['seals', r.seals],
      ['opens', r.opens],
    ] as const) {
      const other = purposes.filter((p) => p !== 'secret-data');
      if (other.length > 0) problems.push(`${r.kind} ${verb} ${other.join(', ')}: only secret data is sealed`);
    }
  }
  return problems;
}

describe('the seal design, on the step table', () => {
  it('holds for the functions of the step table (FUNCTION_STEPS: a row that reuses a kind adds no function)', () => {
    expect(sealDesignProblems(FUNCTION_STEPS)).toStrictEqual([]);
  });

  it('finds each breach planted in a copy of the table (positive control)', () => {
    const planted = (kind: string, change: Record<string, unknown>, extra: SyncStep[] = []) =>
      sealDesignProblems([
        ...FUNCTION_STEPS.map((r) => (r.kind === kind ? ({ ...r, ...change } as SyncStep) : r)),
        ...extra,
      ]);
    expect(planted('restart-workloads', { opens: ['secret-data'] })).toStrictEqual([
      'opens: read-secret, apply-secret, restart-workloads, not read-secret, apply-secret',
    ]);
    expect(planted('read-secret', { seals: ['secret-data'] })).toStrictEqual([
      'seals: fetch-secret, read-secret, not fetch-secret',
    ]);
    expect(planted('fetch-secret', { seals: [] })).toStrictEqual(['seals: none, not fetch-secret']);
    expect(planted('apply-secret', { opens: ['secret-data', 'eks-token'] })).toStrictEqual([
      'apply-secret opens eks-token: only secret data is sealed',
    ]);
    // The mint-token row of earlier releases: a token sealed to travel in the state.
    const mint = {
      ...FUNCTION_STEPS[0]!,
      state: 'MintToken',
      kind: 'mint-token',
      resultPath: '$.token',
      resultAt: '$.token',
      seals: ['eks-token'],
    };
    expect(planted('none', {}, [mint as unknown as SyncStep])).toStrictEqual([
      'seals: fetch-secret, mint-token, not fetch-secret',
      'mint-token seals eks-token: only secret data is sealed',
    ]);
    // The plan-merge row of earlier releases (a step of its own that uses no key), and a read that no longer plans.
    const planMerge = {
      ...FUNCTION_STEPS[1]!,
      state: 'PlanMerge',
      kind: 'plan-merge',
      resultPath: '$.write.plan',
      resultAt: '$.write.plan',
      opens: [],
    };
    expect(planted('none', {}, [planMerge as unknown as SyncStep])).toStrictEqual([
      'leaves the plan: read-secret, plan-merge, not read-secret',
    ]);
    expect(planted('read-secret', { resultPath: '$.observed', resultAt: '$.observed' })).toStrictEqual([
      'leaves the plan: none, not read-secret',
    ]);
  });
});

describe('the seal key, for each step role of each mapping', () => {
  /** Each role of a mapping's steps, with the rows of the functions it runs (the Kubernetes steps share one). */
  function rolesOf(id: MappingId): Map<string, { role: FleetRole; rows: SyncStep[] }> {
    const roles = new Map<string, { role: FleetRole; rows: SyncStep[] }>();
    for (const row of FUNCTION_STEPS) {
      const role = stepRole(id, row.state);
      if (!role) {
        // Only an optional step may be missing, and the fixture's restart-b has every step.
        expect(row.optional && id !== 'restart-b', `${id} ${row.state} has a role`).toBe(true);
        continue;
      }
      const entry = roles.get(role.logicalId) ?? { role, rows: [] };
      entry.rows.push(row);
      roles.set(role.logicalId, entry);
    }
    return roles;
  }

  it("runs the fetch with a role of its own and every Kubernetes step with the mapping's identity", () => {
    for (const id of MAPPINGS) {
      const byRole = [...rolesOf(id).values()].map((e) => [e.role.logicalId, e.rows.map((r) => r.kind)] as const);
      expect(byRole.length, id).toBe(2);
      const [fetch, identity] = byRole;
      expect(fetch![1]).toStrictEqual(['fetch-secret']);
      expect(fetch![0]).toMatch(new RegExp(`^Mapping${id.replace(/-/g, '')}FetchSecretRole[0-9A-F]{8}$`));
      expect(identity![0]).toMatch(identityPattern(id));
      expect(identity![1]).toStrictEqual(
        id === 'restart-b' ? ['read-secret', 'apply-secret', 'restart-workloads'] : ['read-secret', 'apply-secret'],
      );
    }
  });

  it("holds the seal-key use of the identity (Decrypt of its mapping's secret-data) and of the fetch (GenerateDataKey) in one IAM statement and one grant each", () => {
    const grants = grantStatements(fleet);
    for (const id of MAPPINGS) {
      for (const { role, rows } of rolesOf(id).values()) {
        const action = rows.some((r) => r.kind === 'fetch-secret') ? 'kms:GenerateDataKey' : 'kms:Decrypt';
        const statements = role.identity
          .flatMap((d) => d.Statement)
          .filter((st) => [st.Resource].flat().includes(keyArn));
        const condition = {
          StringEquals: { 'kms:EncryptionContext:mappingId': id, 'kms:EncryptionContext:purpose': 'secret-data' },
        };
        expect(statements, `${id} ${role.logicalId}`).toStrictEqual([
          { Action: action, Condition: condition, Effect: 'Allow', Resource: keyArn },
        ]);
        const own = grants.filter((g) => g.Principal.AWS === role.arn);
        expect(
          own.map((g) => [g.Action, g.Condition.StringEquals]),
          `${id} ${role.logicalId}`,
        ).toStrictEqual([
          [[action], { 'kms:EncryptionContext:mappingId': id, 'kms:EncryptionContext:purpose': 'secret-data' }],
        ]);
      }
    }
    // Every grant of the fleet is one of these: two roles per mapping, none for a token.
    expect(grants.length).toBe(2 * MAPPINGS.length);
  });

  it('allows exactly its own mapping, the actions and purposes of the steps it runs; never another mapping, another purpose or an extra key', async () => {
    let judged = 0;
    for (const id of MAPPINGS) {
      for (const { role, rows } of rolesOf(id).values()) {
        const allowed = (action: string) => rows.flatMap((r) => MAY(r)[action] ?? []) as string[];
        for (const action of ['GenerateDataKey', 'Decrypt', 'ReEncryptFrom', 'Encrypt']) {
          for (const purpose of ASKED) {
            for (const of of MAPPINGS) {
              const expected = of === id && allowed(action).includes(purpose) ? 'Allowed' : 'ImplicitlyDenied';
              const got = await onSealKey(role, `kms:${action}`, { mappingId: of, purpose });
              expect(got, `${id} ${role.logicalId} kms:${action} for ${of}/${purpose}`).toBe(expected);
              judged++;
            }
            const extra = await onSealKey(role, `kms:${action}`, { mappingId: id, purpose, other: 'x' });
            expect(extra, `${id} ${role.logicalId} with an extra context key`).toBe('ImplicitlyDenied');
          }
        }
      }
    }
    expect(judged).toBeGreaterThan(100);
  }, 120_000); // about 200 evaluations: a few seconds alone, several times that on a shared machine

  it("the identity: opens its own mapping's secret data, seals nothing, opens no token (asked by hand, not from the table)", async () => {
    for (const id of MAPPINGS) {
      const role = stepRole(id, 'ApplySecret')!;
      expect(role.logicalId).toMatch(identityPattern(id));
      expect(await onSealKey(role, 'kms:Decrypt', { mappingId: id, purpose: 'secret-data' })).toBe('Allowed');
      expect(await onSealKey(role, 'kms:GenerateDataKey', { mappingId: id, purpose: 'secret-data' })).toBe(
        'ImplicitlyDenied',
      );
      for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) {
        expect(await onSealKey(role, action, { mappingId: id, purpose: 'eks-token' }), action).toBe('ImplicitlyDenied');
      }
    }
  });

  it('positive control: the eks-token grants of earlier releases, added back, let the identity seal and open a token', async () => {
    const role = stepRole('multi-c', 'ReadSecret')!;
    const tokenGrant = {
      Effect: 'Allow',
      Principal: { AWS: role.arn },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:EncryptionContext:mappingId': 'multi-c', 'kms:EncryptionContext:purpose': 'eks-token' },
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['mappingId', 'purpose'] },
      },
    };
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) {
      const got = await allow({
        principal: role.arn,
        action,
        resource: keyArn,
        context: kmsContext(role, ACCOUNT, { mappingId: 'multi-c', purpose: 'eks-token' }),
        identity: role.identity,
        resourcePolicy: { Statement: [...effectiveKeyPolicy().Statement, tokenGrant] },
      });
      expect(got, action).toBe('Allowed');
    }
  });
});

describe('the seal key, for everyone else', () => {
  const admin = { arn: `arn:aws:iam::${ACCOUNT}:role/Administrator`, identity: [everything] };

  it('an account administrator with *:* can neither seal, open nor grant', async () => {
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:CreateGrant']) {
      for (const id of MAPPINGS) {
        expect(await onSealKey(admin, action, { mappingId: id, purpose: 'secret-data' }), action).toBe(
          'ImplicitlyDenied',
        );
      }
    }
  });

  it('an account administrator with *:* can still rewrite the key policy and revoke grants (alarmed)', async () => {
    for (const action of ['kms:PutKeyPolicy', 'kms:RevokeGrant', 'kms:ScheduleKeyDeletion']) {
      expect(await onSealKey(admin, action, {}), action).toBe('Allowed');
    }
  });

  it.each([
    ['the path', `role${rolePath(APP)}Intruder`],
    ['a sub-path', `role${rolePath(APP)}deeper/Intruder`],
    // Role paths do not name the region: a same-named app elsewhere has its roles under the same path.
    ['the path, as a same-named app in another region does', `role${rolePath(APP)}IamFleet-MappingprivateaReadRole-eu`],
  ])('a role an administrator creates under %s, with kms:*, opens nothing', async (_, name) => {
    const intruder = { arn: `arn:aws:iam::${ACCOUNT}:${name}`, identity: [kmsEverything] };
    for (const id of MAPPINGS) {
      for (const purpose of ASKED) {
        expect(await onSealKey(intruder, 'kms:Decrypt', { mappingId: id, purpose })).toBe('ImplicitlyDenied');
      }
    }
  });

  it('positive control: under the key policy these grants replaced (roles admitted by path), that role opens every seal', async () => {
    const byPath = (action: string, purpose: string) => ({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: action,
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:EncryptionContext:purpose': purpose },
        Null: { 'kms:EncryptionContext:mappingId': 'false' },
        ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role${rolePath(APP)}*` },
      },
    });
    const intruder = { arn: `arn:aws:iam::${ACCOUNT}:role${rolePath(APP)}deeper/Intruder` };
    const got = await allow({
      principal: intruder.arn,
      action: 'kms:Decrypt',
      resource: keyArn,
      context: kmsContext(intruder, ACCOUNT, { mappingId: 'multi-c', purpose: 'secret-data' }),
      identity: [kmsEverything],
      resourcePolicy: { Statement: [...keyPolicy.Statement, byPath('kms:Decrypt', 'secret-data')] },
    });
    expect(got).toBe('Allowed');
  });

  it.each([
    ['StateMachineRole', 'restart-b'],
    ['EventsRole', 'multi-c'],
  ] as const)('the %s of %s (no KMS), widened with kms:* on *, opens nothing', async (name, id) => {
    const s = stackOf(id);
    const pattern = new RegExp(`^Mapping${id.replace(/-/g, '')}${name}[0-9A-F]{8}$`);
    const role = fleetRole(s, Object.keys(s.resources).find((k) => pattern.test(k))!);
    const widened = { ...role, identity: [...role.identity, kmsEverything] };
    for (const of of MAPPINGS) {
      for (const purpose of ASKED) {
        expect(await onSealKey(widened, 'kms:Decrypt', { mappingId: of, purpose })).toBe('ImplicitlyDenied');
      }
    }
  });

  it('the redrive and grantor roles, widened with kms:*, open nothing', async () => {
    for (const prefix of ['RedriveRedriveSyncRole', 'SealGrantorRole']) {
      const id = Object.keys(core.resources).find((k) => k.startsWith(prefix))!;
      const role = fleetRole(core, id);
      const widened = { ...role, identity: [...role.identity, kmsEverything] };
      expect(await onSealKey(widened, 'kms:Decrypt', { mappingId: 'private-a', purpose: 'secret-data' })).toBe(
        'ImplicitlyDenied',
      );
    }
  });
});

describe('the grantor', () => {
  const grantor = () => fleetRole(core, Object.keys(core.resources).find((k) => k.startsWith('SealGrantorRole'))!);
  const createGrant = (grantee: string, operations: string[], constraint: string) =>
    allow({
      principal: grantor().arn,
      action: 'kms:CreateGrant',
      resource: keyArn,
      context: {
        'aws:PrincipalArn': grantor().arn,
        'kms:GranteePrincipal': grantee,
        'kms:GrantOperations': operations,
        'kms:GrantConstraintType': constraint,
      },
      identity: grantor().identity,
      resourcePolicy: keyPolicy,
    });
  const appRole = `arn:aws:iam::${ACCOUNT}:role${rolePath(APP)}IamFleet-MappingprivateaMintTokenRole6C77152E`;

  it('may create a seal grant with an exact context for a role under the app path', async () => {
    expect(await createGrant(appRole, ['Decrypt'], 'EncryptionContextEquals')).toBe('Allowed');
    expect(await createGrant(appRole, ['GenerateDataKey', 'Decrypt'], 'EncryptionContextEquals')).toBe('Allowed');
  });

  it.each([
    ['a role outside the path', `arn:aws:iam::${ACCOUNT}:role/Admin`, ['Decrypt'], 'EncryptionContextEquals'],
    ['another account', `arn:aws:iam::${OTHER_ACCOUNT}:role${rolePath(APP)}x`, ['Decrypt'], 'EncryptionContextEquals'],
    ['a subset constraint', appRole, ['Decrypt'], 'EncryptionContextSubset'],
    ['CreateGrant in the grant', appRole, ['Decrypt', 'CreateGrant'], 'EncryptionContextEquals'],
    ['ReEncryptFrom', appRole, ['ReEncryptFrom'], 'EncryptionContextEquals'],
  ])('may not create a grant for %s', async (_, grantee, operations, constraint) => {
    expect(await createGrant(grantee, operations, constraint)).toBe('ImplicitlyDenied');
  });
});

describe('Secrets Manager', () => {
  /** The secrets a role reaches with GetSecretValue, among the fleet's, another mapping's and a random one. */
  async function reachable(role: FleetRole): Promise<string[]> {
    const candidates = [...Object.values(SECRET), `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:random-Zz9Yy8`];
    const out: string[] = [];
    for (const secret of candidates) {
      const got = await allow({
        principal: role.arn,
        action: 'secretsmanager:GetSecretValue',
        resource: secret,
        identity: role.identity,
      });
      if (got === 'Allowed') out.push(secret);
    }
    return out;
  }

  it("lets each fetch role read its own secret only (not another mapping's, not a random one)", async () => {
    for (const id of MAPPINGS) expect(await reachable(stepRole(id, 'FetchSecret')!)).toStrictEqual([SECRET[id]]);
  });

  it('lets no other role of the fleet read any secret', async () => {
    for (const s of fleet) {
      for (const [logicalId, r] of Object.entries(s.resources)) {
        if (r.Type !== 'AWS::IAM::Role' || /FetchSecretRole/.test(logicalId)) continue;
        expect(await reachable(fleetRole(s, logicalId)), logicalId).toStrictEqual([]);
      }
    }
  });

  it('positive control: a fetch role widened to GetSecretValue on * is caught', async () => {
    const role = stepRole('private-a', 'FetchSecret')!;
    const widened = {
      ...role,
      identity: [
        ...role.identity,
        { Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }] },
      ],
    };
    expect((await reachable(widened)).length).toBe(4);
  });
});

describe('trust policies', () => {
  const assume = (role: FleetRole, service: string, sourceArn: string, sourceAccount = ACCOUNT) =>
    allow({
      principal: service,
      action: 'sts:AssumeRole',
      resource: role.arn,
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': sourceAccount },
      resourcePolicy: role.trust,
    });
  const byPrefix = (s: ResolvedStack, prefix: string) =>
    fleetRole(s, Object.keys(s.resources).find((k) => k.startsWith(prefix))!);
  const rule = (name: string, account = ACCOUNT) => `arn:aws:events:${REGION}:${account}:rule/${name}`;
  const machine = (name: string, account = ACCOUNT) => `arn:aws:states:${REGION}:${account}:stateMachine:${name}`;

  it("events: a mapping's rules only, from this account", async () => {
    const role = byPrefix(core, 'MappingprivateaEventsRole');
    const prefix = rulePrefix(APP);
    expect(await assume(role, 'events.amazonaws.com', rule(`${prefix}private-a-label`))).toBe('Allowed');
    expect(await assume(role, 'events.amazonaws.com', rule(`${prefix}private-a-trail`))).toBe('Allowed');
    expect(await assume(role, 'events.amazonaws.com', rule(`${prefix}restart-b-label`))).toBe('ImplicitlyDenied');
    expect(
      await assume(role, 'events.amazonaws.com', rule(`${prefix}private-a-label`, OTHER_ACCOUNT), OTHER_ACCOUNT),
    ).toBe('ImplicitlyDenied');
    expect(await assume(role, 'states.amazonaws.com', rule(`${prefix}private-a-label`))).toBe('ImplicitlyDenied');
  });

  it("states: the mapping's own state machine only, from this account", async () => {
    const role = byPrefix(fleet[1]!, 'MappingmulticStateMachineRole');
    const prefix = rulePrefix(APP);
    expect(await assume(role, 'states.amazonaws.com', machine(`${prefix}multi-c`))).toBe('Allowed');
    expect(await assume(role, 'states.amazonaws.com', machine(`${prefix}private-a`))).toBe('ImplicitlyDenied');
    expect(await assume(role, 'states.amazonaws.com', machine(`${prefix}multi-c`, OTHER_ACCOUNT), OTHER_ACCOUNT)).toBe(
      'ImplicitlyDenied',
    );
  });

  it('lambda: any function of any account, by the trust policy alone (iam:PassRole, same account only, keeps others out)', async () => {
    const role = stepRole('restart-b', 'ReadSecret')!;
    const fn = (account: string) => `arn:aws:lambda:${REGION}:${account}:function:anything`;
    expect(await assume(role, 'lambda.amazonaws.com', fn(ACCOUNT))).toBe('Allowed');
    expect(await assume(role, 'lambda.amazonaws.com', fn(OTHER_ACCOUNT), OTHER_ACCOUNT)).toBe('Allowed');
    expect(await assume(role, 'events.amazonaws.com', fn(ACCOUNT))).toBe('ImplicitlyDenied');
  });
});

describe('the dead-letter queue', () => {
  const send = (sourceArn: string, sourceAccount = ACCOUNT) => {
    const [, policy] = Object.entries(core.resources).find(([k]) => k.startsWith('DeadLetterQueuePolicy'))!;
    const queueId = Object.keys(core.resources).find((k) => k.startsWith('DeadLetterQueue9'))!;
    return allow({
      principal: 'events.amazonaws.com',
      action: 'sqs:SendMessage',
      resource: core.arn(queueId),
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': sourceAccount, 'aws:SecureTransport': 'true' },
      resourcePolicy: policy.Properties.PolicyDocument,
    });
  };
  const rule = (name: string, account = ACCOUNT) => `arn:aws:events:${REGION}:${account}:rule/${name}`;

  it("admits the app's own rules on the default bus", async () => {
    expect(await send(rule(`${rulePrefix(APP)}multi-c-label`))).toBe('Allowed');
  });

  it('refuses a rule on a custom bus whose ARN starts with the prefix, and another account', async () => {
    expect(await send(rule(`${rulePrefix(APP)}bus/x`))).toBe('ImplicitlyDenied');
    expect(await send(`arn:aws:events:${REGION}:${ACCOUNT}:rule/custom-bus/${rulePrefix(APP)}x`)).toBe(
      'ImplicitlyDenied',
    );
    expect(await send(rule(`${rulePrefix(APP)}multi-c-label`, OTHER_ACCOUNT), OTHER_ACCOUNT)).toBe('ImplicitlyDenied');
  });

  it('still admits any default-bus rule someone names with the prefix (what stays true)', async () => {
    expect(await send(rule(`${rulePrefix(APP)}made-by-someone`))).toBe('Allowed');
  });
});

describe('network interfaces of the functions in a VPC', () => {
  const role = () => stepRole('private-a', 'ReadSecret')!;
  const call = (action: string, resource: string, context: Record<string, string> = {}, identity = role().identity) =>
    allow({ principal: role().arn, action, resource, context, identity });
  const eni = ec2('network-interface/eni-0123456789abcdef0');

  it('CreateNetworkInterface: any new interface, only in its subnets, only with its security group', async () => {
    expect(await call('ec2:CreateNetworkInterface', eni)).toBe('Allowed');
    for (const subnet of SUBNETS)
      expect(await call('ec2:CreateNetworkInterface', ec2(`subnet/${subnet}`))).toBe('Allowed');
    expect(await call('ec2:CreateNetworkInterface', ec2('subnet/subnet-0f0f0f0f0f0f0f0f0'))).toBe('ImplicitlyDenied');
    expect(await call('ec2:CreateNetworkInterface', ec2(`security-group/${SG}`))).toBe('Allowed');
    expect(await call('ec2:CreateNetworkInterface', ec2('security-group/sg-0f0f0f0f0f0f0f0f0'))).toBe(
      'ImplicitlyDenied',
    );
  });

  it.each(['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'])(
    '%s: interfaces in its subnets only',
    async (action) => {
      for (const subnet of SUBNETS) {
        expect(await call(action, eni, { 'ec2:Subnet': ec2(`subnet/${subnet}`), 'ec2:Vpc': ec2(`vpc/${VPC}`) })).toBe(
          'Allowed',
        );
      }
      const foreign = { 'ec2:Subnet': ec2('subnet/subnet-0f0f0f0f0f0f0f0f0'), 'ec2:Vpc': ec2(`vpc/${VPC}`) };
      expect(await call(action, eni, foreign)).toBe('ImplicitlyDenied');
    },
  );

  it('positive control: the unconditioned statement this replaced allows a foreign interface', async () => {
    const old = {
      Statement: [
        {
          Effect: 'Allow',
          Action: ['ec2:DeleteNetworkInterface'],
          Resource: ec2('network-interface/*'),
        },
      ],
    };
    const foreign = { 'ec2:Subnet': ec2('subnet/subnet-0f0f0f0f0f0f0f0f0') };
    expect(await call('ec2:DeleteNetworkInterface', eni, foreign, [old])).toBe('Allowed');
  });
});

describe('the KMS endpoint', () => {
  const endpointPolicy = () =>
    Object.values(core.resources).find((r) => r.Type === 'AWS::EC2::VPCEndpoint')!.Properties.PolicyDocument;
  const through = (
    role: { arn: string; tags?: Record<string, string>; identity?: any[] },
    action: string,
    ctx: object,
  ) =>
    allow({
      principal: role.arn,
      action,
      resource: keyArn,
      context: { ...kmsContext(role, ACCOUNT, ctx as Record<string, string>), 'aws:SourceVpce': 'vpce-1' },
      identity: role.identity ?? [],
      resourcePolicy: effectiveKeyPolicy(),
      endpointPolicy: endpointPolicy(),
    });

  it("lets the mapping's tagged roles open their own seals through it, and nothing else", async () => {
    const read = stepRole('private-a', 'ReadSecret')!;
    expect(read.tags['eks-secret-sync:kms-endpoint']).toMatch(new RegExp(`^[0-9a-f]{12}:${VPC}$`));
    expect(await through(read, 'kms:Decrypt', { mappingId: 'private-a', purpose: 'secret-data' })).toBe('Allowed');
    expect(await through(read, 'kms:Decrypt', { mappingId: 'restart-b', purpose: 'secret-data' })).toBe(
      'ImplicitlyDenied',
    );
    const fetch = stepRole('private-a', 'FetchSecret')!;
    expect(await through(fetch, 'kms:GenerateDataKey', { mappingId: 'private-a', purpose: 'secret-data' })).toBe(
      'ImplicitlyDenied',
    );
  });

  it("refuses another app's role in the same VPC (the tag names the app) and an untagged one", async () => {
    const read = stepRole('private-a', 'ReadSecret')!;
    const otherApp = { ...read, tags: { 'eks-secret-sync:kms-endpoint': `000000000000:${VPC}` } };
    expect(await through(otherApp, 'kms:Decrypt', { mappingId: 'private-a', purpose: 'secret-data' })).toBe(
      'ImplicitlyDenied',
    );
    const vpcOnly = { ...read, tags: { 'eks-secret-sync:kms-endpoint': VPC } };
    expect(await through(vpcOnly, 'kms:Decrypt', { mappingId: 'private-a', purpose: 'secret-data' })).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await through({ ...read, tags: {} }, 'kms:Decrypt', { mappingId: 'private-a', purpose: 'secret-data' }),
    ).toBe('ImplicitlyDenied');
  });
});

describe('the lost-event sweep', () => {
  const sweepRole = () => {
    const id = Object.keys(core.resources).find((k) => /^SweepSweepSecretsRole[0-9A-F]{8}$/.test(k));
    return fleetRole(core, id!);
  };
  const ledgerArn = () =>
    core.arn(Object.keys(core.resources).find((k) => core.resources[k]!.Type === 'AWS::DynamoDB::Table')!);
  const sm = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
  const can = (role: { arn: string; identity: any[] }, action: string, resource: string, context = {}) =>
    allow({ principal: role.arn, action, resource, identity: role.identity, context });

  it("starts only the app's state machines (by its name prefix), never another app's", async () => {
    const role = sweepRole();
    for (const id of MAPPINGS)
      expect(await can(role, 'states:StartExecution', sm(`${rulePrefix(APP)}${id}`))).toBe('Allowed');
    expect(await can(role, 'states:StartExecution', sm('OtherApp-sync-x'))).toBe('ImplicitlyDenied');
    expect(await can(role, 'states:DeleteStateMachine', sm(`${rulePrefix(APP)}private-a`))).toBe('ImplicitlyDenied');
  });

  it('reads secret metadata (ListSecrets on *), never a value, and writes no secret', async () => {
    const role = sweepRole();
    expect(await can(role, 'secretsmanager:ListSecrets', '*')).toBe('Allowed');
    for (const action of ['GetSecretValue', 'DescribeSecret', 'PutSecretValue', 'UpdateSecretVersionStage'])
      expect(await can(role, `secretsmanager:${action}`, SECRET['private-a']), action).toBe('ImplicitlyDenied');
  });

  it("lets each fetch role put only its own mapping's ledger item; the sweep scans and annotates", async () => {
    const keys = (id: string) => ({ 'dynamodb:LeadingKeys': [id] });
    for (const id of MAPPINGS) {
      const role = stepRole(id, 'FetchSecret')!;
      expect(await can(role, 'dynamodb:PutItem', ledgerArn(), keys(id)), id).toBe('Allowed');
      const other = MAPPINGS.find((x) => x !== id)!;
      expect(await can(role, 'dynamodb:PutItem', ledgerArn(), keys(other)), id).toBe('ImplicitlyDenied');
      expect(await can(role, 'dynamodb:Scan', ledgerArn()), id).toBe('ImplicitlyDenied');
    }
    expect(await can(sweepRole(), 'dynamodb:Scan', ledgerArn())).toBe('Allowed');
    expect(await can(sweepRole(), 'dynamodb:PutItem', ledgerArn(), keys('private-a'))).toBe('ImplicitlyDenied');
  });

  it('positive control: a fetch role whose ledger statement lost its LeadingKeys condition writes any item', async () => {
    const role = stepRole('private-a', 'FetchSecret')!;
    const widened = {
      ...role,
      identity: [...role.identity, { Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*' }] }],
    };
    expect(await can(widened, 'dynamodb:PutItem', ledgerArn(), { 'dynamodb:LeadingKeys': ['multi-c'] })).toBe(
      'Allowed',
    );
  });
});
