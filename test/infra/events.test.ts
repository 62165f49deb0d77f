// Which events the synthesized rules match, as AWS Event Ruler (the engine
// behind EventBridge patterns) decides it: every rule pattern of the example
// mappings' template against events shaped as the AWS documentation shows them.
import { beforeAll, describe, expect, it } from 'vitest';
import { secretEventPattern } from '../../functions/domain/events.ts';
import { loadMappings } from '../../infra/config.ts';
import { MAX_ID_LENGTH } from '../../infra/config-schema.ts';
import { cloudTrailPattern, ruleName, rulePrefix } from '../../infra/events.ts';
import { secretIdSpellings } from '../../infra/secret-arn.ts';
import { EXAMPLE_FILE, ofType, synth } from '../support/infra.ts';
import { lastRun, matchEvents } from '../support/ruler.ts';
import { cloudTrailCall, labelEvent } from '../support/secret-events.ts';

const config = loadMappings(EXAMPLE_FILE);
const arnOf = (id: string) => config.mappings.find((m) => m.id === id)!.secretArn;
const APP = arnOf('app-config'); // cloudTrailRules: true
const TLS = arnOf('web-tls'); // label rule only
const SIBLING = APP.replace('prod/app-config-', 'prod/app-config-two-'); // a name that starts the same
const RECREATED = APP.replace(/-[A-Za-z0-9]{6}$/, '-Zz9Yx8'); // same name, another secret (deleted, created again)
const PARTIAL = APP.slice(0, -7);
const NAME = 'prod/app-config';
const rule = (id: string, kind: 'label' | 'trail') => ruleName(config.stack.name, id, kind);

/** The documented event samples, and the rules that must match each (by name). */
const samples: [string, Record<string, unknown>, string[]][] = [
  ['AWSCURRENT moving on app-config', labelEvent(APP), [rule('app-config', 'label')]],
  ['AWSCURRENT moving on web-tls', labelEvent(TLS), [rule('web-tls', 'label')]],
  ['AWSCURRENT moving on a secret whose name starts the same', labelEvent(SIBLING), []],
  ['AWSCURRENT moving on a secret of the same name created again', labelEvent(RECREATED), []],
  ['a custom label moving on app-config', labelEvent(APP, { label: 'blue' }), []],
  ['AWSPREVIOUS moving on app-config', labelEvent(APP, { label: 'AWSPREVIOUS' }), []],
  ['a label event naming the partial ARN', labelEvent(APP, { resources: [PARTIAL] }), []],
  ['a look-alike label event from another source', { ...labelEvent(APP), source: 'example.app' }, []],
  ['DeleteSecret by full ARN', cloudTrailCall('DeleteSecret', APP), [rule('app-config', 'trail')]],
  ['DeleteSecret by partial ARN', cloudTrailCall('DeleteSecret', APP, { secretId: PARTIAL }), [rule('app-config', 'trail')]],
  ['DeleteSecret by name', cloudTrailCall('DeleteSecret', APP, { secretId: NAME }), [rule('app-config', 'trail')]],
  [
    'DeleteSecret by name with the pre-2024 aRN',
    cloudTrailCall('DeleteSecret', APP, { secretId: NAME, arnKey: 'aRN' }),
    [rule('app-config', 'trail')],
  ],
  [
    'DeleteSecret with only the pre-2024 aRN naming it',
    cloudTrailCall('DeleteSecret', APP, { secretId: 'not-its-name', arnKey: 'aRN' }),
    [rule('app-config', 'trail')],
  ],
  ['RestoreSecret by name', cloudTrailCall('RestoreSecret', APP, { secretId: NAME }), [rule('app-config', 'trail')]],
  ['RestoreSecret by full ARN, pre-2024 aRN', cloudTrailCall('RestoreSecret', APP, { arnKey: 'aRN' }), [rule('app-config', 'trail')]],
  ['a refused DeleteSecret (AccessDenied)', cloudTrailCall('DeleteSecret', APP, { errorCode: 'AccessDenied' }), []],
  [
    'a refused DeleteSecret by name (ResourceNotFoundException)',
    cloudTrailCall('DeleteSecret', APP, { secretId: NAME, errorCode: 'ResourceNotFoundException' }),
    [],
  ],
  ['a refused RestoreSecret', cloudTrailCall('RestoreSecret', APP, { errorCode: 'InvalidRequestException' }), []],
  ['DeleteSecret of a secret whose name starts the same, by name', cloudTrailCall('DeleteSecret', SIBLING, { secretId: 'prod/app-config-two' }), []],
  ['DeleteSecret of a secret whose name starts the same, by partial ARN', cloudTrailCall('DeleteSecret', SIBLING, { secretId: SIBLING.slice(0, -7) }), []],
  ['DeleteSecret of a secret named by a prefix of the name', cloudTrailCall('DeleteSecret', APP, { secretId: 'prod/app', arnKey: 'none' }), []],
  ['DeleteSecret of web-tls (no CloudTrail rule)', cloudTrailCall('DeleteSecret', TLS), []],
  ['DeleteSecret of the same name in another account', cloudTrailCall('DeleteSecret', APP, { secretId: NAME, account: '444455556666', arnKey: 'none' }), []],
  ['DeleteSecret of the same name in another region', cloudTrailCall('DeleteSecret', APP, { secretId: NAME, region: 'eu-west-1', arnKey: 'none' }), []],
  ...['PutSecretValue', 'UpdateSecret', 'RotateSecret', 'UpdateSecretVersionStage', 'CancelRotateSecret', 'TagResource', 'GetSecretValue'].map(
    (call): [string, Record<string, unknown>, string[]] => [`${call} on app-config (the label event reports value changes)`, cloudTrailCall(call, APP), []],
  ),
  [
    'the rotation service event (AWS Service Event via CloudTrail)',
    { ...cloudTrailCall('RotateSecret', APP), 'detail-type': 'AWS Service Event via CloudTrail' },
    [],
  ],
  ['a DeleteSecret look-alike from another event source', { ...cloudTrailCall('DeleteSecret', APP), source: 'aws.kms' }, []],
  ['the initial sync', { source: 'eks-secret-sync', 'detail-type': 'Initial sync', detail: { mappingId: 'app-config' } }, []],
  ['a scheduled sync', { source: 'eks-secret-sync', 'detail-type': 'Scheduled sync', detail: { mappingId: 'app-config' } }, []],
  ['a redrive', { source: 'eks-secret-sync', 'detail-type': 'Redrive', detail: { original: labelEvent(APP) } }, []],
];

