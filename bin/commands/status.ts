/**
 * `eks-secret-sync status [--mapping ID]`: per mapping, AWSCURRENT against the
 * version annotated on the Secret, the last sync time and recent failed
 * executions; and the dead-letter queue's depth. Reads only; never a value.
 */
import { targetName, targetViews, type MappingTarget } from '../../infra/model/targets.ts';
import { AwsSession, regionOf, sdkErrorText } from '../lib/aws.ts';
import { type DlqFailures, dlqFailures } from '../lib/dlq-failures.ts';
import {
  KUBE_HELP,
  KUBE_OPTIONS,
  loadConfig,
  MAPPING_OPTIONS,
  MAPPINGS_HELP,
  OUTPUT_HELP,
  selectMappings,
} from '../lib/mappings.ts';
import {
  discoverDlqUrl,
  dlqDepth,
  executionLogGroupPrefix,
  stackFailures,
  type FailedExecution,
  type MappingFailures,
  type QueueDepth,
} from '../lib/stack.ts';
import {
  readAwsSide,
  readSecretSide,
  verdict,
  type AwsSide,
  type SecretSide,
  type SyncState,
} from '../lib/status-read.ts';
import { age, Progress, Style, writeJson } from '../lib/ui.ts';
import { EXIT, oneLine, parseCommandArgs, UsageError, type Command } from '../lib/command.ts';

const HELP = `Usage: eks-secret-sync status [--mapping ID] [options]

For each mapping: the AWSCURRENT version of the AWS secret against the version annotated
on the Kubernetes Secret, when it was last synced, and the failed executions of its state
machine (read from the execution log group, as Express workflows keep no history); and the
depth of the stack's dead-letter queue (shared by all mappings) and the failures its messages
stand for, each once (a failure SendToDlq stored twice counts once), with its mapping (and
target), the step that failed, the error and its cause. Reads metadata only:
DLQ messages are read and released at once, never deleted; no value is read.

Options:
  --mapping ID         Only this mapping. Default: every mapping of the file.
  --since DURATION     How far back to look for failed executions: 30m, 24h, 7d. Default 24h.
  --dlq-url URL        The dead-letter queue. Default: the stack's DeadLetterQueueUrl output
                       (CloudFormation), else its DeadLetterQueue resource.
${MAPPINGS_HELP}
${KUBE_HELP}
${OUTPUT_HELP}

Permissions: secretsmanager:DescribeSecret and ListSecretVersionIds, sqs:GetQueueAttributes,
sqs:ReceiveMessage and ChangeMessageVisibility on the DLQ (to count failures),
cloudformation:DescribeStacks (without --dlq-url), logs:DescribeLogGroups and logs:FilterLogEvents; get on the Secret.

Exit codes: 0 every mapping in sync, DLQ empty, no failed executions, and all of it read;
3 something needs attention (out of sync, not synced, DLQ messages, failed executions) or
a part could not be read (the DLQ, its messages, the execution logs: each is noted with
why); 1 a mapping's state could not be read; 2 usage error.
`;

const OPTIONS = {
  ...MAPPING_OPTIONS,
  ...KUBE_OPTIONS,
  since: { type: 'string' },
  'dlq-url': { type: 'string' },
} as const;

interface MappingStatus {
  readonly id: string;
  /** `<cluster>/<namespace>/<secretName>`, for a mapping with several targets (one status per target). */
  readonly target?: string;
  readonly state: SyncState;
  readonly detail: string;
  readonly aws: (AwsSide & { readonly arn: string }) | { readonly arn: string; readonly error: string };
  readonly secret:
    | (SecretSide & { readonly namespace: string; readonly name: string })
    | { readonly namespace: string; readonly name: string; readonly error: string };
  readonly failedExecutions:
    | { readonly logGroup: string; readonly items: FailedExecution[] }
    | { readonly logGroup: string; readonly unavailable: string };
}

type DlqStatus =
  | ({ readonly url: string; readonly from: string } & QueueDepth & {
        readonly failures: DlqFailures | { readonly unavailable: string };
      })
  | { readonly unavailable: string };

