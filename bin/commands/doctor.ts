/**
 * `eks-secret-sync doctor [--mapping ID]`: finds the usual misconfigurations, each
 * with its fix. Checks that cannot run say "could not check X: <reason>" rather
 * than pass silently.
 */
import { rulePrefix } from '../../infra/model/resource-names.ts';
import { checkOtherDeployments } from '../lib/doctor/other-deployments.ts';
import type { StackOptions, SyncConfig } from '../../infra/model/config.ts';
import { clusterEnv, homeOf } from '../../infra/model/cluster-env.ts';
import { stackNameOfMapping } from '../../infra/model/fleet.ts';
import type { MappingTarget } from '../../infra/model/targets.ts';
import { AwsSession, regionOf } from '../lib/aws.ts';
import { resolveKubeTarget, type KubeconfigFlags } from '../lib/cluster.ts';
import {
  checkCluster,
  checkRules,
  checkSecret,
  type ClockSample,
  type ClusterFacts,
} from '../lib/doctor/aws-checks.ts';
import { summarize, unchecked, type Finding } from '../lib/doctor/findings.ts';
import { checkNamespace, checkRbac, checkRestartPolicy } from '../lib/doctor/kube-checks.ts';
import {
  findMappingsFile,
  KUBE_HELP,
  KUBE_OPTIONS,
  MAPPING_OPTIONS,
  MAPPINGS_HELP,
  OUTPUT_HELP,
  selectMappings,
} from '../lib/mappings.ts';
import { Progress, Style, writeJson } from '../lib/ui.ts';
import { EXIT, parseCommandArgs, type Command } from '../lib/command.ts';
import { secretCalls, verbsOf } from '../../functions/domain/kube-verbs.ts';

const HELP = `Usage: eks-secret-sync doctor [--mapping ID] [options]

Look for the usual misconfigurations and print each with its fix:
  mappings-file        the mappings file is invalid (every schema error is listed)
  secret               the AWS secret is missing, scheduled for deletion, or has no value
  rule                 the EventBridge rule of the mapping is missing or disabled
  cluster              the EKS cluster does not exist in its region (cluster.region, else
                       the secret's); one of another account (cluster.account) is checked
                       only with credentials of that account
  authentication-mode  the cluster authenticates with the aws-auth ConfigMap only
  access-entry         no access entry puts a role in the group eks-secret-sync:<id>
  api-reach            the functions cannot reach the API server: a private-only endpoint
                       and no cluster.vpc, a public CIDR allow-list Lambda's addresses
                       are not in, subnets that do not exist or lack a NAT route, a
                       cluster security group that does not admit them on 443
  kms-reach            (mappings with cluster.vpc) the functions cannot reach KMS: no
                       endpoints option, no KMS endpoint in the VPC and no NAT route
  cluster-access       the cluster cannot be reached with your credentials
  namespace            the Secret's namespace does not exist
  rbac                 RBAC does not let the group ${verbsOf(secretCalls()).join('/')} the Secret
  rbac-scope           RBAC lets the group list Secrets, get other Secrets or delete it
  restart-policy       (mappings with restart) the cluster is older than 1.30, or the
                       ValidatingAdmissionPolicy that limits the group's patch to the
                       restart annotations, or its binding, is missing or differs
  clock-aws            the local clock is off from AWS (Date headers)
  clock-cluster        the local clock is off from the kube-apiserver
A check that cannot run (no permission, an API the endpoint lacks) says
"could not check <what>: <reason>".

Options:
  --mapping ID         Only this mapping. Default: every mapping of the file.
${MAPPINGS_HELP}
${KUBE_HELP}
${OUTPUT_HELP}

The Kubernetes checks run as you: they need get on namespaces and create on
subjectaccessreviews, and for restart get on validatingadmissionpolicies and
validatingadmissionpolicybindings (a cluster admin; pass --context). The AWS checks need
secretsmanager:DescribeSecret, events:DescribeRule, eks:DescribeCluster,
eks:ListAccessEntries and eks:DescribeAccessEntry; for a mapping with cluster.vpc also
ec2:DescribeSubnets, DescribeSecurityGroups, DescribeRouteTables, DescribeNatGateways
and DescribeVpcEndpoints.

Exit codes: 0 no problem found (warnings and unchecked checks are listed), 3 problems
found, 1 failure, 2 usage error.
`;

