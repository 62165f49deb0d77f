/**
 * `eks-secret-sync rbac [--mapping ID]`: the Role and RoleBinding a mapping needs (and, with `restart`, the
 * admission policy that narrows its patch to the restart annotations),
 * for someone with cluster-admin rights to `kubectl apply -f -`.
 */
import { loadConfig, MAPPING_OPTIONS, MAPPINGS_HELP, selectMappings } from '../lib/mappings.ts';
import { EXIT, parseCommandArgs, type Command } from '../lib/command.ts';
import { secretCalls, verbsOf } from '../../functions/domain/kube-verbs.ts';

/** The verbs of the Role, from the one list it is built from (never written out here). */
const SECRET_VERBS = verbsOf(secretCalls()).join(', ');

const HELP = `Usage: eks-secret-sync rbac [--mapping ID] [options] | kubectl apply -f -

Print the Kubernetes RBAC objects of a mapping: a Role in the Secret's namespace allowing
${SECRET_VERBS} on that one Secret (resourceNames), and a RoleBinding to the
group eks-secret-sync:<id> that the mapping's EKS access entry gives the pipeline's role.
A mapping with restart also gets patch on exactly the listed workloads, and a
ValidatingAdmissionPolicy with its binding (Kubernetes 1.30 or later) that lets the group
change nothing on them but the two pod-template annotations a restart writes.
The stack cannot apply them (it holds no cluster-admin identity); apply them once per
mapping with cluster-admin rights.

Options:
  --mapping ID         The mapping. Default: every mapping of the file.
${MAPPINGS_HELP}
  --json               Print a v1 List (JSON) instead of YAML; kubectl applies either.
  --no-color           Accepted like every command's; rbac never colours (its output is for kubectl).
  -h, --help           Show this help.

Exit codes: 0 printed, 1 failure (e.g. invalid mappings file), 2 usage error.
`;

/** The `rbac` command. */
export const rbacCommand: Command = {
  name: 'rbac',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, MAPPING_OPTIONS);
    const { config } = await loadConfig(values.mappings);
    const mappings = selectMappings(config, values.mapping);
    const { accessManifests, namespaceGrants, rbacYaml } = await import('../../infra/rbac.ts');
    // One manifest per cluster of each mapping, each applied with that cluster's cluster-admin context.
    const manifests = mappings.flatMap((m) =>
      [...namespaceGrants(m)].map(([cluster, grants]) => ({ mapping: m, cluster, grants })),
    );
    if (values.json) {
      const items = manifests.flatMap((x) => accessManifests(x.grants));
      io.stdout(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`);
    } else {
      const secrets = (x: (typeof manifests)[number]) =>
        x.mapping.targets
          .filter((t) => t.cluster.name === x.cluster)
          .map((t) => `${t.namespace}/${t.secretName}`)
          .join(', ');
      io.stdout(
        manifests
          .map((x) => `# mapping ${x.mapping.id}, cluster ${x.cluster}: ${secrets(x)}\n${rbacYaml(x.grants)}`)
          .join(''),
      );
    }
    return EXIT.OK;
  },
};
