/**
 * The state machine definition as it is deployed: the staged ASL asset of a synthesized mapping, its
 * DefinitionSubstitutions resolved the way CloudFormation fills them (Fn::GetAtt of a function's Arn, Ref of the
 * DLQ, pseudo parameters, Fn::Join, Fn::Base64), with stand-in values of the right form for one account and region.
 */
import { readFileSync } from 'node:fs';
import { renderDefinition } from '../../infra/constructs/state-machine.ts';
import { assetPath, type CfnResource, ofType, single, type Synthesized } from './infra.ts';

/** The account and region the stand-in values name (moto's default account). */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/** A mapping's definition, ready to run, with the values an interpreter needs to stand in for its resources. */
export interface DeployedDefinition {
  /** The ASL text with every placeholder filled. */
  readonly text: string;
  /** Each Lambda function ARN the definition invokes -> the function's name in the scenarios (FetchSecret, ...). */
  readonly functions: Readonly<Record<string, string>>;
  /** The DLQ's URL (as the Ref of an AWS::SQS::Queue resolves) and its queue name. */
  readonly queueUrl: string;
  readonly queueName: string;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** A substitution's value as CloudFormation resolves it, with stand-ins for deploy-time attributes. */
function resolve(value: unknown, resources: Record<string, CfnResource>): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v.Ref !== undefined) {
    if (PSEUDO[v.Ref]) return PSEUDO[v.Ref]!;
    const r = resources[v.Ref];
    if (r?.Type === 'AWS::SQS::Queue')
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${r.Properties?.QueueName ?? v.Ref}`;
    throw new Error(`no stand-in for Ref ${v.Ref} (${r?.Type})`);
  }
  if (v['Fn::GetAtt']) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    if (resources[id]?.Type === 'AWS::Lambda::Function' && attr === 'Arn')
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    // A cluster's endpoint or CA looked up at deploy time: text of the same alphabet as the real value.
    return `lookup-${id}-${attr}`.replace(/[^A-Za-z0-9-]/g, '-');
  }
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((p) => resolve(p, resources)).join(v['Fn::Join'][0]);
  if (v['Fn::Base64'] !== undefined) return Buffer.from(resolve(v['Fn::Base64'], resources), 'utf8').toString('base64');
  throw new Error(`no stand-in for ${JSON.stringify(value)}`);
}

/** The placeholder name of each Lambda function (`<Name>FunctionArn`) -> its name in the scenarios. */
const FUNCTION_PLACEHOLDER = /^(\w+)FunctionArn$/;

/**
 * The deployed definition of `mappingId` in a synthesized stack.
 *
 * @throws Error when the stack has no single state machine for the mapping or a value has no stand-in.
 */
export function deployedDefinition(s: Synthesized, mappingId: string): DeployedDefinition {
  const [, sm] = single(
    ofType(s, 'AWS::StepFunctions::StateMachine').filter(
      ([, r]) => r.Properties!.DefinitionSubstitutions.MappingId === mappingId,
    ),
    `state machine of ${mappingId}`,
  );
  const { DefinitionS3Location, DefinitionSubstitutions } = sm.Properties!;
  const subs = Object.fromEntries(
    Object.entries(DefinitionSubstitutions as Record<string, unknown>).map(([k, v]) => [k, resolve(v, s.resources)]),
  );
  const functions = Object.fromEntries(
    Object.entries(subs).flatMap(([k, v]) => {
      const m = FUNCTION_PLACEHOLDER.exec(k);
      return m ? [[v, m[1]!]] : [];
    }),
  );
  const queueUrl = subs.DeadLetterQueueUrl!;
  return {
    text: renderDefinition(subs, readFileSync(assetPath(s, DefinitionS3Location.Key), 'utf8')),
    functions,
    queueUrl,
    queueName: queueUrl.split('/').pop()!,
  };
}
