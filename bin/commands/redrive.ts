/**
 * `eks-secret-sync redrive [--mapping ID] [--max N] [--dry-run]`: the terminal's
 * "Start DLQ redrive". Reads the dead-letter queue and, for each message, does
 * what the redrive-sync Lambda does with a message moved back by the console
 * (functions/adapters/redrive-io.ts, the same code): start the next attempt of the
 * mapping's sync on AWSCURRENT, or park the message. A message leaves the DLQ
 * only after that succeeded.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import {
  decideRedrive,
  failureKey,
  type QueueMessage,
  type RedriveDecision,
  type RedriveSettings,
} from '../../functions/domain/redrive.ts';
import {
  type HandledFailures,
  RecentFailures,
  redriveMessage,
  stringAttributes,
} from '../../functions/adapters/redrive-io.ts';
import { STACK_OUTPUTS, STATE_MACHINE_ARN_PREFIX_OUTPUT } from '../../infra/model/resource-names.ts';
import { AwsSession, regionOf, sdkErrorText } from '../lib/aws.ts';
import { loadConfig, MAPPING_OPTIONS, MAPPINGS_HELP, OUTPUT_HELP, selectMappings } from '../lib/mappings.ts';
import { queueClient, receiveEach } from '../lib/queue.ts';
import { DLQ_OUTPUT_KEY, stackOutputs } from '../lib/stack.ts';
import { Progress, Style, table, writeJson } from '../lib/ui.ts';
import { CommandFailure, EXIT, parseCommandArgs, UsageError, type Command } from '../lib/command.ts';

const HELP = `Usage: eks-secret-sync redrive [--mapping ID] [--max N] [--dry-run] [options]

Redrive failed syncs from the dead-letter queue, as the SQS console's "Start DLQ redrive"
does through the stack's redrive-sync function: each message starts a new execution of
its mapping's state machine as the next attempt, on the secret's CURRENT value. A message
is deleted from the DLQ only after its execution started. A message of one failed target
(a mapping with targets:) runs that target alone; the others are not read or written.
Messages whose attempt reached
stack.redriveMaxAttempts, or that cannot be read, are parked in the parked queue (it
alarms) instead. A second copy of a failure already handled in this run (SendToDlq stored
it twice when an answer was lost) is deleted, not replayed: a "duplicate". Prints a
summary: redriven, parked, duplicates, skipped, failed.

Options:
  --mapping ID            Only messages of this mapping; the others stay (skipped).
  --max N                 Redrive or park at most N messages. Default: all.
  --dry-run               Show what would happen; change nothing.
  --dlq-url URL           The dead-letter queue. Default: the stack's ${DLQ_OUTPUT_KEY} output.
  --parked-url URL        The parked queue. Default: the stack's ${STACK_OUTPUTS.parkedQueueUrl} output.
  --state-machine ID=ARN  A mapping's state machine; repeat per mapping. Default: the
                          first stack's StateMachineArnPrefix output and the mapping id.
${MAPPINGS_HELP}
${OUTPUT_HELP}

Permissions: sqs:ReceiveMessage, DeleteMessage and ChangeMessageVisibility on the DLQ,
sqs:SendMessage on the parked queue, states:StartExecution on the state machines,
cloudformation:DescribeStacks (unless the three options above are given). A state machine
is needed only for the mappings whose messages are in the DLQ. Message causes are shown as
the error name and the first line of its message only (cut to fit a terminal; whole when
piped and in --json).

Exit codes: 0 every message handled (redriven, parked or skipped; also with --dry-run and
for an empty DLQ); 1 at least one message failed (it stays in the DLQ: run again; also
a message of a mapping with no state machine given or deployed), or the stack's outputs
could not be read or lack one (the fix names the option to pass); 2 usage error.
`;

const OPTIONS = {
  ...MAPPING_OPTIONS,
  max: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'dlq-url': { type: 'string' },
  'parked-url': { type: 'string' },
  'state-machine': { type: 'string', multiple: true },
} as const;

/**
 * How long a received message stays hidden while this run works on it (skipped and dry-run ones are released at the
 * end).
 */
const HOLD_SECONDS = 300;

/** What happened to one message. */
export type Outcome =
  | 'redriven'
  | 'parked'
  | 'duplicate'
  | 'skipped'
  | 'failed'
  | 'would-redrive'
  | 'would-park'
  | 'would-delete-duplicate';

