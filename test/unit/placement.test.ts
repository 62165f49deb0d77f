import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MappingsError, parseMappings, type SyncConfig } from '../../infra/model/config.ts';
import {
  placeFleet,
  placementPath,
  placementText,
  readPlacement,
  savePlacement,
  type PlacementRecord,
} from '../../infra/model/placement.ts';
import { EXAMPLE_FILE } from '../support/infra.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { fleetYaml } from '../support/fleet.ts';

/** A file of `n` plain mappings (`app-0` ...), `perStack` per stack. */
function fleet(n: number, perStack = 3, source = 'fleet.yaml'): SyncConfig {
  return parseMappings(
    fleetYaml(n).replace('  name: Fleet\n', `  name: Fleet\n  mappingsPerStack: ${perStack}\n`),
    source,
  );
}
const without = (c: SyncConfig, ...gone: string[]) => ({
  ...c,
  mappings: c.mappings.filter((m) => !gone.includes(m.id)),
});
const layout = (c: SyncConfig, r?: PlacementRecord) =>
  Object.fromEntries(placeFleet(c, r).stacks.map((s) => [s.stackName, s.mappings.map((m) => m.id)]));

describe('placement without a record', () => {
  it('is the file order of release 0.1.0: stack.mappingsPerStack per stack, the first named stack.name', () => {
    expect(layout(fleet(7))).toStrictEqual({
      Fleet: ['app-0', 'app-1', 'app-2'],
      'Fleet-2': ['app-3', 'app-4', 'app-5'],
      'Fleet-3': ['app-6'],
    });
    expect(placeFleet(fleet(7)).record.stacks).toStrictEqual(layout(fleet(7)));
  });
});

