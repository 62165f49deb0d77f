// Redrive of a waves stop (docs/restart.md#waves) on the rolling test bed: three targets in waves of 1, the second's
// new pods never ready, heldTargets hold (the third is not written). The stop leaves two DLQ messages: target 2's
// (RestartWorkloads) and the stop's (failedStep Waves, target null). Once the cause is fixed (the pods can become
// ready), both go through the redrive path (DLQ -> sync-requests -> the redrive-sync bundle -> StartExecution on
// moto) and their executions' inputs run through the waves pipeline: the stop's runs the whole mapping again and ends
// Synced, every target written, restarted for the version and rolled out; nothing is left in any queue.
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply, adminToken, kube } from '../support/kube.ts';
import { type LocalMapping, TestMapping } from '../support/pipeline.ts';
import { RedriveBed } from '../support/redrive.ts';
import { rolloutOf, setNewPodsReady, waitRolledOut } from '../support/rollouts.ts';
import { entered, podAnnotations, secretOf, versionOf } from '../support/waves-probes.ts';
import { workload } from '../support/workloads.ts';

const CANARY = 'CANARY-c41d8e90b7f2';
const VERSION = 'eks-secret-sync.io/restarted-for-version';
const SOURCE_VERSION = 'eks-secret-sync.io/source-version-id';

describe('waves: redriving the stop’s DLQ message', () => {
  const open: { close(): Promise<void> }[] = [];
  const mappings: LocalMapping[] = [];
  afterAll(async () => {
    await Promise.all(open.map((x) => x.close()));
  });

  it('re-runs the whole mapping once the cause is fixed: every target synced, rolled out, nothing lost', async () => {
    // Prepare: the waves stop at target 2, target 3 held (not written)
    const m = await TestMapping.create({
      id: 'waves-redrive',
      restart: ['deployment/api'],
      rolloutTimeoutSeconds: 8,
      secretString: JSON.stringify({ password: CANARY }),
      moreTargets: [{ secretName: 'app-config' }, { secretName: 'app-config' }],
      waves: { size: 1, heldTargets: 'hold' },
    });
    mappings.push(m);
    open.push(m);
    const bed = await RedriveBed.create(m, { maxAttempts: 3 });
    open.push(bed);
    const [t1, t2, t3] = m.targets as [(typeof m.targets)[0], (typeof m.targets)[0], (typeof m.targets)[0]];
    for (const t of m.targets) await adminApply([workload('Deployment', t.namespace, 'api')]);
    for (const t of m.targets) await waitRolledOut(t.namespace, 'deployment/api');
    await setNewPodsReady(t2.namespace, false);
    const first = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });
    expect(first.status).toBe('FAILED');
    const version = versionOf(first);
    expect((await secretOf(t3.namespace)).status).toBe(404);
    const dead = (await bed.peek(bed.dlqUrl)).map((x) => JSON.parse(x.body));
    expect(dead.map((x) => `${x.failedStep} ${x.target}`).sort()).toStrictEqual([
      `RestartWorkloads ${t2.name}`,
      'Waves null',
    ]);

    // Act: the cause fixed (target 2's pods become ready: the stand-in readies new pods, the stuck ones are replaced),
    // both messages redriven
    await setNewPodsReady(t2.namespace, true);
    const gone = await kube(adminToken(), 'DELETE', `/api/v1/namespaces/${t2.namespace}/pods?gracePeriodSeconds=0`);
    expect(gone.status).toBe(200);
    await waitRolledOut(t2.namespace, 'deployment/api');
    expect(await bed.moveDlq()).toBe(2);
    expect(await bed.deliver()).toStrictEqual({ received: 2, failed: [] });
    const started = await bed.executions();
    expect(started).toHaveLength(2);
    const whole = started.find((e) => e.input.onlyTarget === undefined)!;
    const one = started.find((e) => e.input.onlyTarget === t2.name)!;
    expect(whole.input).toMatchObject({ attempt: 2, event: { detail: { failedStep: 'Waves' } } });
    const again = await m.run(whole.input.event, whole.input.attempt);

    // Assess: the stop's redrive ran every wave and ended Synced
    expect(again.status).toBe('SUCCEEDED');
    expect(entered(again, 'StartNextWave')).toBe(2);
    expect(entered(again, 'WavesOutOfTime') + entered(again, 'StopWaves')).toBe(0);
    for (const t of [t1, t2, t3]) {
      const s = await secretOf(t.namespace);
      expect(s.status, t.name).toBe(200);
      expect(s.body.metadata.annotations[SOURCE_VERSION], t.name).toBe(version);
      expect((await podAnnotations(t.namespace))[VERSION], t.name).toBe(version);
      expect(await rolloutOf(t.namespace, 'deployment/api'), t.name).toStrictEqual({ done: true });
    }
    // target 2's own message, redriven: only target 2, re-checked, Synced
    const single = await m.run(one.input.event, one.input.attempt, { onlyTarget: one.input.onlyTarget });
    expect(single.status).toBe('SUCCEEDED');
    // nothing lost, nothing left: no message in the DLQ, the sync-requests queue or the parked queue
    expect([
      await bed.depth(bed.dlqUrl),
      await bed.depth(bed.syncRequestsUrl),
      await bed.depth(bed.parkedUrl),
    ]).toStrictEqual([0, 0, 0]);
  });

  it('leaves no secret material in the logs, the states or the DLQ messages', () => {
    expect(mappings.length).toBe(1);
    expectNoSecretMaterial(mappings.map((x) => x.captured()).join('\n'), [CANARY]);
  });
});
