/**
 * What `npm run demo` leaves out of the example mapping (it syncs one Secret through the state machine and shows
 * nothing else), and what to try next: printed by scripts/demo.ts so the demo never looks like it covered more.
 */
import type { MappingTarget } from '../infra/model/targets.ts';

/** One line per field of the example the demo does not apply, with where it is shown instead. */
export function leftOut(example: MappingTarget): string[] {
  const out: string[] = [];
  if (example.restart.length > 0) {
    out.push(
      `restart (${example.restart.join(', ')}): no workload is restarted here; see ` +
        'npx vitest run test/e2e/restart.test.ts',
    );
  }
  if (Object.keys(example.annotations).length > 0) {
    out.push(`annotations (${Object.keys(example.annotations).join(', ')}): not set on the demo's Secret`);
  }
  out.push(
    `deletionPolicy ${example.deletionPolicy}: the demo never deletes the AWS secret; see ` +
      'npx vitest run test/e2e/deletion.test.ts',
  );
  if (example.cloudTrailRules)
    out.push('cloudTrailRules: no EventBridge rules run here (the events are sent directly)');
  out.push(
    `cluster ${example.cluster.name} and namespace ${example.namespace}: the test bed's cluster, a fresh namespace`,
  );
  return out;
}

/** What to try after the demo. */
export const NEXT_STEPS: readonly string[] = [
  'the operator CLI on the test bed: npm run testbed, then in another terminal ' +
    'cd .testbed/cli && . ./env && npx eks-secret-sync plan --mapping app-config (docs/cli.md#examples)',
  'your own mappings: copy mappings.example.yaml and check it offline with ' +
    'npx cdk synth --quiet -c mappings=path/to/mappings.yaml (docs/mappings.md)',
  'every proof: npm test (docs/testing.md)',
];
