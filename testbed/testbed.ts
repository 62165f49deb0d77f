import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureControllersBinary, ensureServerBinary } from './build.ts';
import { auditLogArgs, startCluster } from './cluster.ts';
import { httpsRequest } from './https.ts';
import {
  accessEntries,
  provisionIdentities,
  type Credentials,
  type Identity,
  type IdentityName,
} from './identities.ts';
import { keptLogsDir } from './paths.ts';
import { freePort, startServer, waitUntilReady, type ServerProcess } from './process.ts';
import { ensureMotoServer } from './python.ts';
import { run } from './toolchain.ts';
import { mintEksToken } from '../functions/adapters/eks-token.ts';

/** Everything a client needs to reach the test bed; written as JSON to {@link Testbed.detailsPath}. */
export interface TestbedDetails {
  readonly cluster: {
    /** The EKS cluster name tokens must be minted for (x-k8s-aws-id). */
    readonly name: string;
    readonly region: string;
    /** kube-apiserver URL on loopback. */
    readonly server: string;
    readonly caFile: string;
    /** PEM of the per-run CA, base64 (the form EKS DescribeCluster returns). */
    readonly caData: string;
    /** Static token of a cluster-admin (system:masters), for setting tests up only. */
    readonly adminToken: string;
    /** The file of access entries the token webhook reads on every review. */
    readonly accessEntriesFile: string;
    /** The credentials the emulated STS accepts (moto-issued role sessions). */
    readonly stsCredentialsFile: string;
    /**
     * The kube-apiserver's audit log (JSON lines, one event per request at
     * ResponseComplete): Metadata for every resource request, as EKS logs
     * Secrets; RequestResponse for writes to Secrets in {@link AUDITED_NAMESPACES},
     * the write history the race checks read.
     */
    readonly auditLogFile: string;
  };
  readonly moto: {
    readonly url: string;
    readonly region: string;
    /** moto accepts any credentials; these are the ones setup code uses. */
    readonly credentials: Credentials;
  };
  readonly identities: Record<IdentityName, Identity>;
  /** A token per identity, minted at start (valid 15 minutes); mint fresh ones with the identity's credentials. */
  readonly tokens: Record<IdentityName, { token: string; expiresAt: string }>;
  readonly logsDir: string;
  readonly versions: string;
}

/** A running test bed. */
export interface Testbed {
  readonly details: TestbedDetails;
  readonly detailsPath: string;
  /** Stops every server and removes the run's files; `keepLogs` copies the server logs to .testbed/logs first. */
  stop(opts?: { keepLogs?: boolean }): Promise<string | undefined>;
}

const CLUSTER = 'testbed';
/** The static-token user of kube-controller-manager and the node stand-in (system:masters, as kubeadm's). */
const CONTROLLERS_USER = 'testbed-controllers';
const REGION = 'us-east-1';

/**
 * Namespaces whose Secret writes the audit log records with request and
 * response bodies (so their Secret values are in the audit log by design:
 * leak checks of the audit log leave these out). Fixed names, because an
 * audit policy lists namespaces by name.
 */
export const AUDITED_NAMESPACES = ['audited-0', 'audited-1', 'audited-2', 'audited-3'] as const;

/** The audit policy: no bodies anywhere but Secret writes in {@link AUDITED_NAMESPACES}. */
function auditPolicy(): string {
  return JSON.stringify({
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      {
        level: 'RequestResponse',
        resources: [{ group: '', resources: ['secrets'] }],
        namespaces: [...AUDITED_NAMESPACES],
        verbs: ['create', 'update', 'patch', 'delete'],
      },
      // The controllers' own reads and watches (writes stay: a garbage collector's delete is history).
      { level: 'None', users: [CONTROLLERS_USER], verbs: ['get', 'list', 'watch'] },
      // Health probes are polled: nothing to learn from them.
      { level: 'None', nonResourceURLs: ['/readyz', '/livez', '/healthz', '/version'] },
      { level: 'Metadata' },
    ],
  });
}

