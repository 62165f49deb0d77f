import { ConfigError } from '../domain/errors.ts';
import { ENV, FUNCTION_ENV, PLATFORM_ENV } from './env-contract.ts';
import type { EnvName, FunctionEnvironment, FunctionKind } from './env-contract.ts';

/** Names read so far through {@link readEnv}, per function kind (test/unit/env-contract.test.ts compares them). */
const reads = new Map<FunctionKind, Set<EnvName>>();

/**
 * The environment of a function of kind `kind`, read once at module init:
 * exactly the names its contract lists (functions/runtime/env-contract.ts),
 * so a handler cannot read a variable its construct does not set, and a
 * missing required one fails the first invocation with its name. Optional
 * names that are unset or empty are absent.
 *
 * @throws ConfigError when a required variable is missing or empty.
 */
export function readEnv<K extends FunctionKind>(
  kind: K,
  source: Readonly<Record<string, string | undefined>> = process.env,
): FunctionEnvironment<K> {
  const contract: { readonly required: readonly EnvName[]; readonly optional: readonly EnvName[] } = FUNCTION_ENV[kind];
  const seen = reads.get(kind) ?? new Set<EnvName>();
  reads.set(kind, seen);
  const env: Partial<Record<EnvName, string>> = {};
  for (const name of contract.required) {
    const v = source[name];
    if (v === undefined || v === '') {
      throw new ConfigError(
        `environment variable ${name} is not set; the CDK stack sets it for every function of a mapping`,
      );
    }
    env[name] = v;
  }
  for (const name of contract.optional) {
    const v = source[name];
    if (v !== undefined && v !== '') env[name] = v;
  }
  // Getters record which names the function's code actually uses.
  const recorded = {};
  for (const name of [...contract.required, ...contract.optional]) {
    Object.defineProperty(recorded, name, {
      enumerable: env[name] !== undefined,
      get: () => {
        seen.add(name);
        return env[name];
      },
    });
  }
  return Object.freeze(recorded) as FunctionEnvironment<K>;
}

/** The names a function kind's code has read through {@link readEnv} in this process, sorted. */
export function envReads(kind: FunctionKind): EnvName[] {
  return [...(reads.get(kind) ?? [])].sort();
}

/**
 * Parses an optional variable holding JSON.
 *
 * @throws ConfigError when it is set but not valid JSON.
 */
export function jsonValue<T>(name: EnvName, value: string | undefined, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new ConfigError(`environment variable ${name} is not valid JSON`);
  }
}

/**
 * The function's region, from AWS_REGION (Lambda sets it).
 *
 * @throws ConfigError when it is not set.
 */
export function lambdaRegion(source: Readonly<Record<string, string | undefined>> = process.env): string {
  const v = source[PLATFORM_ENV.region];
  if (v === undefined || v === '') {
    throw new ConfigError(`environment variable ${PLATFORM_ENV.region} is not set (Lambda sets it)`);
  }
  return v;
}

/**
 * The region to sign a cluster's token for: its entry in {@link ENV.clusterRegions}' JSON, else `fallback` (the
 * function's region). Parsed once, at init.
 *
 * @throws ConfigError when the variable is not a JSON object of region names (the construct writes it).
 */
export function clusterRegionsOf(json: string | undefined, fallback: string): (clusterName: string) => string {
  if (json === undefined || json === '') return () => fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((r) => typeof r === 'string' && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(r));
  if (!valid) {
    throw new ConfigError(
      `environment variable ${ENV.clusterRegions} is not a JSON object of cluster name -> region; redeploy the stack`,
    );
  }
  const regions = parsed as Record<string, string>;
  return (clusterName) => (Object.hasOwn(regions, clusterName) ? regions[clusterName]! : fallback);
}
