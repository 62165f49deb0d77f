import { MAX_ROLLOUT_TIMEOUT_SECONDS } from '../domain/rollout.ts';
import type { DeletionPolicy, MergeOptions, SecretType } from '../domain/types.ts';
import { MAX_RESTART_WINDOW_SECONDS, parseWorkloads, type WorkloadRef } from '../domain/restart.ts';
import { DEFAULT_SECRET_TYPE, isSecretType, SECRET_TYPES } from '../domain/secret-types.ts';
import { ConfigError } from '../domain/errors.ts';
import { CURRENT_LABEL, followedLabelProblem } from '../domain/events.ts';
import { DEFAULT_SOURCE_KIND } from '../domain/source.ts';
import { shapeProblems, type DataShape, type DataSource } from '../domain/shape.ts';
import { ENV, type EnvName } from './env-contract.ts';
import { jsonValue } from './env.ts';

/** An environment (from `readEnv`) that holds the variables `N`, set or not. */
export type EnvWith<N extends EnvName> = { readonly [P in N]?: string };

/**
 * The mapping's Secret type from SECRET_TYPE (default Opaque).
 *
 * @throws ConfigError for a type this tool does not support.
 */
export function secretTypeFrom(env: EnvWith<typeof ENV.secretType>): SecretType {
  const t = env[ENV.secretType] || DEFAULT_SECRET_TYPE;
  if (!isSecretType(t)) {
    throw new ConfigError(`${ENV.secretType} ${JSON.stringify(t)} is not one of ${SECRET_TYPES.join(', ')}`);
  }
  return t;
}

/**
 * The mapping's `deletionPolicy` from DELETION_POLICY: "retain" (default) or "delete".
 *
 * @throws ConfigError for any other value.
 */
export function deletionPolicyFrom(value: string | undefined): DeletionPolicy {
  const v = value === undefined || value === '' ? 'retain' : value;
  if (v !== 'retain' && v !== 'delete') {
    throw new ConfigError(`${ENV.deletionPolicy} must be "retain" or "delete", not ${JSON.stringify(value)}`);
  }
  return v;
}

/** The variables {@link mergeOptionsFrom} reads. */
type MergeEnv = { readonly [ENV.mappingId]: string } & EnvWith<
  | typeof ENV.prune
  | typeof ENV.secretType
  | typeof ENV.labels
  | typeof ENV.annotations
  | typeof ENV.deletionPolicy
  | typeof ENV.adopt
>;

/** A "true"/"false" variable, `fallback` when unset. @throws ConfigError for anything else. */
function booleanFrom(name: string, value: string | undefined, fallback: boolean): boolean {
  const v = value ?? String(fallback);
  if (v !== 'true' && v !== 'false')
    throw new ConfigError(`${name} must be "true" or "false", not ${JSON.stringify(v)}`);
  return v === 'true';
}

/**
 * Merge options from MAPPING_ID, PRUNE ("true"/"false"), SECRET_TYPE, the
 * JSON objects LABELS and ANNOTATIONS, DELETION_POLICY and ADOPT ("true"/"false").
 *
 * @throws ConfigError when one is malformed.
 */
export function mergeOptionsFrom(env: MergeEnv): MergeOptions {
  const prune = env[ENV.prune] ?? 'false';
  if (prune !== 'true' && prune !== 'false') {
    throw new ConfigError(`${ENV.prune} must be "true" or "false", not ${JSON.stringify(prune)}`);
  }
  return {
    mappingId: env[ENV.mappingId],
    prune: prune === 'true',
    type: secretTypeFrom(env),
    labels: jsonValue<Record<string, string>>(ENV.labels, env[ENV.labels], {}),
    annotations: jsonValue<Record<string, string>>(ENV.annotations, env[ENV.annotations], {}),
    deletionPolicy: deletionPolicyFrom(env[ENV.deletionPolicy]),
    adopt: booleanFrom(ENV.adopt, env[ENV.adopt], false),
  };
}

/**
 * The mapping's `restart` option from RESTART_TARGETS: a JSON array of
 * `deployment/<name>`, `statefulset/<name>` or `daemonset/<name>`; unset
 * means none. Sorted, without duplicates.
 *
 * @throws ConfigError when it is not such an array.
 */
export function restartTargetsFrom(env: EnvWith<typeof ENV.restartTargets>): WorkloadRef[] {
  const refs = jsonValue<unknown>(ENV.restartTargets, env[ENV.restartTargets], []);
  if (!Array.isArray(refs) || !refs.every((r): r is string => typeof r === 'string')) {
    throw new ConfigError(`${ENV.restartTargets} must be a JSON array of strings such as ["deployment/api"]`);
  }
  try {
    return parseWorkloads(refs);
  } catch (e) {
    throw new ConfigError(`${ENV.restartTargets}: ${(e as Error).message}`);
  }
}

/**
 * How long one Kubernetes request may take before it counts as a (transient)
 * timeout: KUBE_TIMEOUT_MS, default 10 s. Keep it well under the task's
 * TimeoutSeconds (30) so the state machine's retries, not States.Timeout,
 * handle a hung apiserver.
 *
 * @throws ConfigError when it is set but not an integer from 100 to 25000.
 */
