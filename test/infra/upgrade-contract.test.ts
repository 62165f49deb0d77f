/**
 * The upgrade contract (issue 20): deploying today's app over a fleet deployed by a released version replaces
 * nothing and removes nothing but what a release removed on purpose ({@link DELIBERATE_REMOVALS}): no role, access
 * entry, function, state machine, rule, log group, key, queue or alarm of an unchanged mapping or of the shared core.
 * Judged by CDK's own diff engine (`@aws-cdk/cloudformation-diff`) with knock-on replacement, against the release
 * snapshots in test/fixtures/releases/ (scripts/release-snapshot.ts). Additions and in-place updates are allowed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMappings } from '../../infra/model/config.ts';
import {
  type CfnTemplate,
  FIXTURE_FLEETS_DIR,
  type FleetTemplates,
  fleetChanges,
  mappingOf,
  readSnapshot,
  RELEASES_DIR,
  type ResourceChange,
  synthFleet,
} from '../support/contract.ts';

/**
 * What a release removed on purpose, per mapping: the resource type and the logical id after `Mapping<id>`. Issue
 * 22 (the token signed where it is used, the plan made by read-secret): the mint-token function and its log group
 * (its role stays: the Kubernetes identity, `MintToken/Role`, now the Kubernetes functions' shared role), the
 * plan-merge function with its role, policy and log group, and the own roles of read-secret, apply-secret and
 * restart-workloads with their policies. (The `eks-token` seal grants were entries of the stack's grants resource,
 * not resources: the grants resource's update revokes them; see 'today's seal grants' below.) Never a replacement.
 */
const DELIBERATE_REMOVALS: readonly { readonly type: string; readonly id: RegExp }[] = [
  { type: 'AWS::Lambda::Function', id: /^MintTokenFunction[0-9A-F]{8}$/ },
  { type: 'AWS::Logs::LogGroup', id: /^MintTokenLogs[0-9A-F]{8}$/ },
  { type: 'AWS::Lambda::Function', id: /^PlanMergeFunction[0-9A-F]{8}$/ },
  { type: 'AWS::Logs::LogGroup', id: /^PlanMergeLogs[0-9A-F]{8}$/ },
  { type: 'AWS::IAM::Role', id: /^PlanMergeRole[0-9A-F]{8}$/ },
  { type: 'AWS::IAM::Policy', id: /^PlanMergeRoleDefaultPolicy[0-9A-F]{8}$/ },
  ...(['ReadSecret', 'ApplySecret', 'RestartWorkloads'] as const).flatMap((step) => [
    { type: 'AWS::IAM::Role', id: new RegExp(`^${step}Role[0-9A-F]{8}$`) },
    { type: 'AWS::IAM::Policy', id: new RegExp(`^${step}RoleDefaultPolicy[0-9A-F]{8}$`) },
  ]),
];

/** The mapping ids of a fixture fleet. */
const mappingIds = (fleet: string) => loadMappings(join(FIXTURE_FLEETS_DIR, `${fleet}.yaml`)).mappings.map((m) => m.id);

/** Whether a change is a removal {@link DELIBERATE_REMOVALS} names, of a resource of one of `ids`' mappings. */
function deliberate(c: ResourceChange, ids: readonly string[]): boolean {
  const mapping = mappingOf(c.logicalId, ids);
  if (c.change !== 'remove' || mapping === undefined) return false;
  const rest = c.logicalId.slice(`Mapping${mapping.replaceAll('-', '')}`.length);
  return DELIBERATE_REMOVALS.some((d) => d.type === c.type && d.id.test(rest));
}

const RELEASES = readdirSync(RELEASES_DIR).sort();
const today = new Map<string, FleetTemplates>();
/** Today's templates of a fixture fleet, synthesized once per file. */
const now = (fleet: string) => {
  if (!today.has(fleet)) today.set(fleet, synthFleet(loadMappings(join(FIXTURE_FLEETS_DIR, `${fleet}.yaml`))));
  return today.get(fleet)!;
};
/**
 * What the contract forbids: a replacement, or a removal no release made on purpose, as
 * `stack/logicalId (type) change`.
 */
const broken = (changes: readonly ResourceChange[], ids: readonly string[]) =>
  changes
    .filter((c) => (c.change === 'replace' || c.change === 'remove') && !deliberate(c, ids))
    .map((c) => `${c.stack}/${c.logicalId} (${c.type}) ${c.change}${c.knockOn ? ' (knock-on)' : ''}`);

