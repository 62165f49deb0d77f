// The fault matrix, a dependency that hangs: Secrets Manager, KMS and the kube-apiserver accept the connection and
// never answer (a proxy that holds the request), one step each, under production timeouts: the Lambda context
// counts down from the function's timeout, the per-call timeouts are production's (Secrets Manager 3 s connect and
// 5 s request, KMS 5 s per attempt, Kubernetes 10 s), and the execution keeps its budget
// (domain/execution-budget.ts). The step must give up before its Lambda timeout, and the execution must end in
// the DLQ naming the step, with a sanitized reason, before Step Functions would stop it.
//
// Shortened, and said so: the Lambda timeout is 12 s instead of the stack's 30 s (the deadline, 10 s, still falls
// after the per-call timeouts, as in production), and each execution is run as if it had started
// BUDGET_LEFT_S before the end of its 165 s budget (the test bed's `startedAt`), so a cell takes about 16 s
// instead of minutes. The three cells run at once.
import { afterAll, describe, expect, it } from 'vitest';
import { causeLine } from '../../functions/domain/redrive.ts';
import { EXECUTION_BUDGET_SECONDS } from '../../functions/domain/execution-budget.ts';
import type { FaultRule } from '../../testbed/fault-proxy.ts';
import type { StepName } from '../../testbed/local-pipeline.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { mappingVia, startProxies, TAG, type Proxies } from '../support/fault-matrix.ts';
import type { ExecutionRecord, LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-7e20c4-hung-calls';
/** The Lambda timeout of these cells (the stack's is 30 s; see the file comment). */
const LAMBDA_TIMEOUT_MS = 12_000;
/** How much of the execution's budget is left when a cell starts. */
const BUDGET_LEFT_S = 16;
/** Kubernetes' production request timeout (KUBE_TIMEOUT_MS unset means 10 s; the matrix uses 300 ms). */
const KUBE_TIMEOUT_MS = '10000';

/** Each cell its own proxies: the cells run at once, and a rule aims at a step, not at a mapping. */
const proxies: Proxies[] = [];
const mappings: LocalMapping[] = [];
const runs: ExecutionRecord[] = [];

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
  await Promise.all(proxies.flatMap((p) => [p.kube.stop(), p.moto.stop()]));
});

/** Each attempt of `step`: when it started and how long it ran, with the error it ended with. */
function attemptsOf(run: ExecutionRecord, step: StepName): { ms: number; error?: string; cause?: string }[] {
  const out: { ms: number; error?: string; cause?: string }[] = [];
  let startedAt: number | undefined;
  for (const e of run.events) {
    if (e.state?.name !== step) continue;
    if (e.type === 'StateEntered' || e.type === 'StateRetried') startedAt = e.timestamp;
    if ((e.type === 'StateFailed' || e.type === 'StateExited' || e.type === 'StateCaught') && startedAt !== undefined) {
      out.push({ ms: e.timestamp - startedAt, error: e.Error, cause: e.Cause });
      startedAt = undefined;
    }
  }
  return out;
}

/** A cell: its name, the step, the rule that makes its call hang, and what the step's first error names. */
const CELLS: [string, StepName, (m: LocalMapping) => FaultRule, RegExp][] = [
  [
    'FetchSecret × Secrets Manager GetSecretValue hangs',
    'FetchSecret',
    () => ({ client: TAG.FetchSecret, target: 'secretsmanager.GetSecretValue', fault: { kind: 'hold' } }),
    /GetSecretValue/,
  ],
  [
    'ApplySecret × KMS Decrypt hangs',
    'ApplySecret',
    () => ({ client: TAG.ApplySecret, target: 'TrentService.Decrypt', fault: { kind: 'hold' } }),
    /Decrypt/,
  ],
  [
    'ReadSecret × the apiserver hangs on the GET',
    'ReadSecret',
    (m) => ({ method: 'GET', path: new RegExp(`/namespaces/${m.namespace}/secrets/`), fault: { kind: 'hold' } }),
    /apiserver|request to https/,
  ],
];

describe.concurrent('a hung dependency under production timeouts', () => {
  it.each(CELLS)(
    '%s → the step gives up before its Lambda timeout; the DLQ names it',
    async (_name, step, rule, names) => {
      const p = await startProxies();
      proxies.push(p);
      const m = await mappingVia(p, {
        secretString: JSON.stringify({ password: `${CANARY}-${step}` }),
        env: { TEST_LAMBDA_TIMEOUT_MS: String(LAMBDA_TIMEOUT_MS), KUBE_TIMEOUT_MS },
      });
      mappings.push(m);
      const proxy = step === 'ReadSecret' ? p.kube : p.moto;
      const active = proxy.add(rule(m));
      const startedAt = new Date(Date.now() - (EXECUTION_BUDGET_SECONDS - BUDGET_LEFT_S) * 1000).toISOString();
      const t0 = Date.now();
      const run = await m.run({ source: 'setup', id: `hung-${step}` }, 1, { startedAt });
      const elapsed = Date.now() - t0;
      runs.push(run);

      expect(active.faulted).toBeGreaterThan(0);
      expect(run.status).toBe('FAILED');
      const tries = attemptsOf(run, step);
      console.log(`${step}: ${elapsed} ms; attempts ${JSON.stringify(tries.map((t) => [t.ms, t.error]))}`);
      // The first attempt hung until the deadline cut it (not a quick refusal), and ended well before the timeout.
      expect(tries[0]!.ms).toBeGreaterThan(4_000);
      for (const t of tries) expect(t.ms).toBeLessThan(LAMBDA_TIMEOUT_MS);
      expect(tries[0]!.error).toBe('TransientError');
      console.log(`${step}: first error: ${causeLine(tries[0]!.cause)}`);
      expect(causeLine(tries[0]!.cause)).toMatch(names);
      expect(tries.at(-1)!.error).toBe('ExecutionBudgetError');
      // The whole execution ended soon after the budget, far before Express's limit.
      expect(elapsed).toBeLessThan((BUDGET_LEFT_S + 6) * 1000);

      const dlq = await m.receiveDlq();
      expect(dlq).toHaveLength(1);
      expect(dlq[0]).toMatchObject({ failedStep: step, error: 'ExecutionBudgetError', event: { id: `hung-${step}` } });
      // What an operator reads of it (redrive, the CLI): the error's first line, never the trace.
      expect(causeLine(dlq[0].cause)).toMatch(/^the execution's 165 s budget (was spent \d+ s ago|has \d+ ms left)/);
    },
  );
});

describe('after the hung calls', () => {
  it('never let a value or a token reach logs, state, DLQ messages or errors', () => {
    expect(runs).toHaveLength(CELLS.length);
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY], 500);
  });
});
