/**
 * How `plan` and `sync` show a pipeline run: a header (source version, target
 * Secret, action and reason), the masked key table, and the same as JSON.
 */
import type { MappingTarget as Mapping } from '../../infra/model/targets.ts';
import { keyRows, moreKept, showValue, type KeyRow, type Reveal } from './keys.ts';
import type { PipelineRun } from './pipeline.ts';
import { table, type Style } from './ui.ts';
import { MANAGED_BY_LABEL, MANAGER_NAME } from '../../functions/domain/metadata.ts';

const CHANGE_COLOUR = { added: 'green', updated: 'yellow', pruned: 'red', unchanged: 'dim', kept: 'dim' } as const;

/**
 * Who else has a hand in the Secret, metadata only: its ownerReferences, other field managers of the keys this
 * mapping writes, and labels and annotation keys neither this tool nor the mapping sets (annotation values are
 * never shown: `kubectl.kubernetes.io/last-applied-configuration` may hold a whole Secret).
 */
export function othersOf(m: Mapping, run: PipelineRun) {
  const ours = (k: string, v?: string) =>
    k.startsWith('eks-secret-sync.io/') || (k === MANAGED_BY_LABEL && v === MANAGER_NAME);
  // Another tool's managed-by (Helm's, say) is shown: it says who else writes the Secret.
  const labels = Object.entries(run.existing?.labels ?? {})
    .filter(([k, v]) => !ours(k, v) && !Object.hasOwn(m.labels, k))
    .map(([k, v]) => `${k}=${v}`);
  const annotations = Object.keys(run.existing?.annotations ?? {}).filter(
    (k) => !ours(k) && !Object.hasOwn(m.annotations, k),
  );
  return {
    owners: run.observed?.owners ?? [],
    otherManagers: run.observed?.otherManagers ?? [],
    labels: labels.sort(),
    annotations: annotations.sort(),
  };
}

function othersText(m: Mapping, run: PipelineRun): string[] {
  const o = othersOf(m, run);
  const out: string[] = [];
  for (const w of o.owners) {
    out.push(`  owned by ${w.kind} ${JSON.stringify(w.name)} (${w.apiVersion}${w.controller ? ', controller' : ''})`);
  }
  for (const f of o.otherManagers) out.push(`  field manager ${f.manager} owns ${f.keys.join(', ')}`);
  if (o.labels.length) out.push(`  other labels: ${o.labels.join(', ')}`);
  if (o.annotations.length) out.push(`  other annotations: ${o.annotations.join(', ')}`);
  return out;
}

/** The run's key rows (empty before ReadSecret planned). */
export function rowsOf(run: PipelineRun, reveal: Reveal): KeyRow[] {
  return run.plan && run.desired ? keyRows(run.plan, run.desired, run.existing, reveal) : [];
}

/** Header and key table as text. */
export function planText(m: Mapping, run: PipelineRun, reveal: Reveal, style: Style): string {
  const out: string[] = [];
  const s = run.source;
  out.push(`${style.bold(`Mapping ${m.id}`)}: AWS secret ${m.secretArn}`);
  if (s) out.push(`  version ${s.versionId} (created ${s.createdDate})${s.current ? ', AWSCURRENT' : ''}`);
  const where = run.target ? ` on ${run.target.server} (from ${run.target.source})` : '';
  out.push(`  -> Secret ${m.namespace}/${m.secretName} in cluster ${m.cluster.name}${where}`);
  out.push(...othersText(m, run));
  if (!run.plan) return `${out.join('\n')}\n`;
  const action =
    run.plan.action === 'create' || run.plan.action === 'update'
      ? style.warn(run.plan.action)
      : style.good(run.plan.action);
  out.push(`Action: ${action}. ${run.plan.reason}`, '');
  const rows = rowsOf(run, reveal);
  const body = rows.map((r) => [
    r.key,
    style.paint(CHANGE_COLOUR[r.change], r.change),
    showValue(r.now),
    showValue(r.after),
  ]);
  out.push(rows.length ? table(['KEY', 'CHANGE', 'NOW (KUBERNETES)', 'AFTER SYNC'], body).trimEnd() : '  (no keys)');
  const more = moreKept(run.plan);
  if (more > 0) out.push(`  … and ${more} more kept keys written by others`);
  return `${out.join('\n')}\n`;
}

/** The same as JSON-ready data. Values appear only as {bytes, sha256} when the flags ask, never as values. */
export function planJson(m: Mapping, run: PipelineRun, reveal: Reveal): Record<string, unknown> {
  const o = run.observed;
  return {
    mapping: m.id,
    source: run.source && {
      arn: run.source.arn,
      versionId: run.source.versionId,
      createdDate: run.source.createdDate,
      current: run.source.current === true,
    },
    target: {
      cluster: m.cluster.name,
      server: run.target?.server,
      serverFrom: run.target?.source,
      namespace: m.namespace,
      name: m.secretName,
      exists: o?.exists,
      resourceVersion: o?.resourceVersion,
      lastSourceVersionId: o?.lastSource?.versionId,
      ...othersOf(m, run),
    },
    action: run.plan?.action,
    reason: run.plan?.reason,
    keys: rowsOf(run, reveal),
    keptNotListed: run.plan ? moreKept(run.plan) : 0,
  };
}
