// One secret, many targets on the test bed: the ASL's Map state runs every target of a mapping from one
// FetchSecret; a target that cannot be written goes to the DLQ alone while the others are written; racing
// rotations converge on every target.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { SyncInput } from '../../functions/domain/contract.ts';
import type { TargetRef } from '../../functions/domain/target.ts';
import { accessManifests } from '../../infra/model/rbac.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, adminToken, createNamespace, kube } from '../support/kube.ts';
import { TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';
import { RedriveBed } from '../support/redrive.ts';
import { acceptedWriteCount } from '../support/write-history.ts';

const CANARY = 'CANARY-3f9a1c-fanout';
const mappings: LocalMapping[] = [];
const beds: RedriveBed[] = [];

async function mapping(opts: Parameters<typeof TestMapping.create>[0]) {
  const m = await TestMapping.create(opts);
  mappings.push(m);
  return m;
}

afterAll(async () => {
  await Promise.all([...mappings.map((m) => m.close()), ...beds.map((b) => b.close())]);
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
  let message: { event: Record<string, unknown>; attempt: number; target: string };

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
    await adminApply(accessManifests([grant], m.app));

    // What redrive does with the message: the same event, the next attempt, that target alone.
    const again = await m.run(message.event, message.attempt + 1, { onlyTarget: message.target });

    expect(again.status).toBe('SUCCEEDED');
    expect(await valueAt(gone)).toBe(CANARY);
  });
});

/** Accepted writes of the target's Secret in the apiserver's audit log (Metadata level: every namespace). */
const writesTo = (t: TargetRef) =>
  acceptedWriteCount(inject('testbed').cluster.auditLogFile, t.namespace, t.secretName);

/** Waits until the audit log shows `t` written more than `before` times (the log line trails the response). */
async function writtenAgain(t: TargetRef, before: number): Promise<number> {
  for (let i = 0; i < 50 && writesTo(t) <= before; i++) await new Promise((r) => setTimeout(r, 20));
  return writesTo(t);
}

/** Grants the mapping's identity its missing target once its namespace exists (the operator's fix). */
async function createMissing(m: LocalMapping, gone: TargetRef): Promise<void> {
  await kube(adminToken(), 'POST', '/api/v1/namespaces', { metadata: { name: gone.namespace } });
  const secrets = [{ name: gone.secretName, deletionPolicy: 'retain' as const }];
  await adminApply(accessManifests([{ id: m.id, namespace: gone.namespace, secrets, restart: [] }], m.app));
}

const CLI = fileURLToPath(new URL('../../bin/eks-secret-sync.ts', import.meta.url));

