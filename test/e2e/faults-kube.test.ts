// The fault matrix, Kubernetes side: every fault the apiserver (or the network
// in front of it) can produce, at each step that talks to it, with the outcome
// written down and asserted on the real apiserver. Injected faults go through
// a TLS proxy (testbed/fault-proxy.ts); 403, 404, 409 and 422 are caused for real.
import { describe, expect, it } from 'vitest';
import type { ErrorName } from '../../functions/domain/errors.ts';
import { MAX_REAUTHS } from '../../functions/domain/loops.ts';
import { kubeStatus, kubeTooManyRequests, type ActiveRule, type Fault } from '../../testbed/fault-proxy.ts';
import type { LocalMapping, StepName } from '../../testbed/local-pipeline.ts';
import {
  attempts,
  b64,
  KUBE_TIMEOUT_MS,
  mappingVia,
  runCell,
  secretOf,
  useFaultMatrix,
} from '../support/fault-matrix.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, adminToken, kube, uniqueName } from '../support/kube.ts';
import { kubernetesGroup, rbacName } from '../../infra/model/rbac.ts';

const CANARY = 'CANARY-2d8e41-kube-faults';
const bed = useFaultMatrix(CANARY);

const SECRET_PATH = /^\/api\/v1\/namespaces\/[^/]+\/secrets\/app-config(\?.*)?$/;
const METHOD: Partial<Record<StepName, string>> = { ReadSecret: 'GET', ApplySecret: 'PATCH' };
const VERB: Partial<Record<StepName, string>> = { ReadSecret: 'get', ApplySecret: 'patch' };

/** Faults the pipeline treats as transient, each with the apiserver's own answer and the message it becomes. */
const TRANSIENT: [string, Fault, (verb: string) => RegExp][] = [
  [
    '500 InternalError',
    kubeStatus(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out', {
      causes: [{ message: 'etcdserver: request timed out' }],
    }),
    (v) => new RegExp(`the apiserver failed ${v} Secret .* \\(500 InternalError\\)`),
  ],
  [
    '503 ServiceUnavailable',
    kubeStatus(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'),
    (v) => new RegExp(`the apiserver failed ${v} Secret .* \\(503 ServiceUnavailable\\)`),
  ],
  [
    '429 with Retry-After',
    kubeTooManyRequests(1),
    (v) => new RegExp(`the apiserver throttled ${v} Secret .* \\(429, Retry-After 1\\)`),
  ],
  [
    'timeout (held past KUBE_TIMEOUT_MS)',
    { kind: 'hold' },
    () => /request to https:\/\/127\.0\.0\.1:\d+ failed \(ETIMEDOUT\)/,
  ],
  ['connection reset', { kind: 'reset' }, () => /request to https:\/\/127\.0\.0\.1:\d+ failed \(ECONNRESET\)/],
];

interface TransientCell {
  readonly step: StepName;
  readonly fault: string;
  readonly rule: Fault;
  readonly times: number;
  readonly when: string;
  readonly outcome: string;
  readonly cause: RegExp;
}

const TRANSIENT_CELLS: TransientCell[] = (['ReadSecret', 'ApplySecret'] as const).flatMap((step) =>
  TRANSIENT.flatMap(([fault, rule, cause]) => [
    { step, fault, rule, times: 2, when: 'first 2', outcome: 'synced after 2 retries', cause: cause(VERB[step]!) },
    {
      step,
      fault,
      rule,
      times: Infinity,
      when: 'always',
      outcome: 'DLQ TransientError after 5 attempts',
      cause: cause(VERB[step]!),
    },
  ]),
);

/**
 * A refused token (401): the Kubernetes step signs a new one at each call, so the ASL retries the step itself
 * (its Retry on UnauthorizedError: MAX_REAUTHS more attempts); once spent, the target's DLQ message names the step.
 */
