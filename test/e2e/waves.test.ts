// Waves on the rolling test bed (docs/restart.md#waves): three targets in three namespaces, restarted one at a time;
// the second target's new pods never become ready (the node stand-in), so the waves stop there: target 1 is
// restarted and rolled out, target 2 goes to the DLQ naming its workload and cluster, target 3 is not restarted and
// gets the data or not by heldTargets; one more DLQ message names what was done and held back. The control without
// waves restarts all three.
import { afterAll, describe, expect, it } from 'vitest';
import type { HeldTargets } from '../../functions/domain/waves.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminApply } from '../support/kube.ts';
import { type LocalMapping, TestMapping } from '../support/pipeline.ts';
import { rolloutOf, setNewPodsReady, waitRolledOut } from '../support/rollouts.ts';
import { entered, podAnnotations, secretOf, versionOf } from '../support/waves-probes.ts';
import { workload } from '../support/workloads.ts';

const CANARY = 'CANARY-3f9a1c-waves';
const VERSION = 'eks-secret-sync.io/restarted-for-version';

describe('waves: restart target by target, stop at the first unhealthy one', () => {
  const mappings: LocalMapping[] = [];
  let n = 0;
  afterAll(async () => {
    await Promise.all(mappings.map((m) => m.close()));
  });

  /** Three targets, each in its own namespace with deployment/api rolled out; the second's new pods never ready. */
  async function threeTargets(waves?: { size: number; heldTargets: HeldTargets }): Promise<LocalMapping> {
    const m = await TestMapping.create({
      restart: ['deployment/api'],
      rolloutTimeoutSeconds: 8,
      secretString: JSON.stringify({ password: `${CANARY}-${++n}` }),
      moreTargets: [{ secretName: 'app-config' }, { secretName: 'app-config' }],
      ...(waves && { waves }),
    });
    mappings.push(m);
    for (const t of m.targets) await adminApply([workload('Deployment', t.namespace, 'api')]);
    for (const t of m.targets) await waitRolledOut(t.namespace, 'deployment/api');
    await setNewPodsReady(m.targets[1]!.namespace, false);
    return m;
  }

  it.each([
    ['write', true],
    ['hold', false],
  ] as const)(
    'with heldTargets %s: target 1 rolled out, target 2 in the DLQ naming its workload and cluster, target 3 not ' +
      'restarted (written: %s)',
    async (heldTargets, written) => {
      // Prepare
      const m = await threeTargets({ size: 1, heldTargets });
      const [t1, t2, t3] = m.targets as [(typeof m.targets)[0], (typeof m.targets)[0], (typeof m.targets)[0]];

      // Act
      const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

      // Assess: the execution failed after wave 2; three waves were entered at most
      expect(r.status).toBe('FAILED');
      // waves 1 and 2, then (write) the held target 3 through the same Map, its run ending RestartHeld
      expect(entered(r, 'CheckWave')).toBe(written ? 3 : 2);
      expect(entered(r, 'StartNextWave')).toBe(1);
      const version = versionOf(r);
      // target 1: written, restarted, rolled out
      expect((await secretOf(t1.namespace)).status).toBe(200);
      expect((await podAnnotations(t1.namespace))[VERSION]).toBe(version);
      expect(await rolloutOf(t1.namespace, 'deployment/api')).toStrictEqual({ done: true });
      // target 2: written, restarted, not rolled out
      expect((await podAnnotations(t2.namespace))[VERSION]).toBe(version);
      expect((await rolloutOf(t2.namespace, 'deployment/api')).done).toBe(false);
      // target 3: not restarted; written or not by heldTargets
      expect((await podAnnotations(t3.namespace))[VERSION]).toBeUndefined();
      const third = await secretOf(t3.namespace);
      if (written) {
        expect(third.status).toBe(200);
        expect(third.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(version);
        expect(entered(r, 'RestartHeld')).toBe(1);
      } else {
        expect(third.status).toBe(404);
        expect(entered(r, 'RestartHeld')).toBe(0);
      }
      // the DLQ: target 2's message, then the stop's
      const messages = await m.receiveDlq();
      expect(messages.map((x) => x.failedStep).sort()).toStrictEqual(['RestartWorkloads', 'Waves']);
      const target = messages.find((x) => x.failedStep === 'RestartWorkloads');
      expect(target).toMatchObject({ target: t2.name, error: 'RolloutUnhealthyError' });
      const cause = JSON.parse(target.cause).errorMessage as string;
      expect(cause).toContain(`in cluster testbed, namespace ${t2.namespace}: deployment/api: `);
      const stop = messages.find((x) => x.failedStep === 'Waves');
      expect(stop).toMatchObject({ error: 'WavesStoppedError', target: null, attempt: 1 });
      expect(stop.cause).toContain(`stopped at wave 2 of 3, a target of it failed`);
      expect(stop.cause).toContain(
        `: ${t2.name}; written and restarted (or already in sync) in earlier waves: ${t1.name};`,
      );
      expect(stop.cause).toContain(
        written
          ? `written, not restarted (heldTargets write): ${t3.name}; not written: none`
          : `written, not restarted: none; not written (heldTargets hold): ${t3.name}`,
      );
    },
  );

  it('restarts all three targets without waves (control)', async () => {
    // Prepare
    const m = await threeTargets();

    // Act
    const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

    // Assess: every target written and restarted; only target 2's rollout failed
    expect(r.status).toBe('FAILED');
    const version = versionOf(r);
    for (const t of m.targets) {
      expect((await secretOf(t.namespace)).status, t.name).toBe(200);
      expect((await podAnnotations(t.namespace))[VERSION], t.name).toBe(version);
    }
    const messages = await m.receiveDlq();
    expect(messages.map((x) => [x.failedStep, x.target])).toStrictEqual([['RestartWorkloads', m.targets[1]!.name]]);
    expect(entered(r, 'StartWaves')).toBe(0);
  });

  it('leaves no secret material in the logs, the states or the DLQ messages', () => {
    expect(mappings.length).toBe(3);
    expectNoSecretMaterial(mappings.map((x) => x.captured()).join('\n'), [CANARY]);
  });
});