describe('placement with a record', () => {
  const base = fleet(7);
  const record = placeFleet(base).record;

  it('keeps every mapping where it is when one is inserted at the top, and puts the new one where there is room', () => {
    const top = { ...base, mappings: [{ ...base.mappings[0]!, id: 'new' }, ...base.mappings] };
    expect(layout(top, record)).toStrictEqual({ ...record.stacks, 'Fleet-3': ['app-6', 'new'] });
    expect(placeFleet(top, record).placed).toStrictEqual([{ id: 'new', stackName: 'Fleet-3' }]);
  });

  it('keeps every mapping where it is when one is removed from the middle or the file is reordered', () => {
    expect(layout(without(base, 'app-4'), record)).toStrictEqual({ ...record.stacks, 'Fleet-2': ['app-3', 'app-5'] });
    expect(layout({ ...base, mappings: [...base.mappings].reverse() }, record)).toStrictEqual(record.stacks);
  });

  it('fills the first stack with room, then opens a stack numbered after every recorded one', () => {
    const gap = without(base, 'app-1');
    const more = { ...gap, mappings: [...gap.mappings, ...fleet(10).mappings.slice(7)] };
    expect(layout(more, placeFleet(gap, record).record)).toStrictEqual({
      Fleet: ['app-0', 'app-2', 'app-7'],
      'Fleet-2': ['app-3', 'app-4', 'app-5'],
      'Fleet-3': ['app-6', 'app-8', 'app-9'],
    });
    const deleted = { stacks: { Fleet: ['app-0', 'app-1', 'app-2'], 'Fleet-3': ['app-6', 'x', 'y'] } };
    expect(Object.keys(layout(fleet(7), deleted))).toStrictEqual(['Fleet', 'Fleet-3', 'Fleet-4']);
  });

  it('remembers where a removed mapping was, and puts it back there (its removal may not be deployed yet)', () => {
    const out = placeFleet(without(base, 'app-1', 'app-4'), record).record;
    expect(out.removed).toStrictEqual({ 'app-1': 'Fleet', 'app-4': 'Fleet-2' });
    const back = placeFleet(without(base, 'app-1'), out);
    expect(back.record.stacks['Fleet-2']).toStrictEqual(['app-3', 'app-5', 'app-4']);
    expect(back.record.removed).toStrictEqual({ 'app-1': 'Fleet' });
    // Its old stack filled up meanwhile: refused, since anywhere else it could exist twice.
    const filled = { ...out, stacks: { ...out.stacks, 'Fleet-2': ['app-3', 'app-5', 'x'] } };
    const withX = { ...base, mappings: [...base.mappings, { ...base.mappings[0]!, id: 'x' }] };
    expect(() => placeFleet(withX, filled)).toThrow(
      new RegExp(
        'mapping "app-4" was removed from stack Fleet-2 .* and is back, but that stack is full now' +
          '.*delete "app-4" from "removed"',
      ),
    );
  });

  it('keeps a stack whose mappings were all removed, empty, and names it', () => {
    const placement = placeFleet(without(base, 'app-6'), record);
    expect(placement.stacks.map((s) => [s.stackName, s.mappings.length])).toStrictEqual([
      ['Fleet', 3],
      ['Fleet-2', 3],
      ['Fleet-3', 0],
    ]);
    expect(placement.emptyStacks).toStrictEqual(['Fleet-3']);
    expect(placement.record.stacks['Fleet-3']).toStrictEqual([]);
  });

  it('refuses to leave the core without a mapping, saying how to keep one', () => {
    expect(() => placeFleet(without(base, 'app-0', 'app-1', 'app-2'), record)).toThrow(
      /stack Fleet \(the app's core: seal key, dead-letter queue, alarms\) would hold no mapping/,
    );
  });

  it('refuses a record of another stack.name, pointing at what a rename does', () => {
    const renamed = { ...base, stack: { ...base.stack, name: 'Other' } };
    expect(() => placeFleet(renamed, record)).toThrow(
      /stack.name is "Other" but the app placed its mappings in stack Fleet .*docs\/deploy.md#rename-the-app/,
    );
  });

  it('refuses a mapping placed in two stacks', () => {
    const twice = { stacks: { Fleet: ['app-0'], 'Fleet-2': ['app-0'] } };
    expect(() => placeFleet(base, twice)).toThrow('mapping "app-0" is placed in two stacks, Fleet and Fleet-2');
  });
});

describe('a move', () => {
  const base = fleet(7);
  const record = placeFleet(base).record;

  it('is refused in one deploy, naming both stacks and the two deploys that do it', () => {
    const error = (() => {
      try {
        placeFleet(base, { ...record, moves: { 'app-1': 'Fleet-3' } });
      } catch (e) {
        return e as MappingsError;
      }
    })();
    expect(error).toBeInstanceOf(MappingsError);
    const problem = error!.problems[0]!;
    expect(problem).toMatch(/^moves: mapping "app-1" is in stack Fleet .* one deploy cannot move it to Fleet-3: /);
    expect(problem).toContain('Fleet-3 would create them while Fleet still owns them. Move it in two deploys: ');
    expect(problem).toContain(
      '1. take "app-1" out of fleet.yaml (keep the move) and deploy; 2. put it back and deploy',
    );
  });

  it('is done in two deploys: out of the file (the move waits), then back in: created in the stack asked for', () => {
    const first = placeFleet(without(base, 'app-1'), { ...record, moves: { 'app-1': 'Fleet-3' } });
    expect(first.record.moves).toStrictEqual({ 'app-1': 'Fleet-3' });
    const second = placeFleet(base, first.record);
    expect(second.record.stacks['Fleet-3']).toStrictEqual(['app-6', 'app-1']);
    expect(second.record.moves).toBeUndefined();
    expect(second.record.stacks.Fleet).toStrictEqual(['app-0', 'app-2']);
  });

  it('is refused into a full stack or a stack of another app', () => {
    const out = without(base, 'app-6');
    expect(() => placeFleet(out, { ...record, moves: { 'app-6': 'Fleet-2' } })).not.toThrow();
    expect(() =>
      placeFleet(base, { stacks: placeFleet(out, record).record.stacks, moves: { 'app-6': 'Fleet-2' } }),
    ).toThrow('moves: stack Fleet-2 already holds 3 mappings (stack.mappingsPerStack)');
    expect(() =>
      placeFleet(base, { stacks: placeFleet(out, record).record.stacks, moves: { 'app-6': 'Else' } }),
    ).toThrow('moves: "app-6" names stack Else, which is not a stack of Fleet');
  });
});

describe('the placement record file', () => {
  it('sits beside the mappings file, is written only when it changed, and check mode refuses a stale one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-placement-'));
    const file = join(dir, 'prod.yaml');
    expect(placementPath(file)).toBe(join(dir, 'prod.placement.json'));
    expect(readPlacement(file)).toBeUndefined();
    const { record } = placeFleet(fleet(4, 3, file));
    expect(() => savePlacement(file, record, 'check')).toThrow(/is not what this synth placed/);
    expect(savePlacement(file, record, 'write')).toBe(true);
    expect(savePlacement(file, record, 'write')).toBe(false);
    expect(readPlacement(file)).toStrictEqual({
      stacks: record.stacks,
      moves: undefined,
      removed: undefined,
      clusterLookups: record.clusterLookups,
      providerLogs: record.providerLogs,
    });
    expect(() => savePlacement(file, record, 'check')).not.toThrow();
    writeFileSync(placementPath(file), '{"stacks": {"Fleet": "app-0"}}');
    expect(() => readPlacement(file)).toThrow(/expected \{"stacks"/);
  });

  it('of the example file is committed and current, so a synth of it writes nothing', () => {
    const text = readFileSync(placementPath(EXAMPLE_FILE), 'utf8');
    expect(text).toBe(placementText(placeFleet(loadMappings(EXAMPLE_FILE), readPlacement(EXAMPLE_FILE)).record));
  });
});
