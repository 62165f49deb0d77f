// The restart step against an in-memory cluster: every listed workload patched like `kubectl rollout restart`,
// failures named per workload, and nothing of the Secret in the patch.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sealer } from '../../../functions/domain/ports.ts';
import {
  parseWorkloads,
  RESTARTED_AT_ANNOTATION,
  RESTARTED_FOR_VERSION_ANNOTATION,
} from '../../../functions/domain/restart.ts';
import { restartWorkloads, type RestartSettings } from '../../../functions/steps/restart.ts';
import { MemoryCluster, rejection, sealToken, testSealer } from '../../support/ports.ts';

const TOKEN = 'k8s-aws-v1.restart-token';
const SETTINGS: RestartSettings = { mappingId: 'db', targets: parseWorkloads(['statefulset/db', 'deployment/api']) };
let sealer: Sealer;
let cluster: MemoryCluster;

async function input(requestedAt = '2026-11-23T14:00:00.123Z') {
  return { versionId: 'v2', requestedAt, sealedToken: await sealToken(sealer, 'db', TOKEN) };
}

beforeEach(() => {
  sealer = testSealer();
  cluster = new MemoryCluster();
  cluster.workloads.set('deployments/api', null).set('statefulsets/db', null);
});

describe('restartWorkloads', () => {
  it("patches each workload's pod template with the request time (whole seconds) and the version", async () => {
    const out = await restartWorkloads({ sealer, kubernetes: cluster.connect }, SETTINGS, await input());

    expect(out).toStrictEqual({
      workloads: ['deployment/api', 'statefulset/db'],
      restartedAt: '2026-11-23T14:00:00Z',
      versionId: 'v2',
    });
    const annotations = { [RESTARTED_AT_ANNOTATION]: '2026-11-23T14:00:00Z', [RESTARTED_FOR_VERSION_ANNOTATION]: 'v2' };
    for (const id of ['deployments/api', 'statefulsets/db']) {
      expect(cluster.workloads.get(id)).toStrictEqual({ spec: { template: { metadata: { annotations } } } });
    }
    expect(new Set(cluster.calls.map((c) => c.token))).toStrictEqual(new Set([TOKEN]));
  });

  it('restarts the others and fails naming a missing workload and how to fix the mapping', async () => {
    cluster.workloads.delete('statefulsets/db');

    const e = await rejection(restartWorkloads({ sealer, kubernetes: cluster.connect }, SETTINGS, await input()));

    expect(e.name).toBe('NotFoundError');
    expect(e.message).toContain(
      'statefulset/db: statefulsets.apps "db" not found (create it, or remove statefulset/db',
    );
    expect(e.message).toContain('restarted: deployment/api');
    expect(cluster.workloads.get('deployments/api')).not.toBeNull();
  });

  it('fails with UnauthorizedError when the cluster refuses the token, so the state machine mints again', async () => {
    cluster.acceptedTokens = new Set();

    const e = await rejection(restartWorkloads({ sealer, kubernetes: cluster.connect }, SETTINGS, await input()));

    expect(e.name).toBe('UnauthorizedError');
    expect(e.message).not.toContain(TOKEN);
  });

  it.each([
    ['neither version nor request time', { sealedToken: {} }],
    ['a version without a request time', { sealedToken: {}, versionId: 'v1' }],
    ['a request time without a version', { sealedToken: {}, requestedAt: '2026-11-23T14:00:00Z' }],
    ['no input at all', undefined],
  ])('refuses an input with %s before it opens the token', async (_what, bad) => {
    const e = await rejection(restartWorkloads({ sealer, kubernetes: cluster.connect }, SETTINGS, bad as never));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toBe('RestartWorkloads needs {versionId, requestedAt, sealedToken} from the previous states');
    expect(cluster.calls).toStrictEqual([]);
  });
});
