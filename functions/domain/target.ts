/**
 * A mapping's target as the state machine carries it: the Map state's item (written into the definition by
 * the stack, never taken from an execution's input) and the clusters its targets name. Pure: the functions
 * check the shape here and name what is wrong.
 */
import { InvalidInputError } from './errors.ts';
import { isSecretType } from './secret-types.ts';
import type { DeletionPolicy, SecretType } from './types.ts';

/**
 * One target: where its Secret is, and what it overrides of the mapping's Secret options (a field left out
 * takes the mapping's, which the functions hold in their environment).
 */
export interface TargetRef {
  /** `<cluster>/<namespace>/<secretName>`: the name in DLQ messages, logs and the CLI. */
  readonly name: string;
  /** The EKS cluster's name (a key of {@link ClusterMap}). */
  readonly cluster: string;
  readonly namespace: string;
  readonly secretName: string;
  readonly type?: SecretType;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly prune?: boolean;
  readonly deletionPolicy?: DeletionPolicy;
  readonly restart?: readonly string[];
  /** True when the mapping has `failureEvents`: a failed sync leaves an Event on the Secret (the ASL reads it). */
  readonly failureEvents?: boolean;
}

/** How to reach each cluster of a mapping: the API server URL and its CA (base64 PEM, as EKS returns it). */
export type ClusterMap = Readonly<Record<string, { readonly endpoint: string; readonly ca: string }>>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown) => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * The target of a step's input, checked.
 *
 * @throws InvalidInputError naming the field that is missing or malformed.
 */
export function targetRefOf(value: unknown): TargetRef {
  if (!isObject(value)) throw new InvalidInputError('the input has no target; expected the Map item of the state');
  for (const field of ['name', 'cluster', 'namespace', 'secretName'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') {
      throw new InvalidInputError(`the input's target has no ${field}; expected a non-empty string`);
    }
  }
  const bad = (field: string, expected: string) =>
    new InvalidInputError(`target ${String(value.name)}: ${field} is malformed; expected ${expected}`);
  if (value.type !== undefined && !(typeof value.type === 'string' && isSecretType(value.type))) {
    throw bad('type', 'a supported Secret type');
  }
  if (value.labels !== undefined && !isStringMap(value.labels)) throw bad('labels', 'an object of strings');
  if (value.annotations !== undefined && !isStringMap(value.annotations)) {
    throw bad('annotations', 'an object of strings');
  }
  if (value.prune !== undefined && typeof value.prune !== 'boolean') throw bad('prune', 'true or false');
  if (value.deletionPolicy !== undefined && value.deletionPolicy !== 'retain' && value.deletionPolicy !== 'delete') {
    throw bad('deletionPolicy', '"retain" or "delete"');
  }
  if (
    value.restart !== undefined &&
    !(Array.isArray(value.restart) && value.restart.every((r) => typeof r === 'string'))
  ) {
    throw bad('restart', 'a list of workloads');
  }
  if (value.failureEvents !== undefined && typeof value.failureEvents !== 'boolean') {
    throw bad('failureEvents', 'true or false');
  }
  return value as unknown as TargetRef;
}

/**
 * The connection of the target's cluster.
 *
 * @throws InvalidInputError when the clusters do not name it.
 */
export function clusterOf(clusters: unknown, target: TargetRef): { endpoint: string; ca: string } {
  const c = isObject(clusters) ? clusters[target.cluster] : undefined;
  if (!isObject(c) || typeof c.endpoint !== 'string' || typeof c.ca !== 'string') {
    throw new InvalidInputError(
      `target ${target.name}: the state names no endpoint and CA for cluster ${target.cluster}`,
    );
  }
  return { endpoint: c.endpoint, ca: c.ca };
}
