import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Mapping } from './config.ts';
import { MAPPING_OPTIONS, type MappingOption, OPTION_NAMES } from './mapping-options.ts';
import { DEFAULT_SOURCE_KIND } from '../../functions/domain/source.ts';

/** Where an option sits in a validated mapping: on the mapping, on each of its targets, or on a target's cluster. */
export type SettingLevel = 'mapping' | 'target' | 'cluster';

/**
 * An option added after release 0.1.0, with the value that leaves a mapping behaving as it did before it existed.
 * The settings hash leaves the option out while it has that value.
 */
export interface DefaultedOption {
  readonly level: SettingLevel;
  readonly key: string;
  /** The value a mapping that does not set the option gets (what the schema's default gives, or undefined). */
  readonly value: unknown;
}

/**
 * The fields of a validated mapping that release 0.1.0 hashed, per level. Frozen: a deployed mapping's hash is
 * part of its initial-sync resource, and a changed hash re-syncs it (docs/decisions.md#settings-hash-by-meaning).
 */
export const HASHED_SINCE_0_1: Readonly<Record<SettingLevel, readonly string[]>> = {
  mapping: [
    'id',
    'secretArn',
    'secretKmsKeyArn',
    'type',
    'labels',
    'annotations',
    'prune',
    'deletionPolicy',
    'restart',
    'resyncSchedule',
    'cloudTrailRules',
    'data',
    'includeOtherKeys',
    'targets',
  ],
  target: ['cluster', 'namespace', 'secretName', 'type', 'labels', 'annotations', 'prune', 'deletionPolicy', 'restart'],
  cluster: ['name', 'region', 'endpoint', 'certificateAuthority', 'vpc'],
};

/**
 * Options added since 0.1.0, with their defaults: a mapping that leaves one at its default keeps its hash, so an
 * upgrade that only adds the option does not re-sync the fleet. A mapping option registers itself with `since` in
 * its descriptor (infra/model/mapping-options.ts); a target's override or a cluster field is listed here by hand.
 */
export const DEFAULTED_SINCE_0_1: readonly DefaultedOption[] = [
  ...OPTION_NAMES.flatMap((key) => {
    const d: MappingOption = MAPPING_OPTIONS[key];
    if (d.since === undefined) return [];
    const levels: SettingLevel[] = d.targetOverride ? ['mapping', 'target'] : ['mapping'];
    return levels.map((level) => ({ level, key, value: d.default }));
  }),
  { level: 'mapping', key: 'source', value: DEFAULT_SOURCE_KIND },
  // Absent: the secrets' account, as every cluster before the field.
  { level: 'cluster', key: 'account', value: undefined },
];

type Obj = Record<string, unknown>;

/** `o` without the options of `level` that are at their registered default. */
function withoutDefaults(o: Obj, level: SettingLevel, registry: readonly DefaultedOption[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    const d = registry.find((r) => r.level === level && r.key === k);
    if (d && (v === undefined || isDeepStrictEqual(v, d.value))) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The mapping's settings as they mean: options added since 0.1.0 left out while at their default, key order kept.
 *
 * @param registry the options added since 0.1.0 (tests pass their own).
 */
export function meaningfulSettings(m: Mapping, registry: readonly DefaultedOption[] = DEFAULTED_SINCE_0_1): Obj {
  const top = withoutDefaults(m as unknown as Obj, 'mapping', registry);
  top.targets = m.targets.map((t) => {
    const target = withoutDefaults(t as unknown as Obj, 'target', registry);
    target.cluster = withoutDefaults(t.cluster as unknown as Obj, 'cluster', registry);
    return target;
  });
  return top;
}

/**
 * A short hash of what the mapping's settings mean. The initial sync carries it in its input, so CloudFormation sees
 * a changed property, and syncs again, exactly when a setting that changes the sync changes; a release that adds an
 * option at its default changes no hash.
 */
export function mappingConfigHash(m: Mapping, registry: readonly DefaultedOption[] = DEFAULTED_SINCE_0_1): string {
  return createHash('sha256')
    .update(JSON.stringify(meaningfulSettings(m, registry)))
    .digest('hex')
    .slice(0, 16);
}
