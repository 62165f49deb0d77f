// A mapping that follows a staging label other than AWSCURRENT (the `label` option, issue 24 item 2): its rule,
// judged by AWS Event Ruler, matches that label's event for its secret only; the fetch function gets the label; a
// mapping without the option keeps its template byte for byte; bad labels and stages it would never re-sync are
// refused with the field and the fix.
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readSecretEvent } from '../../functions/domain/events.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { MappingsError, parseMappings } from '../../infra/model/config.ts';
import { ruleName } from '../../infra/constructs/events.ts';
import { exampleText, functionId, ofType, synth, type Synthesized } from '../support/infra.ts';
import { matchEvents } from '../support/ruler.ts';
import { labelEvent } from '../support/secret-events.ts';

const APP = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config-AbCdEf'; // follows CANARY
const TLS_NAME = 'web-tls'; // no label option: AWSCURRENT
const SIBLING = APP.replace('prod/app-config-', 'prod/app-config-two-');
const CLOUDTRAIL_LINE = 'cloudTrailRules: true      #';
const CANARY_TEXT = exampleText([CLOUDTRAIL_LINE, `label: CANARY\n    ${CLOUDTRAIL_LINE}`]);

let canary: Synthesized;
let plain: Synthesized;

const patternsOf = (s: Synthesized) =>
  Object.fromEntries(
    ofType(s, 'AWS::Events::Rule')
      .filter(([id, r]) => r.Properties!.EventPattern !== undefined && !id.startsWith('AdminWatch'))
      .map(([, r]) => [r.Properties!.Name as string, r.Properties!.EventPattern]),
  );

beforeAll(() => {
  canary = synth(CANARY_TEXT);
  plain = synth();
}, 180_000);

describe('the label rule of a mapping following CANARY, judged by Event Ruler', () => {
  const stack = 'EksSecretSync';
  const appLabel = ruleName(stack, 'app-config', 'label');
  const tlsLabel = ruleName(stack, TLS_NAME, 'label');
  const TLS = () => parseMappings(CANARY_TEXT, 'x.yaml').mappings.find((m) => m.id === TLS_NAME)!.secretArn;
  const cases: [string, () => Record<string, unknown>, string[]][] = [
    ['CANARY moving on its secret', () => labelEvent(APP, { label: 'CANARY' }), [appLabel]],
    // Positive control: the event every other mapping follows must not start this one.
    ['AWSCURRENT moving on its secret', () => labelEvent(APP), []],
    ['CANARY moving on another secret (web-tls)', () => labelEvent(TLS(), { label: 'CANARY' }), []],
    ['CANARY moving on a secret whose name starts the same', () => labelEvent(SIBLING, { label: 'CANARY' }), []],
    ['canary (other case) moving on its secret', () => labelEvent(APP, { label: 'canary' }), []],
    ['AWSPREVIOUS moving on its secret', () => labelEvent(APP, { label: 'AWSPREVIOUS' }), []],
    // The checker matches at all: web-tls, without the option, still follows AWSCURRENT.
    ['AWSCURRENT moving on web-tls', () => labelEvent(TLS()), [tlsLabel]],
  ];
  let matched: string[][];
  let events: Record<string, unknown>[];

  beforeAll(() => {
    events = cases.map(([, make]) => make());
    matched = matchEvents([{ rules: patternsOf(canary), events }])[0]!;
  }, 120_000);

  it.each(cases.map(([what, , want], i) => [what, want, i] as const))('%s: matches %j', (_what, want, i) => {
    expect(matched[i]).toStrictEqual(want);
  });

  it("agrees with the fetch's reading of the event: a trigger exactly when the rule matched", () => {
    const read = events.map((e) => readSecretEvent(e, APP, 'CANARY').verdict === 'trigger');
    expect(read).toStrictEqual(matched.map((names) => names.includes(appLabel)));
  });
});

