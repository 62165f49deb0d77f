// Exactly the verbs used: the Role grants the verbs of the client calls a
// sync makes (functions/domain/kube-verbs.ts), and each of them is needed.
// Without any one of them, a first sync fails with 403 at the step that
// sends it, on the real apiserver; `delete` is proven the same way in
// deletion.test.ts. The other direction (a call whose verb is not granted)
// fails every other e2e test, which apply exactly the product's Role.
import { afterAll, describe, expect, it } from 'vitest';
import { secretClient } from '../../functions/adapters/kube.ts';
import { SECRET_CALL_VERBS, secretCalls, verbsOf } from '../../functions/domain/kube-verbs.ts';
import { rbacManifests, secretVerbs } from '../../infra/model/rbac.ts';
import { adminApply } from '../support/kube.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';

const mappings: LocalMapping[] = [];
afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('the verbs the Role grants', () => {
  it("are the verbs of the Secret client's calls, each once, and every client method has its verbs", () => {
    const client = secretClient({ server: 'https://127.0.0.1:1', caPem: '', namespace: 'ns', name: 'n' }, 't', 'id');
    expect(Object.keys(client).sort()).toEqual(Object.keys(SECRET_CALL_VERBS).sort());
    expect(secretVerbs('retain')).toEqual(['get', 'create', 'patch']);
    expect(secretVerbs('delete')).toEqual(['get', 'create', 'patch', 'delete']);
    expect(secretVerbs('delete')).toEqual(verbsOf(secretCalls('delete')));
  });

  it.each([
    ['get', 'ReadSecret'],
    ['create', 'ApplySecret'],
    ['patch', 'ApplySecret'],
  ])('are each needed: without %s, the first sync fails with 403 at %s', async (verb, step) => {
    const m = await TestMapping.create({ id: `verbs-${verb}`, secretString: JSON.stringify({ k: 'v' }), noRbac: true });
    mappings.push(m);
    const [role, binding] = rbacManifests({ id: m.id, namespace: m.namespace, secretName: m.secretName }, m.app);
    const rules = (role.rules as { verbs: string[] }[]).map((r) => ({
      ...r,
      verbs: r.verbs.filter((v) => v !== verb),
    }));
    await adminApply([{ ...role, rules }, binding]);

    const r = await m.run({ source: 'setup' });

    expect(r.status).toBe('FAILED');
    expect(r.error?.name).toBe('PermissionDeniedError');
    const [msg] = await m.receiveDlq();
    expect(msg).toMatchObject({ failedStep: step, error: 'PermissionDeniedError' });
  });
});
