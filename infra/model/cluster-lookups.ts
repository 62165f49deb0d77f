/**
 * The numbers of a stack's deploy-time cluster lookups (`Cluster<n>`, the construct id of each
 * `eks:DescribeCluster` custom resource, and so part of its logical id), kept so that no edit of other mappings
 * renumbers a lookup. Release 0.1.0 numbered every distinct cluster block of a stack in order of first use by its
 * mappings; removing a stack's first mapping then renumbered the others' lookups (each replaced, with its IAM
 * policy). The placement record keeps the numbers per stack: given once, at a cluster's first appearance, never
 * reused. Why: docs/decisions.md#cluster-lookup-numbers.
 */
import { createHash } from 'node:crypto';
import type { Mapping, Target } from './config.ts';

/** A mapping's cluster block, as the lookup needs it. */
export type ClusterBlock = Pick<Target['cluster'], 'name' | 'region' | 'endpoint' | 'certificateAuthority'>;

/** Cluster key -> lookup number (`Cluster<n>`) of one stack. */
export type LookupNumbers = Readonly<Record<string, number>>;

/** Whether the block leaves the endpoint or CA to a deploy-time lookup. */
export function needsLookup(c: ClusterBlock): boolean {
  return c.endpoint === undefined || c.certificateAuthority === undefined;
}

/**
 * The key of a cluster block in the placement record: its name, `@region` when given, the endpoint and a hash of
 * the CA when given (a block with both needs no lookup). Two blocks have one key exactly when they are the same
 * block (an EKS name or region has no `@` or space; an endpoint no space).
 */
export function clusterKey(c: ClusterBlock): string {
  const region = c.region === undefined ? '' : `@${c.region}`;
  const endpoint = c.endpoint === undefined ? '' : ` endpoint=${c.endpoint}`;
  const ca =
    c.certificateAuthority === undefined
      ? ''
      : ` ca=sha256:${createHash('sha256').update(c.certificateAuthority).digest('hex').slice(0, 12)}`;
  return `${c.name}${region}${endpoint}${ca}`;
}

/** The distinct cluster blocks of mappings, in order of first use (mapping by mapping, target by target). */
function blocksInUse(mappings: readonly Pick<Mapping, 'targets'>[]): ClusterBlock[] {
  const seen = new Map<string, ClusterBlock>();
  for (const m of mappings)
    for (const t of m.targets) if (!seen.has(clusterKey(t.cluster))) seen.set(clusterKey(t.cluster), t.cluster);
  return [...seen.values()];
}

/**
 * The lookup numbers of one stack's mappings.
 *
 * Without `recorded` (a stack deployed before the record kept them, or the construct used without one): release
 * 0.1.0's numbering, every distinct block counted in order of first use, so nothing deployed is renumbered. With
 * it: every recorded number stays, also of a cluster no mapping of the stack uses any more (its lookup is dropped,
 * its number never given to another cluster), and a new lookup cluster gets the next number after the highest.
 *
 * @returns the numbers of every recorded cluster and of every lookup cluster in use.
 */
export function lookupNumbers(mappings: readonly Pick<Mapping, 'targets'>[], recorded?: LookupNumbers): LookupNumbers {
  const blocks = blocksInUse(mappings);
  if (recorded === undefined)
    return Object.fromEntries(blocks.flatMap((c, i) => (needsLookup(c) ? [[clusterKey(c), i + 1] as const] : [])));
  const numbers: Record<string, number> = { ...recorded };
  let last = Math.max(0, ...Object.values(numbers));
  for (const c of blocks) if (needsLookup(c) && numbers[clusterKey(c)] === undefined) numbers[clusterKey(c)] = ++last;
  return numbers;
}

/** What is wrong with a set of lookup numbers (each a whole number from 1, no two the same), as messages. */
export function lookupNumberProblems(numbers: object): string[] {
  const problems: string[] = [];
  const seen = new Map<unknown, string>();
  for (const [key, n] of Object.entries(numbers)) {
    if (!Number.isInteger(n) || (n as number) < 1)
      problems.push(`${JSON.stringify(key)}: ${JSON.stringify(n)} is not a whole number from 1`);
    else if (seen.has(n))
      problems.push(`${JSON.stringify(key)}: ${n} is also the number of ${JSON.stringify(seen.get(n))}`);
    else seen.set(n, key);
  }
  return problems;
}

/**
 * The construct ids of the two log groups CDK's one custom-resource provider function of a stack (cluster lookups,
 * initial syncs) may write to: the lookups' group, or one of its own.
 */
export const PROVIDER_LOGS = ['ClusterLookupLogs', 'CustomResourceLogs'] as const;

/** Which log group the stack's custom-resource provider function writes to. */
export type ProviderLogs = (typeof PROVIDER_LOGS)[number];

/**
 * The provider function's log group of a stack. Release 0.1.0 gave it the group of the first custom resource built:
 * the lookups' when the stack's first mapping reaches a looked-up cluster, else a group of its own; removing that
 * first mapping moved it (and removed a log group). With `recorded` (the placement record) it stays.
 */
export function providerLogs(mappings: readonly Pick<Mapping, 'targets'>[], recorded?: ProviderLogs): ProviderLogs {
  if (recorded !== undefined) return recorded;
  return mappings[0]?.targets.some((t) => needsLookup(t.cluster)) ? 'ClusterLookupLogs' : 'CustomResourceLogs';
}
