/**
 * One EKS-like cluster of the test bed: etcd, the token webhook (aws-iam-authenticator's verifier, its STS call
 * answered through moto) and kube-apiserver, on loopback and free ports, with TLS from the CA in `dir`. The test
 * bed's own cluster (testbed/testbed.ts) and a cluster of another account and region (testbed/remote-cluster.ts)
 * are both started here, so the two differ only in what their specs say.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpsRequest } from './https.ts';
import { freePort, startServer, waitUntilReady, type ServerProcess } from './process.ts';

/** What a cluster is started with. */
/**
 * The kube-apiserver flags of an audit log the tests read: JSON, no rotation, and blocking mode, so that an event is
 * written before the response is sent and a test reading the log right after a request sees it.
 */
export function auditLogArgs(policyFile: string, logFile: string): string[] {
  return [
    '--audit-policy-file',
    policyFile,
    '--audit-log-path',
    logFile,
    '--audit-log-format',
    'json',
    '--audit-log-mode',
    'blocking',
    '--audit-log-maxbackup',
    '0',
  ];
}

export interface ClusterSpec {
  /** The testbed-server binary (testbed/build.ts). */
  readonly binary: string;
  /** Holds the cluster's certificates (`testbed-server certs` ran there) and state. */
  readonly dir: string;
  readonly logsDir: string;
  /** Appended to every server's log name (`kube-apiserver<suffix>.log`); '' for the test bed's own cluster. */
  readonly logSuffix: string;
  /** The EKS cluster name tokens must be minted for (the verifier's cluster id). */
  readonly name: string;
  /** The cluster's region (the verifier's). */
  readonly region: string;
  /** moto, which answers the emulated STS's GetCallerIdentity for every account. */
  readonly motoUrl: string;
  /** This cluster's access entries (the webhook re-reads it on every review). */
  readonly accessEntriesFile: string;
  /** The credentials the emulated STS accepts: one STS for every account, as in AWS. */
  readonly stsCredentialsFile: string;
  /** More lines of the static token file (`token,user,uid,group`), beside the admin's. */
  readonly staticTokens?: readonly string[];
  /** More kube-apiserver flags (e.g. the audit log). */
  readonly apiserverArgs?: readonly string[];
  /** Awaited after etcd starts and before the webhook does (what the webhook's files need, e.g. moto's roles). */
  readonly before?: Promise<unknown>;
}

/** A started cluster: where it is and its admin's static token. */
export interface StartedCluster {
  readonly server: string;
  readonly caFile: string;
  readonly ca: Buffer;
  readonly adminToken: string;
}

/**
 * Starts the cluster's servers and pushes them onto `procs` (the caller stops them, last first); resolves once the
 * apiserver is ready.
 *
 * @throws Error with the server's log tail when one fails to start.
 */
