// Which events the synthesized rules match, as AWS Event Ruler (the engine
// behind EventBridge patterns) decides it: every rule pattern of the example
// mappings' template against events shaped as the AWS documentation shows them.
import { sweepSyncInput } from '../../functions/domain/sweep.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretEventPattern } from '../../functions/domain/events.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { MAX_ID_LENGTH } from '../../infra/model/config-schema.ts';
import { cloudTrailPattern, ruleName, rulePrefix } from '../../infra/constructs/events.ts';
import { secretIdSpellings } from '../../infra/model/secret-arn.ts';
import { EXAMPLE_FILE, ofType, synth } from '../support/infra.ts';
import { lastRun, matchEvents } from '../support/ruler.ts';
import { cloudTrailCall, labelEvent, type CloudTrailCallOptions } from '../support/secret-events.ts';

const config = loadMappings(EXAMPLE_FILE);
const arnOf = (id: string) => config.mappings.find((m) => m.id === id)!.secretArn;
const APP = arnOf('app-config'); // cloudTrailRules: true
const TLS = arnOf('web-tls'); // label rule only
const SIBLING = APP.replace('prod/app-config-', 'prod/app-config-two-'); // a name that starts the same
const RECREATED = APP.replace(/-[A-Za-z0-9]{6}$/, '-Zz9Yx8'); // same name, another secret (deleted, created again)
const PARTIAL = APP.slice(0, -7);
const NAME = 'prod/app-config';
const rule = (id: string, kind: 'label' | 'trail') => ruleName(config.stack.name, id, kind);

const APP_LABEL = [rule('app-config', 'label')];
const APP_TRAIL = [rule('app-config', 'trail')];
const del = (arn: string, opts: CloudTrailCallOptions = {}) => cloudTrailCall('DeleteSecret', arn, opts);
const restore = (arn: string, opts: CloudTrailCallOptions = {}) => cloudTrailCall('RestoreSecret', arn, opts);
const ours = (detailType: string, detail: object) => ({ source: 'eks-secret-sync', 'detail-type': detailType, detail });
/** Calls the CloudTrail rule leaves alone: value changes arrive as the label event; the rest change nothing synced. */
const OTHER_CALLS = [
  'PutSecretValue',
  'UpdateSecret',
  'RotateSecret',
  'UpdateSecretVersionStage',
  'CancelRotateSecret',
  'TagResource',
  'GetSecretValue',
];

/** A documented event sample, and the rules that must match it (by name). */
type Sample = [string, Record<string, unknown>, string[]];
const OTHER = '444455556666'; // another account
const BY_NAME_ONLY = { secretId: NAME, arnKey: 'none' } as const;
const SERVICE_EVENT = 'AWS Service Event via CloudTrail';

const samples: Sample[] = [
  ['AWSCURRENT moving on app-config', labelEvent(APP), APP_LABEL],
  ['AWSCURRENT moving on web-tls', labelEvent(TLS), [rule('web-tls', 'label')]],
  ['AWSCURRENT moving on a secret whose name starts the same', labelEvent(SIBLING), []],
  ['AWSCURRENT moving on a secret of the same name created again', labelEvent(RECREATED), []],
  ['a custom label moving on app-config', labelEvent(APP, { label: 'blue' }), []],
  ['AWSPREVIOUS moving on app-config', labelEvent(APP, { label: 'AWSPREVIOUS' }), []],
  ['a label event naming the partial ARN', labelEvent(APP, { resources: [PARTIAL] }), []],
  ['a look-alike label event from another source', { ...labelEvent(APP), source: 'example.app' }, []],
  ['DeleteSecret by full ARN', del(APP), APP_TRAIL],
  ['DeleteSecret by partial ARN', del(APP, { secretId: PARTIAL }), APP_TRAIL],
  ['DeleteSecret by name', del(APP, { secretId: NAME }), APP_TRAIL],
  ['DeleteSecret by name with the pre-2024 aRN', del(APP, { secretId: NAME, arnKey: 'aRN' }), APP_TRAIL],
  ['DeleteSecret with only the pre-2024 aRN naming it', del(APP, { secretId: 'x', arnKey: 'aRN' }), APP_TRAIL],
  ['DeleteSecret of a same-named secret created again, by name', del(RECREATED, { secretId: NAME }), APP_TRAIL],
  ['RestoreSecret by name', restore(APP, { secretId: NAME }), APP_TRAIL],
  ['RestoreSecret by full ARN, pre-2024 aRN', restore(APP, { arnKey: 'aRN' }), APP_TRAIL],
  ['a refused DeleteSecret (AccessDenied)', del(APP, { errorCode: 'AccessDenied' }), []],
  ['a refused DeleteSecret by name', del(APP, { secretId: NAME, errorCode: 'ResourceNotFoundException' }), []],
  ['a refused RestoreSecret', restore(APP, { errorCode: 'InvalidRequestException' }), []],
  ['DeleteSecret of a name that starts the same, by name', del(SIBLING, { secretId: 'prod/app-config-two' }), []],
  ['DeleteSecret of a name that starts the same, by partial ARN', del(SIBLING, { secretId: SIBLING.slice(0, -7) }), []],
  ['DeleteSecret naming a prefix of the name', del(APP, { secretId: 'prod/app', arnKey: 'none' }), []],
  ['DeleteSecret of web-tls (no CloudTrail rule)', del(TLS), []],
  ['DeleteSecret of the same name in another account', del(APP, { ...BY_NAME_ONLY, account: OTHER }), []],
  ['DeleteSecret of the same name in another region', del(APP, { ...BY_NAME_ONLY, region: 'eu-west-1' }), []],
  ...OTHER_CALLS.map((call): Sample => [`${call} on app-config`, cloudTrailCall(call, APP), []]),
  ['the rotation service event', { ...cloudTrailCall('RotateSecret', APP), 'detail-type': SERVICE_EVENT }, []],
  ['a DeleteSecret look-alike from another event source', { ...del(APP), source: 'aws.kms' }, []],
  ['the initial sync', ours('Initial sync', { mappingId: 'app-config', configHash: '0123456789abcdef' }), []],
  ['a scheduled sync', ours('Scheduled sync', { mappingId: 'app-config' }), []],
  ['a redrive', ours('Redrive', { original: labelEvent(APP) }), []],
  // The sweep's input names the secret in `resources`, as the label event does: its source keeps it out of every rule.
  ['a sweep sync', sweepSyncInput({ secretArn: APP, versionId: 'v2' }, new Date(0)).event, []],
];

