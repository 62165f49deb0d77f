// The settings hash by meaning: an upgrade that adds an option at its default re-syncs no deployed mapping, and a
// change of what a mapping does still changes its hash.
import { describe, expect, it } from 'vitest';
import { loadMappings, type Mapping } from '../../infra/model/config.ts';
import { SCHEMA_FIELD_NAMES } from '../../infra/model/config-schema.ts';
import {
  DEFAULTED_SINCE_0_1,
  HASHED_SINCE_0_1,
  mappingConfigHash,
  type DefaultedOption,
  type SettingLevel,
} from '../../infra/model/settings-hash.ts';
import { EXAMPLE_FILE } from '../support/infra.ts';

const example = loadMappings(EXAMPLE_FILE).mappings;
const appConfig = example.find((m) => m.id === 'app-config')!;

/** Fields of the schema that the 0.1.0 hash did not know and that no registered default covers. */
function unregistered(
  names: Readonly<Record<SettingLevel, readonly string[]>>,
  registry: readonly DefaultedOption[],
): string[] {
  return (Object.keys(names) as SettingLevel[]).flatMap((level) =>
    names[level]
      .filter((k) => !HASHED_SINCE_0_1[level].includes(k))
      .filter((k) => !registry.some((r) => r.level === level && r.key === k))
      .map((k) => `${level}.${k}`),
  );
}

/** `m` with an option of `level` set to `value` (on every target, or every target's cluster). */
function withOption(m: Mapping, level: SettingLevel, key: string, value: unknown): Mapping {
  if (level === 'mapping') return { ...m, [key]: value } as Mapping;
  return {
    ...m,
    targets: m.targets.map((t) =>
      level === 'target' ? { ...t, [key]: value } : { ...t, cluster: { ...t.cluster, [key]: value } },
    ),
  } as Mapping;
}

describe('mappingConfigHash', () => {
  it('keeps the hashes release 0.1.0 deployed for the example mappings', () => {
    // Recorded from 794ea30's formula (sha256 of the validated mapping's JSON, 16 hex digits).
    expect(Object.fromEntries(example.map((m) => [m.id, mappingConfigHash(m)]))).toEqual({
      'app-config': '0cb5ba91f103ba8b',
      'web-tls': '66cb6085d09a732e',
    });
  });

  it.each([
    ['mapping', 'stage', 'AWSCURRENT'],
    ['target', 'rolloutTimeoutSeconds', 300],
    ['cluster', 'accessMode', 'entry'],
  ] as const)('ignores a %s option %s added at its default when it is registered', (level, key, value) => {
    const registry: DefaultedOption[] = [{ level, key, value }];
    const upgraded = withOption(appConfig, level, key, value);
    expect(mappingConfigHash(upgraded, registry)).toBe(mappingConfigHash(appConfig, registry));
    // Control: the same option unregistered, or set to another value, changes the hash.
    expect(mappingConfigHash(upgraded, [])).not.toBe(mappingConfigHash(appConfig, []));
    expect(mappingConfigHash(withOption(appConfig, level, key, 'other'), registry)).not.toBe(
      mappingConfigHash(appConfig, registry),
    );
  });

  it.each([
    ['secretName', (m: Mapping) => ({ ...m, targets: m.targets.map((t) => ({ ...t, secretName: 'renamed' })) })],
    ['restart', (m: Mapping) => ({ ...m, restart: ['deployment/api'] })],
    ['prune', (m: Mapping) => ({ ...m, prune: !m.prune })],
  ])('changes when %s changes', (_, edit) => {
    expect(mappingConfigHash(edit(appConfig) as Mapping)).not.toBe(mappingConfigHash(appConfig));
  });

  it('knows every field the schema can produce: hashed since 0.1.0, or registered with its default', () => {
    expect(unregistered(SCHEMA_FIELD_NAMES, DEFAULTED_SINCE_0_1)).toEqual([]);
    // Control: a field the schema gains without a registered default is reported.
    const grown = { ...SCHEMA_FIELD_NAMES, target: [...SCHEMA_FIELD_NAMES.target, 'waves'] };
    expect(unregistered(grown, DEFAULTED_SINCE_0_1)).toEqual(['target.waves']);
  });
});
