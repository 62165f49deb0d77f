/**
 * Running the CLI as a child process against the test bed: an isolated
 * environment (moto through AWS_ENDPOINT_URL, one identity's credentials),
 * mappings files in a temporary directory, seeding of AWS and Kubernetes, and
 * the canary check every CLI test ends with.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { expect, inject, it } from 'vitest';
import { appScopeOf, kubeNames, type AppScope } from '../../infra/model/kube-names.ts';
import { rbacManifests } from '../../infra/model/rbac.ts';
import { addAccessEntryGroup as addGroup, type IdentityName } from '../../testbed/identities.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, createNamespace, uniqueName } from '../support/kube.ts';

/** The CLI's entry file. */
export const CLI = join(import.meta.dirname, '../../bin/eks-secret-sync.ts');

/** What a run of the CLI produced. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary working directory (mappings files, kubeconfigs, HOME). */
export const WORK = mkdtempSync(join(tmpdir(), 'eks-secret-sync-cli-'));

/**
 * The environment of a CLI run: nothing from the developer's machine (no profile,
 * no ~/.aws, no IMDS, no kubeconfig), moto as every AWS endpoint, and the
 * credentials of one test bed identity (or none).
 */
export function cliEnv(
  identity: IdentityName | 'admin' | 'none' = 'sync',
  extra: Record<string, string> = {},
): Record<string, string> {
  const tb = inject('testbed');
  const c =
    identity === 'admin' ? tb.moto.credentials : identity === 'none' ? undefined : tb.identities[identity].credentials;
  return {
    PATH: '/usr/bin:/bin',
    HOME: WORK,
    TZ: 'UTC',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: tb.moto.region,
    AWS_ENDPOINT_URL: tb.moto.url,
    KUBECONFIG: join(WORK, 'no-such-kubeconfig'),
    ...(c && {
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      ...(c.sessionToken && { AWS_SESSION_TOKEN: c.sessionToken }),
    }),
    ...extra,
  };
}

/** Runs `eks-secret-sync <args>` with Node 24 (this process's binary). */
export function cli(
  args: readonly string[],
  env: Record<string, string> = cliEnv(),
  opts: { cwd?: string } = {},
): Promise<CliRun> {
  return exec(process.execPath, [CLI, ...args], env, opts.cwd);
}

/** Every run of this test file (each file runs in its own worker): what {@link itPrintsNoSecret} scans. */
const everyRun: CliRun[] = [];

/** Runs a program to its end and collects its exit code and output; the run is recorded for the leak check. */
export function exec(file: string, args: readonly string[], env: Record<string, string>, cwd = WORK): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(file, [...args], { env, cwd, timeout: 90_000, maxBuffer: 10 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const run = { code, stdout, stderr };
      everyRun.push(run);
      resolve(run);
    });
  });
}

/** moto's client configuration with the test bed's admin credentials, for seeding. */
export function motoConfig() {
  const tb = inject('testbed');
  return { region: tb.moto.region, endpoint: tb.moto.url, credentials: tb.moto.credentials };
}

/**
 * A JSON-protocol call to moto for services whose SDK client the project does
 * not depend on (EventBridge, CloudWatch Logs). moto does not check signatures;
 * it routes by the credential scope's service.
 */
