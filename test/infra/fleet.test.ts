import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CfnResource } from 'aws-cdk-lib';
import { createApp, type SyncApp } from '../../infra/app.ts';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/lambda-defaults.ts';
import { MappingsError, parseMappings } from '../../infra/model/config.ts';
import { DEFAULT_MAPPINGS_PER_STACK, MAX_MAPPINGS_PER_STACK } from '../../infra/model/config-schema.ts';
import {
  defaultBusRules,
  DEFAULT_RULES_PER_BUS_QUOTA,
  rulesQuotaWarning,
  splitFleet,
} from '../../infra/model/fleet.ts';
import { rolePath } from '../../infra/model/resource-names.ts';
import type { PlacementRecord } from '../../infra/model/placement.ts';
import { MAX_KEY_POLICY_BYTES, MAX_STACK_OUTPUTS, MAX_STACK_RESOURCES } from '../../infra/constructs/stack-limits.ts';
import { fleetMappingId, fleetYaml, type FleetKind } from '../support/fleet.ts';
import { ALARM_IDS } from '../support/alarms.ts';

/** A mappings file of `n` mappings, with `stack.mappingsPerStack` when given. */
function fleet(n: number, kind: FleetKind, perStack?: number) {
  const text = fleetYaml(n, kind);
  return parseMappings(
    perStack === undefined ? text : text.replace('  name: Fleet\n', `  name: Fleet\n  mappingsPerStack: ${perStack}\n`),
    'fleet.yaml',
  );
}

interface Template {
  Resources: Record<string, { Type: string; Properties?: any }>;
  Outputs?: Record<string, unknown>;
}

