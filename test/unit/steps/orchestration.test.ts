// One target's run outside Step Functions (functions/steps/orchestration.ts runTarget), as the state machine's Map
// item runs it: ReadSecret (which plans), ApplySecret, RestartWorkloads; each Kubernetes step signs its own token at
// the call, a 401 runs the same step again at most MAX_REAUTHS times (the ASL's Retry on UnauthorizedError), a 409
// goes back to the read at most MAX_CONFLICT_RETRIES times. Against an in-memory cluster that accepts given tokens.
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_CONFLICT_RETRIES, MAX_REAUTHS } from '../../../functions/domain/loops.ts';
import type { Sealer } from '../../../functions/domain/ports.ts';
import type { FetchOutput } from '../../../functions/steps/fetch.ts';
import {
  runTarget,
  type StepRunner,
  type TargetPorts,
  type TargetRunSettings,
} from '../../../functions/steps/orchestration.ts';
import {
  b64,
  canaryValue,
  CountingSigner,
  expectNoValue,
  fixedClock,
  mergeOptions,
  MemoryCluster,
  rejection,
  sealData,
  testSealer,
} from '../../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-AbCdEf';
const PREFIX = 'k8s-aws-v1.run-token';
const token = (n: number) => `${PREFIX}-${n}`;
let sealer: Sealer;
let signer: CountingSigner;
let cluster: MemoryCluster;
let canary: string;
let trace: string[];

const settings = (over: Partial<TargetRunSettings> = {}): TargetRunSettings => ({
  merge: mergeOptions(),
  namespace: 'app',
  name: 'db',
  type: 'Opaque',
  restart: [],
  write: true,
  ...over,
});

const ports = (): TargetPorts => ({
  sealer,
  signer,
  secrets: cluster.connect,
  workloads: cluster.connect,
  clock: fixedClock(),
  sleep: async () => undefined,
  randomBytes: (n) => Buffer.alloc(n, 1),
});

/** The step runner: records each Task state the run goes through. */
const record: StepRunner = (state, run) => {
  trace.push(state);
  return run();
};

async function fetched(): Promise<FetchOutput> {
  return {
    source: { arn: ARN, versionId: 'v1', createdDate: '2026-11-01T10:00:00.000Z', current: true },
    keys: { names: ['password'], count: 1, truncated: false },
    sealedData: await sealData(sealer, 'db', { password: b64(canary) }),
    changedAt: null,
  };
}

/** The cluster accepts every token but the ones listed (its 401 for those). */
function refuse(...tokens: string[]): void {
  cluster.acceptedTokens = new Set(
    Array.from({ length: 20 }, (_, i) => token(i + 1)).filter((t) => !tokens.includes(t)),
  );
}

beforeEach(() => {
  sealer = testSealer();
  signer = new CountingSigner(PREFIX);
  cluster = new MemoryCluster();
  cluster.workloads.set('deployments/api', null);
  canary = canaryValue();
  trace = [];
});

