/**
 * The mappings file: read, parse (YAML), validate (zod schema in
 * config-schema.ts) and cross-check (unique ids, unique targets, one region of secrets).
 * Every problem is reported, each naming the mapping, the field, what was
 * wrong and what would be right.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { fileSchema, type mappingSchema, type stackSchema } from './config-schema.ts';
import type { SecretType } from '../../functions/domain/types.ts';
import { parseSecretArn } from './secret-arn.ts';
import { clusterEnv, partitionOfRegion, type AwsEnv } from './cluster-env.ts';

/**
 * Where a mapping's Kubernetes functions run (`cluster.vpc`), as validated: the schema requires both lists.
 * With `endpoints`, the stack creates the interface endpoint they need in that VPC (infra/constructs/vpc-endpoints.ts).
 */
export interface MappingVpc {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly endpoints?: { readonly vpcId: string; readonly subnetIds?: readonly string[] };
}

/** The subnets a VPC's endpoints are created in: `endpoints.subnetIds`, else the functions' subnets. */
export function endpointSubnets(vpc: MappingVpc): readonly string[] {
  return vpc.endpoints?.subnetIds ?? vpc.subnetIds;
}

type ParsedMapping = z.output<typeof mappingSchema>;
type ParsedTarget = ParsedMapping['targets'][number];

/**
 * One target of a validated mapping: the cluster, namespace and Secret it writes, and its Secret options in
 * full (the mapping's unless the target overrides them).
 */
export type Target = Omit<ParsedTarget, 'type' | 'cluster'> & {
  readonly type: SecretType;
  readonly cluster: Omit<ParsedTarget['cluster'], 'vpc'> & { readonly vpc?: MappingVpc };
};

/**
 * Where the mapping's Kubernetes functions run: the `cluster.vpc` of its targets, which crossCheckMappings
 * requires to be the same for every target (the functions serve them all).
 */
export function mappingVpc(m: Pick<Mapping, 'targets'>): MappingVpc | undefined {
  return m.targets[0]?.cluster.vpc;
}

/**
 * One validated mapping, defaults applied, its targets as a list (the single-target form is a list of one).
 * The mapping-level Secret options are the defaults its targets started from; FetchSecret checks the secret's
 * values against the mapping-level `type`.
 */
export type Mapping = Omit<ParsedMapping, 'type' | 'targets'> & {
  readonly type: SecretType;
  readonly targets: readonly Target[];
};

/** The stack options, defaults applied. */
export type StackOptions = z.output<typeof stackSchema>;

/** A validated mappings file. */
export interface SyncConfig {
  readonly stack: StackOptions;
  readonly mappings: readonly Mapping[];
  /** Where it was read from, for messages. */
  readonly source: string;
}

/** The mappings file is unreadable or invalid; `problems` lists every finding, one line each. */
export class MappingsError extends Error {
  override readonly name = 'MappingsError';
  readonly problems: readonly string[];

