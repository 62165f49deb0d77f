/**
 * One-line, value-free summaries of step outputs, as the CLI's trace
 * (bin/lib/pipeline.ts) and the test bed's execution trace (testbed/trace.ts)
 * show them.
 */
import type { MergePlan } from './types.ts';

/** The parts of a plan its outcome line shows. */
export type PlanLists = Pick<MergePlan, 'action' | 'added' | 'updated' | 'unchanged' | 'kept' | 'pruned'>;

/** The plan as `action; added [a, b]; updated [c]; unchanged [d]; kept 2; pruned [e]` (empty parts left out). */
export function planOutcome(p: PlanLists): string {
  const list = (n: string, k: readonly string[]) => (k.length ? `${n} [${k.join(', ')}]` : '');
  return [
    p.action,
    list('added', p.added),
    list('updated', p.updated),
    list('unchanged', p.unchanged),
    p.kept.count ? `kept ${p.kept.count}` : '',
    list('pruned', p.pruned),
  ]
    .filter(Boolean)
    .join('; ');
}