export async function startCluster(
  spec: ClusterSpec,
  procs: ServerProcess[],
  log: (msg: string) => void,
): Promise<StartedCluster> {
  const { binary, dir, logsDir, logSuffix: sfx } = spec;
  const caFile = join(dir, 'ca.crt');
  const ca = readFileSync(caFile);

  // etcd: TLS with client-certificate authentication; only the apiserver holds a client cert.
  const [etcdPort, peerPort] = [await freePort(), await freePort()];
  const etcdUrl = `https://127.0.0.1:${etcdPort}`;
  const etcd = startServer(
    `etcd${sfx}`,
    binary,
    [
      'etcd',
      '--name',
      'testbed',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      etcdUrl,
      '--advertise-client-urls',
      etcdUrl,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `testbed=http://127.0.0.1:${peerPort}`,
      '--cert-file',
      join(dir, 'serving.crt'),
      '--key-file',
      join(dir, 'serving.key'),
      '--client-cert-auth',
      '--trusted-ca-file',
      caFile,
      '--unsafe-no-fsync',
      '--log-level',
      'warn',
    ],
    logsDir,
  );
  procs.push(etcd);
  await spec.before;

  const portFile = join(dir, 'webhook.port');
  const webhook = startServer(
    `authn-webhook${sfx}`,
    binary,
    [
      'authn-webhook',
      '--listen',
      '127.0.0.1:0',
      '--port-file',
      portFile,
      '--tls-cert-file',
      join(dir, 'serving.crt'),
      '--tls-private-key-file',
      join(dir, 'serving.key'),
      '--cluster-id',
      spec.name,
      '--region',
      spec.region,
      '--moto-endpoint',
      spec.motoUrl,
      '--access-entries',
      spec.accessEntriesFile,
      '--sts-credentials',
      spec.stsCredentialsFile,
    ],
    logsDir,
  );
  procs.push(webhook);
  await waitUntilReady(webhook, async () => existsSync(portFile) && readFileSync(portFile, 'utf8').length > 0, 30_000);
  const webhookUrl = `https://127.0.0.1:${readFileSync(portFile, 'utf8')}`;
  await waitUntilReady(
    webhook,
    async () => (await httpsRequest(`${webhookUrl}/healthz`, { ca })).status === 200,
    30_000,
  );

  await waitUntilReady(
    etcd,
    async () => {
      const r = await httpsRequest(`${etcdUrl}/health`, {
        ca,
        cert: readFileSync(join(dir, 'etcd-client.crt')),
        key: readFileSync(join(dir, 'etcd-client.key')),
      });
      return r.status === 200;
    },
    60_000,
  );
  log(`etcd${sfx} ready at ${etcdUrl}`);

  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const adminToken = randomBytes(24).toString('hex');
  writeFileSync(
    join(dir, 'tokens.csv'),
    [`${adminToken},testbed-admin,testbed-admin,system:masters`, ...(spec.staticTokens ?? []), ''].join('\n'),
    { mode: 0o600 },
  );
  writeFileSync(join(dir, 'webhook.kubeconfig'), webhookKubeconfig(`${webhookUrl}/authenticate`, caFile));
  const apiserver = startServer(
    `kube-apiserver${sfx}`,
    binary,
    [
      'apiserver',
      '--bind-address',
      '127.0.0.1',
      '--advertise-address',
      '127.0.0.1',
      '--secure-port',
      String(apiPort),
      '--tls-cert-file',
      join(dir, 'serving.crt'),
      '--tls-private-key-file',
      join(dir, 'serving.key'),
      '--cert-dir',
      join(dir, 'apiserver-certs'),
      '--etcd-servers',
      etcdUrl,
      '--etcd-cafile',
      caFile,
      '--etcd-certfile',
      join(dir, 'etcd-client.crt'),
      '--etcd-keyfile',
      join(dir, 'etcd-client.key'),
      '--authorization-mode',
      'RBAC',
      '--anonymous-auth=false',
      '--token-auth-file',
      join(dir, 'tokens.csv'),
      '--authentication-token-webhook-config-file',
      join(dir, 'webhook.kubeconfig'),
      '--authentication-token-webhook-version',
      'v1',
      // Every request is reviewed afresh, so expiry and access-entry changes take effect at once.
      '--authentication-token-webhook-cache-ttl',
      '0s',
      '--service-account-issuer',
      'https://kubernetes.default.svc',
      '--service-account-key-file',
      join(dir, 'sa.pub'),
      '--service-account-signing-key-file',
      join(dir, 'sa.key'),
      '--service-cluster-ip-range',
      '10.96.0.0/16',
      '--enable-priority-and-fairness=false',
      ...(spec.apiserverArgs ?? []),
      '--v',
      '1',
    ],
    logsDir,
  );
  procs.push(apiserver);
  await waitUntilReady(
    apiserver,
    async () => (await httpsRequest(`${server}/readyz`, { ca, bearerToken: adminToken })).status === 200,
    120_000,
  );
  log(`kube-apiserver${sfx} ready at ${server}`);
  return { server, caFile, ca, adminToken };
}

function webhookKubeconfig(url: string, caFile: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'authn', cluster: { server: url, 'certificate-authority': caFile } }],
    users: [{ name: 'kube-apiserver', user: {} }],
    contexts: [{ name: 'webhook', context: { cluster: 'authn', user: 'kube-apiserver' } }],
    'current-context': 'webhook',
  });
}