describe('Kubernetes faults: 401 (the token refused)', () => {
  const CAUSE = /the cluster refused the bearer token of .* \(401\): it expired/;
  it.each(['ReadSecret', 'ApplySecret'] as const)('%s × 401 (first 1) → synced, the step run again', async (step) => {
    const { run, rules } = await runCell(bed.shared, bed.p, bed.next(), { synced: true }, async () =>
      bed.p.kube.add({
        method: METHOD[step],
        path: SECRET_PATH,
        times: 1,
        fault: kubeStatus(401, 'Unauthorized', 'Unauthorized'),
      }),
    );
    expect(attempts(run, step)).toBe(2);
    expect(attempts(run, 'ReadSecret') + attempts(run, 'ApplySecret')).toBe(3); // nothing else ran again
    expect(rules[0]!.faulted).toBe(1);
  });

  it.each(['ReadSecret', 'ApplySecret'] as const)(
    '%s × 401 (always) → DLQ UnauthorizedError after 1 + MAX_REAUTHS attempts, nothing written',
    async (step) => {
      const { run, rules } = await runCell(
        bed.shared,
        bed.p,
        bed.next(),
        { dlq: 'UnauthorizedError', step, cause: CAUSE },
        async () =>
          bed.p.kube.add({
            method: METHOD[step],
            path: SECRET_PATH,
            fault: kubeStatus(401, 'Unauthorized', 'Unauthorized'),
          }),
      );
      expect(attempts(run, step)).toBe(1 + MAX_REAUTHS);
      expect(rules[0]!.faulted).toBe(1 + MAX_REAUTHS);
    },
  );
});

describe('Kubernetes faults: transient', () => {
  it.each(TRANSIENT_CELLS)('$step × $fault ($when) → $outcome', async ({ step, rule, times, cause }) => {
    const exhausted = times === Infinity;
    const { run, rules } = await runCell(
      bed.shared,
      bed.p,
      bed.next(),
      exhausted ? { dlq: 'TransientError', step, cause } : { synced: true },
      async () => bed.p.kube.add({ method: METHOD[step], path: SECRET_PATH, times, fault: rule }),
    );
    expect(attempts(run, step)).toBe(exhausted ? 5 : 3); // the ASL's Retry: MaxAttempts 4 after the first
    expect(rules[0]!.faulted).toBe(exhausted ? 5 : 2);
    expect(rules[0]!.matched).toBe(exhausted ? 5 : 3);
    if (rule.kind === 'hold') {
      // Each held request ended when the client gave up after KUBE_TIMEOUT_MS, not the 10 s default.
      const at = bed.p.kube.requests.filter((q) => q.fault === 'hold').map((q) => q.at);
      expect(at.at(-1)! - at[0]!).toBeLessThan((at.length - 1) * (KUBE_TIMEOUT_MS + 1000));
    }
  });
});