  /**
   * @param source where the mappings came from: a file's path, or a construct's path.
   * @param subject what `source` is, in the message.
   */
  constructor(source: string, problems: readonly string[], subject = 'mappings file') {
    super(`invalid ${subject} ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * Reads and validates a mappings file.
 *
 * @throws MappingsError when the file cannot be read or is invalid.
 */
export function loadMappings(path: string): SyncConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MappingsError(path, [
      code === 'ENOENT'
        ? 'file not found; pass an existing file with -c mappings=<path>'
        : `cannot be read (${code ?? String(e)})`,
    ]);
  }
  return parseMappings(text, path);
}

/**
 * Parses and validates the text of a mappings file.
 *
 * @param source names the text in messages (usually its path).
 * @throws MappingsError listing every problem found.
 */
export function parseMappings(text: string, source: string): SyncConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new MappingsError(
      source,
      doc.errors.map(
        (e) =>
          `YAML syntax error at line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ` +
          `${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      ),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = fileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new MappingsError(source, describeIssues(raw, parsed.error.issues));
  const config: SyncConfig = { stack: parsed.data.stack, mappings: parsed.data.mappings as Mapping[], source };
  const problems = crossCheckMappings(config.mappings);
  if (problems.length > 0) throw new MappingsError(source, problems);
  return config;
}

/**
 * The region of the stack: the region of the secrets, because Secrets Manager
 * sends its events only to the default event bus of the secret's own region.
 */
export function stackRegion(config: SyncConfig): string {
  return parseSecretArn(config.mappings[0]!.secretArn)!.region;
}

/** `mappings[1] (id "payments")`, or `mappings[1]` when the id is unusable. */
export function mappingLabel(index: number, id: unknown): string {
  return typeof id === 'string' && id !== '' ? `mappings[${index}] (id ${JSON.stringify(id)})` : `mappings[${index}]`;
}

/**
 * What the schema cannot see in one mapping: duplicate ids, two targets (of one mapping or two) writing one
 * Secret, one cluster of a mapping given two ways, secrets of more than one account and region, a key outside the
 * secrets' region, a cluster of another partition, or of another account without endpoint and CA. One line per
 * problem.
 */
export function crossCheckMappings(mappings: readonly Mapping[]): string[] {
  const problems: string[] = [];
  const byId = new Map<string, number>();
  const byTarget = new Map<string, { label: string; mapping: string }>();
  const endpointsOf = new Map<string, number>();
  const first = parseSecretArn(mappings[0]!.secretArn)!;
  mappings.forEach((m, i) => {
    const where = mappingLabel(i, m.id);
    const arn = parseSecretArn(m.secretArn)!;
    const sameId = byId.get(m.id);
    if (sameId !== undefined)
      problems.push(
        `${where}: id: ${JSON.stringify(m.id)} is already the id of mappings[${sameId}]; ids must be unique`,
      );
    else byId.set(m.id, i);
    if (arn.region !== first.region || arn.account !== first.account || arn.partition !== first.partition) {
      problems.push(
        `${where}: secretArn: is in ${arn.region}/${arn.account} but mappings[0] is in ` +
          `${first.region}/${first.account}; ` +
          `one stack serves the secrets of one account and region (Secrets Manager sends events to that region's ` +
          `default bus): use one mappings file per account and region`,
      );
    }
    const vpc = mappingVpc(m);
    const endpoints = vpc?.endpoints;
    if (endpoints !== undefined) {
      const other = endpointsOf.get(endpoints.vpcId);
      const subnets = [...endpointSubnets(vpc!)].sort().join(', ');
      const theirs = other === undefined ? undefined : mappingVpc(mappings[other]!);
      if (other === undefined) endpointsOf.set(endpoints.vpcId, i);
      else if ([...endpointSubnets(theirs!)].sort().join(', ') !== subnets) {
        problems.push(
          `${where}: cluster.vpc.endpoints: puts the endpoint of ${endpoints.vpcId} in subnets ${subnets}, but ` +
            `${mappingLabel(other, mappings[other]!.id)} puts it in ` +
            `${[...endpointSubnets(theirs!)].sort().join(', ')}; a VPC gets one endpoint: give ` +
            `both mappings the same endpoints.subnetIds`,
        );
      }
    }
    const keyRegion = m.secretKmsKeyArn?.split(':')[3];
    if (keyRegion !== undefined && keyRegion !== arn.region) {
      problems.push(
        `${where}: secretKmsKeyArn: is in ${keyRegion}; ` +
          `the key that encrypts a secret is in the secret's region ${arn.region}`,
      );
    }
    problems.push(...targetProblems(m, where, { account: arn.account, region: arn.region }, byTarget));
  });
  return problems;
}

/** The cross-checks of one mapping's targets; `byTarget` collects every target of the file seen so far. */
function targetProblems(
  m: Mapping,
  where: string,
  home: AwsEnv,
  byTarget: Map<string, { label: string; mapping: string }>,
): string[] {
  const problems: string[] = [];
  const single = m.targets.length === 1;
  const clusters = new Map<string, { block: string; field: string }>();
  m.targets.forEach((t, j) => {
    const field = single ? '' : `targets[${j}].`;
    const label = single ? where : `${where} ${field.slice(0, -1)}`;
    const env = clusterEnv(t.cluster, home);
    const key = `${t.cluster.name}\n${env.account}\n${env.region}\n${t.namespace}\n${t.secretName}`;
    const other = byTarget.get(key);
    if (other !== undefined) {
      const fix =
        other.mapping === m.id
          ? 'two targets of one mapping may not write one Secret: change namespace or secretName, or drop one'
          : 'two mappings may not write one Secret: change namespace or secretName, or merge the mappings';
      problems.push(
        `${where}: ${single ? '' : `targets[${j}]: `}writes the same Secret as ${other.label} ` +
          `(cluster ${t.cluster.name}, ${t.namespace}/${t.secretName}); ${fix}`,
      );
    } else byTarget.set(key, { label, mapping: m.id });
    if (j > 0 && JSON.stringify(t.cluster.vpc) !== JSON.stringify(m.targets[0]!.cluster.vpc)) {
      problems.push(
        `${where}: ${field}cluster.vpc: differs from targets[0].cluster.vpc; the mapping's Kubernetes functions ` +
          `serve all its targets from one place: give every target the same vpc (or none), or split the mapping`,
      );
    }
    const block = JSON.stringify([
      t.cluster.region,
      t.cluster.endpoint,
      t.cluster.certificateAuthority,
      t.cluster.account,
    ]);
    const seen = clusters.get(t.cluster.name);
    if (seen !== undefined && seen.block !== block) {
      problems.push(
        `${where}: ${field}cluster: names cluster ${t.cluster.name} like ${seen.field}cluster but with another ` +
          `account, region, endpoint or certificateAuthority; one mapping reaches each cluster one way: give the ` +
          `same ` +
          `cluster block for every target in ${t.cluster.name}`,
      );
    } else if (seen === undefined) clusters.set(t.cluster.name, { block, field });
    problems.push(...clusterEnvProblems(t.cluster, `${where}: ${field}cluster`, home));
  });
  return problems;
}

/**
 * What is wrong with where a cluster is: a region of another partition (the token's STS host would be refused, and
 * no role crosses partitions), or another account without endpoint and CA (the stack's eks:DescribeCluster lookup
 * runs in the secrets' account, where that cluster is not).
 */
function clusterEnvProblems(c: Mapping['targets'][number]['cluster'], where: string, home: AwsEnv): string[] {
  const problems: string[] = [];
  const homePartition = partitionOfRegion(home.region);
  if (c.region !== undefined && partitionOfRegion(c.region) !== homePartition) {
    problems.push(
      `${where}.region: ${JSON.stringify(c.region)} is in partition ${partitionOfRegion(c.region)}, but the ` +
        `secrets are in ${homePartition} (${home.region}); an IAM role of one partition cannot sign in to a cluster ` +
        `of another: use a cluster of ${homePartition}, or a mappings file whose secrets are in ${c.region}'s ` +
        'partition',
    );
  }
  if (c.account !== undefined && c.account !== home.account && (!c.endpoint || !c.certificateAuthority)) {
    problems.push(
      `${where}: is in account ${c.account}, not the secrets' account ${home.account}, so the stack cannot look ` +
        `its endpoint and CA up (eks:DescribeCluster runs in the secrets' account): give cluster.endpoint and ` +
        `cluster.certificateAuthority, printed with ${c.account}'s credentials by aws eks describe-cluster --name ` +
        `${c.name} --region ${c.region ?? home.region} --query '[cluster.endpoint,cluster.certificateAuthority.data]'`,
    );
  }
  return problems;
}

type Issue = z.core.$ZodIssue;

/**
 * The schema's findings as lines that name the mapping (by index and id, read from `raw`) and the field.
 *
 * @param raw the value that was validated.
 */
export function describeIssues(raw: unknown, issues: readonly Issue[]): string[] {
  return issues.map((issue) => describeIssue(raw, issue));
}

function describeIssue(raw: unknown, issue: Issue): string {
  const path = issue.path;
  let where = '';
  let rest = path;
  if (path[0] === 'mappings' && typeof path[1] === 'number') {
    const item = (raw as { mappings?: unknown[] }).mappings?.[path[1]];
    where = mappingLabel(path[1], (item as { id?: unknown } | undefined)?.id);
    rest = path.slice(2);
  }
  const field = formatPath(rest);
  const prefix = [where, field].filter((s) => s !== '').join(': ');
  return prefix === '' ? describeProblem(issue) : `${prefix}: ${describeProblem(issue)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const s = String(seg);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s)}]`;
    })
    .join('');
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  int: 'a whole number',
  array: 'a list',
  object: 'a mapping of fields',
  record: 'a mapping of keys to string values',
};

const KNOWN_FIELDS: Record<string, string> = {
  vpc: 'subnetIds, securityGroupIds and optionally endpoints (docs/mappings.md#cluster-in-a-vpc-clustervpc)',
  endpoints: 'vpcId and optionally subnetIds (docs/mappings.md#cluster-in-a-vpc-clustervpc)',
};

function describeProblem(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return issue.input === undefined
        ? `is missing; expected ${expected}`
        : `${describeValue(issue.input)} is not ${expected}`;
    }
    case 'unrecognized_keys': {
      const known = KNOWN_FIELDS[String(issue.path.at(-1))];
      return (
        `unknown field${issue.keys.length > 1 ? 's' : ''} ` +
        `${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; ` +
        (known ? `expected ${known}` : 'check the spelling against mappings.example.yaml')
      );
    }
    case 'invalid_value':
      return (
        `${describeValue(issue.input)} is not allowed; ` +
        `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
      );
    default:
      return issue.message;
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}
