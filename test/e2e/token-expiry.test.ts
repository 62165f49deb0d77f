// Token expiry, for real: a Kubernetes step's worker runs under libfaketime (LD_PRELOAD of the project's own copy
// from PyPI, test/support/reference-tools.ts; a clock file it re-reads on every call), so the token the step signs
// carries an X-Amz-Date in the past and the test bed's aws-iam-authenticator verifier refuses it with 401 exactly as
// EKS would. No product code knows about the fake clock. No token travels between states: each Kubernetes step
// signs its own at the call, so a 401 is retried by the step itself (the ASL's Retry on UnauthorizedError, at most
// MAX_REAUTHS times), and a token the cluster keeps refusing ends in the DLQ naming that step.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REAUTHS } from '../../functions/domain/loops.ts';
import type { LocalMapping, TaskName } from '../../testbed/local-pipeline.ts';
import { attempts, mappingVia, runCell, startProxies, type Proxies } from '../support/fault-matrix.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { referenceTools } from '../support/reference-tools.ts';

const CANARY = 'CANARY-e40b9d-token-expiry';
let LIBFAKETIME: string;
const dir = mkdtempSync(join(tmpdir(), 'token-expiry-'));
const mappings: LocalMapping[] = [];
let p: Proxies;
let n = 0;
const next = () => ({ password: `${CANARY}-${++n}` });

beforeAll(async () => {
  LIBFAKETIME = (await referenceTools()).libfaketime;
  p = await startProxies();
}, 300_000);

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
  await Promise.all([p?.kube.stop(), p?.moto.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A mapping whose step `step` runs with its clock `offset` away from real time (a libfaketime spec such as "-20m");
 * returns it and a function that moves that clock, effective from the worker's next clock read.
 */
async function mappingWithClock(step: TaskName, offset: string, opts: Parameters<typeof mappingVia>[1] = {}) {
  const file = join(dir, `clock-${mappings.length}`);
  writeFileSync(file, `${offset}\n`);
  const data = next();
  const m = await mappingVia(p, {
    ...opts,
    secretString: JSON.stringify(data),
    functionEnv: {
      [step]: {
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME_TIMESTAMP_FILE: file,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
    },
  });
  mappings.push(m);
  return { m, data, setClock: (spec: string) => writeFileSync(file, `${spec}\n`) };
}

/** Sets the step's clock to real time once its first invocation ended: the token it signs next is fresh. */
function freshAfterFirstCall(m: LocalMapping, step: TaskName, setClock: (spec: string) => void): void {
  const fn = m.functions[step];
  const original = fn.invoke.bind(fn);
  fn.invoke = async (input) => {
    try {
      return await original(input);
    } finally {
      setClock('+0');
    }
  };
}

const kubeStatuses = (method: string) => p.kube.requests.filter((q) => q.method === method).map((q) => q.status);
const retried = (run: { events: any[] }, state: string) =>
  run.events.filter((e) => e.type === 'StateRetried' && e.state?.name === state).length;
/** States of the definition before this release that minted, carried or re-minted a token: none may run. */
const TOKEN_STATES = /^(MintToken|RemintToken|RemintTokenForRecheck|CountReauth|StoreReauthCount|ReauthBudgetLeft)/;

describe('token expiry (each Kubernetes step signs its own token)', () => {
  it('retries ReadSecret itself when the cluster refuses its token, and syncs', async () => {
    const { m, data, setClock } = await mappingWithClock('ReadSecret', '-20m');
    freshAfterFirstCall(m, 'ReadSecret', setClock);

    const { run } = await runCell(m, p, data, { synced: true }, undefined, { initial: true });

    expect(kubeStatuses('GET')).toEqual([401, 404]); // signed 20 minutes ago: expired on arrival; then fresh
    expect(kubeStatuses('PATCH')).toEqual([201]);
    expect(attempts(run, 'ReadSecret')).toBe(2);
    expect(retried(run, 'ReadSecret')).toBe(1);
    expect(attempts(run, 'ApplySecret')).toBe(1);
    expect(run.events.filter((e) => TOKEN_STATES.test(e.state?.name ?? ''))).toEqual([]);
  });

  it('retries ApplySecret itself when the cluster refuses its token, without reading again, and syncs', async () => {
    const { m, data, setClock } = await mappingWithClock('ApplySecret', '-20m');
    freshAfterFirstCall(m, 'ApplySecret', setClock);

    const { run } = await runCell(m, p, data, { synced: true }, undefined, { initial: true });

    expect(kubeStatuses('GET')).toEqual([404]);
    expect(kubeStatuses('PATCH')).toEqual([401, 201]);
    expect(attempts(run, 'ReadSecret')).toBe(1);
    expect(attempts(run, 'ApplySecret')).toBe(2);
    expect(retried(run, 'ApplySecret')).toBe(1);
  });

  it('signs a new token at each call: retries of ApplySecret longer than a token lives still sync', async () => {
    // Every token ApplySecret signs has ~5 s left (its clock 895 s behind, the verifier accepts 15 minutes); its
    // retries take 12 s (4 requests held past a 3 s timeout), longer than a token lives and than the apiserver's
    // 10 s cache of successful authentications. A token signed once and carried (as MintToken's was) would be
    // refused with 401 by the fifth request; signed per call, none is.
    const { m, data } = await mappingWithClock('ApplySecret', '-895', { env: { KUBE_TIMEOUT_MS: '3000' } });
    const { run } = await runCell(
      m,
      p,
      data,
      { synced: true },
      async () => p.kube.add({ method: 'PATCH', times: 4, fault: { kind: 'hold' } }),
      { initial: true },
    );

    expect(kubeStatuses('GET')).toEqual([404]);
    expect(kubeStatuses('PATCH')).toEqual([undefined, undefined, undefined, undefined, 201]);
    expect(attempts(run, 'ApplySecret')).toBe(5);
    const spent = run.events.filter((e) => e.state?.name === 'ApplySecret').map((e) => e.timestamp as number);
    expect(Math.max(...spent) - Math.min(...spent)).toBeGreaterThan(10_000);
  }, 90_000);

  it('sends a token the cluster keeps refusing to the DLQ after MAX_REAUTHS retries, writing nothing', async () => {
    const { m } = await mappingWithClock('ReadSecret', '-20m');
    const { run } = await runCell(
      m,
      p,
      {},
      // The step whose token the cluster refused is the one named: no token step exists.
      {
        dlq: 'UnauthorizedError',
        step: 'ReadSecret',
        cause: new RegExp(
          /the cluster refused the bearer token of .*role\/ess-testbed-[a-z0-9-]+ \(401\): /.source +
            /it expired, it was minted for another cluster name .*cluster\.name.*, or no access entry maps/.source,
        ),
      },
      undefined,
      { initial: true },
    );
    expect(MAX_REAUTHS).toBe(2);
    expect(attempts(run, 'ReadSecret')).toBe(1 + MAX_REAUTHS);
    expect(kubeStatuses('GET')).toEqual([401, 401, 401]);
    expect(run.events.some((e) => e.type === 'StateEntered' && e.state?.name === 'ReadSecretFailed')).toBe(true);
  });

  it('never lets a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