export async function motoJson(service: string, target: string, body: object): Promise<any> {
  const tb = inject('testbed');
  const res = await fetch(tb.moto.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization:
        `AWS4-HMAC-SHA256 ` +
        `Credential=${tb.moto.credentials.accessKeyId}/20260101/${tb.moto.region}/${service}/aws4_request, ` +
        `SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`moto ${target}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** A query-protocol call to moto (CloudFormation). */
export async function motoQuery(service: string, params: Record<string, string>): Promise<string> {
  const tb = inject('testbed');
  const res = await fetch(tb.moto.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        `AWS4-HMAC-SHA256 ` +
        `Credential=${tb.moto.credentials.accessKeyId}/20260101/${tb.moto.region}/${service}/aws4_request, ` +
        `SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`moto ${params.Action}: ${res.status} ${text}`);
  return text;
}

/** Gives the sync identity's access entry one more Kubernetes group (see testbed/identities.ts). */
export function addAccessEntryGroup(group: string): Promise<void> {
  const tb = inject('testbed');
  return addGroup(tb.cluster.accessEntriesFile, tb.identities.sync.roleArn, group);
}

/** One mapping of a test mappings file, as YAML-ready data. */
export interface TestMapping {
  readonly id: string;
  readonly secretArn: string;
  readonly namespace: string;
  readonly secretName: string;
  readonly [field: string]: unknown;
}

/** Options of {@link seedMapping}. */
export interface SeedOptions {
  readonly id?: string;
  /** The AWS secret's SecretString. */
  readonly value?: string;
  /** Use this namespace without creating it. */
  readonly namespace?: string;
  /** Do not apply the mapping's Role and RoleBinding. */
  readonly noRbac?: boolean;
  readonly prune?: boolean;
  /**
   * The `stack.name` of the file the mapping will be written to: its Kubernetes names' app (infra/model/kube-names.ts).
   * Only commands that compute the names (doctor, rbac) need it to match. Default {@link SEED_APP}.
   */
  readonly stack?: string;
}

/** The app name {@link seedMapping} scopes Kubernetes names to unless told another. */
export const SEED_APP = 'CliTests';

/** The app (Kubernetes names' scope) of a mapping written under `stack`: its name, the secret's account and region. */
export function appOf(stack: string, m: Pick<TestMapping, 'secretArn'>): AppScope {
  return appScopeOf(stack, m.secretArn);
}

/** The Kubernetes group of mapping `m` written under `stack` (its access entry's, its RoleBinding's). */
export function groupOf(stack: string, m: Pick<TestMapping, 'id' | 'secretArn'>): string {
  return kubeNames(appOf(stack, m), m.id).group;
}

/**
 * Creates what a mapping needs on the test bed: the AWS secret in moto, a fresh
 * namespace, the mapping's RBAC and the access entry group; returns the mapping,
 * which points at the test bed cluster by endpoint and CA.
 */
export async function seedMapping(opts: SeedOptions = {}): Promise<TestMapping> {
  const tb = inject('testbed');
  const id = opts.id ?? uniqueName('cli').slice(0, 40);
  const sm = new SecretsManagerClient(motoConfig());
  const created = await sm.send(
    new CreateSecretCommand({ Name: uniqueName('cli/app'), SecretString: opts.value ?? '{"k":"v"}' }),
  );
  sm.destroy();
  const namespace = opts.namespace ?? (await createNamespace('cli'));
  const secretName = 'app-config';
  const app = appScopeOf(opts.stack ?? SEED_APP, created.ARN!);
  if (!opts.noRbac) await adminApply(rbacManifests({ id, namespace, secretName }, app));
  await addAccessEntryGroup(kubeNames(app, id).group);
  return {
    id,
    secretArn: created.ARN!,
    cluster: { name: tb.cluster.name, endpoint: tb.cluster.server, certificateAuthority: tb.cluster.caData },
    namespace,
    secretName,
    ...(opts.prune !== undefined && { prune: opts.prune }),
  };
}

/** Writes a mappings file (JSON is YAML) and returns its path. */
export function writeMappings(
  stackName: string,
  mappings: readonly TestMapping[],
  name = `${randomUUID()}.yaml`,
): string {
  const path = join(WORK, name);
  writeFileSync(path, JSON.stringify({ stack: { name: stackName }, mappings }, null, 2));
  return path;
}

/** A kubeconfig with the test bed cluster and a static bearer token, for --kubeconfig. */
export function writeKubeconfig(token: string, user = 'admin'): string {
  const tb = inject('testbed');
  const path = join(WORK, `kubeconfig-${randomUUID()}.yaml`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'testbed', cluster: { server: tb.cluster.server, 'certificate-authority-data': tb.cluster.caData } },
      ],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: `testbed-${user}`, context: { cluster: 'testbed', user } }],
      'current-context': `testbed-${user}`,
    }),
    { mode: 0o600 },
  );
  return path;
}

/**
 * Declares the file's leak check as a test of its own, declared last so it
 * runs after the file's other tests: nothing any CLI run of this file printed
 * (every {@link exec}, stdout and stderr) holds a canary value, a credential
 * or a token in any encoding the leak scanner knows.
 */
export function itPrintsNoSecret(canaries: () => readonly string[]): void {
  it('prints no secret value, credential or token in any CLI run of this file', () => {
    expect(everyRun.length).toBeGreaterThan(0);
    expectNoSecretMaterial(everyRun.map((r) => `${r.stdout}\n${r.stderr}`).join('\n'), canaries(), 200);
  });
}

/** A canary secret value: random, so a leak cannot be a coincidence. */
export function canary(): string {
  return `canary-${randomUUID()}`;
}
