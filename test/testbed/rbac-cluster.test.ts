// `eks-secret-sync rbac --cluster` with the test bed's kubectl (built from k8s.io/kubectl, never the machine's) on
// the real kube-apiserver: one apply per cluster, and removing a mapping from the file removes exactly its objects,
// also in a namespace where it was the only mapping, and nothing of another app on the same cluster.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applySetId } from '../../infra/model/applyset.ts';
import { appKey, appScopeOf, kubeNames } from '../../infra/model/kube-names.ts';
import { adminToken, createNamespace, kube, uniqueName } from '../support/kube.ts';

const CLI = join(import.meta.dirname, '../../bin/eks-secret-sync.ts');
const WORK = mkdtempSync(join(tmpdir(), 'eks-secret-sync-rbac-cluster-'));
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rbac/cluster-AbCdEf';
const APP = uniqueName('RbacFleet');
const OTHER_APP = uniqueName('RbacOther');

let kubeconfig: string;
let cluster: string;
let ns: [string, string, string];

/** A mappings file (JSON is YAML) of `mappings` under app `app`; returns its path. */
function writeFile(app: string, mappings: object[], name: string): string {
  const path = join(WORK, name);
  writeFileSync(path, JSON.stringify({ stack: { name: app }, mappings }, null, 2));
  return path;
}

function mapping(id: string, targets: { namespace: string; restart?: string[]; cluster?: string }[]): object {
  return {
    id,
    secretArn: ARN,
    targets: targets.map((t) => ({
      cluster: { name: t.cluster ?? cluster },
      namespace: t.namespace,
      secretName: id,
      ...(t.restart && { restart: t.restart }),
    })),
  };
}

