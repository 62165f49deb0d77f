/**
 * `eks-secret-sync plan --mapping ID`: what a sync would change now, key by key,
 * with masked values. Runs the pipeline's read-only steps in-process.
 */
import type { Target } from '../../infra/model/config.ts';
import { targetName, targetViews } from '../../infra/model/targets.ts';
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
import { runPipelines } from '../lib/pipeline.ts';
import { planJson, planText } from '../lib/plan-view.ts';
import { Progress, Style, writeJson } from '../lib/ui.ts';
import { CommandFailure, EXIT, parseCommandArgs, type Command } from '../lib/command.ts';
import { failureFix } from '../lib/failure-fix.ts';

const HELP = `Usage: eks-secret-sync plan --mapping ID [options]

Show what a sync of one mapping would change now: every key with its change
(added, updated, unchanged, kept, pruned) and its value masked. Runs the pipeline's
own fetch, token, read and merge code in-process with your credentials; writes nothing.

Options:
  --mapping ID         The mapping (required).
${MAPPINGS_HELP}
${KUBE_HELP}
${REVEAL_HELP}
${OUTPUT_HELP}

Your AWS identity needs secretsmanager:GetSecretValue on the secret (and eks:DescribeCluster
when the mapping gives no endpoint); your Kubernetes identity needs get on the Secret.

Exit codes: 0 nothing to write (in sync, or a stale version), 3 a sync would write
(create or update), 1 failure, 2 usage error.
`;

const OPTIONS = { ...MAPPING_OPTIONS, ...KUBE_OPTIONS, ...REVEAL_OPTIONS } as const;

/** The `plan` command. */
export const planCommand: Command = {
  name: 'plan',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const { config } = await loadConfig(values.mappings);
    const [mapping] = selectMappings(config, values.mapping, true);
    const reveal = { lengths: values['show-lengths'] === true, hashes: values['show-hashes'] === true };
    const style = new Style(io, { noColor: values['no-color'], json: values.json });
    const progress = new Progress(io);
    const many = mapping!.targets.length > 1;
    const label = (t?: Target) => (many && t ? ` ${targetName(t)}` : '');
    const runs = await runPipelines(
      {
        mapping: mapping!,
        aws: new AwsSession(regionOf(mapping!)),
        kube: { kubeconfig: values.kubeconfig, context: values.context },
        apply: false,
        onStep: (state, t) => progress.step(`${mapping!.id}${label(t)}: ${state}`),
      },
      mapping!.targets,
    ).finally(() => progress.stop());
    const failed = runs.find((r) => r.failure);
    if (failed) {
      const state = failed.run.trace.at(-1)?.state ?? 'plan';
      const where = many ? `${mapping!.id}${label(failed.target)}: ` : '';
      throw new CommandFailure(`${where}${state} failed: ${failed.failure!.message}`, {
        step: state,
        fix: failureFix({
          step: state,
          errorName: failed.failure!.name,
          mappingId: mapping!.id,
          secretArn: mapping!.secretArn,
        }),
      });
    }
    const views = targetViews(mapping!);
    const plans = runs.map((r, i) => ({ view: views[i]!, run: r.run }));
    if (values.json) {
      const shown = plans.map((p) => planJson(p.view, p.run, reveal));
      writeJson(io, { mappingsFile: config.source, ...(shown.length === 1 ? shown[0] : { targets: shown }) });
    } else io.stdout(plans.map((p) => planText(p.view, p.run, reveal, style)).join('\n'));
    const writes = plans.some((p) => p.run.plan?.action === 'create' || p.run.plan?.action === 'update');
    return writes ? EXIT.ATTENTION : EXIT.OK;
  },
};
