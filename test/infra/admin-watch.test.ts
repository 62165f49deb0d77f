/**
 * The admin-changes rule (infra/constructs/admin-watch.ts) judged by AWS Event Ruler on CloudTrail records in the
 * documented
 * shape of "AWS API Call via CloudTrail" events (EventBridge user guide, eb-service-event-cloudtrail; the CloudTrail
 * record contents of the KMS, IAM and Lambda calls): every change that could let someone open the seals matches;
 * another key, another path, another app's role, a read-only call and a refused call do not.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Key } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdminWatch, WATCHED_KMS_CALLS, WATCHED_ROLE_CALLS } from '../../infra/constructs/admin-watch.ts';
import { rolePath } from '../../infra/model/resource-names.ts';
import { resolveFleet, type TemplateJson } from '../support/cfn-resolve.ts';
import { matchEvents } from '../support/ruler.ts';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const APP = 'EksSecretSync';
const PATH = rolePath(APP);

let keyArn: string;
let keyId: string;
let pattern: unknown;
let target: unknown;

/** An "AWS API Call via CloudTrail" event as EventBridge delivers it. */
function call(
  eventSource: string,
  eventName: string,
  requestParameters: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const service = eventSource.split('.')[0]!;
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${service}`,
    account: ACCOUNT,
    time: '2026-12-03T12:00:00Z',
    region: REGION,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:admin',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Administrator/admin`,
        accountId: ACCOUNT,
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/Administrator`, accountId: ACCOUNT },
        },
      },
      eventTime: '2026-12-03T12:00:00Z',
      eventSource,
      eventName,
      awsRegion: REGION,
      sourceIPAddress: '203.0.113.7',
      userAgent: 'aws-cli/2.22.0',
      requestParameters,
      responseElements: null,
      requestID: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      eventID: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE22222',
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
      ...extra,
    },
  };
}

const kms = (name: string, key: string, extra: Record<string, unknown> = {}) =>
  call('kms.amazonaws.com', name, { keyId: key }, extra);
const keyResources = (arn: string) => ({ resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: arn }] });
const iam = (name: string, params: Record<string, unknown>) => call('iam.amazonaws.com', name, params);
const lambda = (name: string, params: Record<string, unknown>) => call('lambda.amazonaws.com', name, params);
const appRole = `${APP}-MappingappconfigReadSecretRole-AbCdEfGh1234`;
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0000aaaa-0000-aaaa-0000-aaaa0000aaaa`;

/** [what, event, whether it alarms]. */
const samples = (): [string, Record<string, unknown>, boolean][] => [
  ...WATCHED_KMS_CALLS.map((n): [string, Record<string, unknown>, boolean] => [
    `${n} on the seal key by ARN`,
    kms(n, keyArn),
    true,
  ]),
  ['PutKeyPolicy naming the key by id', kms('PutKeyPolicy', keyId), true],
  ['CreateGrant by id with the resources list', kms('CreateGrant', keyId, keyResources(keyArn)), true],
  [
    'CreateGrant with its parameters',
    call('kms.amazonaws.com', 'CreateGrant', {
      keyId: keyArn,
      granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/Intruder`,
      operations: ['Decrypt'],
    }),
    true,
  ],
  ['CreateRole under the path', iam('CreateRole', { path: PATH, roleName: 'Intruder' }), true],
  ['CreateRole under a sub-path', iam('CreateRole', { path: `${PATH}deeper/`, roleName: 'Intruder' }), true],
  ...WATCHED_ROLE_CALLS.map((n): [string, Record<string, unknown>, boolean] => [
    `${n} on an app role`,
    iam(n, { roleName: appRole, policyName: 'x' }),
    true,
  ]),
  [
    'UpdateFunctionCode of an app function',
    lambda('UpdateFunctionCode20150331v2', { functionName: `${APP}-MappingappconfigReadSecretFunction-X` }),
    true,
  ],
  [
    'UpdateFunctionConfiguration of an app function by ARN',
    lambda('UpdateFunctionConfiguration20150331v2', {
      functionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${APP}-MappingappconfigApplySecretFunction-X`,
    }),
    true,
  ],
  [
    'CreateFunction with an app role',
    lambda('CreateFunction20150331', { functionName: 'thief', role: `arn:aws:iam::${ACCOUNT}:role${PATH}${appRole}` }),
    true,
  ],
  // Negative controls.
  ['PutKeyPolicy on another key', kms('PutKeyPolicy', OTHER_KEY, keyResources(OTHER_KEY)), false],
  ['CreateGrant on another key', kms('CreateGrant', OTHER_KEY), false],
  ['DescribeKey on the seal key (read-only)', kms('DescribeKey', keyArn, { readOnly: true }), false],
  ['GetKeyPolicy on the seal key (read-only)', kms('GetKeyPolicy', keyArn, { readOnly: true }), false],
  ['Decrypt with the seal key', kms('Decrypt', keyArn, { readOnly: true }), false],
  ['a refused PutKeyPolicy', kms('PutKeyPolicy', keyArn, { errorCode: 'AccessDeniedException' }), false],
  [
    'CreateRole under another path',
    iam('CreateRole', { path: '/eks-secret-sync/000000000000/', roleName: 'x' }),
    false,
  ],
  ['CreateRole at the root path', iam('CreateRole', { path: '/', roleName: `${APP}-lookalike` }), false],
  ['PutRolePolicy on another role', iam('PutRolePolicy', { roleName: 'OtherTeamRole', policyName: 'x' }), false],
  ['GetRole of an app role (read-only)', iam('GetRole', { roleName: appRole }), false],
  ['UpdateFunctionCode of another function', lambda('UpdateFunctionCode20150331v2', { functionName: 'other' }), false],
  [
    'CreateFunction with another role',
    lambda('CreateFunction20150331', { functionName: 'f', role: `arn:aws:iam::${ACCOUNT}:role/r` }),
    false,
  ],
];

let matched: string[][];

beforeAll(() => {
  const app = new App();
  const stack = new Stack(app, APP, { env: { account: ACCOUNT, region: REGION } });
  const key = new Key(stack, 'SealKey');
  const topic = new Topic(stack, 'AlarmTopic');
  new AdminWatch(stack, 'AdminWatch', { sealKey: key, appName: APP, rolePath: PATH, target: new SnsTopic(topic) });
  const template = app.synth().getStackByName(APP).template as TemplateJson;
  const [resolved] = resolveFleet([{ name: APP, template }], { account: ACCOUNT, region: REGION });
  const keyLogicalId = Object.keys(resolved!.resources).find((k) => k.startsWith('SealKey'))!;
  keyArn = resolved!.arn(keyLogicalId);
  keyId = resolved!.ref(keyLogicalId);
  const rule = Object.values(resolved!.resources).find((r) => r.Type === 'AWS::Events::Rule')!;
  pattern = rule.Properties.EventPattern;
  target = rule.Properties.Targets;
  matched = matchEvents([{ rules: { watch: pattern }, events: samples().map(([, e]) => e) }])[0]!;
}, 120_000);

describe('the admin-changes rule', () => {
  it('sends what it matches to the alarm topic', () => {
    expect(target).toStrictEqual([expect.objectContaining({ Arn: expect.stringContaining(':sns:') })]);
  });

  it.each(samples().map(([what, , alarms], i) => [what, alarms, i] as const))('%s: alarms %s', (_, alarms, i) => {
    expect(matched[i]).toStrictEqual(alarms ? ['watch'] : []);
  });
});