/** Runs the CLI (Node, the repository's entry file); throws with its stderr unless it exits 0. */
function eksSecretSync(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  if (r.status !== 0) throw new Error(`eks-secret-sync ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Runs the test bed's kubectl with the admin kubeconfig, `input` on stdin. */
function kubectl(args: string[], input: string, env: Record<string, string> = {}) {
  const r = spawnSync(inject('kubectl'), ['--kubeconfig', kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: WORK, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the command `rbac --cluster` names on its first line, as printed: the CLI's half through Node, the kubectl
 * half with the test bed's kubectl, its environment assignment as environment.
 */
function applyAsPrinted(file: string) {
  const stream = eksSecretSync(['rbac', '--cluster', cluster, '--mappings', file]);
  const first = stream.split('\n')[0]!;
  const m = /^# apply with: npx eks-secret-sync (rbac .*) \| (\w+)=(\w+) kubectl (.*)$/.exec(first);
  if (!m) throw new Error(`unexpected first line: ${first}`);
  const [, cliArgs, envName, envValue, kubectlArgs] = m;
  expect(cliArgs!.split(' ')).toStrictEqual(['rbac', '--cluster', cluster, '--mappings', file]);
  return { ...kubectl(kubectlArgs!.split(' '), stream, { [envName!]: envValue! }), command: first };
}

/** Name, uid and resourceVersion of every object of the product in the test's namespaces and the cluster scope. */
async function snapshot(): Promise<Map<string, string>> {
  const selector = encodeURIComponent('app.kubernetes.io/managed-by=eks-secret-sync');
  const lists = [
    ...ns.flatMap((n) => [
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${n}/roles`,
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${n}/rolebindings`,
    ]),
    '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies',
    '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings',
  ];
  const keys = [APP, OTHER_APP].map((a) => appKey(appScopeOf(a, ARN)));
  const out = new Map<string, string>();
  for (const path of lists) {
    const r = await kube(adminToken(), 'GET', `${path}?labelSelector=${selector}`);
    expect(r.status, path).toBe(200);
    for (const o of r.body.items as { metadata: Record<string, string> }[]) {
      const md = o.metadata;
      const kind = path.split('/').at(-1);
      // Only this test's two apps.
      const key = (o as { metadata: { labels?: Record<string, string> } }).metadata.labels?.['eks-secret-sync.io/app'];
      if (!keys.includes(key ?? '')) continue;
      out.set(`${kind} ${md.namespace ?? '-'}/${md.name}`, `${md.uid} ${md.resourceVersion}`);
    }
  }
  return out;
}

beforeAll(async () => {
  const tb = inject('testbed');
  cluster = tb.cluster.name;
  ns = [await createNamespace('rbacc'), await createNamespace('rbacc'), await createNamespace('rbacc')];
  kubeconfig = join(WORK, 'kubeconfig.json');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'tb', cluster: { server: tb.cluster.server, 'certificate-authority-data': tb.cluster.caData } },
      ],
      users: [{ name: 'admin', user: { token: tb.cluster.adminToken } }],
      contexts: [{ name: 'admin', context: { cluster: 'tb', user: 'admin' } }],
      'current-context': 'admin',
    }),
  );
  // Once per cluster: the parent CRD (kubectl needs it established before a parent can be created).
  const crd = kubectl(['apply', '-f', '-'], eksSecretSync(['rbac', '--applyset-crd']));
  expect(crd.code, crd.stderr).toBe(0);
  const wait = kubectl(
    ['wait', '--for=condition=Established', 'crd/applysets.eks-secret-sync.io', '--timeout=60s'],
    '',
  );
  expect(wait.code, wait.stderr).toBe(0);
});

afterAll(async () => {
  for (const n of ns ?? []) await kube(adminToken(), 'DELETE', `/api/v1/namespaces/${n}`);
});

describe('rbac --cluster, applied with the command it prints, then with a mapping removed from the file', () => {
  it('removes exactly that mapping (its only namespace included) and changes nothing else', async () => {
    // Prepare: app APP with a (two namespaces, restart), b (ns 0) and c, the only mapping in ns 2 (restart);
    // another app with a mapping of the same id c in the same namespace; a mapping on another cluster.
    const [n0, n1, n2] = ns;
    const a = mapping('a', [{ namespace: n0 }, { namespace: n1, restart: ['deployment/api'] }]);
    const b = mapping('b', [{ namespace: n0 }]);
    const c = mapping('c', [{ namespace: n2, restart: ['deployment/worker'] }]);
    const elsewhere = mapping('d', [{ namespace: n0, cluster: 'another-cluster' }]);
    const before = writeFile(APP, [a, b, c, elsewhere], 'before.yaml');
    const other = writeFile(OTHER_APP, [mapping('c', [{ namespace: n2, restart: ['deployment/worker'] }])], 'o.yaml');
    for (const file of [before, other]) {
      const parent = kubectl(['apply', '-f', '-'], eksSecretSync(['rbac', '--applyset-parent', '--mappings', file]));
      expect(parent.code, parent.stderr).toBe(0);
    }
    const otherApply = applyAsPrinted(other);
    expect(otherApply.code, otherApply.stderr).toBe(0);

    // Act 1: the first apply
    const first = applyAsPrinted(before);

    // Assess 1: every object of the file on this cluster, in the ApplySet, and the other app's untouched
    expect(first.code, first.stderr).toBe(0);
    const app = appScopeOf(APP, ARN);
    const otherScope = appScopeOf(OTHER_APP, ARN);
    const name = (id: string) => kubeNames(app, id).rbacName;
    const policy = (id: string) => kubeNames(app, id).restartPolicyName;
    const mine = [
      `roles ${n0}/${name('a')}`,
      `rolebindings ${n0}/${name('a')}`,
      `roles ${n1}/${name('a')}`,
      `rolebindings ${n1}/${name('a')}`,
      `validatingadmissionpolicies -/${policy('a')}`,
      `validatingadmissionpolicybindings -/${policy('a')}`,
      `roles ${n0}/${name('b')}`,
      `rolebindings ${n0}/${name('b')}`,
    ];
    const cObjects = [
      `roles ${n2}/${name('c')}`,
      `rolebindings ${n2}/${name('c')}`,
      `validatingadmissionpolicies -/${policy('c')}`,
      `validatingadmissionpolicybindings -/${policy('c')}`,
    ];
    const theirs = [
      `roles ${n2}/${kubeNames(otherScope, 'c').rbacName}`,
      `rolebindings ${n2}/${kubeNames(otherScope, 'c').rbacName}`,
      `validatingadmissionpolicies -/${kubeNames(otherScope, 'c').restartPolicyName}`,
      `validatingadmissionpolicybindings -/${kubeNames(otherScope, 'c').restartPolicyName}`,
    ];
    const s1 = await snapshot();
    expect([...s1.keys()].sort()).toStrictEqual([...mine, ...cObjects, ...theirs].sort());
    const role = await kube(
      adminToken(),
      'GET',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${n2}/roles/${name('c')}`,
    );
    expect(role.body.metadata.labels['applyset.kubernetes.io/part-of']).toBe(applySetId(app));

    // Act 2: mapping c leaves the file; the same command again
    const after = writeFile(APP, [a, b, elsewhere], 'before.yaml');
    const second = applyAsPrinted(after);

    // Assess 2: c's objects are gone (ns 2 held no other object of the app); everything else kept its uid and
    // resourceVersion: not rewritten, not recreated
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`role.rbac.authorization.k8s.io/${name('c')} pruned`);
    const s2 = await snapshot();
    expect([...s2.keys()].sort()).toStrictEqual([...mine, ...theirs].sort());
    for (const [k, v] of s2) expect(v, k).toBe(s1.get(k));
  });

  it('positive control: legacy --prune -l leaves the Role of a namespace the stream no longer names', async () => {
    // The same removal by label selector (kubectl's older prune): it lists candidates only in the namespaces of
    // the applied objects, so the lone namespace's objects survive. The reason the command uses an ApplySet.
    const n = await createNamespace('rbacl');
    const [n0] = ns;
    const scope = uniqueName('RbacLegacy');
    const file = writeFile(scope, [mapping('x', [{ namespace: n0 }]), mapping('y', [{ namespace: n }])], 'l.yaml');
    const stream = (f: string) => eksSecretSync(['rbac', '--cluster', cluster, '--mappings', f]);
    const appKeyLabel = kubeNames(appScopeOf(scope, ARN), 'x').labels['eks-secret-sync.io/app'];
    const selector = `eks-secret-sync.io/app=${appKeyLabel}`;
    const legacyArgs = [
      'apply',
      '--prune',
      '-l',
      selector,
      '--prune-allowlist=rbac.authorization.k8s.io/v1/Role',
      '-f',
      '-',
    ];
    const applied = kubectl(legacyArgs, stream(file));
    expect(applied.code, applied.stderr).toBe(0);
    const without = writeFile(scope, [mapping('x', [{ namespace: n0 }])], 'l.yaml');
    const r = kubectl(legacyArgs, stream(without));
    expect(r.code, r.stderr).toBe(0);
    const left = await kube(
      adminToken(),
      'GET',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${n}/roles/${kubeNames(appScopeOf(scope, ARN), 'y').rbacName}`,
    );
    expect(left.status).toBe(200);
    await kube(adminToken(), 'DELETE', `/api/v1/namespaces/${n}`);
  });
});