let patterns: Record<string, unknown>;
let matched: string[][];

beforeAll(() => {
  const s = synth();
  patterns = Object.fromEntries(
    ofType(s, 'AWS::Events::Rule')
      // The mappings' rules; the core's admin-changes rule is judged in test/infra/admin-watch.test.ts.
      .filter(([id, r]) => r.Properties!.EventPattern !== undefined && !id.startsWith('AdminWatch'))
      .map(([, r]) => [r.Properties!.Name as string, r.Properties!.EventPattern]),
  );
  matched = matchEvents([{ rules: patterns, events: samples.map(([, event]) => event) }])[0]!;
  console.info(`[ruler] ${lastRun.events} events x ${Object.keys(patterns).length} rules in one JVM: ${lastRun.ms} ms`);
}, 120_000);

describe('the synthesized rule patterns', () => {
  it("are the event vocabulary's patterns, one label rule per mapping and a trail rule where asked", () => {
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

  it("refuses a partial ARN as the mapping's secret", () => {
    // (A partial ARN whose name ends in `-<6 chars>` looks like a full one: `prod/app-config` would pass.)
    const partial = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:app';
    expect(() => cloudTrailPattern(partial)).toThrow('not a full secret ARN');
  });
});

describe('secretIdSpellings', () => {
  it('lists the full ARN, the partial ARN and the name (names may contain slashes and dashes)', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main-Ab12Cd';
    expect(secretIdSpellings(arn)).toStrictEqual([
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main-Ab12Cd',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-main',
      'prod/db-main',
    ]);
  });
});

describe('ruleName', () => {
  it(
    "starts with the stack's rule prefix (10 characters of its name, a hash of all of it) and names the mapping and " +
      'the kind',
    () => {
      expect(ruleName('EksSecretSync', 'app-config', 'label')).toMatch(/^EksSecretS-[0-9a-f]{6}-app-config-label$/);
      expect(ruleName('EksSecretSync', 'app-config', 'trail').startsWith(rulePrefix('EksSecretSync'))).toBe(true);
    },
  );

  it("differs between stacks whose names share a long beginning, and no stack's prefix starts another's", () => {
    const stacks = ['EksSecretSync-prod-a', 'EksSecretSync-prod-b', 'EksSecretSync-prod-ab', 'EksSecretSync'];
    const prefixes = stacks.map(rulePrefix);
    expect(new Set(prefixes).size).toBe(stacks.length);
    for (const p of prefixes) expect(prefixes.filter((q) => q.startsWith(p))).toStrictEqual([p]);
  });

  it('stays within the 64 characters EventBridge allows for the longest stack name and id', () => {
    expect(ruleName('S'.repeat(128), 'a'.repeat(MAX_ID_LENGTH), 'label')).toHaveLength(64);
  });
});

describe('the synthesized CloudTrail rules', () => {
  it('start a sync only for calls AWS accepted: every one requires errorCode to be absent', () => {
    const trail = Object.entries(patterns).filter(([name]) => name.endsWith('-trail'));
    expect(trail.length).toBeGreaterThan(0);
    for (const [name, pattern] of trail)
      expect((pattern as any).detail.errorCode, name).toStrictEqual([{ exists: false }]);
  });
});
