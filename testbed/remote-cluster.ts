/**
 * A second EKS-like cluster, of another AWS account and region than the test bed's (whose account and region are
 * the secrets', where the app runs): its own etcd, kube-apiserver, CA and token webhook, whose verifier is bound to
 * this cluster's name and region and reads this cluster's access entries. Started by the one test file that needs
 * it (a cluster costs seconds and memory), stopped by it.
 *
 * What is real and what stands in (docs/testing.md#two-accounts-and-two-regions): the verifier is
 * aws-iam-authenticator's; its STS call is answered by the test bed's one emulated STS through the one moto, as
 * every regional STS host of AWS answers for every account. The other account is a moto account: resources created
 * with a session of a role in it live there (moto's multi-account support), not an AWS account with its own
 * organization, SCPs or quotas.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureServerBinary } from './build.ts';
import { auditLogArgs, startCluster } from './cluster.ts';
import { accountCredentials, provisionIdentity, type Identity } from './identities.ts';
import type { ServerProcess } from './process.ts';
import type { TestbedDetails } from './testbed.ts';
import { run } from './toolchain.ts';

/** The other account and region, and the cluster's name there. */
export const REMOTE_CLUSTER = { name: 'testbed-b', account: '210987654321', region: 'eu-west-1' } as const;

/** A running cluster of another account and region. */
export interface RemoteCluster {
  /** The test bed's details with `cluster` this cluster's (what the test bed's admin helpers take). */
  readonly details: TestbedDetails;
  readonly account: string;
  /** Credentials of the cluster's account in moto (a session of a role there), for setting that account up. */
  readonly accountCredentials: Identity['credentials'];
  /** A role of the cluster's own account with its own access entry and group (another team there). */
  readonly local: Identity & { readonly groups: readonly string[]; readonly username: string };
  /** Stops its servers and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts the cluster {@link REMOTE_CLUSTER} beside the running test bed `tb` (same moto, same emulated STS, its own
 * everything else) with one access entry: `local`, a role of its own account.
 *
 * @throws Error with a server's log tail when one fails to start.
 */
export async function startRemoteCluster(
  tb: TestbedDetails,
  log: (msg: string) => void = () => {},
): Promise<RemoteCluster> {
  const binary = await ensureServerBinary(log);
  const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-remote-'));
  const procs: ServerProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Its own CA: a token or a client of the test bed's cluster cannot be mistaken for one of this cluster.
    await run(binary, ['certs', '--dir', dir]);
    const { name, account, region } = REMOTE_CLUSTER;
    const accessEntriesFile = join(dir, 'access-entries.json');
    writeFileSync(accessEntriesFile, JSON.stringify({ entries: [] }));
    const creds = await accountCredentials(tb.moto, account);
    const moto = { url: tb.moto.url, region, credentials: creds };
    const files = { accessEntriesFile, stsCredentialsFile: tb.cluster.stsCredentialsFile };
    const local = await provisionIdentity(moto, files, `testbed-b-team-${Date.now().toString(36)}`, ['testbed-b:team']);
    if (local.roleArn.split(':')[4] !== account)
      throw new Error(`remote cluster: moto created ${local.roleArn} outside account ${account}`);
    const auditLogFile = join(tb.logsDir, `audit-${name}.log`);
    const started = await startCluster(
      {
        binary,
        dir,
        logsDir: tb.logsDir,
        logSuffix: `-${name}`,
        name,
        region,
        motoUrl: tb.moto.url,
        accessEntriesFile,
        stsCredentialsFile: tb.cluster.stsCredentialsFile,
        apiserverArgs: auditLogArgs(join(dirname(tb.cluster.caFile), 'audit-policy.json'), auditLogFile),
      },
      procs,
      log,
    );
    const cluster: TestbedDetails['cluster'] = {
      name,
      region,
      server: started.server,
      caFile: started.caFile,
      caData: started.ca.toString('base64'),
      adminToken: started.adminToken,
      accessEntriesFile,
      stsCredentialsFile: tb.cluster.stsCredentialsFile,
      auditLogFile,
    };
    return { details: { ...tb, cluster }, account, accountCredentials: creds, local, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
