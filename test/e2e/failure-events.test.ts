// Status in the cluster, as an app team with kubectl and no AWS console sees it, on the real kube-apiserver with the
// test bed's kubectl (built from k8s.io/kubectl): a sync writes the status annotations (`kubectl describe secret`
// shows them); a failed sync of a mapping with failureEvents leaves a Warning Event on the Secret naming the step
// that failed (`kubectl events --for secret/<name>` shows it: kubectl's Secret describer prints no Events, unlike
// the Pod's), one without failureEvents leaves none; the RBAC that option adds
// (`create` on events, no name) reaches the mapping's namespaces only; no value reaches an Event or an annotation.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ANNOTATIONS, dataHash } from '../../functions/domain/metadata.ts';
import { clusterStatusText, expectNoSecretMaterial } from '../support/canary.ts';
import { describeLeaks, scanForLeaks } from '../support/leak-scanner.ts';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';

const CANARY = `CANARY-status-${Date.now().toString(36)}`;
const VALUE = JSON.stringify({ username: 'app', password: CANARY });
const WORK = mkdtempSync(join(tmpdir(), 'eks-secret-sync-status-'));
const mappings: LocalMapping[] = [];
let kubeconfig: string;
let synced: LocalMapping;
let withEvents: LocalMapping;
let withoutEvents: LocalMapping;

/** The test bed's kubectl as cluster admin: stdout and stderr; throws with its stderr unless it exits 0. */
function kubectl(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(inject('kubectl'), ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: WORK },
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const describeSecret = (m: LocalMapping) => kubectl(['describe', 'secret', m.secretName, '-n', m.namespace]).stdout;
const kubectlEvents = (m: LocalMapping) => kubectl(['events', '--for', `secret/${m.secretName}`, '-n', m.namespace]);
const eventsOf = async (m: LocalMapping) =>
  (
    await kube(
      adminToken(),
      'GET',
      `/api/v1/namespaces/${m.namespace}/events?fieldSelector=involvedObject.name%3D${m.secretName}`,
    )
  ).body.items as any[];

/** A mapping whose Secret already exists with another type: ReadSecret's plan refuses it, after the read. */
async function failing(failureEvents: boolean): Promise<LocalMapping> {
  const m = await TestMapping.create({ secretString: VALUE, failureEvents });
  mappings.push(m);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await adminApply([
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: m.secretName, namespace: m.namespace },
      type: 'kubernetes.io/basic-auth',
      data: { username: b64('someone'), password: b64('else') },
    },
  ]);
  return m;
}

beforeAll(async () => {
  const tb = inject('testbed');
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
  synced = await TestMapping.create({ secretString: VALUE, failureEvents: true });
  mappings.push(synced);
  expect((await synced.run({})).status).toBe('SUCCEEDED');
  [withEvents, withoutEvents] = await Promise.all([failing(true), failing(false)]);
  expect((await withEvents.run({})).status).toBe('FAILED');
  expect((await withoutEvents.run({})).status).toBe('FAILED');
});

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('kubectl describe secret, after a sync', () => {
  it('shows the source ARN, the version id, synced-at and the data hash', async () => {
    // Act
    const out = describeSecret(synced);

    // Assess: describe prints each annotation as `name: value`
    const secret = (await kube(adminToken(), 'GET', `/api/v1/namespaces/${synced.namespace}/secrets/app-config`)).body;
    const a = secret.metadata.annotations;
    for (const name of [
      ANNOTATIONS.sourceArn,
      ANNOTATIONS.sourceVersionId,
      ANNOTATIONS.syncedAt,
      ANNOTATIONS.dataHash,
    ]) {
      expect(out).toContain(`${name}: ${a[name]}`);
    }
    expect(a[ANNOTATIONS.sourceArn]).toBe(synced.secretArn);
    expect(a[ANNOTATIONS.dataHash]).toBe(dataHash(Buffer.from(a[ANNOTATIONS.dataHashKey], 'base64'), secret.data));
    expect(out).not.toContain(CANARY);
  });

  it('a second sync of the same version writes nothing: synced-at and the resourceVersion stay', async () => {
    const path = `/api/v1/namespaces/${synced.namespace}/secrets/app-config`;
    const before = (await kube(adminToken(), 'GET', path)).body.metadata;

    expect((await synced.run({})).status).toBe('SUCCEEDED');

    const after = (await kube(adminToken(), 'GET', path)).body.metadata;
    expect(after.resourceVersion).toBe(before.resourceVersion);
    expect(after.annotations[ANNOTATIONS.syncedAt]).toBe(before.annotations[ANNOTATIONS.syncedAt]);
  });
});

