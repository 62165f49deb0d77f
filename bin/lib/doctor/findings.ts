/**
 * What a doctor check reports: a verdict, a one-line message and, for a
 * problem, the fix. "unchecked" always says why the check could not run.
 */

/** ok: fine; problem: a sync fails or never starts; warning: works but risky; unchecked: could not look. */
export type Verdict = 'ok' | 'problem' | 'warning' | 'unchecked';

/** One finding of one check. */
export interface Finding {
  /** Stable id of the check, e.g. `secret`, `rule`, `rbac` (see docs/cli.md#doctor). */
  readonly check: string;
  readonly verdict: Verdict;
  readonly message: string;
  /** What to do about it (problems and warnings). */
  readonly fix?: string;
  /** The individual problems, where one check finds several (the mappings file). */
  readonly details?: readonly string[];
}

/** A finding that says the check could not run: `could not check <what>: <reason>`. */
export function unchecked(check: string, what: string, reason: string): Finding {
  return { check, verdict: 'unchecked', message: `could not check ${what}: ${reason}` };
}

/** Counts by verdict. */
export function summarize(findings: readonly Finding[]): {
  problems: number;
  warnings: number;
  unchecked: number;
  ok: number;
} {
  const n = (v: Verdict) => findings.filter((f) => f.verdict === v).length;
  return { problems: n('problem'), warnings: n('warning'), unchecked: n('unchecked'), ok: n('ok') };
}
