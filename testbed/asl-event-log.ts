/**
 * A fix for the event log of aws-local-stepfunctions 3.0.0 (the local ASL interpreter). A Map iteration's events
 * reach the execution's log through an asynchronous forwarder, and the log drops whatever arrives after the
 * execution ended: the final states of the Map iteration that finished last (its SendTargetToDlq, TargetFailed
 * or Synced) were missing from `eventLogs` whenever the states after the Map ran faster than the forwarding
 * (docs/testing.md). Closing the log one macrotask later lets every forwarded event in; the interpretation is
 * untouched.
 */
import type { StateMachine } from 'aws-local-stepfunctions';

interface Logger {
  close(): void;
}

/** Makes `machine`'s executions keep every event of their Map iterations in `eventLogs`. Returns `machine`. */
export function withCompleteEventLog(machine: StateMachine): StateMachine {
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
