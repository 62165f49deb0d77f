// The event vocabulary proven both ways: for generated events of every kind the
// vocabulary knows, AWS Event Ruler matches a mapping's synthesized rule exactly
// when the FetchSecret parser reads the event as that rule's trigger for the
// mapping's secret. All events go to one JVM; the seed is fixed and in the test name.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { SECRET_EVENT_RULES, readSecretEvent, type SecretEventRule } from '../../functions/domain/events.ts';
import { parseSecretArn } from '../../functions/domain/secret-arn.ts';
import { isDeleteSecretEvent, requestedVersion } from '../../functions/sources/secrets-manager/event-reading.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { ruleName } from '../../infra/constructs/events.ts';
import { EXAMPLE_FILE, ofType, synth } from '../support/infra.ts';
import { lastRun, matchEvents, type RulerJob } from '../support/ruler.ts';
import { cloudTrailCall, labelEvent, type ArnKey } from '../support/secret-events.ts';

const SEED = 20261127;
const RUNS = 500;

const config = loadMappings(EXAMPLE_FILE);
const arnOf = (id: string) => config.mappings.find((m) => m.id === id)!.secretArn;
const [APP, TLS] = [arnOf('app-config'), arnOf('web-tls')];
const named = (arn: string) => parseSecretArn(arn)!;

/** The secrets events may name: the mappings', and others that look like them. */
const SECRETS = {
  app: APP,
  tls: TLS,
  sibling: APP.replace('prod/app-config-', 'prod/app-config-two-'), // a name that starts the same
  recreated: APP.replace(/-[A-Za-z0-9]{6}$/, '-Zz9Yx8'), // the same name, another secret
  otherAccount: APP.replace(':111122223333:', ':444455556666:'),
  otherRegion: APP.replace(':us-east-1:', ':eu-west-1:'),
};

type Json = Record<string, any>;

/** One of the values, each as often as its weight says. */
const pick = <T>(...options: [T, number][]) =>
  fc.oneof(...options.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));

// The mappings' secrets most often, so that about one event in five is a trigger.
const secret = pick<string>(
  [SECRETS.app, 3],
  [SECRETS.tls, 2],
  [SECRETS.sibling, 1],
  [SECRETS.recreated, 1],
  [SECRETS.otherAccount, 1],
  [SECRETS.otherRegion, 1],
);

const label = fc
  .record({
    arn: secret,
    label: pick(['AWSCURRENT', 8], ['AWSPREVIOUS', 1], ['blue', 1]),
    resources: pick<'own' | 'none' | 'with-another' | 'partial'>(
      ['own', 8],
      ['none', 1],
      ['with-another', 1],
      ['partial', 1],
    ),
    versionId: fc.option(fc.uuid(), { nil: undefined }),
  })
  .map(({ arn, label, resources, versionId }) => {
    const list = { own: [arn], none: [], 'with-another': [SECRETS.tls, arn], partial: [named(arn).partialArn] };
    const event = labelEvent(arn, { label, resources: list[resources] });
    if (versionId === undefined) delete event.detail.versionId;
    else event.detail.versionId = versionId;
    return event;
  });

