/**
 * The edits a platform team makes to a mappings file every week (issue 20), as functions of a config: insert a
 * mapping at the top, remove one from the middle, reorder, append, change one option. Each names the mapping it
 * edits (none for a reorder). Shared by test/infra/disturbance.test.ts and bench/fleet-edits.ts.
 */
import type { Mapping, SyncConfig } from '../../infra/model/config.ts';

/** One edit of a mappings file. */
export interface FleetEdit {
  readonly name: string;
  /** The mapping the edit is about: the only one whose resources may change. */
  readonly edited?: string;
  readonly apply: (config: SyncConfig) => SyncConfig;
}

/** A new mapping like `like`, with its own id, secret and Kubernetes Secret. */
function newMapping(like: Mapping, id: string): Mapping {
  return {
    ...like,
    id,
    secretArn: like.secretArn.replace(like.id, id),
    targets: like.targets.map((t) => ({ ...t, secretName: id })),
  };
}

const withMappings = (config: SyncConfig, mappings: Mapping[]): SyncConfig => ({ ...config, mappings });

/** The account of the clusters elsewhere in the edits (issue 25), not the fixture's secrets' account. */
export const OTHER_ACCOUNT = '444455556666';

/** The edits of issue 20, each applied to the fixture as deployed; and issue 25's cluster in another account. */
export const FLEET_EDITS: readonly FleetEdit[] = [
  {
    name: 'insert at the top',
    edited: 'new-top',
    apply: (c) => withMappings(c, [newMapping(c.mappings[0]!, 'new-top'), ...c.mappings]),
  },
  {
    name: 'remove from the middle',
    edited: 'svc-16',
    apply: (c) =>
      withMappings(
        c,
        c.mappings.filter((m) => m.id !== 'svc-16'),
      ),
  },
  { name: 'reorder (reverse the file)', apply: (c) => withMappings(c, [...c.mappings].reverse()) },
  {
    name: 'append',
    edited: 'new-end',
    apply: (c) => withMappings(c, [...c.mappings, newMapping(c.mappings[0]!, 'new-end')]),
  },
  {
    name: 'change one option (restart)',
    edited: 'svc-06',
    apply: (c) =>
      withMappings(
        c,
        c.mappings.map((m) =>
          m.id === 'svc-06' ? { ...m, targets: m.targets.map((t) => ({ ...t, restart: ['deployment/web'] })) } : m,
        ),
      ),
  },
  {
    name: 'append a mapping with a cluster in another account and region',
    edited: 'new-remote',
    apply: (c) => {
      const like = newMapping(c.mappings[0]!, 'new-remote');
      const remote = like.targets.map((t) => ({
        ...t,
        cluster: { ...t.cluster, name: 'far', account: OTHER_ACCOUNT, region: 'eu-west-1' },
      }));
      return withMappings(c, [...c.mappings, { ...like, targets: [...like.targets, ...remote] }]);
    },
  },
];

/**
 * The edits that renumbered deploy-time cluster lookups before the placement record kept their numbers, applied to
 * test/fixtures/fleets/lookups.yaml (4 mappings per stack; `lk-00` and `lk-04` are the first mappings of the core
 * and of the second stack, each the first user of a cluster there).
 */
export const LOOKUP_EDITS: readonly FleetEdit[] = [
  {
    name: "remove the core's first mapping",
    edited: 'lk-00',
    apply: (c) =>
      withMappings(
        c,
        c.mappings.filter((m) => m.id !== 'lk-00'),
      ),
  },
  {
    name: "remove the second stack's first mapping",
    edited: 'lk-04',
    apply: (c) =>
      withMappings(
        c,
        c.mappings.filter((m) => m.id !== 'lk-04'),
      ),
  },
  { name: 'reorder (reverse the file)', apply: (c) => withMappings(c, [...c.mappings].reverse()) },
  {
    name: 'insert at the top (a mapping on a looked-up cluster)',
    edited: 'new-top',
    apply: (c) => withMappings(c, [newMapping(c.mappings[1]!, 'new-top'), ...c.mappings]),
  },
];
