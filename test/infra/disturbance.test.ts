/**
 * Edits that disturb nothing (issue 20): a 33-mapping fleet over 3 clusters and 3 stacks, edited as people do;
 * each edit's deploy, judged by CDK's diff engine with knock-on replacement, touches only the edited mapping, and
 * shared parts change in place at most. The same for a fleet whose clusters are looked up at deploy time, whose
 * lookups (`Cluster<n>`) keep their numbers from the placement record. And concurrent deploys
 * (`cdk deploy --all --concurrency 4`): no two stacks create one physical name, and no name leaves one stack for
 * another in one deploy.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMappings, MappingsError } from '../../infra/model/config.ts';
import { placeFleet } from '../../infra/model/placement.ts';
import {
  duplicateNames,
  FIXTURE_FLEETS_DIR,
  type FleetTemplates,
  fleetChanges,
  mappingOf,
  movedNames,
  type ResourceChange,
  synthFleet,
} from '../support/contract.ts';
import { FLEET_EDITS, type FleetEdit, LOOKUP_EDITS } from '../support/fleet-edits.ts';

const FIXTURE = loadMappings(join(FIXTURE_FLEETS_DIR, 'thirty-three.yaml'));
/** The placement record the fleet's first synth wrote (file order), committed with the file. */
const RECORD = placeFleet(FIXTURE).record;
const ALL_IDS = [...FIXTURE.mappings.map((m) => m.id), ...FLEET_EDITS.flatMap((e) => e.edited ?? [])];

/**
 * What an edit must not do: change anything of a mapping it does not edit, replace or remove a shared part (a
 * cluster lookup is one: every mapping of its stack on that cluster reads it).
 */
function disturbances(changes: readonly ResourceChange[], edit: FleetEdit, ids: readonly string[] = ALL_IDS): string[] {
  return changes
    .filter((c) => {
      const owner = mappingOf(c.logicalId, ids);
      if (owner === undefined) return c.change === 'replace' || c.change === 'remove';
      return owner !== edit.edited;
    })
    .map((c) => `${c.stack}/${c.logicalId} ${c.change}${c.knockOn ? ' (knock-on)' : ''}`);
}

let before: FleetTemplates;
const after = new Map<string, FleetTemplates>();

describe('a 33-mapping fleet over 3 clusters in 3 stacks, edited as people do', () => {
  it('is deployed in 3 stacks, each with mappings of all 3 clusters', () => {
    before = synthFleet(FIXTURE, RECORD);
    expect(Object.keys(before)).toStrictEqual(['Fleet', 'Fleet-2', 'Fleet-3']);
    for (const t of Object.values(before)) {
      const clusters = Object.values(t.Resources)
        .filter((r) => r.Type === 'AWS::EKS::AccessEntry')
        .map((r) => r.Properties!.ClusterName);
      expect(new Set(clusters).size).toBe(3);
    }
  }, 120_000);

  it.each(FLEET_EDITS)(
    'touches only the edited mapping: $name',
    (edit) => {
      const templates = synthFleet(edit.apply(FIXTURE), RECORD);
      after.set(edit.name, templates);
      const changes = fleetChanges(before, templates);
      expect(disturbances(changes, edit)).toStrictEqual([]);
      // The edit itself is seen: the checker looks at a deploy that does something.
      if (edit.edited !== undefined)
        expect(changes.filter((c) => mappingOf(c.logicalId, ALL_IDS) === edit.edited).length).toBeGreaterThan(0);
    },
    120_000,
  );

  it('finds what file-order placement (release 0.1.0, no record) does to an insert at the top (positive control)', () => {
    const insert = FLEET_EDITS[0]!;
    const fileOrder = synthFleet(insert.apply(FIXTURE));
    after.set('file order: insert at the top', fileOrder);
    const found = disturbances(fleetChanges(before, fileOrder), insert);
    // The last mapping of Fleet and of Fleet-2 each move one stack on: removed in one, created in the next (at
    // least a plain mapping's 19 resources each, test/infra/fleet.test.ts).
    expect(found.filter((f) => / remove$/.test(f)).length).toBeGreaterThanOrEqual(2 * 19);
    expect(found.some((f) => f.startsWith('Fleet-2/Mappingsvc11'))).toBe(true);
  }, 120_000);
});

const LOOKED = loadMappings(join(FIXTURE_FLEETS_DIR, 'lookups.yaml'));
const LOOKED_RECORD = placeFleet(LOOKED).record;
const LOOKED_IDS = [...LOOKED.mappings.map((m) => m.id), ...LOOKUP_EDITS.flatMap((e) => e.edited ?? [])];
let lookedBefore: FleetTemplates;