/** Parses 30m / 24h / 7d into milliseconds. @throws UsageError otherwise. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (!m || Number(m[1]) === 0)
    throw new UsageError(
      `--since ${JSON.stringify(text)} is not a duration; expected a number and m, h or d, e.g. 24h`,
    );
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

async function mappingStatus(
  m: MappingTarget,
  target: string | undefined,
  stackName: string,
  readFailures: () => Promise<MappingFailures>,
  flags: { kubeconfig?: string; context?: string },
): Promise<MappingStatus> {
  const aws = new AwsSession(regionOf(m));
  let logGroup = `${executionLogGroupPrefix(stackName)}*`;
  const [awsSide, secretSide, failures] = await Promise.allSettled([
    readAwsSide(m, aws),
    readSecretSide(m, aws, flags),
    readFailures().then((found) => {
      logGroup = found.logGroupName;
      return found.items;
    }),
  ]);
  const err = (r: PromiseRejectedResult) => oneLine((r.reason as Error)?.message ?? String(r.reason));
  const v = verdict(
    m,
    awsSide.status === 'fulfilled' ? awsSide.value : undefined,
    secretSide.status === 'fulfilled' ? secretSide.value : undefined,
  );
  return {
    id: m.id,
    ...(target !== undefined && { target }),
    ...v,
    aws:
      awsSide.status === 'fulfilled'
        ? { arn: m.secretArn, ...awsSide.value }
        : { arn: m.secretArn, error: err(awsSide) },
    secret:
      secretSide.status === 'fulfilled'
        ? { namespace: m.namespace, name: m.secretName, ...secretSide.value }
        : { namespace: m.namespace, name: m.secretName, error: err(secretSide) },
    failedExecutions:
      failures.status === 'fulfilled'
        ? { logGroup, items: failures.value }
        : { logGroup, unavailable: `could not read failed executions: ${sdkErrorText(failures.reason)}` },
  };
}

async function dlqStatus(url: string | undefined, stackName: string, region: string): Promise<DlqStatus> {
  const aws = new AwsSession(region);
  let from = '--dlq-url';
  try {
    if (url === undefined) {
      url = await discoverDlqUrl(stackName, aws);
      from = `stack ${stackName}`;
    }
  } catch (e) {
    return { unavailable: `could not find the dead-letter queue (${sdkErrorText(e)}); pass --dlq-url` };
  }
  try {
    const depth = await dlqDepth(url, aws);
    const failures = await dlqFailures(url, aws).catch((e: unknown) => ({
      unavailable: `could not read the messages to count failures: ${sdkErrorText(e)}`,
    }));
    return { url, from, ...depth, failures };
  } catch (e) {
    return { unavailable: `could not read the dead-letter queue ${url}: ${sdkErrorText(e)}` };
  }
}

/** The `status` command. */
export const statusCommand: Command = {
  name: 'status',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const sinceMs = Date.now() - parseDuration(values.since ?? '24h');
    const { config } = await loadConfig(values.mappings);
    const mappings = selectMappings(config, values.mapping);
    // The app's one dead-letter queue and execution log group, in its first stack (named stack.name), whichever
    // stack holds each mapping (infra/model/fleet.ts).
    const dlqStack = config.stack.name;
    const progress = new Progress(io);
    progress.step(`reading ${mappings.length} mapping(s) and the dead-letter queue`);
    const flags = { kubeconfig: values.kubeconfig, context: values.context };
    // One read of the app's execution log group for every mapping (bin/lib/stack.ts).
    const failuresOf = stackFailures(dlqStack, sinceMs, new AwsSession(regionOf(mappings[0]!)));
    const [statuses, dlq] = await Promise.all([
      Promise.all(
        mappings.flatMap((m) => {
          const target = (t: MappingTarget) => (m.targets.length > 1 ? targetName(t) : undefined);
          const failures = () => failuresOf(m);
          return targetViews(m).map((t) => mappingStatus(t, target(t), dlqStack, failures, flags));
        }),
      ),
      dlqStatus(values['dlq-url'], dlqStack, regionOf(mappings[0]!)),
    ]).finally(() => progress.stop());

    const since = new Date(sinceMs).toISOString();
    if (values.json)
      writeJson(io, {
        mappingsFile: config.source,
        stack: dlqStack,
        since,
        mappings: statuses,
        deadLetterQueue: dlq,
      });
    else io.stdout(render(statuses, dlq, since, new Style(io, { noColor: values['no-color'] })));

    if (statuses.some((s) => s.state === 'unknown')) return EXIT.FAILURE;
    const failures = statuses.some((s) => 'items' in s.failedExecutions && s.failedExecutions.items.length > 0);
    const queued = 'visible' in dlq && dlq.visible + dlq.inFlight > 0;
    // A part it could not read is not a green light: a check run from cron must not pass on seeing nothing.
    const unseen =
      'unavailable' in dlq ||
      'unavailable' in dlq.failures ||
      statuses.some((s) => 'unavailable' in s.failedExecutions);
    return statuses.some((s) => s.state !== 'in-sync') || failures || queued || unseen ? EXIT.ATTENTION : EXIT.OK;
  },
};

