// The opt-in rollout restart (mapping option `restart`) end to end: the
// deployed ASL, the synthesized bundles, moto and the real kube-apiserver.
// No controllers run in the test bed, so nothing rolls: each test checks the
// pod template annotation `kubectl rollout restart` would set, on the object.
import { kubeNames } from '../../infra/model/kube-names.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalMappingOptions } from '../../testbed/local-pipeline.ts';
import { referenceTools } from '../support/reference-tools.ts';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';
import { type Kind, RESOURCE, workload } from '../support/workloads.ts';
import { stepResults, TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-5d2e81-restart';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const FOR_VERSION = 'eks-secret-sync.io/restarted-for-version';
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mappings: LocalMapping[] = [];
let n = 0;
const data = () => JSON.stringify({ username: 'app', password: `${CANARY}-${++n}` });

const workloadPath = (namespace: string, kind: Kind, name: string) =>
  `/apis/apps/v1/namespaces/${namespace}/${RESOURCE[kind]}/${name}`;

async function getWorkload(namespace: string, kind: Kind, name: string) {
  const r = await kube(adminToken(), 'GET', workloadPath(namespace, kind, name));
  expect(r.status).toBe(200);
  return r.body;
}

/**
 * A mapping with `restart` in a fresh namespace (its own identity, and the Role, RoleBinding and admission
 * policy `eks-secret-sync rbac` prints) and, created as admin, the workloads given.
 */
async function restartMapping(
  restart: string[],
  existing: [Kind, string][],
  functionEnv?: LocalMappingOptions['functionEnv'],
): Promise<LocalMapping> {
  const m = await TestMapping.create({ restart, secretString: data(), functionEnv });
  mappings.push(m);
  await adminApply(existing.map(([kind, name]) => workload(kind, m.namespace, name)));
  return m;
}

const entered = (r: ExecutionRecord, state: string) =>
  r.events.filter((e) => e.type === 'StateEntered' && e.state.name === state).length;
const exited = (r: ExecutionRecord, state: string) =>
  r.events.filter((e) => e.type === 'StateExited' && e.state.name === state).at(-1)?.state.output;
const versionOf = (r: ExecutionRecord) => exited(r, 'FetchSecret').fetched.source.versionId as string;

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('rollout restart after a sync', () => {
  it(
    'restarts every listed workload after a write that changed data, like kubectl: restartedAt and the version on ' +
      'the pod template, nothing else changed',
    async () => {
      // Prepare
      const m = await restartMapping(
        ['deployment/api', 'statefulset/db', 'daemonset/agent'],
        [
          ['Deployment', 'api'],
          ['StatefulSet', 'db'],
          ['DaemonSet', 'agent'],
        ],
      );
      const before = await getWorkload(m.namespace, 'Deployment', 'api');

      // Act: the first sync creates the Secret (every key added)
      const first = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

      // Assess
      expect(first.status).toBe('SUCCEEDED');
      const v1 = versionOf(first);
      const restarted = first.output.results[0].restarted;
      expect(restarted).toStrictEqual({
        workloads: ['daemonset/agent', 'deployment/api', 'statefulset/db'],
        restartedAt: expect.stringMatching(RFC3339),
        versionId: v1,
      });
      expect(Math.abs(Date.parse(restarted.restartedAt) - Date.now())).toBeLessThan(60_000);
      for (const [kind, name] of [
        ['Deployment', 'api'],
        ['StatefulSet', 'db'],
        ['DaemonSet', 'agent'],
      ] as [Kind, string][]) {
        const w = await getWorkload(m.namespace, kind, name);
        expect(w.spec.template.metadata.annotations).toStrictEqual({
          'example.com/team': 'checkout',
          [RESTARTED_AT]: restarted.restartedAt,
          [FOR_VERSION]: v1,
        });
      }
      const after = await getWorkload(m.namespace, 'Deployment', 'api');
      expect(after.spec.template.spec).toStrictEqual(before.spec.template.spec);
      // The deployment controller (the test bed runs it) numbers each template in its own annotation.
      const ours = (a: Record<string, string> = {}) =>
        Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'deployment.kubernetes.io/revision'));
      expect(ours(after.metadata.annotations)).toStrictEqual(ours(before.metadata.annotations));

      // Act: a new version with a changed value restarts again, for that version
      await pause(1100); // Secrets Manager dates have one-second precision
      const v2 = await m.putSecret({ secretString: data() });
      const second = await m.run(m.labelEvent(v2));

      // Assess
      expect(second.status).toBe('SUCCEEDED');
      expect(stepResults(second, 'ReadSecret').at(-1)).toMatchObject({
        action: 'update',
        updated: ['password'],
        restart: ['daemonset/agent', 'deployment/api', 'statefulset/db'],
      });
      const annotations = (await getWorkload(m.namespace, 'Deployment', 'api')).spec.template.metadata.annotations;
      expect(annotations[FOR_VERSION]).toBe(v2);
      expect(Date.parse(annotations[RESTARTED_AT])).toBeGreaterThan(Date.parse(restarted.restartedAt));
    },
  );

  it('restarts nothing after a no-op or an update that only records a new version', async () => {
    // Prepare: synced and restarted once
    const m = await restartMapping(['deployment/api'], [['Deployment', 'api']]);
    const secret = JSON.parse(data());
    const v1 = await m.putSecret({ secretString: JSON.stringify(secret) });
    const first = await m.run(m.labelEvent(v1));
    expect(first.status).toBe('SUCCEEDED');
    expect(entered(first, 'RestartWorkloads')).toBe(1);
    const restarted = await getWorkload(m.namespace, 'Deployment', 'api');

    // Act: the same event again (at-least-once delivery)
    const again = await m.run(m.labelEvent(v1));

    // Assess: no write, no restart
    expect(again.status).toBe('SUCCEEDED');
    expect(stepResults(again, 'ReadSecret').at(-1)).toMatchObject({ action: 'none', restart: [] });
    expect(entered(again, 'ApplySecret')).toBe(0);
    expect(entered(again, 'RestartWorkloads')).toBe(0);

    // Act: a new version with identical data (a metadata-only update)
    await pause(1100);
    const v2 = await m.putSecret({ secretString: JSON.stringify(secret) });
    const metadataOnly = await m.run(m.labelEvent(v2));

    // Assess: the Secret records v2, the workload is untouched
    expect(metadataOnly.status).toBe('SUCCEEDED');
    expect(stepResults(metadataOnly, 'ReadSecret').at(-1)).toMatchObject({
      action: 'update',
      added: [],
      updated: [],
      pruned: [],
      restart: [],
    });
    expect(entered(metadataOnly, 'ApplySecret')).toBe(1);
    expect(entered(metadataOnly, 'RestartNeeded')).toBe(1);
    expect(entered(metadataOnly, 'RestartWorkloads')).toBe(0);
    const s = await kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`);
    expect(s.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(v2);
    const untouched = await getWorkload(m.namespace, 'Deployment', 'api');
    // The spec is untouched (the controllers still write the status: the resourceVersion moves).
    expect(untouched.metadata.generation).toBe(restarted.metadata.generation);
    expect(untouched.spec).toStrictEqual(restarted.spec);
    expect(untouched.spec.template.metadata.annotations[FOR_VERSION]).toBe(v1);
  });

  it('sends a missing workload to the DLQ naming it, restarts the others, and leaves the synced Secret in place', async () => {
    // Prepare: deployment/gone is listed but does not exist
    const m = await restartMapping(['deployment/api', 'deployment/gone'], [['Deployment', 'api']]);

    // Act
    const r = await m.run({ source: 'test' });

    // Assess: the execution fails at RestartWorkloads, without retrying a permanent error
    expect(r.status).toBe('FAILED');
    expect(r.error?.name).toBe('NotFoundError');
    expect(entered(r, 'RestartWorkloads')).toBe(1);
    expect(r.events.filter((e) => e.type === 'StateRetried')).toHaveLength(0);
    const [msg, ...rest] = await m.receiveDlq();
    expect(rest).toHaveLength(0);
    expect(msg).toMatchObject({
      mappingId: m.id,
      failedStep: 'RestartWorkloads',
      error: 'NotFoundError',
      event: { source: 'test' },
      attempt: 1,
    });
    const message = JSON.parse(msg.cause).errorMessage as string;
    expect(message).toContain(
      `deployment/gone: cannot patch Deployment ${m.namespace}/gone: deployments.apps "gone" not found`,
    );
    expect(message).toContain("remove deployment/gone from the mapping's restart list");
    expect(message).toContain('restarted: deployment/api');
    // The Secret is written and stays; the existing workload was restarted.
    const s = await kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`);
    expect(s.status).toBe(200);
    expect(Object.keys(s.body.data).sort()).toStrictEqual(['password', 'username']);
    expect((await getWorkload(m.namespace, 'Deployment', 'api')).spec.template.metadata.annotations[FOR_VERSION]).toBe(
      versionOf(r),
    );
  });

  it('retries itself with a newly signed token when the cluster refuses one, and restarts with the same time', async () => {
    // Prepare: RestartWorkloads' clock runs 20 minutes behind (libfaketime) for its first call, so the token it
    // signs is expired on arrival and the cluster answers 401; from its second call on, the clock is real.
    const clock = join(mkdtempSync(join(tmpdir(), 'restart-clock-')), 'clock');
    writeFileSync(clock, '-20m\n');
    const { libfaketime } = await referenceTools();
    const m = await restartMapping(['deployment/api'], [['Deployment', 'api']], {
      RestartWorkloads: {
        LD_PRELOAD: libfaketime,
        FAKETIME_TIMESTAMP_FILE: clock,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
    });
    const restart = m.functions.RestartWorkloads;
    const original = restart.invoke.bind(restart);
    const calls: { input: any; error?: string }[] = [];
    restart.invoke = async (input: any) => {
      const call: { input: any; error?: string } = { input };
      calls.push(call);
      try {
        return await original(input);
      } catch (e) {
        call.error = (e as Error).name;
        throw e;
      } finally {
        writeFileSync(clock, '+0\n');
      }
    };

    // Act
    const r = await m.run({});
    restart.invoke = original;

    // Assess: the step itself ran again (the ASL's Retry on UnauthorizedError), nothing before it did
    expect(r.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.error)).toEqual(['UnauthorizedError', undefined]);
    expect(entered(r, 'RestartWorkloads')).toBe(1);
    expect(r.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'RestartWorkloads')).toHaveLength(1);
    expect(entered(r, 'ReadSecret')).toBe(1);
    expect(entered(r, 'ApplySecret')).toBe(1);
    expect(calls[1]!.input).toStrictEqual(calls[0]!.input);
    expect(calls[0]!.input.sealedToken).toBeUndefined();
    const annotations = (await getWorkload(m.namespace, 'Deployment', 'api')).spec.template.metadata.annotations;
    expect(annotations).toMatchObject({
      [RESTARTED_AT]: r.output.results[0].restarted.restartedAt,
      [FOR_VERSION]: versionOf(r),
    });
  });
});