/** A copy of the templates with `edit` applied to the first resource of `type` in `stack`. */
function planted(
  templates: FleetTemplates,
  stack: string,
  type: string,
  edit: (r: CfnTemplate['Resources'][string], t: CfnTemplate, id: string) => void,
) {
  const copy = structuredClone(templates);
  const t = copy[stack]!;
  const [id, r] = Object.entries(t.Resources).find(([, x]) => x.Type === type)!;
  edit(r, t, id);
  return copy;
}

describe('the upgrade contract', () => {
  it('has release snapshots of every fixture fleet', () => {
    expect(RELEASES).toContain('0.1.0-794ea30');
    for (const release of RELEASES)
      expect(readdirSync(join(RELEASES_DIR, release)).sort()).toStrictEqual(
        readdirSync(FIXTURE_FLEETS_DIR)
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => f.slice(0, -5))
          .sort(),
      );
  });

  for (const release of RELEASES) {
    for (const fleet of readdirSync(join(RELEASES_DIR, release))) {
      it(`replaces nothing and removes only the deliberate removals when ${release}'s ${fleet} fleet is upgraded to today`, () => {
        const before = readSnapshot(release, fleet);
        const ids = mappingIds(fleet);
        const changes = fleetChanges(before, now(fleet));
        expect(broken(changes, ids)).toStrictEqual([]);
        // Exactly the deliberate removals: every resource of the release they name is removed, nothing else.
        const named = Object.entries(before).flatMap(([stack, t]) =>
          Object.entries(t.Resources)
            .filter(([id, r]) =>
              deliberate({ stack, logicalId: id, type: r.Type, change: 'remove', knockOn: false }, ids),
            )
            .map(([id]) => `${stack}/${id}`),
        );
        const removed = changes.filter((c) => c.change === 'remove').map((c) => `${c.stack}/${c.logicalId}`);
        expect(removed.sort()).toStrictEqual(named.sort());
        // Per mapping: the mint-token function and logs, plan-merge's four, read's and apply's role and policy (10),
        // and restart's role and policy when the mapping restarts workloads (12).
        const resources = Object.values(before).flatMap((t) => Object.keys(t.Resources));
        const restarts = (id: string) =>
          resources.some((k) => k.startsWith(`Mapping${id.replaceAll('-', '')}RestartWorkloadsRole`));
        const perMapping = new Map<string, number>();
        for (const c of changes.filter((x) => x.change === 'remove')) {
          const id = mappingOf(c.logicalId, ids)!;
          perMapping.set(id, (perMapping.get(id) ?? 0) + 1);
        }
        for (const id of ids) expect(perMapping.get(id), id).toBe(restarts(id) ? 12 : 10);
        expect(perMapping.size).toBe(ids.length);
        // The Kubernetes identity keeps its logical id and is updated in place (the access entries name its ARN).
        const identities = changes.filter((c) => /MintTokenRole[0-9A-F]{8}$/.test(c.logicalId));
        expect(identities.length).toBe(ids.length);
        expect(new Set(identities.map((c) => `${c.type} ${c.change}`))).toStrictEqual(
          new Set(['AWS::IAM::Role update']),
        );
      }, 120_000);
    }
  }

  describe('its checker (positive controls on the ten-mapping fleet)', () => {
    // Planted on today's synth and diffed against it, so the controls measure the checker, not this release's changes.
    const release = () => now('ten');

    it('finds a replaced role (its Path) and what replaces in turn: the access entry naming its ARN', () => {
      const after = structuredClone(now('ten'));
      const t = after['Ten-2']!;
      const entry = Object.values(t.Resources).find((r) => r.Type === 'AWS::EKS::AccessEntry')!;
      const role = (entry.Properties!.PrincipalArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      t.Resources[role]!.Properties!.Path = '/elsewhere/';
      const found = broken(fleetChanges(release(), after), mappingIds('ten'));
      expect(role).toMatch(/MintTokenRole[0-9A-F]{8}$/);
      expect(found).toContain(`Ten-2/${role} (AWS::IAM::Role) replace`);
      expect(found.some((f) => /\(AWS::EKS::AccessEntry\) replace \(knock-on\)$/.test(f))).toBe(true);
    }, 120_000);

    it('finds a renamed state machine and a removed rule', () => {
      let rule = '';
      const renamed = planted(now('ten'), 'Ten', 'AWS::StepFunctions::StateMachine', (r) => {
        r.Properties!.StateMachineName = 'Ten-renamed';
      });
      const removed = planted(now('ten'), 'Ten', 'AWS::Events::Rule', (_r, t, id) => {
        rule = id;
        delete t.Resources[id];
      });
      expect(
        broken(fleetChanges(release(), renamed), mappingIds('ten')).some((f) =>
          f.includes('(AWS::StepFunctions::StateMachine) replace'),
        ),
      ).toBe(true);
      expect(broken(fleetChanges(release(), removed), mappingIds('ten'))).toContain(
        `Ten/${rule} (AWS::Events::Rule) remove`,
      );
    }, 120_000);

    it('finds a removal the deliberate list does not name: the identity role, a function, a log group of a kept function', () => {
      const gone: string[] = [];
      let after = release();
      for (const pattern of [
        /MintTokenRole[0-9A-F]{8}$/,
        /ReadSecretFunction[0-9A-F]{8}$/,
        /ApplySecretLogs[0-9A-F]{8}$/,
      ]) {
        after = structuredClone(after);
        const id = Object.keys(after.Ten!.Resources).find((k) => k.startsWith('Mapping') && pattern.test(k))!;
        delete after.Ten!.Resources[id];
        gone.push(id);
      }
      const found = broken(fleetChanges(release(), after), mappingIds('ten'));
      for (const id of gone)
        expect(
          found.some((f) => f.startsWith(`Ten/${id} `) && f.endsWith(' remove')),
          id,
        ).toBe(true);
      // And a resource named like a deliberate removal but of another type, or outside any mapping, is not let through.
      expect(
        deliberate(
          {
            stack: 'Ten',
            logicalId: 'MappingaMintTokenFunction0A1B2C3D',
            type: 'AWS::IAM::Role',
            change: 'remove',
            knockOn: false,
          },
          ['a'],
        ),
      ).toBe(false);
      expect(
        deliberate(
          {
            stack: 'Ten',
            logicalId: 'OtherMintTokenFunction0A1B2C3D',
            type: 'AWS::Lambda::Function',
            change: 'remove',
            knockOn: false,
          },
          ['a'],
        ),
      ).toBe(false);
      expect(
        deliberate(
          {
            stack: 'Ten',
            logicalId: 'MappingaMintTokenFunction0A1B2C3D',
            type: 'AWS::Lambda::Function',
            change: 'replace',
            knockOn: false,
          },
          ['a'],
        ),
      ).toBe(false);
    }, 120_000);

    it('lets through what upgrades may do: a key policy statement, a new grant and alarm, new access entry groups', () => {
      let after = planted(now('ten'), 'Ten', 'AWS::KMS::Key', (r) => {
        (r.Properties!.KeyPolicy as { Statement: unknown[] }).Statement.push({
          Sid: 'Planted',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        });
      });
      after = planted(after, 'Ten', 'AWS::EKS::AccessEntry', (r, t, id) => {
        r.Properties!.KubernetesGroups = ['eks-secret-sync:planted', 'eks-secret-sync:other'];
        t.Resources.PlantedGrant = {
          Type: 'AWS::KMS::Grant',
          Properties: {
            KeyId: { Ref: 'SealKey' },
            GranteePrincipal: { 'Fn::GetAtt': [id, 'AccessEntryArn'] },
            Operations: ['Decrypt'],
          },
        };
        t.Resources.PlantedAlarm = {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, Threshold: 0 },
        };
      });
      const changes = fleetChanges(release(), after);
      expect(broken(changes, mappingIds('ten'))).toStrictEqual([]);
      expect(changes.map((c) => `${c.type} ${c.change}`).sort()).toStrictEqual([
        'AWS::CloudWatch::Alarm add',
        'AWS::EKS::AccessEntry update',
        'AWS::KMS::Grant add',
        'AWS::KMS::Key update',
      ]);
    }, 120_000);
  });

  describe("today's seal grants", () => {
    it("name no eks-token purpose: each mapping's fetch role seals and its Kubernetes identity opens secret data", () => {
      const grants = Object.values(now('ten')).flatMap((t) =>
        Object.values(t.Resources)
          .filter((r) => r.Type === 'Custom::EksSecretSyncSealGrants')
          .flatMap((r) => r.Properties!.Grants as { Name: string; Operations: string[]; EncryptionContext: any }[]),
      );
      expect(grants.length).toBe(2 * mappingIds('ten').length);
      expect(new Set(grants.map((g) => g.EncryptionContext.purpose))).toStrictEqual(new Set(['secret-data']));
      expect(new Set(grants.map((g) => `${g.Name.split('/')[2]} ${g.Operations.join(',')}`))).toStrictEqual(
        new Set(['FetchSecret GenerateDataKey', 'MintToken Decrypt']),
      );
    });
  });
});
