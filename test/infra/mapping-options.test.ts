import { describe, expect, it, vi } from 'vitest';
import { FUNCTION_STEPS } from '../../functions/domain/sync-steps.ts';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/lambda-defaults.ts';
import { parseMappings } from '../../infra/model/config.ts';
import {
  MAPPING_OPTIONS,
  type MappingOption,
  OPTION_NAMES,
  type OptionDelivery,
} from '../../infra/model/mapping-options.ts';
import { ENV, type EnvName, FUNCTION_ENV, type FunctionKind } from '../../functions/runtime/env-contract.ts';
import type { CfnResource } from '../support/infra.ts';
import { synthUnbundled } from '../support/synth-unbundled.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-AbCdEf';
/** Every option that reaches a function, set away from its default on `tuned`; `plain` keeps every default. */
const YAML = `
mappings:
  - id: plain
    secretArn: ${ARN}
    cluster: { name: prod }
    namespace: app
    secretName: plain
  - id: tuned
    secretArn: ${ARN}
    cluster: { name: prod }
    namespace: app
    secretName: tuned
    type: kubernetes.io/tls
    labels: { team: a }
    annotations: { example.com/owner: a }
    prune: true
    deletionPolicy: delete
    restart: [deployment/api]
    data: { tls.crt: { from: crt }, tls.key: { from: key } }
    includeOtherKeys: true
    logLevel: WARN
`;

type Deliveries = Readonly<Record<string, readonly OptionDelivery[]>>;
const DELIVERIES: Deliveries = Object.fromEntries(
  OPTION_NAMES.map((k) => [k, (MAPPING_OPTIONS[k] as MappingOption).delivery]),
);
/** The variables that carry an option, by the options' descriptors. */
const optionVariables = (d: Deliveries) =>
  new Set(Object.values(d).flatMap((list) => list.flatMap((x) => (x.kind === 'env' ? [x.env] : []))));

/** A delivery to a function whose environment contract does not list the variable reaches nothing. */
function contractProblems(d: Deliveries, contract: Readonly<Record<string, { readonly optional: readonly string[] }>>) {
  return Object.entries(d).flatMap(([option, list]) =>
    list.flatMap((x) =>
      x.kind !== 'env'
        ? []
        : x.functions
            .filter((f) => !contract[f]?.optional.includes(x.env))
            .map((f) => `${option}: ${x.env} is not in the contract of ${f}`),
    ),
  );
}

/** Each function's option variables in the template against the descriptors: same names, same values. */
function templateProblems(d: Deliveries, resources: Record<string, CfnResource>, mappings: Record<string, unknown>[]) {
  const carried = optionVariables(d);
  const problems: string[] = [];
  for (const r of Object.values(resources)) {
    const kind = r.Metadata?.[FUNCTION_METADATA_KEY] as FunctionKind | undefined;
    const vars = (r.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
    const m = mappings.find((x) => x.id === vars[ENV.mappingId]);
    if (kind === undefined || m === undefined) continue;
    const expected: Record<string, string> = {};
    for (const list of Object.values(d)) {
      for (const x of list) {
        const v = x.kind === 'env' && x.functions.includes(kind) ? x.encode(m) : undefined;
        if (x.kind === 'env' && v !== undefined) expected[x.env] = v;
      }
    }
    const actual = Object.fromEntries(Object.entries(vars).filter(([k]) => carried.has(k as EnvName)));
    if (JSON.stringify(actual, Object.keys(actual).sort()) !== JSON.stringify(expected, Object.keys(expected).sort()))
      problems.push(
        `${m.id} ${kind}: ${JSON.stringify(actual)} where the descriptors give ${JSON.stringify(expected)}`,
      );
  }
  return problems;
}

describe('the mapping option descriptors', () => {
  const mappings = parseMappings(YAML, 'test.yaml').mappings as unknown as Record<string, unknown>[];
  const { resources } = synthUnbundled(YAML);
  const functions = Object.values(resources).filter((r) => r.Metadata?.[FUNCTION_METADATA_KEY] !== undefined);
  const ofMapping = (id: string) =>
    functions.filter((r) => r.Properties?.Environment?.Variables?.[ENV.mappingId] === id);

  it('deliver each variable only to functions whose environment contract reads it', () => {
    expect(contractProblems(DELIVERIES, FUNCTION_ENV)).toEqual([]);
    // Control: a delivery of LABELS to fetch-secret, whose contract does not list it.
    const planted = { ...DELIVERIES, labels: [{ ...DELIVERIES.labels![0]!, functions: ['fetch-secret'] }] };
    expect(contractProblems(planted as Deliveries, FUNCTION_ENV)).toEqual([
      'labels: LABELS is not in the contract of fetch-secret',
    ]);
  });

  it('match the option variables of every synthesized function, at defaults and away from them', () => {
    expect(
      ofMapping('tuned')
        .map((r) => r.Metadata![FUNCTION_METADATA_KEY])
        .sort(),
    ).toContain('restart-workloads');
    expect(templateProblems(DELIVERIES, resources, mappings)).toEqual([]);
    // Control: descriptors that forget that restart-workloads reads RESTART_TARGETS.
    const planted = { ...DELIVERIES, restart: [{ ...DELIVERIES.restart![0]!, functions: ['read-secret'] }] };
    expect(templateProblems(planted as Deliveries, resources, mappings)).toEqual([
      expect.stringMatching(/^tuned restart-workloads: \{"RESTART_TARGETS":"\[\\"deployment\/api\\"\]"[,}]/),
    ]);
  });

  it('set the Lambda log level of every function of a mapping with logLevel, and leave INFO on the others', () => {
    const level = (id: string) => ofMapping(id).map((r) => r.Properties?.LoggingConfig?.ApplicationLogLevel);
    expect(new Set(level('tuned'))).toEqual(new Set(['WARN']));
    expect(new Set(level('plain'))).toEqual(new Set(['INFO']));
    // Every row of the step table: the tuned mapping restarts workloads, so it has the optional function too.
    expect(level('tuned')).toHaveLength(FUNCTION_STEPS.length);
  });

  it("reach the functions' logger: Lambda's AWS_LAMBDA_LOG_LEVEL sets the Powertools level", async () => {
    vi.resetModules();
    vi.stubEnv('AWS_LAMBDA_LOG_LEVEL', 'WARN');
    try {
      const { logger } = await import('../../functions/runtime/logger.ts');
      expect(logger.getLevelName()).toBe('WARN');
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
