/**
 * Two ASL interpreters over the same scripted scenarios (test/support/asl-scenarios.ts): aws-local-stepfunctions
 * in this process, and moto's Step Functions interpreter in one Python process (test/support/asl_moto.py) for all
 * scenarios at once. Both report an {@link InterpreterRun}; {@link comparable} strips what may differ between two
 * correct interpreters (execution ids, the start time's text, the order of concurrent Map iterations).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';
import { withCompleteEventLog } from '../../testbed/asl-event-log.ts';
import { LambdaFunctionError } from '../../testbed/lambda-runtime.ts';
import { venvDir } from '../../testbed/paths.ts';
import { ACCOUNT, type DeployedDefinition, REGION } from './asl-deployed.ts';
import type { Answer, FunctionName, Scenario } from './asl-scenarios.ts';

/** One Lambda call as the function received it. */
export interface TaskCall {
  readonly function: string;
  readonly key: string;
  readonly input: Record<string, unknown>;
}

/** What one execution did, as either interpreter reports it. */
export interface InterpreterRun {
  readonly name: string;
  readonly executionId: string;
  readonly status: string;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: unknown;
  /** Names of the states entered, in the order the interpreter reports them. */
  readonly statesEntered: readonly string[];
  readonly taskInputs: readonly TaskCall[];
  /** The DLQ message bodies, parsed. */
  readonly dlq: readonly any[];
  /** moto only: each Retry wait it asked for, in seconds, in order (jitter included). */
  readonly retryWaits?: readonly number[];
}

/** The state's SQS integration the definition sends its DLQ messages with. */
const SQS_SEND = 'arn:aws:states:::sqs:sendMessage';

/** The key a call is scripted under (asl_moto.py `answer` mirrors it). */
export function callKey(input: Record<string, any>): string {
  const target = input.target;
  return target !== null && typeof target === 'object' ? target.name : (input.clusterName ?? '*');
}

/** The result of a function the script does not name (see `Script`). */
export const UNSCRIPTED: Answer = { result: {} };

/** The scripted answer for the n-th call of a key, {@link UNSCRIPTED}, or an Error naming what the script lacks. */
export function scriptedAnswer(s: Scenario, fn: FunctionName, key: string, n: number): Answer {
  const byKey = s.answers[fn];
  if (byKey === undefined) return UNSCRIPTED;
  const script = byKey[key] ?? byKey['*'];
  if (!script?.length) throw new Error(`scenario ${s.name}: no answer for ${fn} ${key}`);
  return script[Math.min(n, script.length - 1)]!;
}

/** Every Task state of a definition (nested Map processors included): name -> Resource. */
function taskStates(states: Record<string, any>): [string, string][] {
  return Object.entries(states).flatMap(([name, st]) => [
    ...(st.Type === 'Task' ? [[name, st.Resource as string] as [string, string]] : []),
    ...(st.ItemProcessor ? taskStates(st.ItemProcessor.States) : []),
    ...(st.Iterator ? taskStates(st.Iterator.States) : []),
    ...(st.Branches ?? []).flatMap((b: any) => taskStates(b.States)),
  ]);
}

/**
 * `$$.State` for aws-local-stepfunctions, which has none: EnteredTime is the time it is read (a Pass state reads it
 * as it is entered; Step Functions gives the state's entered time, docs/decisions.md#the-wave-loop-stops-by-time).
 */
export function enteredNow(): { readonly EnteredTime: string } {
  return {
    get EnteredTime() {
      return new Date().toISOString();
    },
  };
}

/** Runs every scenario on aws-local-stepfunctions, one after the other. */
export async function runLocal(def: DeployedDefinition, scenarios: readonly Scenario[]): Promise<InterpreterRun[]> {
  const asl = JSON.parse(def.text);
  const tasks = taskStates(asl.States);
  const machine = withCompleteEventLog(new StateMachine(asl));
  const runs: InterpreterRun[] = [];
  for (const s of scenarios) {
    const calls = new Map<string, number>();
    const taskInputs: TaskCall[] = [];
    const dlq: unknown[] = [];
    const handlers = Object.fromEntries(
      tasks.map(([state, resource]) => {
        if (resource === SQS_SEND)
          return [
            state,
            (p: any): any => {
              if (p.QueueUrl !== def.queueUrl) throw new Error(`${state} sends to ${p.QueueUrl}, not the DLQ`);
              dlq.push(typeof p.MessageBody === 'string' ? JSON.parse(p.MessageBody) : p.MessageBody);
              return { MessageId: `m-${dlq.length}`, MD5OfMessageBody: '' };
            },
          ];
        const fn = def.functions[resource] as FunctionName | undefined;
        const unscripted = `Task state ${state} calls ${resource}, which the scenarios do not script`;
        // An optimized integration (RecordFailureEvent's asynchronous lambda:invoke, only with failureEvents): no
        // scenario's mapping turns it on, so entering it is the failure.
        if (!fn && resource.startsWith('arn:aws:states:::')) {
          return [
            state,
            (): never => {
              throw new Error(unscripted);
            },
          ];
        }
        if (!fn) throw new Error(unscripted);
        return [
          state,
          (input: any): any => {
            const key = callKey(input);
            const n = calls.get(`${fn} ${key}`) ?? 0;
            calls.set(`${fn} ${key}`, n + 1);
            taskInputs.push({ function: fn, key, input });
            const a = scriptedAnswer(s, fn, key, n);
            if ('error' in a) throw new LambdaFunctionError(a.error, a.cause, []);
            return a.result;
          },
        ];
      }),
    );
    const executionId = `arn:aws:states:${REGION}:${ACCOUNT}:execution:sync:${s.name}`;
    const execution = machine.run(s.input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        retryIntervalOverrides: Object.fromEntries(tasks.map(([state]) => [state, 0])),
      },
      // aws-local-stepfunctions 3.0.0 has no $$.State: EnteredTime stands in as the time the field is read.
      context: { Execution: { Id: executionId, Name: s.name }, State: enteredNow() },
    });
    const events: any[] = [];
    const collecting = (async () => {
      for await (const e of execution.eventLogs) events.push(e);
    })();
    let output: unknown = null;
    try {
      output = await execution.result;
    } catch {
      // The failure is read from the ExecutionFailed event below.
    }
    await collecting.catch(() => undefined);
    const failed = events.find((e) => e.type === 'ExecutionFailed');
    runs.push({
      name: s.name,
      executionId,
      status: failed ? 'FAILED' : 'SUCCEEDED',
      error: failed?.Error ?? null,
      cause: failed ? String(failed.Cause) : null,
      output: failed ? null : output,
      statesEntered: events.filter((e) => e.type === 'StateEntered').map((e) => e.state.name),
      taskInputs,
      dlq,
    });
  }
  return runs;
}

