/**
 * `eks-secret-sync sync --mapping ID [--dry-run]`: one sync from a terminal, for
 * backfills and debugging. The pipeline's own code, in-process, with the caller's
 * credentials; prints each step with its duration, like the state machine trace.
 */
import type { Target } from '../../infra/model/config.ts';
import { targetName, targetViews, type MappingTarget } from '../../infra/model/targets.ts';
import { AwsSession, regionOf } from '../lib/aws.ts';
import { REVEAL_HELP, REVEAL_OPTIONS } from '../lib/keys.ts';
import {
  KUBE_HELP,
  KUBE_OPTIONS,
  loadConfig,
  MAPPING_OPTIONS,
  MAPPINGS_HELP,
  OUTPUT_HELP,
  selectMappings,
} from '../lib/mappings.ts';
import { formatTrace, runPipelines, type PipelineRun } from '../lib/pipeline.ts';
import { planJson, planText } from '../lib/plan-view.ts';
import { Progress, Style, writeJson } from '../lib/ui.ts';
import { EXIT, oneLine, parseCommandArgs, type Command } from '../lib/command.ts';

const HELP = `Usage: eks-secret-sync sync --mapping ID [--dry-run] [options]

Sync one mapping now, from this terminal: fetch AWSCURRENT, get a token, read the
Secret, plan the merge and apply it, with the same code the Lambdas run (no Step
Functions, no sealing: values stay in this process). Prints every step with its
duration and outcome, then the keys with masked values. For backfills and debugging.
After a write that changed data, the workloads in the target's restart list are
restarted as the pipeline's RestartWorkloads step does (the same code); with
restartWindowSeconds, at the boundary of the window, after waiting for it.

Options:
  --mapping ID         The mapping (required).
  --dry-run            Stop after the plan; write nothing.
${MAPPINGS_HELP}
${KUBE_HELP}
${REVEAL_HELP}
${OUTPUT_HELP}

Your AWS identity needs secretsmanager:GetSecretValue on the secret; your Kubernetes
identity needs get, create and patch on the Secret, and patch on the restart workloads
(the mapping's Role grants exactly that to the pipeline's group).

Exit codes: 0 synced (written, or nothing to write); with --dry-run 0 nothing to write
and 3 a sync would write; 1 a step failed (the trace shows which), 2 usage error.
`;

const OPTIONS = { ...MAPPING_OPTIONS, ...KUBE_OPTIONS, ...REVEAL_OPTIONS, 'dry-run': { type: 'boolean' } } as const;

/** The `sync` command. */
export const syncCommand: Command = {
  name: 'sync',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const { config } = await loadConfig(values.mappings);
    const mapping = selectMappings(config, values.mapping, true)[0]!;
    const dryRun = values['dry-run'] === true;
    const reveal = { lengths: values['show-lengths'] === true, hashes: values['show-hashes'] === true };
    const style = new Style(io, { noColor: values['no-color'], json: values.json });
    const progress = new Progress(io);
    const views = targetViews(mapping);
    const many = views.length > 1;
    const label = (t?: Target) => (many && t ? ` ${targetName(t)}` : '');
    // One fetch, then every target in its order; a failed target does not stop the others (as in the stack).
    const targetRuns = await runPipelines(
      {
        mapping,
        aws: new AwsSession(regionOf(mapping)),
        kube: { kubeconfig: values.kubeconfig, context: values.context },
        apply: !dryRun,
        onStep: (state, t) => progress.step(`${mapping.id}${label(t)}: ${state}`),
      },
      mapping.targets,
    ).finally(() => progress.stop());
    const runs: TargetSync[] = targetRuns.map((r, i) => ({ view: views[i]!, run: r.run, failure: r.failure }));
    const shown = runs.map((r) => {
      const { view, run, failure } = r;
      const failedStep = failure ? run.trace.at(-1)?.state : undefined;
      const result = resultText(view, r, dryRun);
      const status = failure ? 'failed' : dryRun ? 'planned' : run.applied ? 'written' : 'unchanged';
      return { view, run, failure, failedStep, result, status };
    });
    if (values.json) {
      const items = shown.map((x) => ({
        dryRun,
        status: x.status,
        result: x.result,
        ...(x.failure && { error: { name: x.failure.name, message: oneLine(x.failure.message), step: x.failedStep } }),
        trace: x.run.trace,
        applied: x.run.applied,
        ...(x.run.restarted && { restarted: x.run.restarted }),
        ...planJson(x.view, x.run, reveal),
      }));
      writeJson(io, { mappingsFile: config.source, ...(items.length === 1 ? items[0] : { dryRun, targets: items }) });
    } else {
      io.stdout(`${style.bold(`${dryRun ? 'Dry run' : 'Sync'} of mapping ${mapping.id}`)} (${config.source})\n`);
      shown.forEach((x, i) => {
        if (many) io.stdout(`\n${style.bold(`Target ${targetName(x.view)}`)}\n`);
        // The one FetchSecret heads every target's trace; it is shown once, under the first target.
        const trace = i > 0 && x.run.trace.length > 1 ? x.run.trace.slice(1) : x.run.trace;
        io.stdout(formatTrace(trace, (r, text) => (r.failed ? style.bad(text) : text)));
        io.stdout('\n');
        if (x.run.plan) io.stdout(`${planText(x.view, x.run, reveal, style)}\n`);
        io.stdout(`${x.failure ? style.bad('Result') : style.good('Result')}: ${x.result}\n`);
      });
    }
    if (shown.some((x) => x.failure)) return EXIT.FAILURE;
    const writes = shown.some((x) => x.run.plan?.action === 'create' || x.run.plan?.action === 'update');
    if (dryRun && writes) return EXIT.ATTENTION;
    return EXIT.OK;
  },
};

/** One target's run: the pipeline's trace and what it did, or the step error that ended it. */
interface TargetSync {
  readonly view: MappingTarget;
  readonly run: PipelineRun;
  readonly failure?: Error;
}

function resultText(view: MappingTarget, { run, failure }: TargetSync, dryRun: boolean): string {
  if (failure) return `failed at ${run.trace.at(-1)?.state}: ${failure.name}: ${oneLine(failure.message)}`;
  if (dryRun) {
    return (
      'dry run: ' +
      (run.plan?.action === 'create' || run.plan?.action === 'update'
        ? `a sync would ${run.plan.action} the Secret`
        : 'nothing to write')
    );
  }
  return run.applied
    ? `${run.applied.action}d Secret ${view.namespace}/${view.secretName} at resourceVersion ` +
        `${run.applied.resourceVersion} with version ${run.source?.versionId}`
    : `nothing written (${run.plan?.action}): ${run.plan?.reason}`;
}