const OPTIONS = { ...MAPPING_OPTIONS, ...KUBE_OPTIONS } as const;

/** The clock finding for samples of one server kind. Off by 5 minutes or more is a problem, by 1 minute a warning. */
export function clockFinding(check: string, what: string, samples: readonly ClockSample[]): Finding {
  const offsets = samples
    .map((s) => (Date.parse(s.date) - s.localTime) / 1000)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (offsets.length === 0)
    return unchecked(check, `the local clock against ${what}`, `no answer from ${what} carried a Date header`);
  const skew = Math.round(offsets[Math.floor(offsets.length / 2)]!);
  const text = `the local clock is ${Math.abs(skew)} s ${skew > 0 ? 'behind' : 'ahead of'} ${what}`;
  if (Math.abs(skew) < 60)
    return { check, verdict: 'ok', message: `the local clock is within ${Math.max(1, Math.abs(skew))} s of ${what}` };
  return {
    check,
    verdict: Math.abs(skew) >= 300 ? 'problem' : 'warning',
    message:
      `${text}: AWS refuses requests signed more than 5 minutes off, and EKS refuses tokens dated more than ` +
      `15 minutes back`,
    fix: "synchronize this machine's clock (e.g. timedatectl set-ntp true, or chronyc makestep)",
  };
}

async function diagnose(
  m: MappingTarget,
  stack: StackOptions,
  identityStack: string,
  mappingsFile: string,
  flags: KubeconfigFlags,
  clock: { aws: ClockSample[]; cluster: ClockSample[] },
  progress: Progress,
): Promise<Finding[]> {
  const aws = new AwsSession(regionOf(m));
  const { appScopeOf, kubeNames } = await import('../../infra/model/kube-names.ts');
  const app = appScopeOf(stack.name, m.secretArn);
  // The cluster is checked in its own region and account (infra/model/cluster-env.ts), the secret in its own.
  const home = homeOf(m);
  const where = clusterEnv(m.cluster, home);
  const clusterAws = where.region === aws.region ? aws : new AwsSession(where.region);
  const place = { account: where.account, remoteAccount: where.account !== home.account, functions: aws };
  const findings: Finding[] = [];
  const facts: ClusterFacts = {};
  let credentials: string | undefined;
  await aws.credentials().catch((e: Error) => (credentials = e.message));
  if (credentials === undefined) {
    progress.step(`${m.id}: AWS secret, rules and cluster`);
    findings.push(
      await checkSecret(m, aws, clock.aws),
      ...(await checkRules(m, stack.name, mappingsFile, aws)),
      await checkOtherDeployments(m, rulePrefix(stack.name), aws, `${m.cluster.name}/${m.namespace}/${m.secretName}`),
      ...(await checkCluster(m, app, clusterAws, facts, identityStack, place)),
    );
  } else {
    findings.push(unchecked('secret', 'the AWS side (secret, rules, cluster, access entry)', credentials));
  }
  progress.step(`${m.id}: namespace and RBAC`);
  const target = await resolveKubeTarget(m.cluster, clusterAws, flags).catch((e: Error) => e);
  if (target instanceof Error) {
    findings.push(unchecked('cluster-access', `the cluster of mapping ${m.id}`, target.message));
    return findings;
  }
  findings.push(await checkNamespace(m, target, clock.cluster));
  const { group } = kubeNames(app, m.id);
  // RBAC binds the group; the username matters only for bindings to users (known from the access entry).
  const subject = { user: facts.username ?? `eks-secret-sync:${m.id}:sync`, groups: [group, 'system:authenticated'] };
  findings.push(...(await checkRbac(m, target, subject)));
  findings.push(...(await checkRestartPolicy(m, app, target)));
  return findings;
}