/**
 * Starts moto, etcd, the EKS-like token webhook and kube-apiserver on
 * loopback, on free ports, with TLS from a CA made for this run, and waits
 * until each is ready.
 *
 * @throws MissingToolError when Go or Python is missing; Error with the server's log tail when one fails to start.
 */
export async function startTestbed(log: (msg: string) => void = () => {}): Promise<Testbed> {
  const [binary, controllers, motoServer] = await Promise.all([
    ensureServerBinary(log),
    ensureControllersBinary(log),
    ensureMotoServer(log),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-testbed-'));
  const logsDir = join(dir, 'logs');
  mkdirSync(logsDir);
  const procs: ServerProcess[] = [];
  const stop = async (opts: { keepLogs?: boolean } = {}) => {
    for (const p of procs.reverse()) await p.stop();
    let kept: string | undefined;
    if (opts.keepLogs && existsSync(logsDir)) {
      kept = join(keptLogsDir, new Date().toISOString().replace(/[:.]/g, '-'));
      mkdirSync(kept, { recursive: true });
      cpSync(logsDir, kept, { recursive: true });
    }
    rmSync(dir, { recursive: true, force: true });
    return kept;
  };
  try {
    const details = await startAll(binary, motoServer, dir, logsDir, procs, log);
    await startControllers(controllers, details, dir, logsDir, procs, log);
    const detailsPath = join(dir, 'testbed.json');
    writeFileSync(detailsPath, JSON.stringify(details, null, 2), { mode: 0o600 });
    return { details, detailsPath, stop };
  } catch (err) {
    await stop({ keepLogs: true });
    throw err;
  }
}

async function startAll(
  binary: string,
  motoServer: string,
  dir: string,
  logsDir: string,
  procs: ServerProcess[],
  log: (msg: string) => void,
): Promise<TestbedDetails> {
  const versions = (await capture(binary, ['version'])).trim();
  await run(binary, ['certs', '--dir', dir]);

  // moto: plain HTTP on loopback, as the AWS SDK's endpoint override expects.
  const motoPort = await freePort();
  const motoUrl = `http://127.0.0.1:${motoPort}`;
  const moto = startServer('moto', motoServer, ['-H', '127.0.0.1', '-p', String(motoPort)], logsDir);
  procs.push(moto);

  const motoCreds = { accessKeyId: 'testbed-admin', secretAccessKey: 'testbed-admin-secret' };
  const accessEntriesFile = join(dir, 'access-entries.json');
  const stsCredentialsFile = join(dir, 'sts-credentials.json');
  // Runs while etcd starts: the webhook needs the roles' access entries and credentials.
  const provisioned = (async () => {
    await waitUntilReady(moto, async () => (await fetch(`${motoUrl}/moto-api/`)).ok, 60_000);
    log(`moto ready at ${motoUrl}`);
    const ids = await provisionIdentities(motoUrl, REGION, motoCreds);
    writeFileSync(accessEntriesFile, JSON.stringify(accessEntries(ids), null, 2));
    writeFileSync(
      stsCredentialsFile,
      JSON.stringify(
        Object.values(ids).map((i) => i.credentials),
        null,
        2,
      ),
      { mode: 0o600 },
    );
    return ids;
  })();

  const controllersToken = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'audit-policy.json'), auditPolicy());
  const auditLogFile = join(logsDir, 'audit.log');
  const { server, ca, adminToken } = await startCluster(
    {
      binary,
      dir,
      logsDir,
      logSuffix: '',
      name: CLUSTER,
      region: REGION,
      motoUrl,
      accessEntriesFile,
      stsCredentialsFile,
      staticTokens: [`${controllersToken},${CONTROLLERS_USER},${CONTROLLERS_USER},system:masters`],
      before: provisioned,
      apiserverArgs: auditLogArgs(join(dir, 'audit-policy.json'), auditLogFile),
    },
    procs,
    log,
  );
  const identities = await provisioned;
  writeFileSync(join(dir, 'controllers.kubeconfig'), tokenKubeconfig(server, join(dir, 'ca.crt'), controllersToken), {
    mode: 0o600,
  });

  return {
    cluster: {
      name: CLUSTER,
      region: REGION,
      server,
      caFile: join(dir, 'ca.crt'),
      caData: ca.toString('base64'),
      adminToken,
      accessEntriesFile,
      stsCredentialsFile,
      auditLogFile,
    },
    moto: { url: motoUrl, region: REGION, credentials: motoCreds },
    identities,
    tokens: Object.fromEntries(
      await Promise.all(
        Object.entries(identities).map(async ([n, i]) => [
          n,
          await mintEksToken({ clusterName: CLUSTER, region: REGION, credentials: i.credentials }),
        ]),
      ),
    ) as TestbedDetails['tokens'],
    logsDir,
    versions,
  };
}

