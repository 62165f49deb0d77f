// The restart admission policy on the real kube-apiserver: the mapping's own identity (its moto role, its
// access entry, a token minted by the product's code through the real token webhook) under exactly what
// `eks-secret-sync rbac` prints. RBAC grants it patch on the listed workloads; the ValidatingAdmissionPolicy
// must leave it nothing but the two pod-template annotations the restart writes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  RESTARTED_AT_ANNOTATION,
  RESTARTED_FOR_VERSION_ANNOTATION,
  restartPatch,
} from '../../functions/domain/restart.ts';
import { restartPolicyMessage, restartPolicyName } from '../../infra/model/restart-policy.ts';
import { adminApply, adminToken, kube } from '../support/kube.ts';
import { type Kind, RESOURCE, workload } from '../support/workloads.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';

const SMP = 'application/strategic-merge-patch+json';
const OTHER_KEY = { name: 'someone-elses', key: 'password' };

let m: LocalMapping;
let token: string;

const path = (kind: Kind, name: string) => `/apis/apps/v1/namespaces/${m.namespace}/${RESOURCE[kind]}/${name}`;
const get = async (kind: Kind, name: string) => (await kube(adminToken(), 'GET', path(kind, name))).body;
const template = (p: Record<string, unknown>) => ({ spec: { template: p } });
const podSpec = (p: Record<string, unknown>) => template({ spec: p });

beforeAll(async () => {
  m = await TestMapping.create({
    id: 'restart-policy',
    restart: ['deployment/api', 'statefulset/db', 'daemonset/agent'],
    secretString: JSON.stringify({ password: 'restart-policy-value' }),
  });
  await adminApply([
    workload('Deployment', m.namespace, 'api', { team: 'checkout' }),
    workload('StatefulSet', m.namespace, 'db', { team: 'checkout' }),
    workload('DaemonSet', m.namespace, 'agent', { team: 'checkout' }),
  ]);
  token = await m.token();
  notInForce = await untilPolicyInForce();
});

/** Why the policy is not in force (every probe admitted), or undefined once it refused one. */
let notInForce: Error | undefined;

// Each test fails (not skips) with the probes' verdicts when the policy never took effect.
beforeEach(() => {
  if (notInForce) throw notInForce;
});

/** Dry-run probes, each refused by a different validation of the policy (workload metadata, spec, pod spec). */
const PROBES: [string, unknown][] = [
  ['a workload label', { metadata: { labels: { probe: 'x' } } }],
  ['replicas', { spec: { replicas: 7 } }],
  ['the ServiceAccount', podSpec({ serviceAccountName: 'admin' })],
  ['another pod-template annotation', template({ metadata: { annotations: { 'example.com/probe': 'x' } } })],
];

/**
 * Waits until the apiserver enforces the admission policy: it takes effect once the policy informer has it
 * (about a second after the write; RBAC's own wait in adminApply does not cover it). A dry-run patch goes
 * through admission and changes nothing. In force = it refuses any probe: then the tests judge each validation,
 * and one that admits what it should refuse fails its own test, naming what was admitted. When it refuses none
 * for 30 s, the error names every probe it admitted.
 */