/** One state machine for moto, and the scenarios run on it. */
export interface MotoMachine {
  readonly definition: DeployedDefinition;
  readonly scenarios: readonly Scenario[];
}

/**
 * Runs every scenario of every machine on moto's interpreter in one Python process of the project's venv
 * (testbed/python.ts `ensureMotoServer` makes it). All machines must share one DLQ.
 */
export function runMoto(machines: readonly MotoMachine[]): Promise<InterpreterRun[][]> {
  const [first] = machines;
  const request = {
    region: REGION,
    functions: Object.assign({}, ...machines.map((m) => m.definition.functions)),
    queueUrl: first!.definition.queueUrl,
    queueName: first!.definition.queueName,
    machines: machines.map((m, i) => ({
      name: `sync-${i}`,
      definition: m.definition.text,
      scenarios: m.scenarios.map((s) => ({ name: s.name, input: s.input, answers: s.answers })),
    })),
  };
  const python = `${venvDir}/bin/python`;
  const script = fileURLToPath(new URL('./asl_moto.py', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = execFile(python, [script], { maxBuffer: 64 << 20, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${script} failed: ${error.message}\n${stderr.slice(-4000)}`));
      resolve(JSON.parse(stdout) as InterpreterRun[][]);
    });
    child.stdin!.end(JSON.stringify(request));
  });
}

/** The keys through which a Task receives `$$.Execution.StartTime`. */
const START_TIME_KEYS = ['executionStartedAt', 'requestedAt'];

/** The `$$.Execution.StartTime` texts the tasks of a run received (each distinct text once). */
export function startTimes(run: InterpreterRun): string[] {
  return [
    ...new Set(
      run.taskInputs.flatMap((c) => START_TIME_KEYS.filter((k) => k in c.input).map((k) => String(c.input[k]))),
    ),
  ];
}

const sortedBy = <T>(items: readonly T[], key: (t: T) => string) =>
  [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/**
 * A run with what two correct interpreters may write differently taken out: the execution id in DLQ bodies, the
 * text of the start time (its format: see {@link startTimes}), and the interleaving of concurrent Map iterations
 * (states entered as a sorted list; task inputs per function and key, each in call order; DLQ bodies sorted).
 */
export function comparable(run: InterpreterRun) {
  const start = (input: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(input).map(([k, v]) => [k, START_TIME_KEYS.includes(k) ? '<start>' : v]));
  const calls: Record<string, unknown[]> = {};
  for (const c of run.taskInputs) {
    const key = `${c.function} ${c.key}`;
    calls[key] = [...(calls[key] ?? []), start(c.input)];
  }
  const dlq = run.dlq.map((b) => ({ ...b, executionId: b.executionId === run.executionId ? '<this>' : b.executionId }));
  return {
    status: run.status,
    error: run.error,
    cause: run.cause,
    output: run.output,
    statesEntered: [...run.statesEntered].sort(),
    calls: Object.fromEntries(sortedBy(Object.entries(calls), ([k]) => k)),
    dlq: sortedBy(dlq, (b) => JSON.stringify(b)),
  };
}

/** A run's DLQ bodies as `<target> <failedStep> <error>`, sorted (a scenario's {@link Scenario.expect}). */
export function dlqSummary(run: InterpreterRun): string[] {
  return run.dlq.map((b) => `${b.target} ${b.failedStep} ${b.error}`).sort();
}

/** How often a function was called for a key. */
export function callCount(run: InterpreterRun, call: string): number {
  return run.taskInputs.filter((c) => `${c.function} ${c.key}` === call).length;
}
