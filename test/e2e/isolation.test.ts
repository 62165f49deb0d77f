// Isolation between two mappings on the real kube-apiserver, through the real token webhook: mapping A and
// mapping B each have their own IAM role in moto, their own access entry and group, and exactly what
// `eks-secret-sync rbac` prints for them (LocalMapping). B's Secret sits in A's namespace, next to a Secret
// of nobody's; a third Secret with A's Secret's name sits in another namespace. A's freshly minted token may
// do on A's Secret exactly what A's sync needs and nothing on any other Secret; A's role cannot open B's
// seals under the one key they share (moto's KMS refuses the encryption context). Mapping C has two targets in
// two namespaces: its one token may read and write both and nothing else in either namespace.
import { kubeNames } from '../../infra/model/kube-names.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsKeyService } from '../../functions/adapters/kms.ts';
import { unseal } from '../../functions/adapters/seal.ts';
import type { Sealed } from '../../functions/domain/ports.ts';
import { clusterStatusText, expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, adminToken, createNamespace, kube, type KubeResponse } from '../support/kube.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';

const CANARY_A = `iso-a-canary-${Date.now().toString(36)}`;
const CANARY_B = `iso-b-canary-${Date.now().toString(36)}`;
let a: LocalMapping;
let b: LocalMapping;
let c: LocalMapping;
let elsewhere: string;
let tokenA: string;
let tokenC: string;

type Target = readonly [namespace: string, name: string];
const APPLY = 'application/apply-patch+yaml';
const MERGE = 'application/merge-patch+json';
const secretPath = ([ns, name]: Target) => `/api/v1/namespaces/${ns}/secrets/${name}`;
const collection = (ns: string) => `/api/v1/namespaces/${ns}/secrets`;
const body = ([ns, name]: Target, data: Record<string, string> = { k: 'eA==' }) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: ns },
  type: 'Opaque',
  data,
});
const adminGet = async (t: Target) => (await kube(adminToken(), 'GET', secretPath(t))).body;

/** One request of the matrix, made with `token` on `t`. */
type Request = (token: string, t: Target) => Promise<KubeResponse>;

const REQUESTS: Record<string, Request> = {
  get: (token, t) => kube(token, 'GET', secretPath(t)),
  list: (token, [ns]) => kube(token, 'GET', collection(ns)),
  watch: (token, [ns, name]) =>
    kube(token, 'GET', `${collection(ns)}?watch=true&fieldSelector=metadata.name%3D${name}&timeoutSeconds=1`),
  'create (POST)': (token, t) => kube(token, 'POST', collection(t[0]), body(t)),
  'create (server-side apply)': (token, t) =>
    kube(token, 'PATCH', `${secretPath(t)}?fieldManager=isolation-test&force=true`, JSON.stringify(body(t)), APPLY),
  patch: (token, t) =>
    kube(token, 'PATCH', secretPath(t), { metadata: { annotations: { 'isolation-test': 'patched' } } }, MERGE),
  update: async (token, t) => {
    const current = await adminGet(t);
    const metadata = { ...current.metadata, annotations: { 'isolation-test': 'updated' } };
    return kube(token, 'PUT', secretPath(t), { ...current, metadata });
  },
  delete: (token, t) => kube(token, 'DELETE', secretPath(t)),
};

/** A's Secret, B's, another in A's namespace, and one with A's Secret's name in another namespace. */
const TARGETS: Record<string, () => Target> = {
  "mapping B's Secret": () => [b.namespace, b.secretName],
  "another Secret in A's namespace": () => [a.namespace, 'someone-elses'],
  "a Secret elsewhere (same name as A's)": () => [elsewhere, a.secretName],
};

