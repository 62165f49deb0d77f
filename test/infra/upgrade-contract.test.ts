/**
 * The upgrade contract (issue 20): deploying today's app over a fleet deployed by a released version replaces and
 * removes nothing: no role, access entry, function, state machine, rule, log group, key, queue or alarm of an
 * unchanged mapping or of the shared core. Judged by CDK's own diff engine (`@aws-cdk/cloudformation-diff`) with
 * knock-on replacement, against the release snapshots in test/fixtures/releases/ (scripts/release-snapshot.ts).
 * Additions and in-place updates are allowed.
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
  readSnapshot,
  RELEASES_DIR,
  type ResourceChange,
  synthFleet,
} from '../support/contract.ts';

const RELEASES = readdirSync(RELEASES_DIR).sort();
const today = new Map<string, FleetTemplates>();
/** Today's templates of a fixture fleet, synthesized once per file. */
const now = (fleet: string) => {
  if (!today.has(fleet)) today.set(fleet, synthFleet(loadMappings(join(FIXTURE_FLEETS_DIR, `${fleet}.yaml`))));
  return today.get(fleet)!;
};
/** What the contract forbids: a replacement or a removal, as `stack/logicalId (type) change`. */
const broken = (changes: readonly ResourceChange[]) =>
  changes
    .filter((c) => c.change === 'replace' || c.change === 'remove')
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
      it(`replaces and removes nothing when ${release}'s ${fleet} fleet is upgraded to today`, () => {
        const changes = fleetChanges(readSnapshot(release, fleet), now(fleet));
        expect(broken(changes)).toStrictEqual([]);
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
      const found = broken(fleetChanges(release(), after));
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
        broken(fleetChanges(release(), renamed)).some((f) => f.includes('(AWS::StepFunctions::StateMachine) replace')),
      ).toBe(true);
      expect(broken(fleetChanges(release(), removed))).toContain(`Ten/${rule} (AWS::Events::Rule) remove`);
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
      expect(broken(changes)).toStrictEqual([]);
      expect(changes.map((c) => `${c.type} ${c.change}`).sort()).toStrictEqual([
        'AWS::CloudWatch::Alarm add',
        'AWS::EKS::AccessEntry update',
        'AWS::KMS::Grant add',
        'AWS::KMS::Key update',
      ]);
    }, 120_000);
  });
});
