// Whether a rollout is complete, read from the workload's status the way `kubectl rollout status` reads it
// (functions/domain/rollout.ts): one table per kind, the unmet condition named as kubectl names it.
import { describe, expect, it } from 'vitest';
import { rolloutState, type WorkloadStatusView } from '../../../functions/domain/rollout.ts';

const deployment = (status: NonNullable<WorkloadStatusView['status']>, generation = 2, replicas = 2) => ({
  metadata: { generation },
  spec: { replicas },
  status,
});
const statefulSet = (
  status: NonNullable<WorkloadStatusView['status']>,
  updateStrategy: NonNullable<WorkloadStatusView['spec']>['updateStrategy'] = { type: 'RollingUpdate' },
) => ({ metadata: { generation: 2 }, spec: { replicas: 2, updateStrategy }, status });
const daemonSet = (status: NonNullable<WorkloadStatusView['status']>, type = 'RollingUpdate') => ({
  metadata: { generation: 2 },
  spec: { updateStrategy: { type } },
  status,
});
const DONE = { done: true };
const waiting = (unmet: string) => ({ done: false, unmet });
const final = (unmet: string) => ({ done: false, unmet, final: true });

describe('rolloutState', () => {
  it.each([
    [
      'complete: every replica updated and available, the controller saw the spec',
      deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      DONE,
    ],
    [
      'the controller has not seen the new template yet',
      deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      waiting('spec update not yet observed by the deployment controller'),
    ],
    [
      'new replicas not all created',
      deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2 }),
      waiting('1 of 2 new replicas updated'),
    ],
    [
      'old replicas still running',
      deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
      waiting('1 old replicas pending termination'),
    ],
    [
      'new pods never ready (a crash loop)',
      deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 0 }),
      waiting('0 of 2 updated replicas available'),
    ],
    [
      'past its progress deadline: final, no point in waiting',
      deployment({
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 1,
        conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }],
      }),
      final('exceeded its progress deadline (Progressing: ProgressDeadlineExceeded)'),
    ],
  ])('Deployment: %s', (_what, obj, expected) => {
    expect(rolloutState({ kind: 'Deployment' }, obj)).toStrictEqual(expected);
  });

  it.each([
    [
      'complete (no partition): ready, and currentRevision is updateRevision',
      statefulSet({ observedGeneration: 2, readyReplicas: 2, currentRevision: 'r2', updateRevision: 'r2' }),
      DONE,
    ],
    [
      'not yet observed',
      statefulSet({ observedGeneration: 1, readyReplicas: 2, currentRevision: 'r2', updateRevision: 'r2' }),
      waiting('spec update not yet observed by the statefulset controller'),
    ],
    [
      'pods not ready',
      statefulSet({ observedGeneration: 2, readyReplicas: 1, currentRevision: 'r1', updateRevision: 'r2' }),
      waiting('1 of 2 pods not ready'),
    ],
    [
      'all ready, the old revision still current',
      statefulSet({ observedGeneration: 2, readyReplicas: 2, currentRevision: 'r1', updateRevision: 'r2' }),
      waiting('currentRevision is not yet updateRevision'),
    ],
    [
      'a partition (the apiserver sets 0): updated replicas counted from it',
      statefulSet(
        { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1, currentRevision: 'r1', updateRevision: 'r2' },
        { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      ),
      waiting('1 of 2 new pods updated'),
    ],
    [
      'a partition, complete',
      statefulSet(
        { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: 'r1', updateRevision: 'r2' },
        { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      ),
      DONE,
    ],
    [
      'OnDelete: no rollout to follow, final',
      statefulSet({ observedGeneration: 2, readyReplicas: 2 }, { type: 'OnDelete' }),
      final('update strategy is not RollingUpdate: pods change only when deleted'),
    ],
  ])('StatefulSet: %s', (_what, obj, expected) => {
    expect(rolloutState({ kind: 'StatefulSet' }, obj)).toStrictEqual(expected);
  });

  it.each([
    [
      'complete: every scheduled pod updated and available',
      daemonSet({ observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }),
      DONE,
    ],
    [
      'not yet observed',
      daemonSet({ observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }),
      waiting('spec update not yet observed by the daemonset controller'),
    ],
    [
      'new pods not all scheduled',
      daemonSet({ observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 3 }),
      waiting('1 of 3 new pods updated'),
    ],
    [
      'new pods not available',
      daemonSet({ observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 }),
      waiting('2 of 3 updated pods available'),
    ],
    [
      'OnDelete: final',
      daemonSet({ observedGeneration: 2, desiredNumberScheduled: 3 }, 'OnDelete'),
      final('update strategy is not RollingUpdate: pods change only when deleted'),
    ],
  ])('DaemonSet: %s', (_what, obj, expected) => {
    expect(rolloutState({ kind: 'DaemonSet' }, obj)).toStrictEqual(expected);
  });
});