async function untilPolicyInForce(): Promise<Error | undefined> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const verdicts = await Promise.all(
      PROBES.map(async ([what, probe]) => {
        const r = await kube(token, 'PATCH', `${path('Deployment', 'api')}?dryRun=All`, probe, SMP);
        return { what, status: r.status };
      }),
    );
    if (verdicts.some((v) => v.status === 403)) return undefined;
    if (Date.now() > deadline) {
      const admitted = verdicts.map((v) => `${v.what} (${v.status})`).join(', ');
      return new Error(
        `the restart admission policy ${restartPolicyName(m.app, m.id)} refused no probe for 30 s; it admitted ` +
          `patches of ${admitted} from the mapping's identity: is the policy (and its binding) installed?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(async () => {
  await m?.close();
});

describe("the restart admission policy, for the mapping's own identity", () => {
  it("lets the product's sync restart every listed workload with its own restart patch", async () => {
    // Act
    const r = await m.run({});

    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output.results[0].restarted.workloads).toStrictEqual([
      'daemonset/agent',
      'deployment/api',
      'statefulset/db',
    ]);
    for (const [kind, name] of [
      ['Deployment', 'api'],
      ['StatefulSet', 'db'],
      ['DaemonSet', 'agent'],
    ] as const) {
      const annotations = (await get(kind, name)).spec.template.metadata.annotations;
      expect(annotations).toStrictEqual({
        'example.com/team': 'checkout',
        [RESTARTED_AT_ANNOTATION]: r.output.results[0].restarted.restartedAt,
        [RESTARTED_FOR_VERSION_ANNOTATION]: r.output.results[0].restarted.versionId,
      });
    }
  });

  const KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

  it.each(KINDS)('lets the restart patch itself through on a %s', async (kind) => {
    const name = { Deployment: 'api', StatefulSet: 'db', DaemonSet: 'agent' }[kind];
    const patch = restartPatch('2030-01-01T00:00:00Z', 'v-policy');
    const r = await kube(token, 'PATCH', path(kind, name), patch, SMP);
    expect(r.status, JSON.stringify(r.body?.message)).toBe(200);
  });

  const refused: [string, unknown][] = [
    ['the image', podSpec({ containers: [{ name: 'app', image: 'registry.invalid/evil:1' }] })],
    ['the command', podSpec({ containers: [{ name: 'app', command: ['/bin/sh', '-c', 'cat /secrets/*'] }] })],
    ['env', podSpec({ containers: [{ name: 'app', env: [{ name: 'X', valueFrom: { secretKeyRef: OTHER_KEY } }] }] })],
    ['volumes', podSpec({ volumes: [{ name: 'all', secret: { secretName: 'someone-elses' } }] })],
    ['the ServiceAccount', podSpec({ serviceAccountName: 'admin' })],
    ['replicas', { spec: { replicas: 5 } }],
    ['a workload label', { metadata: { labels: { team: 'attacker' } } }],
    ['a workload annotation', { metadata: { annotations: { 'example.com/x': 'y' } } }],
    ['a pod-template label', template({ metadata: { labels: { extra: 'x' } } })],
    ['another pod-template annotation', template({ metadata: { annotations: { 'example.com/team': 'attacker' } } })],
    ['a removed pod-template annotation', template({ metadata: { annotations: { 'example.com/team': null } } })],
    [
      'the restart annotation together with the image',
      {
        spec: {
          template: {
            metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2031-01-01T00:00:00Z' } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/evil:2' }] },
          },
        },
      },
    ],
  ];

  it.each(refused)("refuses a patch that changes %s, with the policy's message", async (what, patch) => {
    // Prepare
    const before = await get('Deployment', 'api');

    // Act
    const r = await kube(token, 'PATCH', path('Deployment', 'api'), patch, SMP);

    // Assess
    expect(r.status, `the policy admitted a patch of ${what} from the mapping's identity`).toBe(403);
    expect(r.body.message).toContain(`ValidatingAdmissionPolicy '${restartPolicyName(m.app, m.id)}'`);
    expect(r.body.message).toContain(restartPolicyMessage(m.id));
    // Nothing of the spec changed (the controllers still write the status: the resourceVersion moves).
    const after = await get('Deployment', 'api');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toStrictEqual(before.spec);
    expect(after.metadata.labels).toStrictEqual(before.metadata.labels);
    // (but the deployment controller's own revision number, which it may set at any time)
    const ours = (a: Record<string, string> = {}) =>
      Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'deployment.kubernetes.io/revision'));
    expect(ours(after.metadata.annotations)).toStrictEqual(ours(before.metadata.annotations));
  });

  it('refuses the image patch on the StatefulSet and the DaemonSet too', async () => {
    for (const [kind, name] of [
      ['StatefulSet', 'db'],
      ['DaemonSet', 'agent'],
    ] as const) {
      const r = await kube(token, 'PATCH', path(kind, name), refused[0]![1], SMP);
      expect(r.status, `the policy admitted a patch of the image of the ${kind} from the mapping's identity`).toBe(403);
      expect(r.body.message, kind).toContain(restartPolicyMessage(m.id));
    }
  });

  it('does not apply to another identity: the cluster admin may still change the image', async () => {
    const r = await kube(adminToken(), 'PATCH', path('Deployment', 'api'), refused[0]![1], SMP);
    expect(r.status).toBe(200);
    expect(r.body.spec.template.spec.containers[0].image).toBe('registry.invalid/evil:1');
  });
});
