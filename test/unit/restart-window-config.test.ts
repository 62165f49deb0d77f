// `restartWindowSeconds` against the rest of the mapping (infra/model/config-schema.ts, checkRestartWindow): the
// window and the follow share the restart's budget, and a window does not combine with waves. Each refusal next to
// the config that passes.
import { describe, expect, it } from 'vitest';
import { MappingsError, parseMappings } from '../../infra/model/config.ts';
import { fleetYaml } from '../support/fleet.ts';

/** The problems of a one-mapping file with `extra` lines added to the mapping ([] when it is accepted). */
function problems(extra: string): string[] {
  const yaml = fleetYaml(1).replace('-AbCdEf\n', `-AbCdEf\n${extra}`);
  try {
    parseMappings(yaml, 'window.yaml');
    return [];
  } catch (e) {
    if (e instanceof MappingsError) return [...e.problems];
    throw e;
  }
}

const RESTART = '    restart: [deployment/api]\n';

describe('restartWindowSeconds with the other restart options', () => {
  it('is accepted with a follow that fits the budget (the config the refusals differ from)', () => {
    expect(problems(`${RESTART}    restartWindowSeconds: 10\n    rolloutTimeoutSeconds: 110\n`)).toStrictEqual([]);
  });

  it('is refused when window and follow pass the budget, naming both numbers and what to lower', () => {
    const text = problems(`${RESTART}    restartWindowSeconds: 30\n    rolloutTimeoutSeconds: 100\n`).join('\n');
    expect(text).toMatch(/restartWindowSeconds.*30 s of window \+ rolloutTimeoutSeconds 100 = 130 s/);
    expect(text).toMatch(/restartWindowSeconds at most 20 or rolloutTimeoutSeconds at most 90/);
  });

  it('is refused together with waves, saying to remove one', () => {
    const waves = '    waves: { size: 1, heldTargets: hold }\n';
    const text = problems(`${RESTART}    restartWindowSeconds: 5\n    rolloutTimeoutSeconds: 30\n${waves}`).join('\n');
    expect(text).toMatch(/restartWindowSeconds.*does not combine with waves.*remove waves or restartWindowSeconds/);
  });
});
