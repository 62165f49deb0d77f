import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NO_RESTART_FUNCTION_NAME } from '../../infra/constructs/mapping.ts';
import { FUNCTION_STEPS, type SyncStepRow } from '../../functions/domain/sync-steps.ts';
import { DEFINITION_FILE, renderDefinition, type SyncSubstitutions } from '../../infra/constructs/state-machine.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { definitionJson, targetItems } from '../../infra/model/definition-json.ts';
import { targetRef } from '../../infra/constructs/mapping.ts';
import {
  assetPath,
  definitionValue,
  EXAMPLE_FILE,
  functionId,
  ofType,
  single,
  synth,
  type Synthesized,
} from '../support/infra.ts';

/** Stand-in values for CloudFormation intrinsics, derived from logical ids so they can be compared. */
function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::GetAtt'?: [string, string]; Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(resolveIntrinsic).join(v['Fn::Join'][0]);
  // Fn::Base64 (the targets' clusters when looked up at deploy time): base64 of the resolved text.
  const b64 = (value as { 'Fn::Base64'?: unknown })['Fn::Base64'];
  if (b64 !== undefined) return definitionJson(JSON.parse(resolveIntrinsic(b64)));
  throw new Error(`unexpected intrinsic ${JSON.stringify(value)}`);
}

let s: Synthesized;
const asl = readFileSync(DEFINITION_FILE, 'utf8');

beforeAll(() => {
  s = synth();
}, 120_000);

describe('the state machine definition', () => {
  it.each(['app-config', 'web-tls'])(
    "of %s is the ASL file, filled with this mapping's functions and the DLQ",
    (mappingId) => {
      const [, sm] = single(
        ofType(s, 'AWS::StepFunctions::StateMachine').filter(
          ([, r]) => r.Properties!.DefinitionSubstitutions.MappingId === mappingId,
        ),
        'state machine',
      );
      const { DefinitionS3Location, DefinitionSubstitutions, DefinitionString } = sm.Properties!;
      expect(DefinitionString).toBeUndefined();

      // Prepare: the deployed text is the staged asset named by the template, found through the asset manifest.
      const deployedText = readFileSync(assetPath(s, DefinitionS3Location.Key), 'utf8');
      const deployedSubs = Object.fromEntries(
        Object.entries(DefinitionSubstitutions).map(([k, v]) => [k, resolveIntrinsic(v)]),
      );
      const example = loadMappings(EXAMPLE_FILE).mappings.find((m) => m.id === mappingId)!;
      const fn = (name: Parameters<typeof functionId>[2]) => `<${functionId(s, mappingId, name)}.Arn>`;
      const expected: SyncSubstitutions = {
        // Every step every mapping has: its placeholder holds the ARN of the function made for that step.
        ...(Object.fromEntries(
          FUNCTION_STEPS.filter((st) => !st.optional).map((st) => [st.placeholder, fn(st.kind)]),
        ) as {
          [P in Extract<SyncStepRow, { optional: false }>['placeholder']]: string;
        }),
        // Only app-config lists workloads to restart; web-tls gets an ARN of no function, which its definition never
        // reaches.
        RestartWorkloadsFunctionArn:
          mappingId === 'app-config'
            ? fn('restart-workloads')
            : `arn:<AWS::Partition>:lambda:us-east-1:<AWS::AccountId>:function:${NO_RESTART_FUNCTION_NAME}`,
        DeadLetterQueueUrl: `<${ofType(s, 'AWS::SQS::Queue')[0]![0]}>`,
        MappingId: mappingId,
        // The mapping's one target as its Map item, and its cluster (checked in full in stack.test.ts).
        TargetsJson: definitionJson(example.targets.map((t) => targetRef(example, t))),
        // Its Map item: the index into TargetsJson and the name (never the spec).
        TargetItemsJson: definitionJson(targetItems(example.targets.map((t) => targetRef(example, t)))),
        ClustersJson: definitionJson(definitionValue(s, mappingId, 'ClustersJson')),
      };

      // Act
      const deployed = renderDefinition(deployedSubs, deployedText);

      // Assess
      expect(deployedText).toBe(asl);
      expect(deployed).toBe(renderDefinition({ ...expected }));
      expect(deployed).not.toContain('${');
      expect(() => JSON.parse(deployed)).not.toThrow();
    },
  );

  it('uses exactly the placeholders the typed substitutions provide', () => {
    const placeholders = [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();
    const [, sm] = ofType(s, 'AWS::StepFunctions::StateMachine')[0]!;
    expect(Object.keys(sm.Properties!.DefinitionSubstitutions).sort()).toStrictEqual(placeholders);
  });
});

describe('renderDefinition', () => {
  it('fills every ${Name} and leaves other text alone', () => {
    expect(renderDefinition({ A: 'x', B: 'y' }, '{"a": "${A}", "b": "${B}${A}", "c": "$.c"}')).toBe(
      '{"a": "x", "b": "yx", "c": "$.c"}',
    );
  });

  it('refuses a placeholder it has no value for', () => {
    expect(() => renderDefinition({}, '"${Missing}"')).toThrow(
      'the state machine definition needs a value for ${Missing}',
    );
  });
});