/** Calls the CloudTrail rule leaves to the label event (value changes) or ignores. */
const calls = ['PutSecretValue', 'UpdateSecret', 'RotateSecret', 'UpdateSecretVersionStage', 'TagResource'];
const trail = fc
  .record({
    arn: secret,
    eventName: fc.oneof(
      { arbitrary: fc.constantFrom('DeleteSecret', 'RestoreSecret'), weight: 3 },
      { arbitrary: fc.constantFrom(...calls), weight: 1 },
    ),
    spelling: fc.constantFrom('full', 'partial', 'name', 'name', 'absent', 'prefix-of-name'),
    arnKey: pick<ArnKey>(['arn', 2], ['aRN', 1], ['none', 1]),
    // A refused call carries errorCode; `null` probes that a null value counts as present.
    errorCode: pick<string | null | undefined>(
      [undefined, 7],
      ['AccessDenied', 1],
      ['ResourceNotFoundException', 1],
      [null, 1],
    ),
    where: pick<'own' | 'other-account' | 'other-region'>(['own', 8], ['other-account', 1], ['other-region', 1]),
    eventSource: pick(['secretsmanager.amazonaws.com', 19], ['kms.amazonaws.com', 1]),
  })
  .map(({ arn, eventName, spelling, arnKey, errorCode, where, eventSource }) => {
    const { partialArn, name } = named(arn);
    const ids = { full: arn, partial: partialArn, name, absent: null, 'prefix-of-name': name.slice(0, -1) };
    const places = { own: {}, 'other-account': { account: '444455556666' }, 'other-region': { region: 'eu-west-1' } };
    const refused = errorCode !== undefined && { errorCode };
    const event = cloudTrailCall(eventName, arn, { secretId: ids[spelling], arnKey, ...refused, ...places[where] });
    event.detail.eventSource = eventSource;
    return event;
  });

const synthetic = fc
  .record({ detailType: fc.constantFrom('Initial sync', 'Scheduled sync', 'Sweep sync', 'Redrive'), original: label })
  .map(({ detailType, original }) => ({
    source: 'eks-secret-sync',
    'detail-type': detailType,
    detail: { mappingId: 'app-config', original },
  }));

/** The documented shapes, now and then with another source or detail-type, and with extra detail fields. */
const events = fc
  .record({
    event: fc.oneof(
      { arbitrary: label, weight: 4 },
      { arbitrary: trail, weight: 5 },
      { arbitrary: synthetic, weight: 1 },
    ),
    source: pick<string | undefined>([undefined, 18], ['aws.kms', 1], ['eks-secret-sync', 1]),
    detailType: pick<string | undefined>(
      [undefined, 17],
      ['Secret Label Updated', 1],
      ['AWS API Call via CloudTrail', 1],
      ['AWS Service Event via CloudTrail', 1],
    ),
    extra: fc.dictionary(
      fc.constantFrom('userAgent', 'sourceIPAddress', 'readOnly', 'vpcEndpointId', 'note'),
      fc.oneof(fc.string(), fc.boolean()),
    ),
  })
  .map(
    ({ event, source, detailType, extra }): Json => ({
      ...event,
      ...(source !== undefined && { source }),
      ...(detailType !== undefined && { 'detail-type': detailType }),
      detail: { ...extra, ...event.detail },
    }),
  );

/** The synthesized rules of each mapping, by kind. */
function rulesOf(id: string): Partial<Record<SecretEventRule, string>> {
  const names = SECRET_EVENT_RULES.map((kind) => [kind, ruleName(config.stack.name, id, kind)] as const);
  return Object.fromEntries(names.filter(([, name]) => name in patterns));
}

/** The rules the parser says deliver `event` to the mapping: the rule whose trigger it is, if the mapping has it. */
function parserRules(id: string, secretArn: string, event: Json): string[] {
  const reading = readSecretEvent(event, secretArn);
  const name = reading.verdict === 'trigger' ? rulesOf(id)[reading.rule] : undefined;
  return name ? [name] : [];
}

/** Every (event, mapping) where Event Ruler and the parser disagree. */
function disagreements(samples: readonly Json[], matched: string[][]): string[] {
  const found: string[] = [];
  samples.forEach((event, i) => {
    for (const m of config.mappings) {
      const mine = new Set(Object.values(rulesOf(m.id)));
      const ruler = matched[i]!.filter((n) => mine.has(n));
      const parser = parserRules(m.id, m.secretArn, event);
      if (JSON.stringify(ruler) === JSON.stringify(parser)) continue;
      const [r, q, e] = [ruler, parser, event].map((x) => JSON.stringify(x));
      found.push(`${m.id}: Event Ruler ${r}, parser ${q}: ${e}`);
    }
  });
  return found;
}

