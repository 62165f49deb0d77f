/**
 * What each day-2 edit of issue 20 does to a deployed fleet, counted by CDK's diff engine with knock-on replacement
 * (test/support/contract.ts): the 33-mapping fixture (3 clusters, 3 stacks) edited with release 0.1.0's file-order
 * placement and with the placement record, and the 10-mapping fixture upgraded from release 0.1.0 (794ea30).
 *
 *   node bench/fleet-edits.ts
 */
import { join } from 'node:path';
import { loadMappings } from '../infra/model/config.ts';
import { placeFleet } from '../infra/model/placement.ts';
import {
  FIXTURE_FLEETS_DIR,
  fleetChanges,
  mappingOf,
  movedNames,
  readSnapshot,
  type ResourceChange,
  synthFleet,
} from '../test/support/contract.ts';
import { FLEET_EDITS } from '../test/support/fleet-edits.ts';

/** Counts of what a deploy does to resources of mappings other than the edited one, and to shared ones. */
function count(changes: readonly ResourceChange[], ids: readonly string[], edited?: string) {
  const others = changes.filter((c) => {
    const m = mappingOf(c.logicalId, ids);
    return m !== undefined && m !== edited;
  });
  const touched = new Set(others.map((c) => mappingOf(c.logicalId, ids)));
  const shared = changes.filter((c) => mappingOf(c.logicalId, ids) === undefined);
  const n = (list: readonly ResourceChange[], ...kinds: string[]) =>
    list.filter((c) => kinds.includes(c.change)).length;
  return (
    `${touched.size} other mappings: ${n(others, 'replace', 'remove')} replaced/removed, ${n(others, 'add')} added, ` +
    `${n(others, 'update')} updated; shared: ${n(shared, 'replace', 'remove')} replaced/removed, ` +
    `${n(shared, 'update', 'add')} updated/added`
  );
}

const base = loadMappings(join(FIXTURE_FLEETS_DIR, 'thirty-three.yaml'));
const record = placeFleet(base).record;
const deployed = synthFleet(base, record);
const ids = [...base.mappings.map((m) => m.id), ...FLEET_EDITS.flatMap((e) => e.edited ?? [])];
for (const edit of FLEET_EDITS) {
  const edited = edit.apply(base);
  for (const [label, rec] of [
    ['file order (0.1.0)', undefined],
    ['placement record', record],
  ] as const) {
    const after = synthFleet(edited, rec);
    const moved = movedNames(deployed, after).length;
    process.stdout.write(
      `${edit.name} | ${label} | ${count(fleetChanges(deployed, after), ids, edit.edited)}; ` +
        `${moved} physical names move stacks\n`,
    );
  }
}
const ten = loadMappings(join(FIXTURE_FLEETS_DIR, 'ten.yaml'));
const upgrade = fleetChanges(readSnapshot('0.1.0-794ea30', 'ten'), synthFleet(ten));
process.stdout.write(
  `upgrade 0.1.0-794ea30 -> today, ten | ${count(
    upgrade,
    ten.mappings.map((m) => m.id),
  )}\n`,
);