/** One line of the report; never a value, causes only as name + first line. */
export interface MessageReport {
  readonly messageId: string;
  readonly outcome: Outcome;
  readonly mappingId?: string;
  /** The one target that failed (redriven alone), when the message names one. */
  readonly target?: string;
  readonly failedAttempt?: number;
  readonly failedStep?: string;
  readonly error?: string;
  readonly cause?: string;
  /** The attempt started (redriven) or that would be. */
  readonly attempt?: number;
  readonly executionArn?: string;
  /** Why it was (or would be) parked, or why it failed. */
  readonly reason?: string;
}

/** The `redrive` command. */
export const redriveCommand: Command = {
  name: 'redrive',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const max = values.max === undefined ? Infinity : positiveInt(values.max, '--max');
    const { config } = await loadConfig(values.mappings);
    const selected = selectMappings(config, values.mapping);
    const aws = new AwsSession(regionOf(selected[0]!));
    const flagged = stateMachineFlags(values['state-machine'] ?? []);
    const needStack =
      values['dlq-url'] === undefined || values['parked-url'] === undefined || Object.keys(flagged).length === 0;
    // The app's one DLQ, parked queue and redrive, in its first stack (named stack.name).
    const stackName = config.stack.name;
    const outputs = needStack ? await outputsOf(stackName, aws) : {};
    const dlqUrl = values['dlq-url'] ?? required(outputs, DLQ_OUTPUT_KEY, stackName);
    const parkedQueueUrl = values['parked-url'] ?? required(outputs, STACK_OUTPUTS.parkedQueueUrl, stackName);
    // Every state machine of the app is the prefix and the mapping id (stacks deployed before list them instead).
    const stateMachineArnPrefix =
      Object.keys(flagged).length > 0 ? undefined : outputs[STATE_MACHINE_ARN_PREFIX_OUTPUT];
    const legacy = outputs[STACK_OUTPUTS.legacyStateMachines];
    const listed = legacy === undefined ? {} : parseMachines(legacy);
    const stateMachines = Object.keys(flagged).length > 0 ? flagged : listed;
    if (stateMachineArnPrefix === undefined && Object.keys(flagged).length === 0 && legacy === undefined)
      required(outputs, STATE_MACHINE_ARN_PREFIX_OUTPUT, stackName);
    // A state machine is needed only for the mappings whose messages the queue holds: checked per message (drain).
    const settings: RedriveSettings = {
      stateMachines,
      stateMachineArnPrefix,
      maxAttempts: config.stack.redriveMaxAttempts,
    };
    const dryRun = values['dry-run'] === true;
    const clientConfig = await aws.config();
    const sqs = await queueClient(aws);
    const sfn = new SFNClient(clientConfig);
    const progress = new Progress(io);
    let reports: MessageReport[];
    try {
      reports = await drain({
        sqs,
        sfn,
        dlqUrl,
        parkedQueueUrl,
        settings,
        dryRun,
        max,
        only: values.mapping,
        configured: new Set(config.mappings.map((m) => m.id)),
        onMessage: (n, id) => progress.step(`${dryRun ? 'checking' : 'redriving'} message ${n}${id ? ` (${id})` : ''}`),
      });
    } finally {
      progress.stop();
      sqs.destroy();
      sfn.destroy();
    }

    const count = (...o: Outcome[]) => reports.filter((r) => o.includes(r.outcome)).length;
    const summary = {
      redriven: count('redriven', 'would-redrive'),
      parked: count('parked', 'would-park'),
      duplicates: count('duplicate', 'would-delete-duplicate'),
      skipped: count('skipped'),
      failed: count('failed'),
    };
    if (values.json) {
      writeJson(io, { dlqUrl, parkedQueueUrl, dryRun, maxAttempts: settings.maxAttempts, summary, messages: reports });
    } else {
      const style = new Style(io, { noColor: values['no-color'] });
      io.stdout(
        `${style.bold(dryRun ? 'Redrive dry run' : 'Redrive')} of ${dlqUrl} (at most ${settings.maxAttempts} ` +
          `attempts per sync)\n`,
      );
      if (reports.length === 0) io.stdout('  The dead-letter queue has no messages.\n');
      else
        io.stdout(
          table(
            ['MAPPING', 'ATTEMPT', 'FAILED AT', 'OUTCOME', 'ERROR'],
            reports.map((r) => row(r, style, io.isTTY?.stdout === true)),
          ),
        );
      const verb = dryRun ? 'would be ' : '';
      io.stdout(
        `${summary.failed > 0 ? style.bad('Summary') : style.good('Summary')}: ${summary.redriven} ${verb}redriven, ` +
          `${summary.parked} ${verb}parked, ${summary.duplicates} duplicate${summary.duplicates === 1 ? '' : 's'} ` +
          `${verb}deleted, ${summary.skipped} skipped, ${summary.failed} failed\n`,
      );
    }
    return summary.failed > 0 ? EXIT.FAILURE : EXIT.OK;
  },
};