describe('least privilege of the restart', () => {
  it("lets the sync identity get and patch exactly the listed workloads in the mapping's namespace, and SubjectAccessReview agrees", async () => {
    // Prepare: listed deployment/api and statefulset/db; around them, same names in other kinds and namespaces
    const m = await restartMapping(
      ['deployment/api', 'statefulset/db'],
      [
        ['Deployment', 'api'],
        ['Deployment', 'other'],
        ['StatefulSet', 'db'],
        ['StatefulSet', 'api'],
        ['DaemonSet', 'api'],
      ],
    );
    const elsewhere = await createNamespace('rs-elsewhere');
    await adminApply([workload('Deployment', elsewhere, 'api')]);
    const token = await m.token();
    const me = await kube(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expect(me.body.status.userInfo.groups).toContain(kubeNames(m.app, m.id).group);
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: '2026-01-01T00:00:00Z' } } } } };
    const review = async (namespace: string, verb: string, resource: string, name: string) => {
      const r = await kube(adminToken(), 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: me.body.status.userInfo.username,
          groups: me.body.status.userInfo.groups,
          resourceAttributes: { namespace, verb, group: 'apps', resource, name },
        },
      });
      expect(r.status).toBe(201);
      return r.body.status.allowed === true;
    };
    const cases: [string, string, Kind, string, number, boolean][] = [
      ['PATCH', m.namespace, 'Deployment', 'api', 200, true],
      ['PATCH', m.namespace, 'StatefulSet', 'db', 200, true],
      ['PATCH', m.namespace, 'Deployment', 'other', 403, false],
      ['PATCH', m.namespace, 'StatefulSet', 'api', 403, false],
      ['PATCH', m.namespace, 'DaemonSet', 'api', 403, false],
      ['PATCH', elsewhere, 'Deployment', 'api', 403, false],
      // GET by name follows the rollout (docs/restart.md#follow-the-rollout): only the listed names, per kind.
      ['GET', m.namespace, 'Deployment', 'api', 200, true],
      ['GET', m.namespace, 'Deployment', 'other', 403, false],
      ['GET', m.namespace, 'StatefulSet', 'api', 403, false],
      ['GET', elsewhere, 'Deployment', 'api', 403, false],
      ['PUT', m.namespace, 'Deployment', 'api', 403, false],
      ['DELETE', m.namespace, 'Deployment', 'api', 403, false],
    ];
    const verbs: Record<string, string> = { PATCH: 'patch', GET: 'get', PUT: 'update', DELETE: 'delete' };

    for (const [method, namespace, kind, name, status, allowed] of cases) {
      // Act
      const body = method === 'PATCH' ? patch : method === 'PUT' ? workload(kind, namespace, name) : undefined;
      const r = await kube(
        token,
        method,
        workloadPath(namespace, kind, name),
        body,
        method === 'PATCH' ? 'application/strategic-merge-patch+json' : undefined,
      );

      // Assess
      const what = `${method} ${namespace}/${RESOURCE[kind]}/${name}`;
      expect(r.status, what).toBe(status);
      if (status === 403)
        expect(r.body.message, what).toContain(
          `cannot ${verbs[method]} resource "${RESOURCE[kind]}" in API group "apps"`,
        );
      expect(await review(namespace, verbs[method]!, RESOURCE[kind], name), what).toBe(allowed);
    }
    // LIST and WATCH of the kind are not granted either.
    expect(await review(m.namespace, 'list', 'deployments', '')).toBe(false);
    expect((await kube(token, 'GET', `/apis/apps/v1/namespaces/${m.namespace}/deployments`)).status).toBe(403);
  });
});

describe('secret material', () => {
  it('never reaches a workload, the logs, any state, DLQ messages or errors', async () => {
    expect(mappings.length).toBeGreaterThanOrEqual(4);
    const workloads = await Promise.all(
      mappings.map(async (m) => {
        const r = await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${m.namespace}/deployments`);
        expect(r.status).toBe(200);
        return JSON.stringify(r.body);
      }),
    );
    const everything = [...workloads, ...mappings.map((m) => m.captured())].join('\n');
    expect(everything).toContain(FOR_VERSION);
    expectNoSecretMaterial(everything, [CANARY]);
  });
});