/** Wrong patterns the checker must catch (positive controls). */
const MUTANTS: Record<string, (p: Json) => void> = {
  'without the errorCode filter': (p) => delete p.detail?.errorCode,
  'matching the secret by a prefix of its partial ARN': (p) => {
    const prefix = (values: string[]) => [{ prefix: named(values.find((v) => v.includes(':secret:'))!).partialArn }];
    if (p.resources) p.resources = prefix(p.resources);
    if (p.detail?.$or) p.detail.$or[2].requestParameters.secretId = prefix(p.detail.$or[2].requestParameters.secretId);
  },
  'for any label': (p) => {
    if (p.detail?.labelUpdated) delete p.detail; // the label rule's detail holds only the label
  },
  'in any account': (p) => delete p.account,
};

let patterns: Record<string, Json>;
let samples: Json[];
let matched: string[][][];

beforeAll(() => {
  const s = synth();
  patterns = Object.fromEntries(
    ofType(s, 'AWS::Events::Rule')
      // The mappings' rules; the core's admin-changes rule is judged in test/infra/admin-watch.test.ts.
      .filter(([id, r]) => r.Properties!.EventPattern !== undefined && !id.startsWith('AdminWatch'))
      .map(([, r]) => [r.Properties!.Name as string, r.Properties!.EventPattern]),
  );
  samples = fc.sample(events, { seed: SEED, numRuns: RUNS });
  const mutated = Object.values(MUTANTS).map((mutate): RulerJob => {
    const rules = structuredClone(patterns);
    Object.values(rules).forEach(mutate);
    return { rules, events: samples };
  });
  matched = matchEvents([{ rules: patterns, events: samples }, ...mutated]);
  const sets = 1 + mutated.length;
  console.info(`[ruler] ${lastRun.events} events (${RUNS} x ${sets} rule sets) in one JVM: ${lastRun.ms} ms`);
}, 120_000);

describe(`the event vocabulary (seed ${SEED}, ${RUNS} events)`, () => {
  it("has the synthesized patterns match an event exactly when the parser reads it as that rule's trigger", () => {
    const found = disagreements(samples, matched[0]!);
    expect(found.length, `first disagreements:\n${found.slice(0, 3).join('\n')}`).toBe(0);
  });

  it('generates events that each rule matches, and events that none does', () => {
    const count = (rule: string) => matched[0]!.filter((names) => names.includes(rule)).length;
    const counts = Object.fromEntries(Object.keys(patterns).map((rule) => [rule, count(rule)]));
    expect(
      Object.values(counts).every((n) => n >= 5),
      JSON.stringify(counts),
    ).toBe(true);
    expect(matched[0]!.filter((names) => names.length === 0).length).toBeGreaterThan(RUNS / 4);
  });

  it.each(Object.keys(MUTANTS).map((name, i) => [name, i + 1] as const))('detects a pattern %s', (_name, job) => {
    expect(disagreements(samples, matched[job]!).length).toBeGreaterThan(0);
  });

  it("has FetchSecret act on the parser's reading: the version, the deletion, or a refusal", () => {
    for (const event of samples) {
      for (const m of config.mappings) {
        const reading = readSecretEvent(event, m.secretArn);
        if (reading.verdict === 'other-secret') {
          expect(() => requestedVersion(event, m.secretArn)).toThrow(InvalidInputError);
          expect(() => isDeleteSecretEvent(event, m.secretArn)).toThrow(InvalidInputError);
          continue;
        }
        const trigger = reading.verdict === 'trigger' ? reading : undefined;
        expect(requestedVersion(event, m.secretArn)).toBe(trigger?.versionId);
        expect(isDeleteSecretEvent(event, m.secretArn)).toBe(trigger?.change === 'deleted');
      }
    }
  });
});