describe('a 12-mapping fleet in 3 stacks whose clusters are looked up at deploy time, edited as people do', () => {
  it('has lookups of 2 clusters in every stack, numbered as release 0.1.0 numbered them', () => {
    lookedBefore = synthFleet(LOOKED, LOOKED_RECORD);
    const lookups = (stack: string) =>
      Object.entries(lookedBefore[stack]!.Resources)
        .filter(([, r]) => r.Type === 'Custom::AWS')
        .map(([id]) => id.replace(/DescribeCluster.*/, ''))
        .sort();
    // The first use in each stack decides: prod, staging, edge (no lookup) in the core; edge, staging, prod next.
    expect(LOOKED_RECORD.clusterLookups).toStrictEqual({
      Looked: { prod: 1, staging: 2 },
      'Looked-2': { staging: 2, prod: 3 },
      'Looked-3': { staging: 1, prod: 2 },
    });
    // The first mapping decides where CDK's custom-resource provider logs: lk-04 (Looked-2) reaches no lookup.
    expect(LOOKED_RECORD.providerLogs).toStrictEqual({
      Looked: 'ClusterLookupLogs',
      'Looked-2': 'CustomResourceLogs',
      'Looked-3': 'ClusterLookupLogs',
    });
    expect(lookups('Looked')).toStrictEqual(['Cluster1', 'Cluster2']);
    expect(lookups('Looked-2')).toStrictEqual(['Cluster2', 'Cluster3']);
  }, 120_000);

  it.each(LOOKUP_EDITS)(
    'touches only the edited mapping: $name',
    (edit) => {
      const changes = fleetChanges(lookedBefore, synthFleet(edit.apply(LOOKED), LOOKED_RECORD));
      expect(disturbances(changes, edit, LOOKED_IDS)).toStrictEqual([]);
      if (edit.edited !== undefined)
        expect(changes.filter((c) => mappingOf(c.logicalId, LOOKED_IDS) === edit.edited).length).toBeGreaterThan(0);
    },
    120_000,
  );

  it.each([
    [0, 'Looked/Cluster2DescribeClusterBBA0A466 remove', /^Looked\/Mappinglk01\w+ update$/],
    [1, 'Looked-2/CustomResourceLogsE45D40F0 remove', /^Looked-2\/Cluster3DescribeCluster\w+ remove$/],
  ])(
    "finds what release 0.1.0's first-use rules (nothing recorded) do to LOOKUP_EDITS[%i] (positive control)",
    (index, removed, follows) => {
      const edit = LOOKUP_EDITS[index]!;
      const { clusterLookups: _, providerLogs: __, ...firstUse } = LOOKED_RECORD;
      const found = disturbances(
        fleetChanges(lookedBefore, synthFleet(edit.apply(LOOKED), firstUse)),
        edit,
        LOOKED_IDS,
      );
      // Core: staging becomes Cluster1, prod Cluster3, so Cluster2 goes and lk-01's functions follow the new id.
      // Looked-2: the provider moves to the lookups' group; staging and prod become Cluster1 and 2, so 3 goes.
      expect(found).toContain(removed);
      expect(found.some((f) => follows.test(f))).toBe(true);
    },
    120_000,
  );
});

describe('concurrent deploys (cdk deploy --all --concurrency 4)', () => {
  it('never have two stacks create one physical name, before or after any edit', () => {
    for (const templates of [before, ...after.values()]) expect(duplicateNames(templates)).toStrictEqual([]);
  });

  it('never move a physical name from one stack to another in one deploy, whatever the edit', () => {
    for (const edit of FLEET_EDITS) expect(movedNames(before, after.get(edit.name)!), edit.name).toStrictEqual([]);
  });

  it('has checkers that find a name two stacks create and names file-order placement moves (positive controls)', () => {
    const twice = structuredClone(before);
    const [id, machine] = Object.entries(twice.Fleet!.Resources).find(
      ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
    )!;
    twice['Fleet-3']!.Resources[id] = machine;
    expect(duplicateNames(twice)).toHaveLength(1);
    const moved = movedNames(before, after.get('file order: insert at the top')!);
    expect(moved.some((m) => /AWS::StepFunctions::StateMachine .*svc-11.*: Fleet -> Fleet-2$/.test(m))).toBe(true);
    expect(moved.some((m) => /AWS::Events::Rule .*svc-23-label.*: Fleet-2 -> Fleet-3$/.test(m))).toBe(true);
  });

  it('refuses at synth a one-step move between stacks, naming the two deploys that do it', () => {
    const record = { ...RECORD, moves: { 'svc-03': 'Fleet-3' } };
    expect(() => placeFleet(FIXTURE, record)).toThrow(MappingsError);
    expect(() => placeFleet(FIXTURE, record)).toThrow(
      /mapping "svc-03" is in stack Fleet .*one deploy cannot move it to Fleet-3.*Move it in two deploys/,
    );
  });
});
