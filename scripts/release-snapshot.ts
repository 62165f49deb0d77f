/**
 * Writes the release snapshots of the upgrade contract (docs/testing.md#upgrade-contract): the normalized templates
 * of every fixture fleet (test/fixtures/fleets/*.yaml) as this checkout synthesizes them, into
 * test/fixtures/releases/<release>/<fleet>/<stack>.template.json. Run it on the commit of a release, then commit
 * the folder: test/infra/upgrade-contract.test.ts diffs every release folder against today's synth.
 *
 *   node scripts/release-snapshot.ts 0.2.0-<commit>
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadMappings } from '../infra/model/config.ts';
import { FIXTURE_FLEETS_DIR, RELEASES_DIR, synthFleet, writeSnapshot } from '../test/support/contract.ts';

const release = process.argv[2];
if (release === undefined || !/^[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{7,}$/.test(release)) {
  process.stderr.write('usage: node scripts/release-snapshot.ts <version>-<commit>, e.g. 0.2.0-1a2b3c4\n');
  process.exit(2);
}
for (const file of readdirSync(FIXTURE_FLEETS_DIR).filter((f) => f.endsWith('.yaml'))) {
  const fleet = file.slice(0, -'.yaml'.length);
  const templates = synthFleet(loadMappings(join(FIXTURE_FLEETS_DIR, file)));
  writeSnapshot(release, fleet, templates);
  process.stdout.write(`${join(RELEASES_DIR, release, fleet)}: ${Object.keys(templates).join(', ')}\n`);
}
