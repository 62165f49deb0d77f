/**
 * `eks-secret-sync sync --mapping ID [--dry-run]`: one sync from a terminal, for
 * backfills and debugging. The pipeline's own code, in-process, with the caller's
 * credentials; prints each step with its duration, like the state machine trace.
 */
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
import { formatTrace, PipelineError, runPipeline, type PipelineRun } from '../lib/pipeline.ts';
import { planJson, planText } from '../lib/plan-view.ts';
import { Progress, Style, writeJson } from '../lib/ui.ts';
import { EXIT, oneLine, parseCommandArgs, type Command } from '../lib/command.ts';

const HELP = `Usage: eks-secret-sync sync --mapping ID [--dry-run] [options]

Sync one mapping now, from this terminal: fetch AWSCURRENT, get a token, read the
Secret, plan the merge and apply it, with the same code the Lambdas run (no Step
Functions, no sealing: values stay in this process). Prints every step with its
duration and outcome, then the keys with masked values. For backfills and debugging.
Workloads named in the mapping's restart list are not restarted.

Options:
  --mapping ID         The mapping (required).
  --dry-run            Stop after the plan; write nothing.
${MAPPINGS_HELP}
${KUBE_HELP}
${REVEAL_HELP}
${OUTPUT_HELP}

Your AWS identity needs secretsmanager:GetSecretValue on the secret; your Kubernetes
identity needs get, create and patch on the Secret (the mapping's Role grants exactly
that to the pipeline's group).

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
    let run: PipelineRun;
    let failure: Error | undefined;
    try {
      run = await runPipeline({
        mapping,
        aws: new AwsSession(regionOf(mapping)),
        kube: { kubeconfig: values.kubeconfig, context: values.context },
        apply: !dryRun,
        onStep: (state) => progress.step(`${mapping.id}: ${state}`),
      });
    } catch (e) {
      if (!(e instanceof PipelineError)) throw e;
      run = e.run;
      failure = e.cause as Error;
    } finally {
      progress.stop();
    }
    const failedStep = failure ? run.trace.at(-1)?.state : undefined;
    const result = failure
      ? `failed at ${failedStep}: ${failure.name}: ${oneLine(failure.message)}`
      : dryRun
        ? 'dry run: ' +
          (run.plan?.action === 'create' || run.plan?.action === 'update'
            ? `a sync would ${run.plan.action} the Secret`
            : 'nothing to write')
        : run.applied
          ? `${run.applied.action}d Secret ${mapping.namespace}/${mapping.secretName} at resourceVersion ` +
            `${run.applied.resourceVersion} with version ${run.source?.versionId}`
          : `nothing written (${run.plan?.action}): ${run.plan?.reason}`;

    if (values.json) {
      writeJson(io, {
        mappingsFile: config.source,
        dryRun,
        status: failure ? 'failed' : dryRun ? 'planned' : run.applied ? 'written' : 'unchanged',
        result,
        ...(failure && { error: { name: failure.name, message: oneLine(failure.message), step: failedStep } }),
        trace: run.trace,
        applied: run.applied,
        ...planJson(mapping, run, reveal),
      });
    } else {
      io.stdout(`${style.bold(`${dryRun ? 'Dry run' : 'Sync'} of mapping ${mapping.id}`)} (${config.source})\n`);
      io.stdout(formatTrace(run.trace, (r, text) => (r.failed ? style.bad(text) : text)));
      io.stdout('\n');
      if (run.plan) io.stdout(`${planText(mapping, run, reveal, style)}\n`);
      io.stdout(`${failure ? style.bad('Result') : style.good('Result')}: ${result}\n`);
    }
    if (failure) return EXIT.FAILURE;
    if (dryRun && (run.plan?.action === 'create' || run.plan?.action === 'update')) return EXIT.ATTENTION;
    return EXIT.OK;
  },
};