describe('a failed sync', () => {
  it('with failureEvents: kubectl events shows a Warning Event naming the failed step and the DLQ text', async () => {
    // Prepare: what the DLQ message says
    const [message] = await withEvents.receiveDlq();
    expect(message).toMatchObject({ failedStep: 'ReadSecret', error: 'InvalidInputError' });

    // Act
    const out = kubectlEvents(withEvents).stdout;

    // Assess
    const events = await eventsOf(withEvents);
    expect(events).toHaveLength(1);
    const e = events[0];
    const uid = (await kube(adminToken(), 'GET', `/api/v1/namespaces/${withEvents.namespace}/secrets/app-config`)).body
      .metadata.uid;
    expect(e).toMatchObject({ type: 'Warning', reason: 'ReadSecretFailed', involvedObject: { kind: 'Secret', uid } });
    expect(e.message).toMatch(/^InvalidInputError: Mapping "testbed": the Secret has type "kubernetes.io\/basic-auth"/);
    expect(JSON.parse(message.cause).errorMessage).toContain(
      e.message.replace(/^InvalidInputError: /, '').slice(0, 80),
    );
    expect(out).toMatch(/Warning\s+ReadSecretFailed\s+Secret\/app-config\s+InvalidInputError: Mapping "testbed": the/);
    // kubectl's Secret describer prints the annotations but no Events (k8s.io/kubectl describeSecret): say so.
    expect(describeSecret(withEvents)).not.toContain('ReadSecretFailed');
  });

  it('without failureEvents: no Event, and kubectl events says so', async () => {
    expect(await withoutEvents.receiveDlq()).toHaveLength(1);

    expect(await eventsOf(withoutEvents)).toStrictEqual([]);
    expect(kubectlEvents(withoutEvents)).toStrictEqual({
      stdout: '',
      stderr: `No events found in ${withoutEvents.namespace} namespace.\n`,
    });
  });
});

describe('the RBAC failureEvents adds', () => {
  const event = (ns: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `probe.${Date.now()}`, namespace: ns },
    involvedObject: { kind: 'Secret', name: 'someone-elses', namespace: ns },
    reason: 'Probe',
    message: 'probe',
    type: 'Normal',
  });

  it('is what the audit log shows the sync did: one create of an Event, by the mapping, in its namespace (before the probes below)', () => {
    const file = inject('testbed').cluster.auditLogFile;
    expect(existsSync(file)).toBe(true);
    const creates = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"resource":"events"') && l.includes(`"username":"${withEvents.identity.username}"`))
      .map((l) => JSON.parse(l))
      .filter((e) => e.stage === 'ResponseComplete');
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({
      verb: 'create',
      objectRef: { namespace: withEvents.namespace },
      responseStatus: { code: 201 },
    });
  });

  it('lets the token create an Event in its namespace, about any object: the reach README.md#security-model states', async () => {
    const r = await kube(
      await withEvents.token(),
      'POST',
      `/api/v1/namespaces/${withEvents.namespace}/events`,
      event(withEvents.namespace),
    );
    expect(r.status, JSON.stringify(r.body?.message)).toBe(201);
  });

  it.each([
    ['another namespace', () => [withEvents, withoutEvents.namespace] as const],
    ['its own namespace, without failureEvents', () => [withoutEvents, withoutEvents.namespace] as const],
  ])('refuses creating an Event in %s', async (_what, which) => {
    const [m, ns] = which();
    const r = await kube(await m.token(), 'POST', `/api/v1/namespaces/${ns}/events`, event(ns));
    expect(r.status).toBe(403);
    expect(r.body.message).toContain(`User "${m.identity.username}" cannot create resource "events"`);
  });

  it('gives no read of events: list and get are refused', async () => {
    const token = await withEvents.token();
    expect((await kube(token, 'GET', `/api/v1/namespaces/${withEvents.namespace}/events`)).status).toBe(403);
  });
});

describe('the leak scan of what kubectl shows', () => {
  it('positive control: finds a canary planted in an annotation (base64) and in an Event message', async () => {
    const ns = await createNamespace('status-plant');
    const planted = `PLANTED-${CANARY}`;
    await adminApply([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'planted', namespace: ns, annotations: { note: Buffer.from(planted).toString('base64') } },
        data: {},
      },
    ]);
    await kube(adminToken(), 'POST', `/api/v1/namespaces/${ns}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'planted.1', namespace: ns },
      involvedObject: { kind: 'Secret', name: 'planted', namespace: ns },
      reason: 'Planted',
      message: `value is ${planted}`,
      type: 'Warning',
    });

    const leaks = scanForLeaks(await clusterStatusText([ns]), [{ label: 'planted', value: planted }]);

    const encodings = leaks.map((l) => l.encoding);
    expect(encodings, describeLeaks(leaks)).toContain('raw');
    expect(
      encodings.some((e) => e.startsWith('base64@')),
      describeLeaks(leaks),
    ).toBe(true);
  });

  it('finds no value in any Event or annotation of the namespaces, nor in logs, state or DLQ bodies', async () => {
    const cluster = await clusterStatusText(mappings.map((m) => m.namespace));
    expect(cluster).toContain('ReadSecretFailed');
    expect(cluster).toContain(ANNOTATIONS.dataHash);
    expectNoSecretMaterial([...mappings.map((m) => m.captured()), cluster].join('\n'), [CANARY], 1000);
  });

  it("keeps the data-hash key out of logs, state and DLQ bodies (it is as secret as the Secret's data)", async () => {
    const path = `/api/v1/namespaces/${synced.namespace}/secrets/app-config`;
    const key = (await kube(adminToken(), 'GET', path)).body.metadata.annotations[ANNOTATIONS.dataHashKey];
    const leaks = scanForLeaks(mappings.map((m) => m.captured()).join('\n'), [{ label: 'data-hash key', value: key }]);
    expect(leaks, describeLeaks(leaks)).toEqual([]);
  });
});