export function kubeTimeoutFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 10_000;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100 || ms > 25_000) {
    throw new ConfigError(
      `${ENV.kubeTimeoutMs} must be an integer number of milliseconds from 100 to 25000, not ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/**
 * ROLLOUT_TIMEOUT_SECONDS: how long the restart follows the rollouts (0 to {@link MAX_ROLLOUT_TIMEOUT_SECONDS});
 * unset or empty: 0, not followed.
 *
 * @throws ConfigError for anything else.
 */
export function rolloutTimeoutFrom(value: string | undefined): number {
  return wholeSecondsFrom(ENV.rolloutTimeoutSeconds, value, MAX_ROLLOUT_TIMEOUT_SECONDS);
}

/**
 * RESTART_WINDOW_SECONDS: the window that coalesces restarts (0 to {@link MAX_RESTART_WINDOW_SECONDS}); unset or
 * empty: 0, restarts not coalesced.
 *
 * @throws ConfigError for anything else.
 */
export function restartWindowFrom(value: string | undefined): number {
  return wholeSecondsFrom(ENV.restartWindowSeconds, value, MAX_RESTART_WINDOW_SECONDS);
}

/** A variable of whole seconds from 0 to `max`; unset or empty: 0. @throws ConfigError for anything else. */
function wholeSecondsFrom(name: string, value: string | undefined, max: number): number {
  if (value === undefined || value === '') return 0;
  const s = Number(value);
  if (!Number.isInteger(s) || s < 0 || s > max) {
    throw new ConfigError(
      `${name} must be an integer number of seconds from 0 to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return s;
}

/** Most bytes DATA_SHAPE may take: Lambda allows 4 KB for all of a function's variables, the rest need about 1 KB. */
export const MAX_DATA_SHAPE_BYTES = 3072;

/** The DATA_SHAPE value of a shape: what the construct sets and the local pipeline passes, written once. */
export function dataShapeEnvValue(shape: DataShape): string {
  return JSON.stringify({ data: shape.data, includeOtherKeys: shape.includeOtherKeys });
}

function isDataSource(v: unknown): v is DataSource {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const { stage, ...rest } = v as Record<string, unknown>;
  const fields = Object.keys(rest);
  return (
    fields.length === 1 &&
    ['from', 'path', 'template'].includes(fields[0]!) &&
    typeof Object.values(rest)[0] === 'string' &&
    (stage === undefined || typeof stage === 'string')
  );
}

/**
 * The mapping's data spec from DATA_SHAPE (JSON `{data, includeOtherKeys}`),
 * checked as at synth time; unset means none (every key as it is).
 *
 * @throws ConfigError when it is malformed or fails the synth-time checks.
 */
export function dataShapeFrom(env: EnvWith<typeof ENV.dataShape | typeof ENV.secretType>): DataShape | undefined {
  const raw = jsonValue<unknown>(ENV.dataShape, env[ENV.dataShape], undefined);
  if (raw === undefined) return undefined;
  const o = raw as { data?: unknown; includeOtherKeys?: unknown };
  const data = o?.data;
  if (
    typeof data !== 'object' ||
    data === null ||
    Array.isArray(data) ||
    !Object.values(data).every(isDataSource) ||
    typeof o.includeOtherKeys !== 'boolean'
  ) {
    throw new ConfigError(
      `${ENV.dataShape} must be JSON {"data": {"<key>": {"from"|"path"|"template": "...", "stage"?: "..."}}, ` +
        `"includeOtherKeys": true|false}`,
    );
  }
  const shape: DataShape = { data: data as Record<string, DataSource>, includeOtherKeys: o.includeOtherKeys };
  const problems = shapeProblems(shape, secretTypeFrom(env));
  if (problems.length > 0) {
    throw new ConfigError(`${ENV.dataShape}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  }
  return shape;
}

/**
 * The mapping's source provider from SOURCE_KIND; unset or empty: {@link DEFAULT_SOURCE_KIND}.
 *
 * @param kinds the kinds the function can open (functions/sources/open.ts `OPEN_SOURCE_KINDS`).
 * @throws ConfigError for a kind this build has no provider for.
 */
export function sourceKindFrom(env: EnvWith<typeof ENV.sourceKind>, kinds: readonly string[]): string {
  const kind = env[ENV.sourceKind] || DEFAULT_SOURCE_KIND;
  if (!kinds.includes(kind)) {
    throw new ConfigError(`${ENV.sourceKind} ${JSON.stringify(kind)} is not one of ${kinds.join(', ')}`);
  }
  return kind;
}

/**
 * The staging label the mapping follows, from FOLLOW_LABEL; unset or empty: AWSCURRENT (every mapping before the
 * `label` option).
 *
 * @throws ConfigError for a label Secrets Manager sends no event for, or not 1 to 256 characters.
 */
export function followLabelFrom(env: EnvWith<typeof ENV.followLabel>): string {
  const label = env[ENV.followLabel] || CURRENT_LABEL;
  const problem = followedLabelProblem(label);
  if (problem !== undefined) throw new ConfigError(`${ENV.followLabel}: ${problem}`);
  return label;
}
