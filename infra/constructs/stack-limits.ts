/**
 * The limits of one stack that grow with its mappings, checked at synth so that a stack over one fails before AWS
 * is called, with the mapping that no longer fits and the fix. Each limit and where it is documented:
 * - 500 resources and 200 outputs per stack: CloudFormation quotas
 *   (AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 * The seal key's policy (32,768 bytes at most) no longer grows with the mappings: one statement per action and
 * purpose for the app's roles, by role path (infra/constructs/seal-key.ts); test/infra/fleet.test.ts checks its size
 * is the
 * same for 1 and 40 mappings.
 * The template size (1 MB through S3) is not checked here: at the resource limit a template is about half of it
 * (test/infra/fleet.test.ts measures it).
 */
import { CfnOutput, CfnResource, Stack } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';

/** CloudFormation's limit of resources in one stack. */
export const MAX_STACK_RESOURCES = 500;

/** CloudFormation's limit of outputs in one stack. */
export const MAX_STACK_OUTPUTS = 200;

/** KMS's limit of the size of a key policy, in bytes ("The policy size limit is 32 KiB (32768 bytes)"). */
export const MAX_KEY_POLICY_BYTES = 32_768;

/** What a stack's mappings are checked with. */
export interface StackLimitSubject {
  /** The mappings by id, in order. */
  readonly mappings: Readonly<Record<string, Construct>>;
  /** The stack. */
  readonly stack: Stack;
  /**
   * The mapping a construct outside every mapping's subtree exists for (a KMS endpoint: the first mapping in its
   * VPC), or undefined.
   * @default none: only the `-<id>` path rule below
   */
  readonly ownerOf?: (c: IConstruct) => string | undefined;
}

/** One limit's count: what is shared and what each mapping adds. */
interface Usage {
  readonly what: string;
  readonly limit: number;
  readonly total: number;
  readonly shared: number;
  /** What each mapping adds, in order. */
  readonly per: readonly number[];
  readonly perMapping: number;
}

/**
 * Problems of a stack over a limit, or none. `fix` says what to do, given the most mappings that fit.
 *
 * @param fix the sentence that ends the message, from the number of mappings a stack holds.
 */
export function stackLimitProblems(subject: StackLimitSubject, fix: (fits: number) => string): string[] {
  const ids = Object.keys(subject.mappings);
  const { stack } = subject;
  const usages = [
    usage(
      'CloudFormation resources',
      MAX_STACK_RESOURCES,
      counted(stack, subject, (c) => CfnResource.isCfnResource(c)),
    ),
    usage(
      'CloudFormation outputs',
      MAX_STACK_OUTPUTS,
      counted(stack, subject, (c) => c instanceof CfnOutput),
    ),
  ];
  const over = usages.filter((u) => u.total > u.limit);
  if (over.length === 0) return [];
  const fits = Math.min(...usages.map(fitting));
  const counts = over
    .map((u) => `${u.total} ${u.what} (${u.shared} shared, up to ${u.perMapping} per mapping; at most ${u.limit})`)
    .join(' and ');
  return [
    `stack ${stack.stackName}: mapping ${ids[fits]} does not fit: the stack's ${ids.length} mappings make ${counts}. ` +
      `A stack holds at most ${fits} such mappings. ${fix(fits)}`,
  ];
}

function usage(what: string, limit: number, [shared, per]: [number, number[]]): Usage {
  const total = shared + per.reduce((a, b) => a + b, 0);
  return { what, limit, total, shared, per, perMapping: Math.max(0, ...per) };
}

/** How many of the first mappings fit the limit besides what is shared; the mapping after them does not. */
function fitting(u: Usage): number {
  let used = u.shared;
  let k = 0;
  while (k < u.per.length && used + u.per[k]! <= u.limit) used += u.per[k++]!;
  return k;
}

/**
 * Constructs of the stack that `is` selects: those of no mapping, and those of each mapping. A construct is a
 * mapping's when it is in the mapping's subtree, when `ownerOf` says so, or when a segment of its path ends with
 * `-<mapping id>` (an alarm per mapping kept elsewhere, say); of several ids that match, the longest.
 */
function counted(stack: Stack, subject: StackLimitSubject, is: (c: IConstruct) => boolean): [number, number[]] {
  const entries = Object.entries(subject.mappings);
  const byLength = [...entries].sort(([a], [b]) => b.length - a.length);
  const per = new Map(entries.map(([id]) => [id, 0]));
  let shared = 0;
  for (const c of stack.node.findAll()) {
    if (!is(c) || Stack.of(c) !== stack) continue;
    const path = c.node.path;
    const segments = path.split('/');
    const owner =
      entries.find(([, m]) => path.startsWith(`${m.node.path}/`))?.[0] ??
      subject.ownerOf?.(c) ??
      byLength.find(([id]) => segments.some((s) => s.endsWith(`-${id}`)))?.[0];
    if (owner === undefined) shared++;
    else per.set(owner, per.get(owner)! + 1);
  }
  return [shared, [...per.values()]];
}