let patterns: Record<string, unknown>;
let matched: string[][];

beforeAll(() => {
  const s = synth();
  patterns = Object.fromEntries(
    ofType(s, 'AWS::Events::Rule')
      .filter(([, r]) => r.Properties!.EventPattern !== undefined)
      .map(([, r]) => [r.Properties!.Name as string, r.Properties!.EventPattern]),
  );
  matched = matchEvents([{ rules: patterns, events: samples.map(([, event]) => event) }])[0]!;
  console.info(`[ruler] ${lastRun.events} events x ${Object.keys(patterns).length} rules in one JVM: ${lastRun.ms} ms`);
}, 120_000);

describe('the synthesized rule patterns', () => {
  it('are the event vocabulary\'s patterns, one label rule per mapping and a trail rule where asked', () => {
    expect(patterns).toStrictEqual({
      [rule('app-config', 'label')]: secretEventPattern('label', APP),
      [rule('app-config', 'trail')]: secretEventPattern('trail', APP),
      [rule('web-tls', 'label')]: secretEventPattern('label', TLS),
    });
  });

  it.each(samples.map(([what, , want], i) => [what, want, i] as const))('match %s: %j', (_what, want, i) => {
    expect(matched[i]).toStrictEqual(want);
  });
});

describe('cloudTrailPattern', () => {
  it('acts on successful calls only', () => {
    expect(cloudTrailPattern(APP).detail).toMatchObject({ errorCode: [{ exists: false }] });
  });

  it('refuses a partial ARN as the mapping\'s secret', () => {
    // (A partial ARN whose name ends in `-<6 chars>` looks like a full one: `prod/app-config` would pass.)
    expect(() => cloudTrailPattern('arn:aws:secretsmanager:us-east-1:111122223333:secret:app')).toThrow('not a full secret ARN');
  });
});

describe('secretIdSpellings', () => {
  it('lists the full ARN, the partial ARN and the name (names may contain slashes and dashes)', () => {
    expect(secretIdSpellings('arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main-Ab12Cd')).toStrictEqual([
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main-Ab12Cd',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main',
      'prod/db-main',
    ]);
  });
});

describe('ruleName', () => {
  it('starts with the stack\'s rule prefix and names the mapping and the kind', () => {
    expect(ruleName('EksSecretSync', 'app-config', 'label')).toBe('EksSecretSync-app-config-label');
    expect(ruleName('EksSecretSync', 'app-config', 'trail').startsWith(rulePrefix('EksSecretSync'))).toBe(true);
  });

  it('stays within the 64 characters EventBridge allows for the longest stack name and id', () => {
    expect(ruleName('S'.repeat(128), 'a'.repeat(MAX_ID_LENGTH), 'label')).toHaveLength(63);
  });
});