function render(statuses: readonly MappingStatus[], dlq: DlqStatus, since: string, style: Style): string {
  const out: string[] = [];
  for (const s of statuses) {
    const state =
      s.state === 'in-sync' ? style.good(s.state) : s.state === 'unknown' ? style.bad(s.state) : style.warn(s.state);
    out.push(`${style.bold(`Mapping ${s.id}${s.target ? ` target ${s.target}` : ''}`)}: ${state}: ${s.detail}`);
    const a = s.aws;
    out.push(
      'error' in a
        ? `  AWS       ${style.bad(a.error)}`
        : `  AWS       AWSCURRENT ${a.currentVersionId ?? '(none)'} created ${a.createdDate ?? '?'}` +
            `${a.deletedDate ? style.bad(`, deletion scheduled ${a.deletedDate}`) : ''}`,
    );
    const k = s.secret;
    const where = `${k.namespace}/${k.name}`;
    out.push(
      'error' in k
        ? `  Secret    ${where}: ${style.bad(k.error)}`
        : !k.exists
          ? `  Secret    ${where}: does not exist`
          : `  Secret    ${where} holds ${k.versionId ?? '(no source version)'}; ` +
            `last sync ${k.syncedAt ? `${k.syncedAt} (${age(k.syncedAt)})` : 'unknown'}`,
    );
    const f = s.failedExecutions;
    if ('unavailable' in f) out.push(`  Failures  ${style.dim(f.unavailable)}`);
    else if (f.items.length === 0) out.push(`  Failures  none since ${since}`);
    else {
      out.push(`  Failures  ${style.bad(`${f.items.length} since ${since}`)} (${f.logGroup})`);
      for (const x of f.items) out.push(`    ${x.time}  ${x.error}: ${x.cause}\n      ${style.dim(x.executionArn)}`);
    }
  }
  if ('unavailable' in dlq) out.push(`Dead-letter queue: ${style.dim(dlq.unavailable)}`);
  else {
    const depth = `${dlq.visible} waiting, ${dlq.inFlight} in flight`;
    out.push(
      `Dead-letter queue: ${dlq.visible + dlq.inFlight > 0 ? style.warn(depth) : style.good(depth)} (${dlq.url}, ` +
        `from ${dlq.from})`,
    );
    const f = dlq.failures;
    if ('unavailable' in f) out.push(`  ${style.dim(f.unavailable)}`);
    else if (f.messages > 0) {
      const n = `${f.truncated ? 'at least ' : ''}${f.failures} failure${f.failures === 1 ? '' : 's'}`;
      const copies = f.duplicates > 0 ? ` (${f.duplicates} duplicate cop${f.duplicates === 1 ? 'y' : 'ies'})` : '';
      out.push(`  ${style.warn(n)} in ${f.messages} message${f.messages === 1 ? '' : 's'}${copies}:`);
      // Whose and where: the mapping (and target), the step, the error and its cause, each failure once.
      for (const x of f.items) {
        const owner = x.mappingId === undefined ? 'no mapping' : `${x.mappingId}${x.target ? ` ${x.target}` : ''}`;
        const where = x.step === undefined ? '' : ` at ${x.step}`;
        const attempt = x.attempt === undefined ? '' : `, attempt ${x.attempt}`;
        const twice = x.copies > 1 ? `, ${x.copies} copies` : '';
        out.push(`    ${owner}${where}${attempt}${twice}: ${style.bad(x.error)}: ${x.cause}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
