/**
 * Two fixes for aws-local-stepfunctions 3.0.0 (the local ASL interpreter). First, the event log. A Map iteration's
 * events reach the execution's log through an asynchronous forwarder, and the log drops whatever arrives after the
 * execution ended: the final states of the Map iteration that finished last (its SendTargetToDlq, TargetFailed
 * or Synced) were missing from `eventLogs` whenever the states after the Map ran faster than the forwarding
 * (docs/testing.md). Closing the log one macrotask later lets every forwarded event in; the interpretation is
 * untouched. Second, the context object of a Map iteration: the interpreter runs each iteration as an execution
 * of its own, whose `$$.Execution.Input` is the iteration's input (the item), where AWS (and moto) give every
 * state the execution's input. {@link withCompleteEventLog} also makes an iteration's `$$.Execution.Input` read the
 * execution's input fields the item does not have (ReadSecret's and SendTargetToDlq's event and attempt), so the
 * definition need not copy them into every iteration's state. They are non-enumerable on the item: the state
 * (a JSON copy of the item) never carries them. A field the item has itself still shadows the execution's.
 */
import { StateMachine } from 'aws-local-stepfunctions';

interface Logger {
  close(): void;
}

/** The run option that carries the execution's input to its nested runs (Map iterations, Parallel branches). */
const EXECUTION_INPUT = 'eksSecretSyncExecutionInput';

type Run = (input: unknown, options?: Record<string, unknown>) => unknown;

let contextFixed = false;

/**
 * Every StateMachine's nested runs (an options object with `_rootAbortSignal`: the interpreter's Map and Parallel
 * states pass it) see the execution's input fields behind the item's, as `$$.Execution.Input` does on AWS.
 */
function fixIterationContext(): void {
  if (contextFixed) return;
  contextFixed = true;
  const proto = StateMachine.prototype as unknown as { run: Run };
  const run = proto.run;
  proto.run = function (this: unknown, input, options) {
    if (options?._rootAbortSignal === undefined) return run.call(this, input, { ...options, [EXECUTION_INPUT]: input });
    const outer = options[EXECUTION_INPUT];
    if (!isObject(outer) || !isObject(input)) return run.call(this, input, options);
    const item: Record<string, unknown> = { ...input };
    for (const [k, v] of Object.entries(outer)) {
      if (!(k in item)) Object.defineProperty(item, k, { value: v, enumerable: false });
    }
    return run.call(this, item, options);
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Makes `machine`'s executions keep every event of their Map iterations in `eventLogs`, and gives the iterations
 * of every StateMachine the execution's input in `$$.Execution.Input` (above). Returns `machine`.
 */
export function withCompleteEventLog(machine: StateMachine): StateMachine {
  fixIterationContext();
  const m = machine as unknown as {
    execute(input: unknown, options: { eventLogger: Logger }, ...rest: unknown[]): unknown;
  };
  const execute = m.execute.bind(machine);
  m.execute = (input, options, ...rest) => {
    const close = options.eventLogger.close.bind(options.eventLogger);
    options.eventLogger.close = () => void setTimeout(close, 0);
    return execute(input, options, ...rest);
  };
  return machine;
}
