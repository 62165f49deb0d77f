// Token expiry, for real: the mint-token worker runs under libfaketime
// (LD_PRELOAD of the project's own copy from PyPI, test/support/reference-tools.ts;
// a clock file it re-reads on every call), so the tokens it signs
// carry an X-Amz-Date in the past and the test bed's aws-iam-authenticator
// verifier refuses them with 401 exactly as EKS would. No product code knows
// about the fake clock. The state machine must mint again and sync.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMapping } from '../../testbed/local-pipeline.ts';
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
 * A mapping whose MintToken runs with its clock `offset` away from real time
 * (a libfaketime spec such as "-20m"); returns it and a function that moves
 * that clock, effective from the worker's next clock read.
 */
async function mappingWithClock(offset: string, opts: Parameters<typeof mappingVia>[1] = {}) {
  const file = join(dir, `clock-${mappings.length}`);
  writeFileSync(file, `${offset}\n`);
  const data = next();
  const m = await mappingVia(p, {
    ...opts,
    secretString: JSON.stringify(data),
    functionEnv: {
      MintToken: {
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

/** Sets the clock to real time right after the first mint: the second token is fresh. */
function freshAfterFirstMint(m: LocalMapping, setClock: (spec: string) => void): void {
  const mint = m.functions.MintToken;
  const original = mint.invoke.bind(mint);
  mint.invoke = async (input) => {
    const out = await original(input);
    setClock('+0');
    return out;
  };
}

const kubeStatuses = (method: string) => p.kube.requests.filter((q) => q.method === method).map((q) => q.status);
const tokenOutputs = (run: { events: any[] }) =>
  run.events
    .filter((e) => e.type === 'StateExited' && e.state.name === 'MintToken')
    .map((e) => e.state.output.write.token.expiresAt as string);

describe('token expiry', () => {
  it('mints a new token when the cluster refuses an expired one at ReadSecret, and syncs', async () => {
    const { m, data, setClock } = await mappingWithClock('-20m');
    freshAfterFirstMint(m, setClock);
    const started = new Date();

    const { run } = await runCell(m, p, data, { synced: true }, undefined, { initial: true });

    const [first, second] = tokenOutputs(run);
    expect(new Date(first!).getTime()).toBeLessThan(started.getTime()); // signed 20 minutes ago: expired on arrival
    expect(new Date(second!).getTime()).toBeGreaterThan(started.getTime());
    expect(attempts(run, 'MintToken')).toBe(2);
    expect(kubeStatuses('GET')).toEqual([401, 404]);
    expect(kubeStatuses('PATCH')).toEqual([201]);
  });

  it('mints a new token when it expires during long retries of ApplySecret, and syncs', async () => {
    // The first token has ~5 s left when the read uses it; the apply's retries take 12 s (4 requests held past a
    // 3 s timeout), longer than both its lifetime and the apiserver's 10 s cache of successful authentications.
    const { m, data, setClock } = await mappingWithClock('-895', { env: { KUBE_TIMEOUT_MS: '3000' } });
    freshAfterFirstMint(m, setClock);
    const { run } = await runCell(
      m,
      p,
      data,
      { synced: true },
      async () => p.kube.add({ method: 'PATCH', times: 4, fault: { kind: 'hold' } }),
      { initial: true },
    );

    expect(kubeStatuses('GET')).toEqual([404, 404]); // the first read is inside the token's lifetime
    expect(kubeStatuses('PATCH')).toEqual([undefined, undefined, undefined, undefined, 401, 201]);
    expect(attempts(run, 'ApplySecret')).toBe(6); // 5 with the old token, then 1 with the new
    expect(attempts(run, 'MintToken')).toBe(2);
    expect(run.events.filter((e) => e.type === 'StateEntered' && e.state.name === 'CountReauth')).toHaveLength(1);
  }, 90_000);

  it('sends a token the cluster keeps refusing to the DLQ after two new mints, writing nothing', async () => {
    const { m } = await mappingWithClock('-20m');
    const { run } = await runCell(
      m,
      p,
      {},
      // The ASL sends an exhausted re-auth budget to MintTokenFailed: the step that could not produce a usable token.
      {
        dlq: 'UnauthorizedError',
        step: 'MintToken',
        cause: new RegExp(
          /the cluster refused the bearer token of .*role\/ess-testbed-[a-z0-9-]+ \(401\): /.source +
            /it expired, it was minted for another cluster name .*cluster\.name.*, or no access entry maps/.source,
        ),
      },
      undefined,
      { initial: true },
    );
    expect(attempts(run, 'MintToken')).toBe(3);
    expect(kubeStatuses('GET')).toEqual([401, 401, 401]);
  });

  it('never lets a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
