/**
 * Every outside call of a function ends within the invocation's time
 * (functions/runtime/deadline.ts): the adapters against a server that never
 * answers, with production per-attempt timeouts (KMS 5 s, Secrets Manager's
 * SDK 5 s request timeout, 3 attempts each) and 800 ms left. Without the
 * deadline each call would take 15 s or more; the control shows it does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLIENT_OPTIONS } from '../../functions/adapters/aws.ts';
import { secretsManagerSource } from '../../functions/sources/secrets-manager/client.ts';
import { MIN_ATTEMPT_MS } from '../../functions/adapters/deadline.ts';
import { kmsKeyService } from '../../functions/adapters/kms.ts';
import { DEADLINE_MARGIN_MS, startInvocation, timeLeft } from '../../functions/runtime/deadline.ts';
import {
  BUDGET_PARAMETER,
  BUDGET_SECONDS_PARAMETER,
  budgetEndsAt,
  budgetSecondsOf,
  EXECUTION_BUDGET_SECONDS,
  WAVES_BUDGET_SECONDS,
} from '../../functions/domain/execution-budget.ts';

const CONTEXT = { mappingId: 'deadline', purpose: 'secret-data' } as const;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example-key' };
let server: Server;
let url: string;
let requests = 0;

beforeAll(async () => {
  // Accepts every request and never answers: a hung dependency.
  server = createServer(() => {
    requests++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A deadline `ms` from now. */
const within = (ms: number) => {
  const at = Date.now() + ms;
  return () => at - Date.now();
};

async function timed<T>(fn: () => Promise<T>): Promise<{ error: Error; ms: number }> {
  const started = performance.now();
  const error = await fn().then(
    () => new Error('no error'),
    (e: Error) => e,
  );
  return { error, ms: performance.now() - started };
}

