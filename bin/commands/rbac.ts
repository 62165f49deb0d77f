/**
 * `eks-secret-sync rbac --cluster NAME`: everything one cluster needs for the file's mappings (Roles,
 * RoleBindings, admission policies and their bindings) as one stream for one
 * `KUBECTL_APPLYSET=true kubectl apply --prune --applyset=...`, which also deletes the objects of mappings no longer
 * in the file (infra/model/applyset.ts). `--mapping ID` prints one mapping's objects; `--applyset-crd` and
 * `--applyset-parent` what a cluster needs once; `--legacy` the objects under the names before they were scoped to
 * the app, for the migration's `kubectl delete`.
 */
import { loadConfig, MAPPING_OPTIONS, MAPPINGS_HELP, selectMappings } from '../lib/mappings.ts';
import { EXIT, parseCommandArgs, UsageError, type Command } from '../lib/command.ts';
import { secretCalls, verbsOf } from '../../functions/domain/kube-verbs.ts';

/** The verbs of the Role, from the one list it is built from (never written out here). */
const SECRET_VERBS = verbsOf(secretCalls()).join(', ');

const HELP = `Usage: eks-secret-sync rbac --cluster NAME [options] | <the kubectl command below>
       eks-secret-sync rbac --mapping ID [options] | kubectl apply -f -

Print the Kubernetes objects the file's mappings need in a cluster, for someone with
cluster-admin rights (the stack holds none): per mapping and namespace a Role allowing
${SECRET_VERBS} on exactly its Secrets (resourceNames) and a
RoleBinding to the group its EKS access entry gives the pipeline's role,
eks-secret-sync:<app key>:<id>; with restart, patch on exactly the listed workloads and a
ValidatingAdmissionPolicy with its binding (Kubernetes 1.30 or later) that lets the group
change nothing on them but the two pod-template annotations a restart writes. The app key
(8 hex digits of stack.name, account and region) keeps two apps on one cluster apart.

With --cluster, the output is one kubectl ApplySet per app and cluster: applied with
  npx eks-secret-sync rbac --cluster NAME --mappings FILE |
    KUBECTL_APPLYSET=true kubectl apply --prune --applyset=applysets.eks-secret-sync.io/eks-secret-sync-<key> -f -
(the exact line is the first line of the output and the stacks' RbacCommand output),
it creates and updates what the file has and deletes, in every namespace, the objects of
mappings (or targets) the file no longer has. kubectl 1.27 or later. Once per cluster,
before the first such apply:
  npx eks-secret-sync rbac --applyset-crd | kubectl apply -f -
  npx eks-secret-sync rbac --applyset-parent --mappings FILE | kubectl apply -f -

A cluster in another account or region (cluster.account, cluster.region): the --cluster header also
lists the 'aws eks create-access-entry' command of each of its access entries, for its administrator
where the app's access stack for that account and region is not deployed.

Options:
  --cluster NAME       Everything cluster NAME needs for the file's mappings, in one stream.
  --mapping ID         One mapping's objects (every cluster it names). Default without
                       --cluster: every mapping of the file.
  --applyset-crd       The ApplySet parent CRD (once per cluster, shared by every app).
  --applyset-parent    The app's ApplySet parent (once per cluster and app).
  --legacy             With --cluster: the file's objects under the names used before they
                       were scoped to the app, for 'kubectl delete --ignore-not-found -f -'
                       once migrated (docs/deploy.md).
${MAPPINGS_HELP}
  --json               Print a v1 List (JSON) instead of YAML; kubectl applies either.
  --no-color           Accepted like every command's; rbac never colours (its output is for kubectl).
  -h, --help           Show this help.

Exit codes: 0 printed, 1 failure (e.g. invalid mappings file), 2 usage error (e.g. a cluster
no mapping names).
`;

const OPTIONS = {
  ...MAPPING_OPTIONS,
  cluster: { type: 'string' },
  'applyset-crd': { type: 'boolean' },
  'applyset-parent': { type: 'boolean' },
  legacy: { type: 'boolean' },
} as const;