beforeAll(async () => {
  a = await TestMapping.create({ id: 'iso-a', secretString: JSON.stringify({ password: CANARY_A }) });
  // One stack, one seal key: B seals with A's key, in A's namespace, under its own identity.
  b = await TestMapping.create({
    id: 'iso-b',
    namespace: a.namespace,
    secretName: 'b-config',
    sealKeyId: a.functions.FetchSecret.env.SEAL_KEY_ID,
    secretString: JSON.stringify({ password: CANARY_B }),
  });
  elsewhere = await createNamespace('iso-elsewhere');
  await adminApply([body([a.namespace, 'someone-elses']), body([elsewhere, a.secretName])]);
  expect((await a.run({})).status).toBe('SUCCEEDED');
  expect((await b.run({})).status).toBe('SUCCEEDED');
  // C: two targets in two namespaces, the first next to A's and B's Secrets, the second in a namespace of its own.
  c = await TestMapping.create({
    id: 'iso-c',
    namespace: a.namespace,
    secretName: 'c-config',
    secretString: JSON.stringify({ password: CANARY_A }),
    moreTargets: [{ secretName: 'c-config' }],
  });
  await adminApply([body([c.targets[1]!.namespace, 'someone-elses'])]);
  expect((await c.run({})).status).toBe('SUCCEEDED');
  [tokenA, tokenC] = [await a.token(), await c.token()];
});

afterAll(async () => {
  await Promise.all([a, b, c].filter(Boolean).map((m) => m.close()));
});

describe('two mappings, two identities', () => {
  it('are different IAM roles in different groups, as the token webhook reports them', async () => {
    const who = async (m: LocalMapping) =>
      (
        await kube(await m.token(), 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        })
      ).body.status.userInfo;
    const [ua, ub] = [await who(a), await who(b)];
    expect(a.identity.roleArn).not.toBe(b.identity.roleArn);
    expect(ua.username).toBe(a.identity.username);
    expect(ua.groups).toStrictEqual([kubeNames(a.app, 'iso-a').group, 'system:authenticated']);
    expect(ub.username).toBe(b.identity.username);
    expect(ub.groups).toStrictEqual([kubeNames(b.app, 'iso-b').group, 'system:authenticated']);
    expect(inject('testbed').identities.sync.roleArn).not.toBe(a.identity.roleArn);
  });
});

describe("mapping A's token", () => {
  const matrix = Object.keys(TARGETS).flatMap((target) => Object.keys(REQUESTS).map((verb) => [target, verb] as const));

  it.each(matrix)('is refused on %s: %s', async (target, verb) => {
    // Prepare
    const t = TARGETS[target]!();
    const before = await adminGet(t);

    // Act
    const r = await REQUESTS[verb]!(tokenA, t);

    // Assess: refused by RBAC for A's own user (the webhook authenticated it), and the Secret untouched
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.message).toContain(`User "${a.identity.username}" cannot`);
    expect((await adminGet(t)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('is refused listing Secrets in every namespace', async () => {
    const r = await kube(tokenA, 'GET', '/api/v1/secrets');
    expect(r.status).toBe(403);
  });

  it('is refused creating an Event in its own namespace: A has no failureEvents, so no events rule', async () => {
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `isolation.${Date.now()}`, namespace: a.namespace },
      involvedObject: { kind: 'Secret', name: a.secretName, namespace: a.namespace },
      reason: 'Probe',
      message: 'probe',
    };
    const r = await kube(tokenA, 'POST', `/api/v1/namespaces/${a.namespace}/events`, event);
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.message).toContain(`User "${a.identity.username}" cannot create resource "events"`);
  });

  // Exactly the verbs of the client calls a sync makes (functions/domain/kube-verbs.ts): no update.
  const NEEDED = ['get', 'create (server-side apply)', 'patch'];
  const NEVER = ['list', 'watch', 'create (POST)', 'update', 'delete'];

  it.each(NEEDED)("is allowed on A's own Secret: %s (what A's sync does)", async (verb) => {
    const r = await REQUESTS[verb]!(tokenA, [a.namespace, a.secretName]);
    expect(r.status, JSON.stringify(r.body?.message)).toBe(200);
  });

  it.each(NEVER)("is refused on A's own Secret: %s (A's sync never needs it)", async (verb) => {
    const r = await REQUESTS[verb]!(tokenA, [a.namespace, a.secretName]);
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.message).toContain(`User "${a.identity.username}" cannot`);
  });
});