describe('a deadline for every call', () => {
  it('ends a hung KMS call at the deadline as a TransientError, not after 3 attempts of 5 s', async () => {
    const keys = kmsKeyService('k', {
      region: 'us-east-1',
      endpoint: url,
      credentials: async () => credentials,
      timeLeft: within(800),
    });
    const { error, ms } = await timed(() => keys.generateDataKey(CONTEXT));
    expect(error.name).toBe('TransientError');
    expect(error.message).toMatch(/kms:GenerateDataKey on k failed: TimeoutError: no answer within \d+ ms/);
    expect(ms).toBeLessThan(1_500);
  });

  it('does not start a KMS attempt with less than the minimum left', async () => {
    const before = requests;
    const keys = kmsKeyService('k', {
      region: 'us-east-1',
      endpoint: url,
      credentials: async () => credentials,
      timeLeft: within(MIN_ATTEMPT_MS - 50),
    });
    const { error } = await timed(() => keys.decrypt(Buffer.from('x'), CONTEXT));
    expect(error.name).toBe('TransientError');
    expect(error.message).toMatch(/kms:Decrypt on k was not tried: \d+ ms left of the function's time/);
    expect(requests).toBe(before);
  });

  it('cuts a hung Secrets Manager call short at the deadline as a TransientError', async () => {
    const client = new SecretsManagerClient({ ...AWS_CLIENT_OPTIONS, region: 'us-east-1', endpoint: url, credentials });
    const source = secretsManagerSource(client, within(800));
    const { error, ms } = await timed(() => source.readVersion('arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf'));
    client.destroy();
    expect(error.name).toBe('TransientError');
    expect(error.message).toMatch(/secretsmanager:GetSecretValue on .* was cut short: the function's time ran out/);
    expect(ms).toBeLessThan(1_500);
  });

  it('would take the full per-attempt timeouts without a deadline (the control)', async () => {
    const keys = kmsKeyService('k', {
      region: 'us-east-1',
      endpoint: url,
      credentials: async () => credentials,
      timeoutMs: 600,
      maxAttempts: 2,
    });
    const { error, ms } = await timed(() => keys.generateDataKey(CONTEXT));
    expect(error.name).toBe('TransientError');
    expect(ms).toBeGreaterThanOrEqual(1_150); // two attempts of 600 ms
  });

  it('reads the time left from the Lambda context, less the margin', () => {
    startInvocation({ getRemainingTimeInMillis: () => 10_000 });
    expect(timeLeft()).toBeGreaterThan(10_000 - DEADLINE_MARGIN_MS - 100);
    expect(timeLeft()).toBeLessThanOrEqual(10_000 - DEADLINE_MARGIN_MS);
    startInvocation(undefined);
    expect(timeLeft()).toBe(Number.POSITIVE_INFINITY);
  });

  it("ends at the execution's budget when that comes first, and refuses to start once it is spent", () => {
    const context = { getRemainingTimeInMillis: () => 30_000 };
    const startedAgo = (s: number) => ({ [BUDGET_PARAMETER]: new Date(Date.now() - s * 1000).toISOString() });
    startInvocation(context, startedAgo(EXECUTION_BUDGET_SECONDS - 5));
    expect(timeLeft()).toBeGreaterThan(4_000);
    expect(timeLeft()).toBeLessThanOrEqual(5_000);
    startInvocation(context, startedAgo(10)); // the Lambda's own deadline is the nearer one
    expect(timeLeft()).toBeLessThanOrEqual(30_000 - DEADLINE_MARGIN_MS);
    expect(() => startInvocation(context, startedAgo(EXECUTION_BUDGET_SECONDS + 1))).toThrow(
      expect.objectContaining({
        name: 'ExecutionBudgetError',
        message: expect.stringMatching(/budget was spent 1 s ago/),
      }),
    );
    expect(() => startInvocation(context, { [BUDGET_PARAMETER]: 'not a time' })).not.toThrow();
  });

  it("counts a budget with less than an attempt's time left as spent (no retries burnt on refused calls)", () => {
    const context = { getRemainingTimeInMillis: () => 30_000 };
    const leftMs = (ms: number) => ({
      [BUDGET_PARAMETER]: new Date(Date.now() - EXECUTION_BUDGET_SECONDS * 1000 + ms).toISOString(),
    });
    expect(() => startInvocation(context, leftMs(MIN_ATTEMPT_MS / 2))).toThrow(
      expect.objectContaining({
        name: 'ExecutionBudgetError',
        message: expect.stringMatching(/budget has \d+ ms left/),
      }),
    );
    expect(() => startInvocation(context, leftMs(MIN_ATTEMPT_MS * 5))).not.toThrow();
  });
});

describe('a shorter budget (a mapping with waves) and its end', () => {
  const startedAt = new Date(Date.now() - (WAVES_BUDGET_SECONDS + 1) * 1000).toISOString();

  it('refuses once the shorter budget is spent, naming it; the same start time without it still runs', () => {
    expect(() =>
      startInvocation(undefined, { [BUDGET_PARAMETER]: startedAt, [BUDGET_SECONDS_PARAMETER]: WAVES_BUDGET_SECONDS }),
    ).toThrow(`the execution's ${WAVES_BUDGET_SECONDS} s budget was spent`);
    expect(() => startInvocation(undefined, { [BUDGET_PARAMETER]: startedAt })).not.toThrow();
  });

  it.each([
    [WAVES_BUDGET_SECONDS, WAVES_BUDGET_SECONDS],
    [EXECUTION_BUDGET_SECONDS + 100, EXECUTION_BUDGET_SECONDS],
    [-5, EXECUTION_BUDGET_SECONDS],
    ['110', EXECUTION_BUDGET_SECONDS],
  ])('asked %s s, keeps %s s (never longer than the execution’s)', (asked, kept) => {
    expect(budgetSecondsOf({ [BUDGET_SECONDS_PARAMETER]: asked })).toBe(kept);
  });

  it('gives the end in whole seconds rounded down, Z (the form the wave loop compares), none without a start', () => {
    const input = { [BUDGET_PARAMETER]: '2026-12-04T01:00:00.999Z', [BUDGET_SECONDS_PARAMETER]: 110 };
    expect(budgetEndsAt(input)).toBe('2026-12-04T01:01:50Z');
    expect(budgetEndsAt({ [BUDGET_PARAMETER]: '2026-12-04T01:00:00.000Z' })).toBe('2026-12-04T01:02:45Z');
    expect(budgetEndsAt({})).toBeUndefined();
  });
});
