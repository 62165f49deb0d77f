import { planOutcome } from '../functions/domain/outcome.ts';
import { type ExecutionRecord, resultIn } from './local-pipeline.ts';

/** One state of an execution, as the Step Functions console lists it. */
export interface TraceRow {
  readonly state: string;
  readonly type: string;
  readonly ms: number;
  readonly outcome: string;
}

/** The states an execution went through, with durations and a value-free outcome each. */
export function traceRows(record: ExecutionRecord): TraceRow[] {
  const rows: TraceRow[] = [];
  const entered = new Map<string, number>();
  for (const e of record.events) {
    if (e.type === 'StateEntered') entered.set(e.state.name, e.timestamp);
    if (e.type === 'StateExited' || e.type === 'StateFailed') {
      const ms = e.timestamp - (entered.get(e.state.name) ?? e.timestamp);
      rows.push({
        state: e.state.name,
        type: e.state.type,
        ms,
        outcome: e.type === 'StateFailed' ? `failed: ${e.Error}` : outcome(e.state.name, e.state.output),
      });
    }
  }
  return rows;
}

function outcome(state: string, out: any): string {
  // The step's result where the step table says it sits (undefined for a state that is no step's).
  const r = resultIn(state, out);
  switch (state) {
    case 'FetchSecret':
      return `version ${r.source.versionId} (${r.source.createdDate}), ${r.keys.count} keys`;
    case 'ReadSecret':
      // ReadSecret reads and plans: its result is the plan (the resourceVersion read, absent for a create).
      return r.resourceVersion === undefined ? planOutcome(r) : `${planOutcome(r)} (read at ${r.resourceVersion})`;
    case 'ApplySecret':
      return `${r.action}d, resourceVersion ${r.resourceVersion}`;
    case 'RestartWorkloads':
      return `restarted ${r.workloads.join(', ')} at ${r.restartedAt}`;
    default:
      return '';
  }
}

/** The rows as an aligned text table. */
export function formatTrace(record: ExecutionRecord): string {
  const rows = traceRows(record);
  const w = Math.max(...rows.map((r) => r.state.length), 5);
  return rows.map((r) => `  ${r.state.padEnd(w)}  ${String(r.ms).padStart(5)} ms  ${r.outcome}`).join('\n');
}

/** A Secret's data with every value masked: key names and byte lengths only. */
export function maskedData(data: Record<string, string> | undefined): string {
  return Object.entries(data ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `  ${k}: ****** (${Buffer.from(v, 'base64').length} bytes)`)
    .join('\n');
}
