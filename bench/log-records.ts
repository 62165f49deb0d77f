/**
 * The CloudWatch Logs records of one Express execution at level ALL with execution data, rebuilt from a local
 * execution's events the way Step Functions writes them (step-functions/latest/dg/cw-logs.html, "Log levels"
 * cloudwatch-log-level.html, and the HistoryEvent types of the API reference): one JSON line per history event,
 * `{id, type, details, previous_event_id, event_timestamp, execution_arn, redrive_count}`, where `details` holds the
 * event's input or output as a JSON string inside the JSON record (its quotes escaped, so it is larger than the
 * payload itself). The local interpreter (aws-local-stepfunctions) emits the state and iteration events; the records
 * AWS writes besides them are derived here: the Map's MapStateStarted and MapStateSucceeded, and for every Lambda
 * task (a Task whose Resource is a function ARN) LambdaFunctionScheduled (the function's input), LambdaFunctionStarted
 * and LambdaFunctionSucceeded (its result). Pure: no I/O.
 */

/** One local event (aws-local-stepfunctions' event log), as far as the records need it. */
export interface LocalEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly index?: number;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  readonly parentState?: { readonly name: string; readonly input?: unknown };
}

/** One Lambda invocation the execution made: the function's input and result, in the order they were made. */
export interface Invocation {
  /** The step's own Task state (the step table's `state`: RestartWorkloads also for RecheckRollouts' calls). */
  readonly state: string;
  readonly input: unknown;
  readonly output: unknown;
}

/** The names the envelope repeats (execution ARN, role, function ARNs): their lengths are what matters. */
export interface RecordNames {
  readonly executionArn: string;
  readonly roleArn: string;
  /**
   * A Task state that invokes a Lambda function by its ARN (undefined for a service integration or another state):
   * the state whose invocations it takes (RecheckRollouts runs RestartWorkloads' function), the ARN its Resource
   * names, its TimeoutSeconds (LambdaFunctionScheduled carries both).
   */
  readonly lambdaTask: (
    state: string,
  ) => { readonly invokes: string; readonly functionArn: string; readonly timeoutSeconds?: number } | undefined;
}

/** The records of one execution: how many of each type, their bytes as held, and how much of it is payload. */
export interface LogRecords {
  readonly byType: Record<string, number>;
  readonly count: number;
  /** Every record as one UTF-8 JSON line (without its newline). */
  readonly bytes: number;
  /** The input and output strings inside the records, escaped as the records hold them. */
  readonly payloadBytes: number;
  /** `bytes` less `payloadBytes`: ids, types, timestamps, the execution ARN and the details' other fields. */
  readonly envelopeBytes: number;
  /** The records themselves (for tests). */
  readonly lines: readonly string[];
}

const size = (s: string) => Buffer.byteLength(s);

/**
 * The records of one execution. `events` in the order the interpreter emitted them; `invocations` the Lambda
 * invocations in the order they were made (matched to Lambda Task states by state name, in order).
 *
 * @throws Error when a Lambda Task state has no invocation left to match (the events and invocations disagree).
 */
export function logRecords(
  events: readonly LocalEvent[],
  invocations: readonly Invocation[],
  names: RecordNames,
): LogRecords {
  const pending = [...invocations];
  const lines: string[] = [];
  const byType: Record<string, number> = {};
  let payloadBytes = 0;
  const data = (v: unknown) => {
    const s = JSON.stringify(v ?? null);
    // The string as it sits inside the record: JSON-escaped, without its two quotes.
    payloadBytes += size(JSON.stringify(s)) - 2;
    return s;
  };
  const push = (type: string, details: Record<string, unknown>, timestamp: number) => {
    const id = lines.length + 1;
    const record = {
      id: String(id),
      type,
      details,
      previous_event_id: String(id - 1),
      event_timestamp: String(Math.round(timestamp)),
      execution_arn: names.executionArn,
      redrive_count: '0',
    };
    lines.push(JSON.stringify(record));
    byType[type] = (byType[type] ?? 0) + 1;
  };
  const notTruncated = { truncated: false };
  for (const e of events) {
    const t = e.timestamp;
    switch (e.type) {
      case 'ExecutionStarted':
        push('ExecutionStarted', { input: data(e.input), inputDetails: notTruncated, roleArn: names.roleArn }, t);
        break;
      case 'ExecutionSucceeded':
        push('ExecutionSucceeded', { output: data(e.output), outputDetails: notTruncated }, t);
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
        push(e.type, { name: e.parentState?.name, index: e.index }, t);
        break;
      case 'StateEntered': {
        const s = e.state!;
        push(`${s.type}StateEntered`, { name: s.name, input: data(s.input), inputDetails: notTruncated }, t);
        if (s.type === 'Map') {
          // MapStateStarted carries the number of items; the local interpreter does not emit it.
          push('MapStateStarted', { length: mapLength(events, s.name) }, t);
        }
        const task = s.type === 'Task' ? names.lambdaTask(s.name) : undefined;
        if (task) {
          const i = pending.findIndex((x) => x.state === task.invokes);
          if (i < 0) throw new Error(`no Lambda invocation left for the Task state ${s.name}`);
          const [call] = pending.splice(i, 1);
          const timeout = task.timeoutSeconds;
          push(
            'LambdaFunctionScheduled',
            {
              resource: task.functionArn,
              input: data(call!.input),
              inputDetails: notTruncated,
              ...(timeout === undefined ? {} : { timeoutInSeconds: timeout }),
            },
            t,
          );
          push('LambdaFunctionStarted', {}, t);
          push('LambdaFunctionSucceeded', { output: data(call!.output), outputDetails: notTruncated }, t);
        }
        break;
      }
      case 'StateExited': {
        const s = e.state!;
        if (s.type === 'Map') push('MapStateSucceeded', {}, t);
        push(`${s.type}StateExited`, { name: s.name, output: data(s.output), outputDetails: notTruncated }, t);
        break;
      }
      default:
        // Retries, catches and failures: counted by type with no payload (none on the measured path).
        push(e.type, {}, t);
    }
  }
  const bytes = lines.reduce((a, l) => a + size(l), 0);
  return { byType, count: lines.length, bytes, payloadBytes, envelopeBytes: bytes - payloadBytes, lines };
}

/** How many iterations a Map state ran: its MapIterationStarted events. */
function mapLength(events: readonly LocalEvent[], map: string): number {
  return events.filter((e) => e.type === 'MapIterationStarted' && e.parentState?.name === map).length;
}
