/**
 * The test bed as the CLI's docs use it (docs/cli.md#examples): a folder with the mappings file the doc shows (its
 * secret created in moto, its namespace, Role and RoleBinding applied, its group in the sync identity's access
 * entry), a kubeconfig (context `admin@testbed` with the admin token, `sync@testbed` with the CLI's own `token` as
 * exec plugin) and an environment file (moto as every AWS endpoint, the sync identity's credentials, that
 * kubeconfig), the EKS cluster `testbed` in moto, so `doctor` finds it, and the traces of a deployed app that `status`
 * and `doctor` read (testbed/cli-deployed.ts). moto 5.2.5 has no access-entry API:
 * the access entries stay in the token webhook's file (doctor says it cannot check them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { appScopeOf, kubeNames } from '../infra/model/kube-names.ts';
import { accessManifests } from '../infra/model/rbac.ts';
import { DOC_STACK, stageDeployedApp } from './cli-deployed.ts';
import { addAccessEntryGroup } from './identities.ts';
import { adminApply } from './kube-admin.ts';
import { repoRoot } from './paths.ts';
import type { TestbedDetails } from './testbed.ts';

/** The mapping the doc's examples sync, and the one it shows broken (no secret, no namespace, no RBAC). */
export const DOC_MAPPING = { id: 'app-config', secretName: 'prod/app-config', namespace: 'app' } as const;
export const BROKEN_MAPPING = { id: 'web-tls', secretName: 'prod/web-tls', namespace: 'ingress' } as const;

/** The AWS secret's first value (the doc's "{username, password, port}"); example values, never real ones. */
export const FIRST_VALUE = { username: 'app-user', password: 'example-only-first-password!', port: '5432' };

/** What {@link writeCliEnvironment} wrote. */
export interface CliEnvironment {
  readonly dir: string;
  /** The variables of the environment file, for a child process. */
  readonly env: Record<string, string>;
  readonly secretArn: string;
  /** The staged app's dead-letter queue (testbed/cli-deployed.ts). */
  readonly dlqUrl: string;
}

const shellQuote = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;

/**
 * Provisions the doc's example set-up on a running test bed and writes `mappings.yaml`, `kubeconfig` and `env` into
 * `dir`.
 */
export async function writeCliEnvironment(d: TestbedDetails, dir: string): Promise<CliEnvironment> {
  mkdirSync(dir, { recursive: true });
  const aws = { region: d.moto.region, endpoint: d.moto.url, credentials: d.moto.credentials };
  const eks = new EKSClient(aws);
  await eks
    .send(
      new CreateClusterCommand({ name: d.cluster.name, roleArn: d.identities.sync.roleArn, resourcesVpcConfig: {} }),
    )
    .catch((e: Error) => (e.name === 'ResourceInUseException' ? undefined : Promise.reject(e)))
    .finally(() => eks.destroy());
  const sm = new SecretsManagerClient(aws);
  const secretArn = await sm
    .send(new CreateSecretCommand({ Name: DOC_MAPPING.secretName, SecretString: JSON.stringify(FIRST_VALUE) }))
    .then((out) => out.ARN!)
    .finally(() => sm.destroy());
  const { id, namespace } = DOC_MAPPING;
  // The names the doc's mappings file (stack EksSecretSync, the secret's account and region) gives in the cluster.
  const app = appScopeOf(DOC_STACK, secretArn);
  await adminApply(d, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    ...accessManifests({ id, namespace, secretName: id }, app),
  ]);
  await addAccessEntryGroup(d.cluster.accessEntriesFile, d.identities.sync.roleArn, kubeNames(app, id).group);

  const { dlqUrl } = await stageDeployedApp(aws, id, secretArn, { namespace, name: id, cluster: d.cluster.name });

  const { name, server, caData } = d.cluster;
  const cluster = `{ name: ${name}, endpoint: ${server}, certificateAuthority: ${caData} }`;
  writeFileSync(
    join(dir, 'mappings.yaml'),
    [
      'stack:',
      `  name: ${DOC_STACK}`,
      'mappings:',
      `  - id: ${id}`,
      `    secretArn: ${secretArn}`,
      `    cluster: ${cluster}`,
      `    namespace: ${namespace}`,
      `    secretName: ${id}`,
      '    prune: true',
      `  - id: ${BROKEN_MAPPING.id}            # deliberately broken: no secret, no namespace, no RBAC`,
      `    secretArn: ${secretArn.replace(DOC_MAPPING.secretName, BROKEN_MAPPING.secretName)}`,
      `    cluster: ${cluster}`,
      `    namespace: ${BROKEN_MAPPING.namespace}`,
      `    secretName: ${BROKEN_MAPPING.id}`,
      '    type: kubernetes.io/tls',
      '',
    ].join('\n'),
  );
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigText(d));
  const c = d.identities.sync.credentials;
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: d.moto.url,
    AWS_REGION: d.moto.region,
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    ...(c.sessionToken && { AWS_SESSION_TOKEN: c.sessionToken }),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    KUBECONFIG: kubeconfig,
  };
  writeFileSync(
    join(dir, 'env'),
    [
      '# . ./env  (the test bed as the CLI docs use it: moto for AWS, the sync identity, this kubeconfig)',
      ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
      '',
    ].join('\n'),
  );
  return { dir, env, secretArn, dlqUrl };
}

/** `admin@testbed` (the admin token; current) and `sync@testbed` (the CLI's `token` as exec plugin). */
function kubeconfigText(d: TestbedDetails): string {
  const name = d.cluster.name;
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': `admin@${name}`,
      clusters: [{ name, cluster: { server: d.cluster.server, 'certificate-authority-data': d.cluster.caData } }],
      users: [
        { name: 'admin', user: { token: d.cluster.adminToken } },
        {
          name: 'sync',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: process.execPath,
              args: [join(repoRoot, 'bin/eks-secret-sync.ts'), 'token', '--cluster-name', name],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [
        { name: `admin@${name}`, context: { cluster: name, user: 'admin' } },
        { name: `sync@${name}`, context: { cluster: name, user: 'sync' } },
      ],
    },
    null,
    2,
  )}\n`;
}