/** Synthesizes every stack of the app; the templates by stack name, and their size as written. */
function synthAll(n: number, kind: FleetKind, perStack?: number, record?: PlacementRecord) {
  const outdir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-fleet-'));
  try {
    const built: SyncApp = createApp(fleet(n, kind, perStack), { outdir, stackTraces: false }, record);
    const assembly = built.app.synth();
    const templates = Object.fromEntries(
      built.stacks.map((s) => [s.stackName, assembly.getStackByName(s.stackName).template as Template]),
    );
    return { built, templates };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Resources of the core's shared parts (with one cluster lookup), of a plain mapping and of the largest one: what
 * the synths below prove, and what docs/deploy.md#limits states (checked at the end of this file).
 */
const SHARED_RESOURCES = 52;
const PLAIN_RESOURCES = 19;
const LARGEST_RESOURCES = 25;
/**
 * Resources of one step function of a mapping with a role of its own (function, role, role policy, log group): a
 * new function kind's cost, as fetch-secret's.
 */
const FUNCTION_RESOURCES = 4;
/**
 * Resources of one Kubernetes function of a mapping (function, log group): it runs with the mapping's Kubernetes
 * identity, the role the Kubernetes functions share (`MintToken/Role`), so it adds no role.
 */
const KUBERNETES_FUNCTION_RESOURCES = 2;
/** The most of the largest mappings one stack holds within CloudFormation's 500 resources. */
const LARGEST_FIT = Math.floor((MAX_STACK_RESOURCES - SHARED_RESOURCES) / LARGEST_RESOURCES);

const OVER_LIMIT = (n: number, kind: FleetKind, shared: number, perMapping: number, fits: number) =>
  `stack Fleet: mapping ${fleetMappingId(kind, fits)} does not fit: the stack's ${n} mappings make ` +
  `${shared + n * perMapping} CloudFormation resources (${shared} shared, up to ${perMapping} per mapping; at most ` +
  `${MAX_STACK_RESOURCES}). A stack ` +
  `holds at most ${fits} such mappings. Set stack.mappingsPerStack in fleet.yaml to at most ${fits}: the app then ` +
  `makes one stack per ${fits} mappings (deploy them all with npx cdk deploy --all).`;

describe('the stacks of a mappings file', () => {
  it('are one per stack.mappingsPerStack mappings in file order, the first keeping stack.name', () => {
    const stacks = splitFleet(fleet(2 * DEFAULT_MAPPINGS_PER_STACK + 1, 'plain'));
    expect(stacks.map((s) => [s.stackName, s.mappings.length])).toStrictEqual([
      ['Fleet', DEFAULT_MAPPINGS_PER_STACK],
      ['Fleet-2', DEFAULT_MAPPINGS_PER_STACK],
      ['Fleet-3', 1],
    ]);
    expect(stacks[1]!.mappings[0]!.id).toBe(fleetMappingId('plain', DEFAULT_MAPPINGS_PER_STACK));
  });

  it('refuse a stack.name that the numbered stacks would make too long, saying how long it may be', () => {
    const config = fleet(DEFAULT_MAPPINGS_PER_STACK + 1, 'plain');
    const name = `F${'x'.repeat(127)}`;
    expect(() => splitFleet({ ...config, stack: { ...config.stack, name } })).toThrow(
      new MappingsError('fleet.yaml', [
        `stack.name: "${name}" is 128 characters; its ${DEFAULT_MAPPINGS_PER_STACK + 1} mappings make 2 stacks, ` +
          `the last named ${name}-2 (130 characters, more than the 128 CloudFormation allows): shorten stack.name ` +
          'to at most 126 characters',
      ]),
    );
  });

  it('refuse a stack.mappingsPerStack over what a stack can hold, naming the field', () => {
    expect(() => fleet(1, 'plain', MAX_MAPPINGS_PER_STACK + 1)).toThrow(
      `stack.mappingsPerStack: ${MAX_MAPPINGS_PER_STACK + 1} is more than a stack can hold (500 CloudFormation ` +
        `resources); expected 1 to ${MAX_MAPPINGS_PER_STACK}`,
    );
  });
});

describe("the default bus's rule quota", () => {
  it('is passed by 300 plain mappings with one rule each only past 300, and the warning says what to raise', () => {
    expect(rulesQuotaWarning(fleet(DEFAULT_RULES_PER_BUS_QUOTA, 'plain'))).toBeUndefined();
    expect(rulesQuotaWarning(fleet(DEFAULT_RULES_PER_BUS_QUOTA + 1, 'plain'))).toBe(
      'fleet.yaml: its 301 mappings make 301 EventBridge rules on the default bus, more than the default quota of ' +
        '300 rules per bus: raise the quota of rules per event bus (Service Quotas, Amazon EventBridge) to at least ' +
        "301 plus the account's other rules on that bus before deploying",
    );
  });

  it('counts three rules for a mapping with cloudTrailRules and resyncSchedule', () => {
    expect(defaultBusRules(fleet(100, 'largest'))).toBe(300);
    expect(rulesQuotaWarning(fleet(101, 'largest'))).toContain('its 101 mappings make 303 EventBridge rules');
  });
});

describe('the limits of one stack', () => {
  it(`hold ${DEFAULT_MAPPINGS_PER_STACK} of the largest mappings (the default per stack) within every limit`, () => {
    const { templates } = synthAll(DEFAULT_MAPPINGS_PER_STACK, 'largest');
    const t = templates.Fleet!;
    expect(Object.keys(templates)).toStrictEqual(['Fleet']);
    expect(Object.keys(t.Resources).length).toBeLessThanOrEqual(MAX_STACK_RESOURCES);
    expect(Object.keys(t.Outputs ?? {}).length).toBeLessThanOrEqual(MAX_STACK_OUTPUTS);
    // One step function's resources, in every mapping (its construct id is in their logical ids): fetch-secret's
    // with its own role, read-secret's with the shared identity (whose role and policy are MintToken's, 2 a mapping).
    const of = (construct: string) => Object.keys(t.Resources).filter((id) => id.includes(construct));
    expect(of('FetchSecret')).toHaveLength(FUNCTION_RESOURCES * DEFAULT_MAPPINGS_PER_STACK);
    expect(of('ReadSecret')).toHaveLength(KUBERNETES_FUNCTION_RESOURCES * DEFAULT_MAPPINGS_PER_STACK);
    expect(of('MintToken')).toHaveLength(2 * DEFAULT_MAPPINGS_PER_STACK);
    expect(Object.keys(t.Resources)).toHaveLength(SHARED_RESOURCES + LARGEST_RESOURCES * DEFAULT_MAPPINGS_PER_STACK);
    const key = Object.values(t.Resources).find((r) => r.Type === 'AWS::KMS::Key')!;
    expect(JSON.stringify(key.Properties.KeyPolicy).length).toBeLessThanOrEqual(MAX_KEY_POLICY_BYTES);
    // The template as cdk writes it: CloudFormation takes at most 1 MB through S3.
    expect(JSON.stringify(t, undefined, 1).length).toBeLessThan(1_000_000);
  }, 120_000);

  it(`hold ${LARGEST_FIT} of the largest in a stack at most: synth refuses one more (a placement record that kept them in one stack), naming the mapping that does not fit`, () => {
    // stack.mappingsPerStack (at most MAX_MAPPINGS_PER_STACK) no longer lets a stack reach the limit with the largest
    // mappings: a placement record that holds more in one stack (written by hand) still meets the synth's check.
    expect(MAX_MAPPINGS_PER_STACK).toBeLessThan(LARGEST_FIT);
    const n = LARGEST_FIT + 1;
    const ids = Array.from({ length: n }, (_, i) => fleetMappingId('largest', i));
    expect(() => synthAll(n, 'largest', MAX_MAPPINGS_PER_STACK, { stacks: { Fleet: ids } })).toThrow(
      // 23 resources of its own and the KMS endpoint and its security group of its own VPC; the core's 36 shared
      // resources (key, queues, redrive, alarms, dashboard, execution logs and filters, the cluster lookup), the
      // seal grantor (function, role, policy, log group), the stack's seal grants, the admin-changes rule and the
      // lost-event sweep's 9 (ledger, function, role, policy, log group, schedule, its permission, behind and failing
      // alarms).
      OVER_LIMIT(n, 'largest', SHARED_RESOURCES, LARGEST_RESOURCES, LARGEST_FIT),
    );
  }, 240_000);

  it(`hold ${MAX_MAPPINGS_PER_STACK} plain mappings, the most stack.mappingsPerStack allows`, () => {
    const { templates } = synthAll(MAX_MAPPINGS_PER_STACK + 1, 'plain', MAX_MAPPINGS_PER_STACK);
    expect(Object.keys(templates)).toStrictEqual(['Fleet', 'Fleet-2']);
    // The core: its 15 mappings (19 resources each, the one shared execution log group) and the shared parts.
    expect(Object.keys(templates.Fleet!.Resources)).toHaveLength(
      SHARED_RESOURCES + PLAIN_RESOURCES * MAX_MAPPINGS_PER_STACK,
    );
    // The next stack holds mappings only: one here, with its own custom-resource provider and role, and its grants.
    expect(Object.keys(templates['Fleet-2']!.Resources)).toHaveLength(4 + PLAIN_RESOURCES);
  }, 120_000);
});

describe('least privilege over an app of two stacks', () => {
  const n = DEFAULT_MAPPINGS_PER_STACK + 2;
  const ids = Array.from({ length: n }, (_, i) => fleetMappingId('plain', i));
  /** The mapping ids a piece of template names (its secret ARN, encryption context, Kubernetes group). */
  const mappingsIn = (x: unknown) => {
    const text = JSON.stringify(x);
    return ids.filter((id) => new RegExp(`\\b${id}(?!\\d)`).test(text));
  };
  const reachesSecrets = (st: unknown) =>
    [(st as { Action?: string | string[] }).Action ?? []].flat().some((a) => /^(secretsmanager|kms|eks):/.test(a));
  let templates: Record<string, Template>;

  it('spreads the mappings over two stacks', () => {
    ({ templates } = synthAll(n, 'plain'));
    expect(Object.keys(templates)).toStrictEqual(['Fleet', 'Fleet-2']);
  }, 120_000);

  it('has a checker that finds a statement over two secrets (positive control)', () => {
    const planted = {
      Action: 'secretsmanager:GetSecretValue',
      Resource: [ids[1], ids[11]].map((id) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/${id}-AbCdEf`),
    };
    expect(reachesSecrets(planted)).toBe(true);
    expect(mappingsIn(planted)).toStrictEqual([ids[1], ids[11]]);
  });

  it('gives no role a secret, KMS or EKS permission over two mappings', () => {
    let roles = 0;
    for (const t of Object.values(templates)) {
      const byRole = new Map<string, unknown[]>();
      for (const r of Object.values(t.Resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
        for (const role of r.Properties.Roles as { Ref: string }[])
          byRole.set(role.Ref, [...(byRole.get(role.Ref) ?? []), ...r.Properties.PolicyDocument.Statement]);
      }
      for (const [role, statements] of byRole) {
        roles++;
        expect(mappingsIn(statements.filter(reachesSecrets)).length, role).toBeLessThanOrEqual(1);
      }
    }
    // Each mapping's fetch role, Kubernetes identity, state machine role and events role, and the shared ones.
    expect(roles).toBeGreaterThan(4 * n);
  });

  const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': '111122223333' };
  /** Whether a principal ARN matches an IAM `ArnLike` pattern (`*` any run of characters, `?` one). */
  const arnLike = (pattern: string, arn: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(arn);
  it('has a role-path matcher that refuses a role outside the path (positive control)', () => {
    const pattern = `arn:aws:iam::111122223333:role${rolePath('Fleet')}*`;
    expect(arnLike(pattern, `arn:aws:iam::111122223333:role${rolePath('Fleet')}Fleet-2-MintRole-X`)).toBe(true);
    expect(arnLike(pattern, 'arn:aws:iam::111122223333:role/Fleet-MintRole-X')).toBe(false);
    expect(arnLike(pattern, `arn:aws:iam::111122223333:role${rolePath('Other')}MintRole-X`)).toBe(false);
    expect(arnLike(pattern, `arn:aws:iam::444455556666:role${rolePath('Fleet')}MintRole-X`)).toBe(false);
  });

  it('has one seal key, in the first stack, whose policy names no mapping and lets no role use it', () => {
    const keys = Object.entries(templates).flatMap(([name, t]) =>
      Object.values(t.Resources)
        .filter((r) => r.Type === 'AWS::KMS::Key')
        .map((r) => [name, r] as const),
    );
    expect(keys.map(([name]) => name)).toStrictEqual(['Fleet']);
    const others = keys[0]![1].Properties.KeyPolicy.Statement.filter((st: any) => st.Sid !== 'AccountAdministersOnly');
    // Only the core's grantor, and only CreateGrant for roles under the app's path.
    expect(others.map((st: any) => [st.Sid, st.Action])).toStrictEqual([
      ['GrantorCreatesSealGrantsOnly', 'kms:CreateGrant'],
    ]);
    for (const st of others) {
      expect(mappingsIn(st)).toStrictEqual([]);
      const pattern = (st.Condition.StringLike['kms:GranteePrincipal']['Fn::Join'][1] as unknown[])
        .map((p) => (typeof p === 'string' ? p : PSEUDO[(p as { Ref: string }).Ref]))
        .join('');
      expect(pattern).toBe(`arn:aws:iam::111122223333:role${rolePath('Fleet')}*`);
      expect(arnLike(pattern, 'arn:aws:iam::111122223333:role/Fleet-2-MintRole-X')).toBe(false);
    }
    // Each stack holds the grants of its own roles, for its own mappings.
    for (const [name, t] of Object.entries(templates)) {
      const [grants] = Object.values(t.Resources).filter((r) => r.Type === 'Custom::EksSecretSyncSealGrants');
      for (const g of grants!.Properties.Grants) {
        expect(mappingsIn(g), `${name} ${g.Name}`).toStrictEqual([g.EncryptionContext.mappingId]);
        expect(t.Resources[g.GranteePrincipal['Fn::GetAtt'][0]]!.Type).toBe('AWS::IAM::Role');
      }
    }
  });

  it('puts every function role of both stacks under the path the key admits, and each access entry one group', () => {
    let functions = 0;
    for (const t of Object.values(templates)) {
      for (const fn of Object.values(t.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
        const role = t.Resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
        // CDK's custom-resource provider (deploy-time StartExecution) holds no seal permission and keeps its role.
        if ((fn as { Metadata?: Record<string, unknown> }).Metadata?.[FUNCTION_METADATA_KEY] === undefined) continue;
        expect(role.Properties.Path, JSON.stringify(fn.Properties.Description)).toBe(rolePath('Fleet'));
        functions++;
      }
      for (const e of Object.values(t.Resources).filter((r) => r.Type === 'AWS::EKS::AccessEntry')) {
        expect(e.Properties.KubernetesGroups).toHaveLength(1);
        expect(mappingsIn(e.Properties.KubernetesGroups)).toHaveLength(1);
      }
    }
    // Each mapping's fetch-secret, read-secret and apply-secret, and the shared functions.
    expect(functions).toBeGreaterThan(3 * n);
  });
});

describe('the shared parts of an app', () => {
  /** The app's construct tree only (no bundling, no synth): cheap at 40 mappings. */
  const built = (n: number) => createApp(fleet(n, 'plain'), { context: { 'aws:cdk:bundling-stacks': [] } });
  const ofType = (app: SyncApp, type: string) =>
    app.stacks.flatMap((st) => st.node.findAll().filter((c) => c instanceof CfnResource && c.cfnResourceType === type));

  it('keep the same key policy, alarms, dashboards, queues and metric filters for 1 and 40 mappings', () => {
    const [one, forty] = [built(1), built(40)];
    expect(forty.stacks.length).toBe(Math.ceil(40 / DEFAULT_MAPPINGS_PER_STACK));
    const policy = (app: SyncApp) =>
      JSON.stringify(app.stack.resolve((app.stack.sealKey.node.defaultChild as CfnResource & any).keyPolicy)).length;
    expect(policy(forty)).toBe(policy(one));
    for (const type of [
      'AWS::KMS::Key',
      'AWS::CloudWatch::Alarm',
      'AWS::CloudWatch::Dashboard',
      'AWS::SQS::Queue',
      'AWS::Logs::MetricFilter',
      'AWS::SNS::Topic',
    ]) {
      expect(ofType(forty, type).length, type).toBe(ofType(one, type).length);
    }
    expect(ofType(forty, 'AWS::CloudWatch::Alarm').length).toBe(ALARM_IDS.length);
    // Every stack's mappings log to the core's one execution log group and fail into its one DLQ; the mapping
    // stacks depend on the core (deployed first), never the other way round.
    forty.app.synth({ validateOnSynthesis: false, skipValidation: true });
    for (const st of forty.stacks.slice(1)) expect(st.dependencies).toStrictEqual([forty.stack]);
    expect(forty.stack.dependencies).toStrictEqual([]);
    for (const st of forty.stacks) {
      for (const m of Object.values(st.mappings)) {
        expect(m.stateMachine.stateMachine.node.path.startsWith(st.node.path)).toBe(true);
      }
      expect(st.sync.deadLetterQueue).toBe(forty.stack.deadLetterQueue);
      expect(st.sync.executionLogGroup).toBe(forty.stack.sync.executionLogGroup);
    }
  });
});

/**
 * The resource counts docs/deploy.md#limits states (the limits table's resources row, and the example refusal of
 * the default plus one largest mappings) that differ from the ones the synths above prove, one line each.
 */
function limitsProse(text: string): string[] {
  const problems: string[] = [];
  const row = /^\s*\| 500 resources per stack \|[^|]*\| (\d+) \| (\d+)\b[^|]*\| (\d+) \|/m.exec(text);
  if (row === null) return ['the limits table has no row "500 resources per stack"'];
  const [plain, largest, shared] = row.slice(1).map(Number);
  if (plain !== PLAIN_RESOURCES) problems.push(`a plain mapping adds ${plain}, not ${PLAIN_RESOURCES}`);
  if (largest !== LARGEST_RESOURCES) problems.push(`the largest mapping adds ${largest}, not ${LARGEST_RESOURCES}`);
  if (shared !== SHARED_RESOURCES) problems.push(`shared ${shared}, not ${SHARED_RESOURCES}`);
  // The refusal the synth above proves: one largest mapping more than a stack holds.
  const n = LARGEST_FIT + 1;
  const example = /(\d+) mappings make (\d+) CloudFormation resources \((\d+)\s+shared, up to (\d+) per mapping/.exec(
    text,
  );
  const want = [n, SHARED_RESOURCES + n * LARGEST_RESOURCES, SHARED_RESOURCES, LARGEST_RESOURCES];
  if (example === null) problems.push('no example refusal ("<n> mappings make <m> CloudFormation resources")');
  else if (example.slice(1).map(Number).join() !== want.join())
    problems.push(`the example refusal says ${example.slice(1).join(', ')}, the code ${want.join(', ')}`);
  const fits = Math.floor((MAX_STACK_RESOURCES - SHARED_RESOURCES) / PLAIN_RESOURCES);
  const fitsLargest = Math.floor((MAX_STACK_RESOURCES - SHARED_RESOURCES) / LARGEST_RESOURCES);
  const holds = /core stack holds (\d+) plain mappings or (\d+) of the largest/.exec(text);
  if (holds === null || Number(holds[1]) !== fits || Number(holds[2]) !== fitsLargest)
    problems.push(`the core stack holds ${fits} plain mappings or ${fitsLargest} of the largest`);
  return problems;
}

/**
 * The headroom docs/architecture.md#how-to-add-a-step states for a new function kind (its resources per mapping,
 * the default placement's total, how many of the largest mappings would fit), against the counts above.
 */
function headroomProse(text: string): string[] {
  const words = [
    'adds (\\d+) resources to every mapping[\\s\\S]*?holds (\\d+) shared \\+ (\\d+) × (\\d+) = (\\d+) of (\\d+)',
    'resources[\\s\\S]*?at (\\d+) resources each, (?:only )?(\\d+) of the largest fit',
  ];
  // The sentence may wrap anywhere: a space in the pattern is any run of white space.
  const m = new RegExp(words.join(' ').replaceAll(' ', '\\s+')).exec(text);
  if (m === null) return ['no sentence "adds <n> resources to every mapping ... holds <s> shared + <n> × <m> = ..."'];
  const fits = Math.floor((MAX_STACK_RESOURCES - SHARED_RESOURCES) / (LARGEST_RESOURCES + FUNCTION_RESOURCES));
  const want = [
    FUNCTION_RESOURCES,
    SHARED_RESOURCES,
    DEFAULT_MAPPINGS_PER_STACK,
    LARGEST_RESOURCES,
    SHARED_RESOURCES + DEFAULT_MAPPINGS_PER_STACK * LARGEST_RESOURCES,
    MAX_STACK_RESOURCES,
    LARGEST_RESOURCES + FUNCTION_RESOURCES,
    fits,
  ];
  const said = m.slice(1).map(Number);
  return said.join() === want.join() ? [] : [`architecture.md says ${said.join(', ')}, the code ${want.join(', ')}`];
}

describe('docs/architecture.md#how-to-add-a-step', () => {
  const architecture = readFileSync(join(import.meta.dirname, '../../docs/architecture.md'), 'utf8');

  it("states a new function kind's resources and the default placement's headroom as the synths prove them", () => {
    expect(headroomProse(architecture)).toStrictEqual([]);
  });

  it('finds a number that drifts (control: the largest mapping of before the VPC endpoint)', () => {
    const planted = architecture.replace(` × ${LARGEST_RESOURCES} = `, ' × 35 = ');
    expect(planted).not.toBe(architecture);
    expect(headroomProse(planted)).toStrictEqual([
      expect.stringContaining(`says ${FUNCTION_RESOURCES}, ${SHARED_RESOURCES}, ${DEFAULT_MAPPINGS_PER_STACK}, 35,`),
    ]);
  });
});

describe('docs/deploy.md#limits', () => {
  const deploy = readFileSync(join(import.meta.dirname, '../../docs/deploy.md'), 'utf8');

  it('states the resources the synths prove: per mapping, shared, and how many mappings fit', () => {
    expect(limitsProse(deploy)).toStrictEqual([]);
  });

  it('finds a count that drifts (control: the shared count of before the sweep)', () => {
    const planted = deploy.replace(`| ${SHARED_RESOURCES} |`, '| 36 |');
    expect(planted).not.toBe(deploy);
    expect(limitsProse(planted)).toStrictEqual([`shared 36, not ${SHARED_RESOURCES}`]);
  });
});
