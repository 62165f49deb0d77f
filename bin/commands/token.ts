/**
 * `eks-secret-sync token`: prints an EKS bearer token as the ExecCredential JSON
 * `aws eks get-token` prints, byte for byte, so it can serve as a kubectl exec
 * credential plugin where the AWS CLI is not installed. The token appears only in
 * that output: it is a credential and is never logged.
 */
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { mintEksToken, stsHost, validateClusterName } from '../../functions/adapters/eks-token.ts';
import { apiVersionFromExecInfo, execCredential, formatExecCredential } from '../lib/exec-credential.ts';
import { loadCredentials } from '../lib/aws.ts';
import { EXIT, UsageError, parseCommandArgs, type Command, type CommandIo } from '../lib/command.ts';

/**
 * The kubeconfig `users` entry that runs this command as kubectl's exec credential plugin, with the placeholders
 * `NAME` (the cluster) and `REGION`. `--help` prints it; the installed-package test (test/infra/package.test.ts)
 * fills it in and has @kubernetes/client-node run it from an installed tarball: the printed snippet is one that
 * works.
 */
export const KUBECONFIG_EXEC_USER = `users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: eks-secret-sync
      args: [token, --cluster-name, NAME, --region, REGION]
      interactiveMode: Never
`;

const HELP = `Usage: eks-secret-sync token --cluster-name NAME [--region REGION] [--json]

Print a bearer token for an Amazon EKS cluster as a Kubernetes ExecCredential, the
same JSON 'aws eks get-token' prints, for use as a kubectl exec credential plugin.

Options:
  --cluster-name NAME  Name of the EKS cluster (required).
  --region REGION      Region of the cluster. Default: $AWS_REGION, then $AWS_DEFAULT_REGION,
                       then the region of the profile in the AWS config file.
  --json               Print JSON. This is the only format of this command (kubectl reads
                       it); the flag is accepted so scripts can pass it to every command.
  -h, --help           Show this help.

Credentials come from the AWS SDK default chain: environment variables, SSO, the shared
config and credentials files ($AWS_PROFILE), web identity, ECS and EC2 metadata.
The token is valid for 15 minutes; status.expirationTimestamp (14 minutes) tells the
client when to ask again. The answer's apiVersion follows $KUBERNETES_EXEC_INFO.

kubeconfig example:
${KUBECONFIG_EXEC_USER.trimEnd().replace(/^/gm, '  ')}

Exit codes: 0 token printed, 2 usage error, 1 failure (e.g. no AWS credentials).
`;

const OPTIONS = {
  'cluster-name': { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The `token` command. See its `help` for the contract. */
export const tokenCommand: Command = {
  name: 'token',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const clusterName = values['cluster-name'];
    if (clusterName === undefined) {
      throw new UsageError('missing required option --cluster-name NAME (the EKS cluster to mint a token for)');
    }
    const { region, source } = await resolveRegion(values.region, io.env);
    asUsageError(() => validateClusterName(clusterName), '--cluster-name');
    asUsageError(() => stsHost(region), source);

    const credentials = await loadCredentials(region);
    const { token, expiresAt } = await mintEksToken({ clusterName, region, credentials });
    const { apiVersion, warning } = apiVersionFromExecInfo(io.env.KUBERNETES_EXEC_INFO);
    if (warning !== undefined) io.stderr(`eks-secret-sync token: warning: ${warning}\n`);
    io.stdout(formatExecCredential(execCredential(token, expiresAt, apiVersion)));
    return EXIT.OK;
  },
};

/**
 * Input errors from the flags or the environment are usage errors (exit 2); the message says where the value came from.
 */
function asUsageError(check: () => unknown, source: string): void {
  try {
    check();
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(`${error.message} (from ${source})`);
    throw error;
  }
}

/**
 * The region as `aws eks get-token` finds it: the flag, `AWS_REGION`, `AWS_DEFAULT_REGION`, then the `region` of the
 * profile (`AWS_PROFILE`, else `default`) in the AWS config file (`AWS_CONFIG_FILE`, else `~/.aws/config`), read with
 * the SDK's own loader. The source goes into error messages.
 */
async function resolveRegion(
  flag: string | undefined,
  env: CommandIo['env'],
): Promise<{ region: string; source: string }> {
  if (flag !== undefined) return { region: flag, source: '--region' };
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '') return { region: value, source: name };
  }
  const { getProfileName, loadSharedConfigFiles } = await import('@smithy/core/config');
  const profile = getProfileName({ profile: env.AWS_PROFILE || undefined });
  const files = await loadSharedConfigFiles({
    ...(env.AWS_CONFIG_FILE && { configFilepath: env.AWS_CONFIG_FILE }),
    ...(env.AWS_SHARED_CREDENTIALS_FILE && { filepath: env.AWS_SHARED_CREDENTIALS_FILE }),
  });
  const region = files.configFile?.[profile]?.region;
  if (region !== undefined && region !== '') return { region, source: `profile ${profile} of the AWS config file` };
  throw new UsageError(
    `missing region: pass --region REGION, set AWS_REGION, or set region in profile ${profile} of the AWS config ` +
      'file (aws configure set region REGION)',
  );
}
