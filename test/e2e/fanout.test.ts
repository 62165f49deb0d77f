// One secret, many targets on the test bed: the ASL's Map state runs every target of a mapping from one
// FetchSecret; a target that cannot be written goes to the DLQ alone while the others are written; racing
// rotations converge on every target.
import { afterAll, describe, expect, it } from 'vitest';
import type { TargetRef } from '../../functions/domain/target.ts';
import { accessManifests } from '../../infra/rbac.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';
import { TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-3f9a1c-fanout';
const mappings: LocalMapping[] = [];

async function mapping(opts: Parameters<typeof TestMapping.create>[0]) {
  const m = await TestMapping.create(opts);
  mappings.push(m);
  return m;
}

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

const secretAt = (t: TargetRef) =>
  kube(adminToken(), 'GET', `/api/v1/namespaces/${t.namespace}/secrets/${t.secretName}`);
const valueAt = async (t: TargetRef) => {
  const s = await secretAt(t);
  return s.status === 200 ? Buffer.from(s.body.data.password, 'base64').toString() : undefined;
};
const ran = (r: ExecutionRecord, state: string) =>
  r.events.filter((e) => e.type === 'StateEntered' && e.state.name === state).length;

describe('a mapping with three targets in two namespaces', () => {
  it('writes all three from one fetch when AWSCURRENT moves', async () => {
    const one = await createNamespace('fan');
    const m = await mapping({
      id: 'fanout',
      namespace: one,
      secretString: JSON.stringify({ password: `${CANARY}-0` }),
      moreTargets: [{ namespace: one, secretName: 'app-copy' }, { secretName: 'app-config' }],
    });
    expect(new Set(m.targets.map((t) => t.namespace)).size).toBe(2);

    const r = await m.run(m.labelEvent(await m.putSecret({ secretString: JSON.stringify({ password: CANARY }) })));

    expect(r.status).toBe('SUCCEEDED');
    expect(ran(r, 'FetchSecret')).toBe(1);
    expect(ran(r, 'ApplySecret')).toBe(3);
    expect(r.output.results.map((x: { target: string; outcome: string }) => [x.target, x.outcome])).toStrictEqual(
      m.targets.map((t) => [t.name, 'synced']),
    );
    for (const t of m.targets) expect(await valueAt(t)).toBe(CANARY);
  });

  it('converges every target on the newest of racing rotations (duplicates, any order)', async () => {
    const m = await mapping({
      id: 'fanout-race',
      secretString: JSON.stringify({ password: `${CANARY}-0` }),
      moreTargets: [{ secretName: 'app-copy' }, { secretName: 'app-config' }],
      workers: 3,
    });
    const versions: string[] = [];
    for (let i = 1; i <= 3; i++)
      versions.push(await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-${i}` }) }));
    const events = [...versions, ...versions].map((v) => m.labelEvent(v)).reverse();

    const runs = await Promise.all(events.map((e) => m.run(e)));

    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    for (const t of m.targets) expect(await valueAt(t)).toBe(`${CANARY}-3`);
  });
});

describe('a target whose namespace is missing', () => {
  let m: LocalMapping;
  let r: ExecutionRecord;
  let gone: TargetRef;
  let message: { event: Record<string, unknown>; attempt: number };

  it('goes to the DLQ alone, naming the mapping and the target, while the others are written', async () => {
    m = await mapping({
      id: 'fanout-missing',
      secretString: JSON.stringify({ password: CANARY }),
      moreTargets: [{ missing: true, secretName: 'app-config' }, { secretName: 'app-config' }],
    });
    gone = m.targets[1]!;

    r = await m.run(m.labelEvent(await m.putSecret({ secretString: JSON.stringify({ password: CANARY }) })));

    expect(r.status).toBe('FAILED');
    const dlq = await m.receiveDlq();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ mappingId: m.id, target: gone.name, failedStep: 'ReadSecret' });
    message = dlq[0];
    expect(await valueAt(m.targets[0]!)).toBe(CANARY);
    expect(await valueAt(m.targets[2]!)).toBe(CANARY);
    expect((await secretAt(gone)).status).toBe(404);
  });

  it('writes it when its message is redriven once the namespace exists', async () => {
    await kube(adminToken(), 'POST', '/api/v1/namespaces', { metadata: { name: gone.namespace } });
    const grant = {
      id: m.id,
      namespace: gone.namespace,
      secrets: [{ name: gone.secretName, deletionPolicy: 'retain' as const }],
      restart: [],
    };
    await adminApply(accessManifests([grant]));

    // What the redrive consumer does with the message: the same event, the next attempt.
    const again = await m.run(message.event, message.attempt + 1);

    expect(again.status).toBe('SUCCEEDED');
    expect(await valueAt(gone)).toBe(CANARY);
  });
});

it('never lets a value or a token reach logs, state, DLQ messages or errors', () => {
  expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
});
