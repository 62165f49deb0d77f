// The token-free release, in flight: an execution of the definition before it (test/fixtures/sync-6b2032e.asl.json,
// `git show 6b2032e:statemachine/sync.asl.json`, kept as it shipped) that goes on after the deploy replaced the
// functions. Its ReadSecret runs the new read-secret, which reads AND plans and needs the version fetched (`source`),
// which the old definition does not pass; its MintToken's function is deleted by the deploy. Either way the target's
// sync ends in the DLQ naming the failed step, with no value and no token in the message, and the redrive of that
// message (the redrive-sync consumer's, on the new definition) writes the Secret: no sync is lost.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { kmsKeyService } from '../../functions/adapters/kms.ts';
import { seal } from '../../functions/adapters/seal.ts';
import type { SyncInput } from '../../functions/domain/contract.ts';
import type { EarlierDefinition } from '../../testbed/local-pipeline.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminToken, kube } from '../support/kube.ts';
import { describeLeaks, scanForLeaks, scanForMarkers } from '../support/leak-scanner.ts';
import { TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';
import { RedriveBed } from '../support/redrive.ts';

const CANARY = 'CANARY-3b71c0-release-token-free';
const OLD_ASL = readFileSync(new URL('../fixtures/sync-6b2032e.asl.json', import.meta.url), 'utf8');
const mappings: LocalMapping[] = [];
const beds: RedriveBed[] = [];
/** Every DLQ body the tests read (the canary check at the end scans them with the mappings' captures). */
const dlqBodies: string[] = [];

afterAll(async () => {
  await Promise.all([...mappings.map((m) => m.close()), ...beds.map((b) => b.close())]);
});

const entered = (r: ExecutionRecord, state: string) =>
  r.events.filter((e) => e.type === 'StateEntered' && e.state?.name === state).length;

/** What in a DLQ message could be or hold a token: a field named for one, a token's or presigned URL's markers. */
function tokenFindings(body: string): string[] {
  const found = scanForMarkers(body).map((l) => l.label);
  const walk = (v: unknown, at: string): void => {
    if (!v || typeof v !== 'object') return;
    for (const [k, w] of Object.entries(v)) {
      if (/token|sealed/i.test(k)) found.push(`${at}.${k}`);
      walk(w, `${at}.${k}`);
    }
  };
  walk(JSON.parse(body), '$');
  return found;
}

async function setUp(id: string) {
  const m = await TestMapping.create({ id, secretString: JSON.stringify({ password: `${CANARY}-0` }) });
  mappings.push(m);
  const bed = await RedriveBed.create(m, { maxAttempts: 3 });
  beds.push(bed);
  const value = `${CANARY}-v${mappings.length}`;
  const version = await m.putSecret({ secretString: JSON.stringify({ password: value }) });
  return { m, bed, value, version };
}

/** MintToken as it ran before the deploy (the old function): a token of the mapping's identity, sealed. */
function mintedBeforeTheDeploy(m: LocalMapping): EarlierDefinition['removed'] {
  const tb = inject('testbed');
  const keys = kmsKeyService(m.functions.FetchSecret.env.SEAL_KEY_ID!, {
    region: tb.moto.region,
    endpoint: tb.moto.url,
    credentials: async () => tb.moto.credentials,
  });
  return {
    MintToken: async () => ({
      // The old seal purpose of tokens; the new release has no such purpose (SealContext), hence the cast.
      sealedToken: await seal(keys, { mappingId: m.id, purpose: 'eks-token' as never }, Buffer.from(await m.token())),
      expiresAt: new Date(Date.now() + 14 * 60_000).toISOString(),
    }),
  };
}

/**
 * The old execution's DLQ message (asserted: the target and `failedStep`, `error`, `cause` as given, no token or
 * value in it), then its redrive by the consumer on the new definition, which must write `value` of `version`.
 */
async function failsThenRedriveSyncs(
  ctx: Awaited<ReturnType<typeof setUp>>,
  old: ExecutionRecord,
  failed: { step: string; error: string; cause: RegExp },
): Promise<void> {
  const { m, bed, value, version } = ctx;
  const target = m.targets[0]!;
  const path = `/api/v1/namespaces/${target.namespace}/secrets/${target.secretName}`;
  expect(old.status).toBe('FAILED');
  expect(entered(old, 'PlanMerge') + entered(old, 'ApplySecret')).toBe(0);
  expect((await kube(adminToken(), 'GET', path)).status).toBe(404);
  const [dead, ...more] = await bed.peek(bed.dlqUrl);
  expect(more).toHaveLength(0);
  dlqBodies.push(dead!.body);
  const message = JSON.parse(dead!.body);
  expect(message).toMatchObject({ mappingId: m.id, target: target.name, failedStep: failed.step, attempt: 1 });
  expect(message.error).toBe(failed.error);
  // The cause as Step Functions put it: the function's error JSON, or the Lambda service's text.
  expect(message.cause).toMatch(failed.cause);
  expect(tokenFindings(dead!.body)).toEqual([]);
  const leaks = scanForLeaks(dead!.body, [{ label: 'value', value }]);
  expect(leaks, describeLeaks(leaks)).toEqual([]);

  // The redrive: the DLQ moved to sync-requests, the consumer starts the (new) state machine for that target.
  expect(await bed.moveDlq()).toBe(1);
  expect(await bed.deliver()).toStrictEqual({ received: 1, failed: [] });
  const [started, ...again] = await bed.executions();
  expect(again).toHaveLength(0);
  expect(started!.input).toMatchObject({ attempt: 2, onlyTarget: target.name } satisfies Partial<SyncInput>);
  const r = await m.run(started!.input.event, started!.input.attempt, { onlyTarget: started!.input.onlyTarget });

  expect(r.status, JSON.stringify(r.error)).toBe('SUCCEEDED');
  expect(entered(r, 'MintToken') + entered(r, 'PlanMerge')).toBe(0);
  expect(entered(r, 'ReadSecret')).toBe(1);
  expect(entered(r, 'ApplySecret')).toBe(1);
  const s = await kube(adminToken(), 'GET', path);
  expect(s.status).toBe(200);
  expect(Buffer.from(s.body.data.password, 'base64').toString('utf8')).toBe(value);
  expect(s.body.metadata.annotations['eks-secret-sync.io/source-version-id']).toBe(version);
  expect(await bed.peek(bed.dlqUrl)).toEqual([]);
}

describe('an execution of the definition before the token-free release, run against its functions', () => {
  it('past MintToken: the new ReadSecret refuses the input without `source`, the DLQ names it, the redrive syncs', async () => {
    const ctx = await setUp('release-read');
    const old = await ctx.m.run(ctx.m.labelEvent(ctx.version), 1, {
      definition: { asl: OLD_ASL, removed: mintedBeforeTheDeploy(ctx.m) },
    });
    expect(entered(old, 'MintToken')).toBe(1);
    expect(entered(old, 'ReadSecret')).toBe(1);
    await failsThenRedriveSyncs(ctx, old, {
      step: 'ReadSecret',
      error: 'InvalidInputError',
      cause: /ReadSecret got no source .*redrive its DLQ message, which runs the current definition/,
    });
  });

  it('at MintToken: its function is deleted, the DLQ names MintToken, the redrive syncs', async () => {
    const ctx = await setUp('release-mint');
    const old = await ctx.m.run(ctx.m.labelEvent(ctx.version), 1, { definition: { asl: OLD_ASL } });
    expect(entered(old, 'ReadSecret')).toBe(0);
    await failsThenRedriveSyncs(ctx, old, {
      step: 'MintToken',
      error: 'Lambda.ResourceNotFoundException',
      cause: /Function not found/,
    });
  });

  it('the control: the DLQ check finds a sealed token and a plain one planted in a message', async () => {
    expect(dlqBodies).toHaveLength(2);
    const message = JSON.parse(dlqBodies[0]!);
    expect(tokenFindings(JSON.stringify({ ...message, sealedToken: { v: 1 } }))).toEqual(['$.sealedToken']);
    const plain = await mappings[0]!.token();
    expect(tokenFindings(JSON.stringify({ ...message, cause: plain }))).toContain('EKS token prefix');
  });

  it('the old definition is the one before the release: it mints and carries a token, and plans in PlanMerge', () => {
    // The control that the fixture is not the current definition run twice.
    expect(OLD_ASL).toContain('${MintTokenFunctionArn}');
    expect(OLD_ASL).toContain('"sealedToken.$": "$.write.token.sealedToken"');
    expect(OLD_ASL).toContain('${PlanMergeFunctionArn}');
  });

  it('never lets a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial([...mappings.map((m) => m.captured()), ...dlqBodies].join('\n'), [CANARY], 1000);
  });
});