describe('runTarget', () => {
  it('reads and plans (ReadSecret), writes, restarts: each step with a token it signed, no other step', async () => {
    const out = await runTarget(ports(), settings({ restart: ['deployment/api'] }), await fetched(), record);

    expect(trace).toStrictEqual(['ReadSecret', 'ApplySecret', 'RestartWorkloads']);
    expect(out.plan).toMatchObject({ action: 'create', added: ['password'], restart: ['deployment/api'] });
    expect(out.applied).toMatchObject({ action: 'create', restart: true });
    expect(out.restarted?.workloads).toStrictEqual(['deployment/api']);
    expect(cluster.calls.map((c) => `${c.verb} ${c.token}`)).toStrictEqual([
      `get ${token(1)}`,
      `apply ${token(2)}`,
      `patch ${token(3)}`,
    ]);
    expect(signer.minted).toBe(3);
    // What the run returns holds no value and no token.
    expectNoValue(JSON.stringify(out), [canary]);
  });

  it('stops after the plan when it does not write (plan, sync --dry-run), and when the Secret is in sync', async () => {
    const dry = await runTarget(ports(), settings({ write: false }), await fetched(), record);
    expect(trace).toStrictEqual(['ReadSecret']);
    expect(dry.plan.action).toBe('create');
    expect(cluster.secret).toBeNull();

    await runTarget(ports(), settings(), await fetched(), record);
    trace = [];
    const again = await runTarget(ports(), settings(), await fetched(), record);
    expect(trace).toStrictEqual(['ReadSecret']);
    expect(again.plan.action).toBe('none');
  });

  it('runs ReadSecret again on a 401, with a new token, and goes on', async () => {
    refuse(token(1));

    const out = await runTarget(ports(), settings(), await fetched(), record);

    expect(trace).toStrictEqual(['ReadSecret', 'ReadSecret', 'ApplySecret']);
    expect(out.applied?.action).toBe('create');
    expect(cluster.calls.map((c) => c.token)).toStrictEqual([token(1), token(2), token(3)]);
  });

  it('runs ApplySecret again on a 401 (not the read: its plan still holds), with a new token', async () => {
    refuse(token(2));

    const out = await runTarget(ports(), settings(), await fetched(), record);

    expect(trace).toStrictEqual(['ReadSecret', 'ApplySecret', 'ApplySecret']);
    expect(out.applied?.action).toBe('create');
  });

  it('runs RestartWorkloads again on a 401, with a new token', async () => {
    refuse(token(3));

    const out = await runTarget(ports(), settings({ restart: ['deployment/api'] }), await fetched(), record);

    expect(trace).toStrictEqual(['ReadSecret', 'ApplySecret', 'RestartWorkloads', 'RestartWorkloads']);
    expect(out.restarted?.workloads).toStrictEqual(['deployment/api']);
  });

  it.each([
    ['ReadSecret', [] as string[]],
    ['ApplySecret', ['ReadSecret']],
    ['RestartWorkloads', ['ReadSecret', 'ApplySecret']],
  ])('fails %s with the 401 after MAX_REAUTHS runs again', async (state, before) => {
    const firstOfStep = before.length + 1;
    refuse(...Array.from({ length: 1 + MAX_REAUTHS }, (_, i) => token(firstOfStep + i)));

    const e = await rejection(runTarget(ports(), settings({ restart: ['deployment/api'] }), await fetched(), record));

    expect(e.name).toBe('UnauthorizedError');
    expect(trace).toStrictEqual([...before, ...Array.from({ length: 1 + MAX_REAUTHS }, () => state)]);
    expect(e.message).not.toContain('k8s-aws-v1.');
  });

  it('goes back to ReadSecret after a 409, at most MAX_CONFLICT_RETRIES times', async () => {
    await runTarget(ports(), settings(), await fetched(), record);
    // Another writer changes the Secret before each write of ours.
    cluster.beforeWrite = () => cluster.setSecret({ ...cluster.secret!, data: { other: b64('x') } });
    trace = [];
    const next = { ...(await fetched()), source: { ...(await fetched()).source, versionId: 'v2' } };

    const e = await rejection(runTarget(ports(), settings(), next, record));

    expect(e.name).toBe('ConflictError');
    const rounds = 1 + MAX_CONFLICT_RETRIES;
    expect(trace).toStrictEqual(Array.from({ length: rounds }, () => ['ReadSecret', 'ApplySecret']).flat());
    expectNoValue(e.message, [canary]);
  });

  it('counts a 401 per step run: a conflict round after re-auths gets its own MAX_REAUTHS', async () => {
    await runTarget(ports(), settings(), await fetched(), record);
    let writes = 0;
    cluster.beforeWrite = () => {
      if (++writes === 1) cluster.setSecret({ ...cluster.secret!, data: { other: b64('x') } });
    };
    trace = [];
    signer.minted = 0;
    // First round: the read's first two tokens refused (two re-auths), the write conflicts; second round: the read's
    // first two tokens refused again, then the write.
    refuse(token(1), token(2), token(5), token(6));
    const next = { ...(await fetched()), source: { ...(await fetched()).source, versionId: 'v2' } };

    const out = await runTarget(ports(), settings(), next, record);

    expect(trace).toStrictEqual([
      ...['ReadSecret', 'ReadSecret', 'ReadSecret', 'ApplySecret'],
      ...['ReadSecret', 'ReadSecret', 'ReadSecret', 'ApplySecret'],
    ]);
    expect(out.applied?.action).toBe('update');
  });
});