interface DrainOptions {
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
  readonly dlqUrl: string;
  readonly parkedQueueUrl: string;
  readonly settings: RedriveSettings;
  readonly dryRun: boolean;
  readonly max: number;
  readonly only?: string;
  /** The mappings of the file: a message of one of them with no state machine known fails (stays), never parks. */
  readonly configured: ReadonlySet<string>;
  readonly onMessage: (n: number, mappingId: string | undefined) => void;
}

/**
 * Receives DLQ messages until the queue is empty (or `max` were acted on) and
 * handles each once. Messages left in the DLQ (skipped, dry run, failed) are
 * made visible again at the end, so the next run or reader sees them at once.
 */
async function drain(o: DrainOptions): Promise<MessageReport[]> {
  const reports: MessageReport[] = [];
  const handled = new RecentFailures();
  let acted = 0;
  const options = { sqs: o.sqs, queueUrl: o.dlqUrl, holdSeconds: HOLD_SECONDS, more: () => acted < o.max };
  await receiveEach(options, async (m, release) => {
    const message: QueueMessage = { body: m.Body ?? '', attributes: stringAttributes(m.MessageAttributes) };
    let decision = decideRedrive(message, o.settings, new Date().toISOString());
    let base = describe(m.MessageId!, decision);
    if (acted >= o.max) {
      release(m); // past --max: left for the next run, not reported
      return;
    }
    if (o.only !== undefined && base.mappingId !== o.only) {
      reports.push({ ...base, outcome: 'skipped' });
      release(m);
      return;
    }
    acted++;
    o.onMessage(reports.length + 1, base.mappingId);
    let settings = o.settings;
    if (decision.action === 'park' && decision.reason === 'unknown-mapping' && o.configured.has(base.mappingId!)) {
      // The file has the mapping but no state machine was given or deployed for it. A message out of attempts
      // is parked without one; one that would start fails and stays: the operator's to fix.
      settings = { ...o.settings, stateMachineArnPrefix: NO_STATE_MACHINE };
      decision = decideRedrive(message, settings, new Date().toISOString());
      if (decision.action === 'start') {
        reports.push({ ...base, outcome: 'failed', reason: noStateMachine(base.mappingId!) });
        release(m);
        return;
      }
      base = describe(m.MessageId!, decision);
    }
    if (o.dryRun) {
      const key = decision.failed && failureKey(decision.failed);
      const copy = key !== undefined && handled.has(key);
      if (key !== undefined) handled.add(key);
      reports.push({
        ...base,
        outcome: copy ? 'would-delete-duplicate' : decision.action === 'start' ? 'would-redrive' : 'would-park',
      });
      release(m);
      return;
    }
    reports.push(await handle({ ...o, settings }, m, message, base, release, handled));
  });
  return reports;
}

/** Redrives or parks one message, then deletes it from the DLQ; a failure leaves it there. */
async function handle(
  o: DrainOptions,
  m: Message,
  message: QueueMessage,
  base: MessageReport,
  release: (m: Message) => void,
  handled: HandledFailures,
): Promise<MessageReport> {
  let report: MessageReport;
  try {
    const targets = { sfn: o.sfn, sqs: o.sqs, parkedQueueUrl: o.parkedQueueUrl };
    const out = await redriveMessage(message, o.settings, targets, new Date(), handled);
    report =
      out.action === 'redriven'
        ? { ...base, outcome: 'redriven', attempt: out.decision.input.attempt, executionArn: out.executionArn }
        : out.action === 'duplicate'
          ? { ...base, outcome: 'duplicate', attempt: undefined, reason: `duplicate of ${out.key}` }
          : { ...base, outcome: 'parked', reason: `${out.decision.reason}: ${out.decision.detail}` };
  } catch (e) {
    release(m);
    return { ...base, outcome: 'failed', attempt: undefined, reason: sdkErrorText(e) };
  }
  try {
    await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.dlqUrl, ReceiptHandle: m.ReceiptHandle }));
    return report;
  } catch (e) {
    // The execution started (or the copy was parked) but the message stays: a later run would repeat it.
    return {
      ...report,
      outcome: 'failed',
      reason: `${report.outcome}, but not deleted from the DLQ (${sdkErrorText(e)}); a later run repeats it`,
    };
  }
}

