// The failure report (failureEvents): a Warning Event about the target's Secret with the failed step as reason and
// the DLQ message's text, its uid when the Secret exists, under the token it signed at the call (none comes in its
// input); no value, no trace.
import { beforeEach, describe, expect, it } from 'vitest';
import { EVENT_MESSAGE_MAX, failureEvent, failureReason } from '../../../functions/domain/failure-event.ts';
import type { KubeEvent } from '../../../functions/domain/ports.ts';
import { reportFailure, type ReportSettings } from '../../../functions/steps/report.ts';
import { b64, canaryValue, CountingSigner, fixedClock, MemoryCluster, rejection } from '../../support/ports.ts';

const TOKEN = 'k8s-aws-v1.report-token-1';
const SETTINGS: ReportSettings = { mappingId: 'db', namespace: 'app', name: 'db' };
const LAMBDA_CAUSE = JSON.stringify({
  errorType: 'InvalidInputError',
  errorMessage: 'Mapping "db": the Secret has type "kubernetes.io/tls" but the mapping asks for Opaque.\nsecond line',
  trace: ['InvalidInputError: at planMerge (plan.ts:1)'],
});
const REPORT = { failedStep: 'ReadSecret', error: 'InvalidInputError', cause: LAMBDA_CAUSE };
let signer: CountingSigner;
let cluster: MemoryCluster;
let created: { token: string; event: KubeEvent }[];

const ports = () => ({
  signer,
  kubernetes: cluster.connect,
  events: (token: string) => ({
    create: async (event: KubeEvent) => {
      created.push({ token, event });
    },
  }),
  clock: fixedClock('2026-11-23T14:00:00.123Z'),
  suffix: () => '0123abcd',
});

beforeEach(() => {
  signer = new CountingSigner('k8s-aws-v1.report-token');
  cluster = new MemoryCluster();
  created = [];
});

describe('reportFailure', () => {
  it("creates a Warning Event about the Secret, with its uid, the step as reason and the cause's first line", async () => {
    cluster.setSecret({ type: 'kubernetes.io/tls', data: {}, metadata: { uid: 'uid-1' } as never });

    const out = await reportFailure(ports(), SETTINGS, { report: REPORT });

    expect(out).toStrictEqual({ event: 'db.0123abcd', reason: 'ReadSecretFailed', secretExists: true });
    expect(created).toHaveLength(1);
    expect(created[0]!.token).toBe(TOKEN);
    expect(cluster.calls.map((c) => c.token)).toStrictEqual([TOKEN]);
    expect(signer.minted).toBe(1);
    expect(created[0]!.event).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: 'db.0123abcd',
        namespace: 'app',
        labels: { 'app.kubernetes.io/managed-by': 'eks-secret-sync', 'eks-secret-sync.io/mapping': 'db' },
      },
      involvedObject: { apiVersion: 'v1', kind: 'Secret', namespace: 'app', name: 'db', uid: 'uid-1' },
      type: 'Warning',
      reason: 'ReadSecretFailed',
      message:
        'InvalidInputError: Mapping "db": the Secret has type "kubernetes.io/tls" but the mapping asks for Opaque.',
      source: { component: 'eks-secret-sync' },
      reportingComponent: 'eks-secret-sync',
      reportingInstance: 'eks-secret-sync-db',
      firstTimestamp: '2026-11-23T14:00:00Z',
      lastTimestamp: '2026-11-23T14:00:00Z',
      count: 1,
    });
  });

  it('names no uid when the Secret does not exist (kubectl events still finds it by kind and name)', async () => {
    const out = await reportFailure(ports(), SETTINGS, { report: { ...REPORT, failedStep: 'ApplySecret' } });

    expect(out).toMatchObject({ reason: 'ApplySecretFailed', secretExists: false });
    expect(created[0]!.event.involvedObject).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'app',
      name: 'db',
    });
  });

  it('refuses a malformed report before it signs a token, creating nothing', async () => {
    const malformed = await rejection(reportFailure(ports(), SETTINGS, { report: { failedStep: 'X' } as never }));

    expect(malformed.name).toBe('InvalidInputError');
    expect(signer.minted).toBe(0);
    expect(cluster.calls).toStrictEqual([]);
    expect(created).toStrictEqual([]);
  });

  it('signs a new token at each report and passes a refusal of it through, creating nothing', async () => {
    await reportFailure(ports(), SETTINGS, { report: REPORT });
    cluster.acceptedTokens = new Set([TOKEN]);

    const e = await rejection(reportFailure(ports(), SETTINGS, { report: REPORT }));

    expect(e.name).toBe('UnauthorizedError');
    expect(e.message).not.toContain('k8s-aws-v1.');
    expect(signer.minted).toBe(2);
    expect(created.map((c) => c.token)).toStrictEqual([TOKEN]);
  });
});

describe('failureEvent', () => {
  it.each([
    ['ReadSecret', 'ReadSecretFailed'],
    ['TargetFilter', 'TargetFilterFailed'],
    ['not a step!', 'SyncFailed'],
    [undefined, 'SyncFailed'],
  ])('gives step %s the reason %s', (step, reason) => {
    expect(failureReason(step)).toBe(reason);
  });

  it('keeps the message to its limit and never copies a trace, whatever the cause', () => {
    const canary = canaryValue();
    const long = JSON.stringify({ errorMessage: 'x'.repeat(5000), trace: [`at ${canary}`] });
    const e = failureEvent(
      { failedStep: 'ReadSecret', error: 'TransientError', cause: long },
      SETTINGS,
      'db',
      new Date(0),
      's',
    );
    expect((e.message as string).length).toBe(EVENT_MESSAGE_MAX);
    expect(JSON.stringify(e)).not.toContain(canary);
    expect(JSON.stringify(e)).not.toContain(b64(canary));
  });
});
