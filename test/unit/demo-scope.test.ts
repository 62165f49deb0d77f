// The demo says what it leaves out of the example mapping, derived from the example itself, and what to try next.
import { describe, expect, it } from 'vitest';
import { loadMappings } from '../../infra/model/config.ts';
import { targetViews } from '../../infra/model/targets.ts';
import { leftOut, NEXT_STEPS } from '../../scripts/demo-scope.ts';
import { EXAMPLE_FILE } from '../support/infra.ts';

describe('the demo scope', () => {
  const example = targetViews(loadMappings(EXAMPLE_FILE).mappings[0]!)[0]!;

  it("names the example's restart, annotations and deletion policy as left out", () => {
    const lines = leftOut(example);
    expect(lines.find((l) => l.startsWith('restart'))).toContain(example.restart[0]);
    expect(lines.find((l) => l.startsWith('annotations'))).toContain(Object.keys(example.annotations)[0]);
    expect(lines.some((l) => l.startsWith(`deletionPolicy ${example.deletionPolicy}`))).toBe(true);
  });

  it('leaves nothing unnamed when the example has no restart or annotations (the control)', () => {
    const lines = leftOut({ ...example, restart: [], annotations: {} });
    expect(lines.some((l) => l.startsWith('restart') || l.startsWith('annotations'))).toBe(false);
  });

  it('ends with next steps that name commands the docs describe', () => {
    expect(NEXT_STEPS.join('\n')).toContain('npx eks-secret-sync plan --mapping app-config');
    expect(NEXT_STEPS.join('\n')).toContain('npx cdk synth --quiet');
  });
});