/** `eks-secret-sync redrive` against the test bed's queues and the bed's state machine. */
function cliRedrive(m: LocalMapping, bed: RedriveBed, dir: string): Promise<{ code: number | null; out: string }> {
  const mappingsFile = join(dir, 'mappings.yaml');
  const t = m.targets[0]!;
  writeFileSync(
    mappingsFile,
    ['stack:', '  name: FanoutRedriveTest', '  redriveMaxAttempts: 3', 'mappings:', `  - id: ${m.id}`]
      .concat([`    secretArn: ${m.secretArn}`, `    cluster: { name: ${m.details.cluster.name} }`])
      .concat([`    namespace: ${t.namespace}`, `    secretName: ${t.secretName}`, ''])
      .join('\n'),
  );
  const tb = m.details;
  const args = ['redrive', '--mappings', mappingsFile, '--dlq-url', bed.dlqUrl, '--parked-url', bed.parkedUrl];
  const child = spawn(process.execPath, [CLI, ...args, '--state-machine', `${m.id}=${bed.stateMachineArn}`], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_ENDPOINT_URL: tb.moto.url,
      AWS_REGION: tb.moto.region,
      AWS_ACCESS_KEY_ID: tb.moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: tb.moto.credentials.secretAccessKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe.each(['redrive-sync consumer', 'CLI redrive'] as const)('redrive of one failed target by the %s', (via) => {
  it('writes that target alone (the audit log shows no write to the others); without the filter it writes them', async () => {
    const m = await mapping({
      id: via === 'CLI redrive' ? 'fanout-redrive-cli' : 'fanout-redrive',
      secretString: JSON.stringify({ password: `${CANARY}-0` }),
      moreTargets: [{ missing: true, secretName: 'app-config' }, { secretName: 'app-config' }],
    });
    const bed = await RedriveBed.create(m, { maxAttempts: 3 });
    beds.push(bed);
    const gone = m.targets[1]!;
    const others = [m.targets[0]!, m.targets[2]!];
    const failed = await m.run(m.labelEvent(await m.putSecret({ secretString: JSON.stringify({ password: CANARY }) })));
    expect(failed.status).toBe('FAILED');
    const [dead, ...more] = await bed.peek(bed.dlqUrl);
    expect(more).toHaveLength(0);
    expect(JSON.parse(dead!.body)).toMatchObject({ mappingId: m.id, target: gone.name, failedStep: 'ReadSecret' });

    // The fix, and a newer version: any target the redrive runs has something to write.
    await createMissing(m, gone);
    await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-2` }) });
    const before = others.map(writesTo);
    if (via === 'CLI redrive') {
      const dir = mkdtempSync(join(tmpdir(), 'fanout-redrive-'));
      try {
        const run = await cliRedrive(m, bed, dir);
        expect(run.code, run.out).toBe(0);
        expect(run.out).toContain(gone.name);
        expect(run.out).not.toContain(CANARY);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      expect(await bed.moveDlq()).toBe(1);
      expect(await bed.deliver()).toStrictEqual({ received: 1, failed: [] });
    }
    const [started, ...again] = await bed.executions();
    expect(again).toHaveLength(0);
    expect(started!.input).toMatchObject({ attempt: 2, onlyTarget: gone.name } satisfies Partial<SyncInput>);
    const goneWrites = writesTo(gone);

    const r = await m.run(started!.input.event, started!.input.attempt, { onlyTarget: started!.input.onlyTarget });

    expect(r.status).toBe('SUCCEEDED');
    expect(ran(r, 'FetchSecret')).toBe(1);
    expect(ran(r, 'ReadSecret')).toBe(1);
    expect(r.output.results.map((x: { outcome: string }) => x.outcome)).toStrictEqual([
      'not-selected',
      'synced',
      'not-selected',
    ]);
    expect(await valueAt(gone)).toBe(`${CANARY}-2`);
    expect(await writtenAgain(gone, goneWrites)).toBe(goneWrites + 1);
    expect(others.map(writesTo)).toStrictEqual(before);
    for (const t of others) expect(await valueAt(t)).toBe(CANARY);

    // Control: the same execution input without the filter writes the other targets, and the check sees it.
    const all = await m.run(started!.input.event, started!.input.attempt);
    expect(all.status).toBe('SUCCEEDED');
    for (const [i, t] of others.entries()) expect(await writtenAgain(t, before[i]!)).toBe(before[i]! + 1);
  });
});

it('sends an execution filtered to a target the mapping does not have to the DLQ, fetching and writing nothing', async () => {
  const m = await mapping({ id: 'fanout-unknown', secretString: JSON.stringify({ password: CANARY }) });
  const unknown = `${m.targets[0]!.cluster}/elsewhere/app-config`;

  const r = await m.run({ source: 'test' }, 2, { onlyTarget: unknown });

  expect(r.status).toBe('FAILED');
  expect(ran(r, 'FetchSecret')).toBe(0);
  const [dead, ...more] = await m.receiveDlq();
  expect(more).toHaveLength(0);
  expect(dead).toMatchObject({
    mappingId: m.id,
    target: unknown,
    failedStep: 'TargetFilter',
    error: 'InvalidInputError',
    attempt: 2,
  });
  expect(dead.cause).toContain(`mapping ${m.id}: onlyTarget ${unknown} is not one of its targets`);
  expect(writesTo(m.targets[0]!)).toBe(0);
});

describe("an endpoint outside the functions' allow-list (CLUSTER_ENDPOINTS)", () => {
  it('is refused before the token is sent: the target goes to the DLQ with the reason, nothing is written', async () => {
    // The definition names the test bed's apiserver; the functions allow only another server.
    const m = await mapping({
      id: 'fanout-allow',
      secretString: JSON.stringify({ password: CANARY }),
      env: { CLUSTER_ENDPOINTS: JSON.stringify(['https://allowed.invalid']) },
    });
    const t = m.targets[0]!;

    const r = await m.run({ source: 'test' });

    expect(r.status).toBe('FAILED');
    const [dead, ...more] = await m.receiveDlq();
    expect(more).toHaveLength(0);
    expect(dead).toMatchObject({
      mappingId: m.id,
      target: t.name,
      failedStep: 'ReadSecret',
      error: 'InvalidInputError',
    });
    expect(dead.cause).toContain(`is not one of mapping ${m.id}'s cluster endpoints (CLUSTER_ENDPOINTS)`);
    expect(ran(r, 'ApplySecret')).toBe(0);
    expect((await secretAt(t)).status).toBe(404);
  });

  it('lets a Kubernetes function invoked directly reach only the allowed endpoint (control: the same input is read)', async () => {
    const m = await mapping({ id: 'fanout-direct', secretString: JSON.stringify({ password: CANARY }) });
    const r = await m.run({ source: 'test' });
    expect(r.status).toBe('SUCCEEDED');
    const entered = r.events.find((e) => e.type === 'StateEntered' && e.state.name === 'ReadSecret');
    // ReadSecret's Parameters (statemachine/sync.asl.json) over the state it entered with; the clusters and the
    // target's spec come from the definition (ClustersJson, TargetsJson by the item's index), never from the state.
    const state = entered.state.input;
    expect(state).not.toHaveProperty('clusters');
    expect(Object.keys(state.target).sort()).toStrictEqual(['index', 'name']);
    const specs = JSON.parse(Buffer.from(m.substitutions.TargetsJson!, 'base64').toString('utf8'));
    const input = {
      executionStartedAt: new Date().toISOString(),
      source: state.fetched.source,
      sealedData: state.write.sealedData,
      target: specs[state.target.index],
      clusters: JSON.parse(Buffer.from(m.substitutions.ClustersJson!, 'base64').toString('utf8')),
    };
    // Read and planned with a token the function signed itself: the Secret exists and is in sync.
    await expect(m.functions.ReadSecret.invoke(input)).resolves.toMatchObject({
      action: 'none',
      unchanged: ['password'],
    });
    const cluster = input.target.cluster as string;
    const elsewhere = {
      ...input,
      clusters: { [cluster]: { ...input.clusters[cluster], endpoint: 'https://127.0.0.1:1' } },
    };
    await expect(m.functions.ReadSecret.invoke(elsewhere)).rejects.toThrow(/is not one of mapping fanout-direct's/);
  });
});

it('never lets a value or a token reach logs, state, DLQ messages or errors', () => {
  expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
});