describe('a mapping without the option', () => {
  it('keeps the label pattern it had before the option, byte for byte', () => {
    const tls = parseMappings(CANARY_TEXT, 'x.yaml').mappings.find((m) => m.id === TLS_NAME)!.secretArn;
    const before =
      '{"detail":{"labelUpdated":["AWSCURRENT"]},"detail-type":["Secret Label Updated"],"resources":' +
      `[${JSON.stringify(tls)}],"source":["aws.secretsmanager"]}`;
    const pattern = patternsOf(plain)[ruleName('EksSecretSync', TLS_NAME, 'label')];
    expect(JSON.stringify(sortKeys(pattern))).toBe(before);
    // Control: the CANARY mapping's pattern is not that of AWSCURRENT.
    const app = patternsOf(canary)[ruleName('EksSecretSync', 'app-config', 'label')] as any;
    expect(app.detail.labelUpdated).toStrictEqual(['CANARY']);
  });

  it('synthesizes the same template when it writes label: AWSCURRENT (the default) or leaves it out', () => {
    const explicit = synth(exampleText([CLOUDTRAIL_LINE, `label: AWSCURRENT\n    ${CLOUDTRAIL_LINE}`]));
    expect(explicit.json).toStrictEqual(plain.json);
  }, 120_000);

  it("gives the fetch function FOLLOW_LABEL only for a label other than AWSCURRENT; other mappings' unchanged", () => {
    const envOf = (s: Synthesized, id: string) =>
      (s.resources[functionId(s, id, 'fetch-secret')]!.Properties as any).Environment.Variables;
    expect(envOf(canary, 'app-config')[ENV.followLabel]).toBe('CANARY');
    expect(envOf(plain, 'app-config')[ENV.followLabel]).toBeUndefined();
    expect(envOf(canary, TLS_NAME)).toStrictEqual(envOf(plain, TLS_NAME));
  });
});

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/payments-Ab12Cd';
function problems(overrides: Record<string, unknown>): readonly string[] {
  const m = { id: 'payments', secretArn: ARN, cluster: { name: 'prod' }, namespace: 'p', secretName: 'p' };
  try {
    parseMappings(stringify({ mappings: [{ ...m, ...overrides }] }), 'test.yaml');
  } catch (e) {
    if (e instanceof MappingsError) return e.problems;
    throw e;
  }
  return [];
}

describe('the label option', () => {
  it.each([
    ['an empty label', '', 'is not a staging label; expected 1 to 256 characters'],
    ['a label over 256 characters', 'A'.repeat(257), 'is not a staging label; expected 1 to 256 characters'],
    ['AWSPREVIOUS', 'AWSPREVIOUS', 'AWSPREVIOUS cannot be followed: Secrets Manager sends no'],
    ['AWSPENDING', 'AWSPENDING', 'AWSPENDING cannot be followed'],
    ['whitespace at an end', 'CANARY ', 'starts or ends with whitespace'],
  ])('refuses %s, naming the field and the fix', (_what, label, message) => {
    const found = problems({ label });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('label');
    expect(found[0]).toContain(message);
  });

  it.each([['CANARY'], ['A'.repeat(256)], ['AWSCURRENT'], ['blue-green.v2']])('accepts %s', (label) => {
    expect(problems({ label })).toStrictEqual([]);
  });

  it('refuses a data entry reading another label than the followed one (it would go stale: no event of it)', () => {
    const data = { NOW: { from: 'password' }, OLD: { from: 'password', stage: 'AWSPREVIOUS' } };
    const found = problems({ label: 'CANARY', data });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('data.OLD.stage');
    expect(found[0]).toContain('reads AWSPREVIOUS, but the mapping follows label CANARY');
    expect(found[0]).toContain('remove stage');
  });

  it('accepts entries naming the followed label itself, and AWSPREVIOUS under AWSCURRENT (control)', () => {
    expect(problems({ label: 'CANARY', data: { A: { from: 'a', stage: 'CANARY' } } })).toStrictEqual([]);
    expect(problems({ data: { A: { from: 'a' }, B: { from: 'a', stage: 'AWSPREVIOUS' } } })).toStrictEqual([]);
  });
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}
