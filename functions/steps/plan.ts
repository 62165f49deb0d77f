/** The merge decision from the source version and the value-free observation (ReadSecret's result). */
import { InvalidInputError } from '../domain/errors.ts';
import { SOURCE_VERSION_ANNOTATIONS } from '../domain/metadata.ts';
import { planMerge } from '../domain/plan.ts';
import type { Clock } from '../domain/ports.ts';
import { parseWorkloads, recheckAfter, restartAfter } from '../domain/restart.ts';
import type { TargetRef } from '../domain/target.ts';
import type { MergeOptions, MergePlan, Observation, SourceVersion } from '../domain/types.ts';

/** The plan's input: the version fetched and what ReadSecret observed ({@link PlanOutput}). */
export interface PlanInput {
  /** The target whose overrides apply (absent: the mapping's options as they are). */
  readonly target?: TargetRef;
  readonly source: SourceVersion;
  readonly observed: Observation;
  /** The execution's attempt (`$$.Execution.Input.attempt`; 2 and up: a redrive), for {@link PlanOutput.recheck}. */
  readonly attempt?: number;
  /**
   * True (the state machine's ReadSecret): the plan leaves out the `source-*` annotations, which ApplySecret builds
   * from its `source` input, so the plan the state carries to the write is smaller. Absent (the CLI): the plan
   * carries them.
   */
  readonly sourceAnnotationsAtWrite?: boolean;
}

/**
 * The plan ReadSecret returns: the merge plan, and the workloads to restart once
 * it is written. `restart` is how the state machine knows whether to restart:
 * the Choice after ApplySecret goes to RestartWorkloads only when
 * `$.plan.restart[0]` is present, that is when the mapping lists workloads
 * (RESTART_TARGETS) AND the write changes data (a key added, updated or
 * pruned; see `restartAfter` in domain/restart.ts). A write that only
 * records a new version in the annotations, a no-op and a stale version
 * restart nothing. The plan is made again after a conflict, so `restart`
 * always belongs to the write that succeeded.
 */
export interface PlanOutput extends MergePlan {
  /** `deployment/<name>`, `statefulset/<name>`, `daemonset/<name>`, sorted; empty for no restart. */
  readonly restart: readonly string[];
  /**
   * On a redrive that writes no new data: the workloads whose restart and rollout are checked again
   * (RecheckRollouts; `recheckAfter` in domain/restart.ts). Absent or empty otherwise.
   */
  readonly recheck?: readonly string[];
}

/** What the plan step works through. */
export interface PlanPorts {
  readonly clock: Clock;
}

/** The mapping's settings the plan step needs. */
export interface PlanSettings {
  /** Merge options: prune, type, labels, annotations, deletion policy. */
  readonly options: MergeOptions;
  /** The mapping's `restart` list (`deployment/<name>`, ...), sorted. */
  readonly restartTargets: readonly string[];
}

/**
 * Decides the merge: keys added, updated, unchanged, kept, pruned, whether to
 * write at all (or, for a deleted source, what the deletion policy does), and
 * which workloads to restart after the write (only when it changes data), and on a redrive that writes no new
 * data, which workloads to re-check (`recheckAfter`, domain/restart.ts).
 *
 * @throws InvalidInputError when the input is malformed or the merge is impossible (owner, type, required keys).
 */
export async function planSync(ports: PlanPorts, settings: PlanSettings, input: PlanInput): Promise<PlanOutput> {
  if (!input?.source || !input?.observed) {
    throw new InvalidInputError('the plan needs {source, observed}: the version fetched and what ReadSecret read');
  }
  const merge = planMerge(input.source, input.observed, settings.options, ports.clock.now().toISOString());
  const recheck = recheckAfter(merge, settings.restartTargets, input.attempt);
  const plan = input.sourceAnnotationsAtWrite === true ? withoutSourceAnnotations(merge) : merge;
  return { ...plan, restart: restartAfter(merge, settings.restartTargets), ...(recheck.length > 0 && { recheck }) };
}

/** The plan without the `source-*` annotations (the write adds them back from the source). */
function withoutSourceAnnotations(plan: MergePlan): MergePlan {
  const annotations = Object.fromEntries(
    Object.entries(plan.annotations).filter(([k]) => !SOURCE_VERSION_ANNOTATIONS.includes(k)),
  );
  return { ...plan, annotations };
}

/**
 * The plan's settings for one target: the mapping's options with the target's overrides (a field the target names
 * replaces the mapping's), and the target's own `restart` list when it has one.
 */
export function planSettingsFor(mapping: PlanSettings, target: TargetRef | undefined): PlanSettings {
  if (target === undefined) return mapping;
  const o = mapping.options;
  return {
    options: {
      ...o,
      type: target.type ?? o.type,
      labels: target.labels ?? o.labels,
      annotations: target.annotations ?? o.annotations,
      prune: target.prune ?? o.prune,
      deletionPolicy: target.deletionPolicy ?? o.deletionPolicy,
    },
    restartTargets:
      target.restart === undefined ? mapping.restartTargets : parseWorkloads(target.restart).map((w) => w.ref),
  };
}