/** Waits until the RBAC authorizer (an informer cache) no longer allows `verb` on the Secret to `group`. */
async function untilDenied(group: string, namespace: string, verb: string, name: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await kube(adminToken(), 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'testbed:rbac-probe',
        groups: [group],
        resourceAttributes: { namespace, verb, resource: 'secrets', name },
      },
    });
    if (r.body.status?.allowed === false) return;
    if (Date.now() > deadline) throw new Error(`${verb} still allowed to ${group} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let otherWrites = 0;

/**
 * Makes another writer change the Secret just before each of the first
 * `times` applies (a real 409); its key `theirs` gets `w<n>`, n counting every
 * such write of the file (a write of an equal value would not change the Secret).
 */
function concurrentWriter(m: LocalMapping, times: number): () => void {
  const apply = m.functions.ApplySecret;
  const original = apply.invoke.bind(apply);
  let done = 0;
  apply.invoke = async (input) => {
    if (done++ < times) {
      const w = await kube(
        adminToken(),
        'PATCH',
        `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`,
        { data: { theirs: b64(`w${++otherWrites}`) } },
        'application/merge-patch+json',
      );
      expect(w.status).toBe(200);
    }
    return original(input);
  };
  return () => {
    apply.invoke = original;
  };
}

describe('Kubernetes faults: conflicts and lost answers', () => {
  it('ApplySecret × 409 (a real concurrent write) ×1 → re-read, merged, synced', async () => {
    const restore = concurrentWriter(bed.shared, 1);
    const { run } = await runCell(bed.shared, bed.p, bed.next(), { synced: true }, async () => undefined, {
      othersWrite: { theirs: `w${otherWrites + 1}` },
    }).finally(restore);
    expect(attempts(run, 'ReadSecret')).toBe(2);
    expect(bed.p.kube.requests.filter((q) => q.method === 'PATCH').map((q) => q.status)).toEqual([409, 200]);
  });

  it('ApplySecret × 409 (a real concurrent write) every time → DLQ ConflictError after 4 conflicts, our data never written', async () => {
    const data = bed.next();
    const before = await secretOf(bed.shared);
    const restore = concurrentWriter(bed.shared, Infinity);
    bed.p.kube.reset();
    const version = await bed.shared.putSecret({ secretString: JSON.stringify(data) });
    const run = await bed.shared.run(bed.shared.labelEvent(version)).finally(restore);
    expect(run.error?.name).toBe('ConflictError');
    expect(attempts(run, 'ApplySecret')).toBe(4); // the ASL's conflict budget: 3 re-reads
    const [msg, ...rest] = await bed.shared.receiveDlq();
    expect(rest).toEqual([]);
    expect(msg).toMatchObject({ failedStep: 'ApplySecret', error: 'ConflictError', attempt: 1 });
    expect(JSON.parse(msg.cause).errorMessage).toMatch(/changed between read and write \(409 Conflict\)/);
    const after = await secretOf(bed.shared);
    expect(after.body.data).toEqual({ ...before.body.data, theirs: b64(`w${otherWrites}`) });
    expect(after.body.metadata.annotations).toEqual(before.body.metadata.annotations);
    expect(bed.p.kube.requests.filter((q) => q.method === 'PATCH').map((q) => q.status)).toEqual([409, 409, 409, 409]);
  });

  it('ApplySecret × answer lost after the update was applied → retry meets 409, re-reads, in sync: written once', async () => {
    const { run } = await runCell(bed.shared, bed.p, bed.next(), { synced: true }, async () =>
      bed.p.kube.add({ method: 'PATCH', times: 1, fault: { kind: 'lose-response' } }),
    );
    expect(bed.p.kube.requests.filter((q) => q.method === 'PATCH').map((q) => [q.fault, q.status])).toEqual([
      ['lose-response', undefined],
      [undefined, 409],
    ]);
    expect(attempts(run, 'ReadSecret')).toBe(2);
    expect(run.events.some((e) => e.type === 'StateEntered' && e.state.name === 'InSync')).toBe(true);
  });

  it('ApplySecret (create) × answer lost after the server-side apply → the same apply again is a no-op: created once', async () => {
    const data = bed.next();
    const m = await mappingVia(bed.p, { secretString: JSON.stringify(data) });
    bed.mappings.push(m);
    const { run } = await runCell(
      m,
      bed.p,
      data,
      { synced: true },
      async () => bed.p.kube.add({ method: 'PATCH', times: 1, fault: { kind: 'lose-response' } }),
      { initial: true },
    );
    expect(attempts(run, 'ApplySecret')).toBe(2);
    const s = await secretOf(m);
    expect(run.output.results[0].applied.resourceVersion).toBe(s.body.metadata.resourceVersion);
    expect(s.body.metadata.managedFields.filter((f: any) => f.operation === 'Apply')).toHaveLength(1);
  });
});

interface RealCell {
  readonly step: StepName;
  readonly fault: string;
  readonly error: ErrorName;
  readonly cause: RegExp;
  /** Provisions the mapping the fault happens to for real. */
  readonly mapping: () => Promise<LocalMapping>;
  /** Injects what cannot be caused for real. */
  readonly arrange?: () => Promise<ActiveRule>;
}

const REAL_CELLS: RealCell[] = [
  {
    step: 'ReadSecret',
    fault: '403 (no RBAC at all)',
    error: 'PermissionDeniedError',
    // The mapping's own role (testbed/local-pipeline.ts names it ess-<id>-<unique>), not a shared one.
    cause: new RegExp(
      /role\/ess-testbed-[a-z0-9-]+ may not get Secret .*\/app-config: secrets "app-config" is forbidden: /.source +
        /User ".*assumed-role\/ess-testbed-[a-z0-9-]+\/testbed" cannot get/.source,
    ),
    mapping: () => mappingVia(bed.p, { secretString: JSON.stringify(bed.next()), noRbac: true }),
  },
  {
    step: 'ApplySecret',
    fault: '403 (RBAC allows get only)',
    error: 'PermissionDeniedError',
    cause: /may not create \(server-side apply\) Secret .*\/app-config: secrets "app-config" is forbidden/,
    mapping: async () => {
      const m = await mappingVia(bed.p, { id: 'getonly', secretString: JSON.stringify(bed.next()), noRbac: true });
      const name = rbacName(m.app, m.id);
      await adminApply([
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name, namespace: m.namespace },
          rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['app-config'], verbs: ['get'] }],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name, namespace: m.namespace },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: kubernetesGroup(m.app, m.id) }],
        },
      ]);
      return m;
    },
  },
  {
    step: 'ReadSecret',
    fault: '404 namespace (injected: a GET never says so)',
    error: 'NotFoundError',
    cause: /cannot get Secret .*: namespaces "gone" not found/,
    mapping: () => mappingVia(bed.p, { secretString: JSON.stringify(bed.next()) }),
    arrange: async () =>
      bed.p.kube.add({
        method: 'GET',
        fault: kubeStatus(404, 'NotFound', 'namespaces "gone" not found', { name: 'gone', kind: 'namespaces' }),
      }),
  },
  {
    step: 'ApplySecret',
    fault: '404 namespace (real: it does not exist, cluster-wide grant)',
    error: 'NotFoundError',
    cause:
      /cannot create \(server-side apply\) Secret missing-.*\/ns-missing-secret: namespaces "missing-.*" not found/,
    mapping: async () => {
      const namespace = uniqueName('missing');
      const secretName = 'ns-missing-secret';
      const m = await mappingVia(bed.p, {
        id: 'nsmissing',
        namespace,
        secretName,
        secretString: JSON.stringify(bed.next()),
        noRbac: true,
      });
      const name = `eks-secret-sync-nsmissing-${namespace}`;
      await adminApply([
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name },
          rules: [
            { apiGroups: [''], resources: ['secrets'], resourceNames: [secretName], verbs: ['get', 'create', 'patch'] },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: kubernetesGroup(m.app, m.id) }],
        },
      ]);
      return m;
    },
  },
  {
    step: 'ApplySecret',
    fault: '422 (a label value Kubernetes refuses)',
    error: 'InvalidInputError',
    cause: /the apiserver refused Secret .* \(422 Invalid\) at metadata\.labels/,
    mapping: () =>
      mappingVia(bed.p, { secretString: JSON.stringify(bed.next()), labels: { team: 'not a valid label value!' } }),
  },
];

describe('Kubernetes faults: refusals caused for real', () => {
  it('ApplySecret (update) × 403 (RBAC narrowed to get after the first sync) → DLQ PermissionDeniedError, nothing written', async () => {
    const m = await mappingVia(bed.p, { id: 'updenied', secretString: JSON.stringify(bed.next()) });
    bed.mappings.push(m);
    expect((await m.run({ source: 'setup' })).status).toBe('SUCCEEDED');
    // The product's own Role, replaced by one that allows get only.
    await adminApply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: rbacName(m.app, m.id), namespace: m.namespace },
        rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [m.secretName], verbs: ['get'] }],
      },
    ]);
    await untilDenied(kubernetesGroup(m.app, m.id), m.namespace, 'patch', m.secretName);
    const { run } = await runCell(m, bed.p, bed.next(), {
      dlq: 'PermissionDeniedError',
      step: 'ApplySecret',
      cause: /may not patch Secret .*\/app-config: secrets "app-config" is forbidden/,
    });
    expect(attempts(run, 'ApplySecret')).toBe(1); // never retried
    expect(bed.p.kube.requests.filter((q) => q.method === 'PATCH').map((q) => q.status)).toEqual([403]);
  });

  it.each(REAL_CELLS)(
    '$step × $fault → DLQ $error, nothing written',
    async ({ step, error, cause, mapping, arrange }) => {
      const m = await mapping();
      bed.mappings.push(m);
      const { run } = await runCell(m, bed.p, {}, { dlq: error, step, cause }, arrange, { initial: true });
      expect(attempts(run, step)).toBe(1); // never retried
    },
  );
});

describe('Kubernetes faults', () => {
  it('never let a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(bed.mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
