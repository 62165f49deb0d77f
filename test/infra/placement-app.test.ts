import { describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../infra/app.ts';
import { parseMappings } from '../../infra/model/config.ts';
import { placeFleet } from '../../infra/model/placement.ts';
import { fleetYaml } from '../support/fleet.ts';

const config = parseMappings(
  fleetYaml(7).replace('  name: Fleet\n', '  name: Fleet\n  mappingsPerStack: 3\n'),
  'f.yaml',
);
const context = { 'aws:cdk:bundling-stacks': [] };

describe('the app with a placement record', () => {
  it('keeps a stack whose mappings were all removed, with one placeholder, and warns with the commands', () => {
    const record = placeFleet(config).record;
    const built = createApp(
      { ...config, mappings: config.mappings.slice(0, 6) },
      { context, builtinCloudFormationValidation: false },
      record,
    );
    expect(built.stacks.map((s) => s.stackName)).toStrictEqual(['Fleet', 'Fleet-2']);
    const [empty] = built.emptyStacks;
    expect(empty!.stackName).toBe('Fleet-3');
    expect(Template.fromStack(empty!).toJSON().Resources).toStrictEqual({
      Empty: { Type: 'AWS::CloudFormation::WaitConditionHandle' },
    });
    const warnings = empty!.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toStrictEqual([
      'stack Fleet-3 holds no mapping any more; it stays in the app, deployed and empty, until you remove it: ' +
        'npx cdk destroy Fleet-3, then delete "Fleet-3" from f.placement.json [ack: eks-secret-sync:empty-stack]',
    ]);
  }, 120_000);

  it('builds the stacks the record names, mapping by mapping, not the file order', () => {
    const record = placeFleet(config).record;
    const reversed = { ...config, mappings: [...config.mappings].reverse() };
    const built = createApp(reversed, { context, builtinCloudFormationValidation: false }, record);
    expect(built.stacks.map((s) => Object.keys(s.mappings))).toStrictEqual(Object.values(record.stacks));
    expect(
      createApp(reversed, { context, builtinCloudFormationValidation: false }).stacks.map((s) =>
        Object.keys(s.mappings),
      )[0],
    ).toStrictEqual(['app-6', 'app-5', 'app-4']);
  }, 120_000);
});