/** The `doctor` command. */
export const doctorCommand: Command = {
  name: 'doctor',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const style = new Style(io, { noColor: values['no-color'], json: values.json });
    const file = findMappingsFile(values.mappings);
    const { loadMappings, MappingsError } = await import('../../infra/model/config.ts');
    const { targetName, targetViews } = await import('../../infra/model/targets.ts');
    let config: SyncConfig;
    try {
      config = loadMappings(file.path);
    } catch (e) {
      if (!(e instanceof MappingsError)) throw e;
      const finding: Finding = {
        check: 'mappings-file',
        verdict: 'problem',
        message:
          `the mappings file ${file.path} is invalid ` +
          `(${e.problems.length} problem${e.problems.length === 1 ? '' : 's'})`,
        details: e.problems,
        fix: `correct each problem listed; check the file offline with: npx cdk synth --quiet -c mappings=${file.path}`,
      };
      report(io, style, values.json === true, file.path, [], [finding]);
      return EXIT.ATTENTION;
    }
    const mappings = selectMappings(config, values.mapping);
    const flags = { kubeconfig: values.kubeconfig, context: values.context };
    const clock = { aws: [] as ClockSample[], cluster: [] as ClockSample[] };
    const progress = new Progress(io);
    const results: { id: string; findings: Finding[] }[] = [];
    try {
      // A mapping with several targets is diagnosed once per target, each under `<id> <cluster/ns/name>`.
      for (const m of mappings)
        for (const t of targetViews(m)) {
          const id = m.targets.length === 1 ? m.id : `${m.id} ${targetName(t)}`;
          // Rule names come from the app's name; the mapping's own outputs (KubernetesIdentity) are in the stack
          // that holds it (infra/model/fleet.ts).
          const identityStack = stackNameOfMapping(config, m.id) ?? config.stack.name;
          const findings = await diagnose(t, config.stack, identityStack, file.path, flags, clock, progress);
          results.push({ id, findings });
        }
    } finally {
      progress.stop();
    }
    const global: Finding[] = [
      {
        check: 'mappings-file',
        verdict: 'ok',
        message: `the mappings file ${file.path} is valid (${config.mappings.length} mappings)`,
      },
      clockFinding('clock-aws', 'AWS', clock.aws),
      clockFinding('clock-cluster', 'the kube-apiserver', clock.cluster),
    ];
    const all = report(io, style, values.json === true, file.path, results, global);
    return all.problems > 0 ? EXIT.ATTENTION : EXIT.OK;
  },
};

const LABEL = { ok: 'ok', problem: 'PROBLEM', warning: 'warning', unchecked: 'unchecked' } as const;

function report(
  io: Parameters<Command['run']>[1],
  style: Style,
  json: boolean,
  path: string,
  results: readonly { id: string; findings: Finding[] }[],
  global: readonly Finding[],
): ReturnType<typeof summarize> {
  const summary = summarize([...global, ...results.flatMap((r) => r.findings)]);
  if (json) {
    writeJson(io, { mappingsFile: path, findings: global, mappings: results, summary });
    return summary;
  }
  const paint = { ok: style.good, problem: style.bad, warning: style.warn, unchecked: style.dim };
  const lines = (findings: readonly Finding[]) =>
    findings.flatMap((f) => [
      `  ${paint[f.verdict](LABEL[f.verdict].padEnd(9))}  ${f.check.padEnd(19)}  ${f.message}`,
      ...(f.details ?? []).map((d) => `             - ${d}`),
      ...(f.fix ? [`             fix: ${f.fix}`] : []),
    ]);
  const out = [style.bold(`Doctor: ${path}`), ...lines(global)];
  for (const r of results) out.push('', style.bold(`Mapping ${r.id}`), ...lines(r.findings));
  const counts =
    `${summary.problems} problem(s), ${summary.warnings} warning(s), ${summary.unchecked} check(s) ` +
    `could not run, ${summary.ok} ok`;
  out.push('', summary.problems > 0 ? style.bad(counts) : style.good(counts));
  io.stdout(`${out.join('\n')}\n`);
  return summary;
}