/** The report fields a decision gives before anything is done. */
function describe(messageId: string, d: RedriveDecision): MessageReport {
  const f = d.failed;
  const mappingId = f?.mappingId ?? (d.action === 'park' ? d.mappingId : undefined);
  return {
    messageId,
    outcome: 'skipped',
    ...(mappingId !== undefined && { mappingId }),
    ...(f?.target !== undefined && { target: f.target }),
    ...(f && { failedAttempt: f.attempt, failedStep: f.failedStep, error: f.error, cause: f.cause }),
    ...(d.action === 'start' ? { attempt: d.input.attempt } : { reason: `${d.reason}: ${d.detail}` }),
  };
}

/** Stands in for a state machine nobody named, to ask whether a message would need one (it never starts). */
const NO_STATE_MACHINE = 'arn:aws:states:none:000000000000:stateMachine:not-given-';

/** Why a message of a configured mapping cannot be redriven from here, and the fix. */
function noStateMachine(mappingId: string): string {
  return (
    `no state machine for mapping ${mappingId}: pass --state-machine ${mappingId}=ARN, or deploy the stack ` +
    'that holds it'
  );
}

/** Longest error text in the table on a terminal; piped, and in JSON, the whole first line is kept. */
const ERROR_WIDTH = 90;

function row(r: MessageReport, style: Style, cut: boolean): string[] {
  const reasonCode = r.reason?.split(':', 1)[0];
  const outcome =
    r.outcome === 'failed'
      ? style.bad(`failed: ${r.reason}`)
      : r.outcome === 'parked' || r.outcome === 'would-park'
        ? style.warn(`${r.outcome.replace('-', ' ')} (${reasonCode})`)
        : r.outcome === 'skipped'
          ? style.dim('skipped')
          : r.outcome === 'duplicate' || r.outcome === 'would-delete-duplicate'
            ? style.dim(r.outcome === 'duplicate' ? 'duplicate (deleted)' : 'duplicate (would delete)')
            : `${r.outcome.replace('-', ' ')} as attempt ${r.attempt}`;
  const full = r.error === undefined ? (r.reason ?? '-') : r.cause ? `${r.error}: ${r.cause}` : r.error;
  const error = cut && full.length > ERROR_WIDTH ? `${full.slice(0, ERROR_WIDTH - 1)}…` : full;
  return [
    r.target === undefined ? (r.mappingId ?? '?') : `${r.mappingId ?? '?'} ${r.target}`,
    r.failedAttempt === undefined ? '-' : String(r.failedAttempt),
    r.failedStep ?? '-',
    outcome,
    error,
  ];
}

/** @throws UsageError unless `text` is a whole number >= 1. */
function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a whole number >= 1`);
  return n;
}

/** `--state-machine ID=ARN` flags as a map. @throws UsageError on a malformed one. */
function stateMachineFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const m = /^([a-z0-9-]+)=(arn:[^\s]+:states:[^\s]+:stateMachine:[^\s]+)$/.exec(f);
    if (!m)
      throw new UsageError(
        `--state-machine ${JSON.stringify(f)} is not ID=ARN with a state machine ARN ` +
          '(arn:aws:states:<region>:<account>:stateMachine:<name>)',
      );
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The stack's outputs by key. @throws CommandFailure naming the stack, the cause and the options instead. */
async function outputsOf(stackName: string, aws: AwsSession): Promise<Record<string, string>> {
  try {
    return await stackOutputs(stackName, aws);
  } catch (e) {
    throw new CommandFailure(`could not read the outputs of stack ${stackName} (${sdkErrorText(e)})`, {
      fix: 'pass --dlq-url, --parked-url and --state-machine ID=ARN, or deploy the stack',
    });
  }
}

function required(outputs: Record<string, string>, key: string, stackName: string): string {
  const v = outputs[key];
  if (v === undefined)
    throw new CommandFailure(`stack ${stackName} has no ${key} output`, {
      fix: `deploy the current version of the stack, or pass ${OPTION_OF_OUTPUT[key] ?? 'the matching option'}`,
    });
  return v;
}

/** The option that stands in for each stack output. */
const OPTION_OF_OUTPUT: Readonly<Record<string, string>> = {
  [DLQ_OUTPUT_KEY]: '--dlq-url URL',
  [STACK_OUTPUTS.parkedQueueUrl]: '--parked-url URL',
  [STATE_MACHINE_ARN_PREFIX_OUTPUT]: '--state-machine ID=ARN for each mapping whose messages are in the DLQ',
};

function parseMachines(json: string): Record<string, string> {
  const parsed = JSON.parse(json) as unknown;
  if (typeof parsed !== 'object' || parsed === null) throw new Error('the StateMachines output is not a JSON object');
  return parsed as Record<string, string>;
}