/**
 * The controllers the test bed runs (kube-controller-manager's names): what makes a workload roll out
 * (Deployments through ReplicaSets, StatefulSets, DaemonSets), the garbage collector (ownerReferences) and the
 * ServiceAccount controller (a pod is admitted only once its namespace's `default` ServiceAccount exists).
 * No node lifecycle, namespace, token or cloud controllers: nothing here needs them, and each costs start-up time.
 */
export const TESTBED_CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
] as const;

/** The one Node the stand-in registers (testbed/controllers/kubelet.go). */
export const TESTBED_NODE = 'testbed-node';

/**
 * Starts kube-controller-manager ({@link TESTBED_CONTROLLERS}) and the node stand-in against the running
 * apiserver, and waits until the Node is registered Ready. The controllers are not waited for: they catch up with
 * whatever a test creates, as in a real cluster.
 */
async function startControllers(
  binary: string,
  details: TestbedDetails,
  dir: string,
  logsDir: string,
  procs: ServerProcess[],
  log: (msg: string) => void,
): Promise<void> {
  const kubeconfig = join(dir, 'controllers.kubeconfig');
  const manager = startServer(
    'kube-controller-manager',
    binary,
    [
      'controller-manager',
      '--kubeconfig',
      kubeconfig,
      '--controllers',
      TESTBED_CONTROLLERS.join(','),
      '--leader-elect=false',
      // No serving port: nothing probes it, and it would need its own certificates.
      '--secure-port=0',
      '--concurrent-deployment-syncs=10',
      '--concurrent-replicaset-syncs=10',
      '--concurrent-statefulset-syncs=10',
      '--concurrent-daemonset-syncs=10',
      '--v',
      '1',
    ],
    logsDir,
  );
  procs.push(manager);
  const kubelet = startServer(
    'kubelet-standin',
    binary,
    ['kubelet', '--kubeconfig', kubeconfig, '--node-name', TESTBED_NODE],
    logsDir,
  );
  procs.push(kubelet);
  const ca = readFileSync(details.cluster.caFile);
  await waitUntilReady(
    kubelet,
    async () => {
      const r = await httpsRequest(`${details.cluster.server}/api/v1/nodes/${TESTBED_NODE}`, {
        ca,
        bearerToken: details.cluster.adminToken,
      });
      if (r.status !== 200) return false;
      const node = JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } };
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    },
    30_000,
  );
  log(`kube-controller-manager started; node ${TESTBED_NODE} Ready`);
}

function tokenKubeconfig(server: string, caFile: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testbed', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'controllers', user: { token } }],
    contexts: [{ name: 'testbed', context: { cluster: 'testbed', user: 'controllers' } }],
    'current-context': 'testbed',
  });
}

async function capture(cmd: string, args: string[]): Promise<string> {
  const lines: string[] = [];
  await run(cmd, args, { onLine: (l) => lines.push(l) });
  return lines.join('\n');
}