/** The `rbac` command. */
export const rbacCommand: Command = {
  name: 'rbac',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const rbacModule = await import('../../infra/model/rbac.ts');
    const applyset = await import('../../infra/model/applyset.ts');
    const print = (objects: readonly object[], header = '') => {
      io.stdout(
        values.json
          ? `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`
          : `${header}${rbacModule.yamlStream(objects)}`,
      );
      return EXIT.OK;
    };
    if (values['applyset-crd']) return print([applyset.applySetCrd()]);

    const { file, config } = await loadConfig(values.mappings);
    const { configAppScope } = await import('../../infra/model/kube-names.ts');
    const app = configAppScope(config);
    if (values['applyset-parent']) return print([applyset.applySetParent(app)]);
    if (values.legacy && values.cluster === undefined) throw new UsageError('--legacy needs --cluster NAME');

    if (values.cluster !== undefined) {
      if (values.mapping !== undefined) throw new UsageError('give --cluster or --mapping, not both');
      const cluster = values.cluster;
      const clusters = [...new Set(config.mappings.flatMap((m) => m.targets.map((t) => t.cluster.name)))];
      if (!clusters.includes(cluster)) {
        throw new UsageError(
          `no mapping of ${file.path} has a target on cluster ${JSON.stringify(cluster)}; its clusters: ` +
            `${clusters.join(', ')}. To remove every object of this app from a cluster it left, see docs/cli.md#rbac`,
        );
      }
      if (values.legacy) {
        const header =
          '# delete with: kubectl delete --ignore-not-found -f -   (after the migration, docs/deploy.md)\n';
        return print(rbacModule.legacyClusterObjects(config.mappings, cluster), header);
      }
      const command = applyset.rbacApplyCommand(app, cluster, file.path);
      const [crd, parent] = applyset.rbacSetupCommands(file.path);
      const { accessEntryCommand, clusterAccessStackName, remoteAccessEntries } = await import(
        '../../infra/model/cluster-env.ts'
      );
      const remote = remoteAccessEntries(config).filter((e) => e.clusterName === cluster);
      // A cluster of another account or region: its access entries, for its administrator when the app's access
      // stack there is not deployed (docs/deploy.md#clusters-in-other-accounts-and-regions).
      const entries = remote.map((e) => `#   ${accessEntryCommand(e)}\n`);
      const header =
        `# apply with: ${command}\n` +
        `# app ${config.stack.name} (${app.account}, ${app.region}), cluster ${cluster}; once per cluster before:\n` +
        `#   ${crd}\n#   ${parent}\n` +
        (remote.length === 0
          ? ''
          : `# cluster ${cluster} is in account ${remote[0]!.account}, region ${remote[0]!.region}: unless the ` +
            `app's stack ${clusterAccessStackName(config.stack.name, remote[0]!)} is deployed, its administrator ` +
            `creates the access entries (no access policy: the RBAC below is all they may do):\n${entries.join('')}`);
      if (values.json && remote.length > 0) io.stderr(header.replace(/^# apply with:.*\n/, ''));
      return print(rbacModule.clusterAccessManifests(config.mappings, cluster, app), header);
    }

    const mappings = selectMappings(config, values.mapping);
    // One manifest per cluster of each mapping, each applied with that cluster's cluster-admin context.
    const manifests = mappings.flatMap((m) =>
      [...rbacModule.namespaceGrants(m)].map(([cluster, grants]) => ({ mapping: m, cluster, grants })),
    );
    if (values.json) return print(manifests.flatMap((x) => rbacModule.accessManifests(x.grants, app)));
    const secrets = (x: (typeof manifests)[number]) =>
      x.mapping.targets
        .filter((t) => t.cluster.name === x.cluster)
        .map((t) => `${t.namespace}/${t.secretName}`)
        .join(', ');
    io.stdout(
      manifests
        .map(
          (x) =>
            `# mapping ${x.mapping.id}, cluster ${x.cluster}: ${secrets(x)}\n${rbacModule.rbacYaml(x.grants, app)}`,
        )
        .join(''),
    );
    return EXIT.OK;
  },
};