describe('the token of mapping C, with two targets in two namespaces', () => {
  const own = () => c.targets.map((t) => [t.namespace, t.secretName] as Target);
  const NEEDED = ['get', 'create (server-side apply)', 'patch'];
  const OTHERS: Record<string, () => Target> = {
    "mapping A's Secret (first namespace)": () => [a.namespace, a.secretName],
    "mapping B's Secret (first namespace)": () => [b.namespace, b.secretName],
    'a Secret of nobody in the first namespace': () => [a.namespace, 'someone-elses'],
    'a Secret of nobody in the second namespace': () => [c.targets[1]!.namespace, 'someone-elses'],
  };

  it('is in namespaces that differ, and C has one identity for both', () => {
    expect(new Set(own().map(([ns]) => ns)).size).toBe(2);
  });

  it.each(NEEDED.flatMap((verb) => [0, 1].map((i) => [verb, i] as const)))(
    'is allowed %s on its target %i',
    async (verb, i) => {
      const r = await REQUESTS[verb]!(tokenC, own()[i]!);
      expect(r.status, JSON.stringify(r.body?.message)).toBe(200);
    },
  );

  // Cheap: one read and one write on each other Secret (the full verb matrix runs for A above).
  it.each(Object.keys(OTHERS).flatMap((target) => ['get', 'patch'].map((verb) => [target, verb] as const)))(
    'is refused on %s: %s',
    async (target, verb) => {
      const t = OTHERS[target]!();
      const before = await adminGet(t);
      const r = await REQUESTS[verb]!(tokenC, t);
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body.message).toContain(`User "${c.identity.username}" cannot`);
      expect((await adminGet(t)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    },
  );

  it('is refused listing Secrets in either namespace', async () => {
    for (const [ns] of own()) expect((await REQUESTS.list!(tokenC, [ns, ''])).status).toBe(403);
  });
});

describe("mapping B's seals", () => {
  const tb = () => inject('testbed');
  const keysAs = (m: LocalMapping) =>
    kmsKeyService(a.functions.FetchSecret.env.SEAL_KEY_ID!, {
      region: tb().moto.region,
      endpoint: tb().moto.url,
      credentials: async () => m.identity.credentials,
    });
  const sealedOfB = () => {
    const exited = b.executions[0]!.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret');
    return exited.state.output.fetched.sealedData as Sealed;
  };

  it("open for B's role under B's context (the control: they are real seals of B's value)", async () => {
    const opened = await unseal(keysAs(b), { mappingId: b.id, purpose: 'secret-data' }, sealedOfB());
    expect(opened.includes(Buffer.from(CANARY_B))).toBe(true);
  });

  it("do not open for A's role under A's context: KMS refuses the encryption context", async () => {
    await expect(unseal(keysAs(a), { mappingId: a.id, purpose: 'secret-data' }, sealedOfB())).rejects.toThrow();
  });

  it("do not open in A's apply-secret function: B's state handed to A's Lambda fails and writes nothing", async () => {
    // Prepare: what B's ApplySecret state received (B's sealed values and token)
    const entered = b.executions[0]!.events.find((e) => e.type === 'StateEntered' && e.state.name === 'ApplySecret');
    const input = entered.state.input;
    const before = await adminGet([a.namespace, a.secretName]);

    // Act / Assess
    await expect(a.functions.ApplySecret.invoke(input)).rejects.toThrow();
    const after = await adminGet([a.namespace, a.secretName]);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(Buffer.from(after.data.password, 'base64').toString()).toBe(CANARY_A);
  });

  it("leave neither mapping's value in any log, state, DLQ message, error, Event or annotation", async () => {
    const cluster = await clusterStatusText([a, b, c].flatMap((m) => m.targets.map((t) => t.namespace)));
    expectNoSecretMaterial([...[a, b, c].map((m) => m.captured()), cluster].join('\n'), [CANARY_A, CANARY_B]);
  });
});
