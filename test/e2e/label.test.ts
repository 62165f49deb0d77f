// A mapping following the staging label CANARY (the `label` option, issue 24 item 2) on the test bed: moving CANARY
// to a new version syncs that version's value, moving AWSCURRENT alone leaves the Secret as it is, and no value
// reaches any surface (the leak check is its own `it`). Which events reach the state machine is AWS Event Ruler's
// verdict over the mapping's synthesized label pattern (the test bed has no EventBridge); AWSCURRENT's event is also
// run directly, as a wrongly matched or synthetic trigger would be, to show the fetch keeps to CANARY's version.
import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { secretEventPattern } from '../../functions/domain/events.ts';
import { ENV } from '../../functions/runtime/env-contract.ts';
import { optionEnvironment } from '../../infra/model/mapping-options.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { secretOf } from '../support/fault-matrix.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';
import { matchEvents } from '../support/ruler.ts';

const CANARY_VALUE = 'CANARY-5e07d2-label-do-not-log';
const passwords = [0, 1, 2, 3].map((n) => `${CANARY_VALUE}-${n}`);
const value = (n: number) => JSON.stringify({ username: 'app', password: passwords[n] });
const text = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mappings: LocalMapping[] = [];

function secretsManager(): SecretsManagerClient {
  const tb = inject('testbed');
  return new SecretsManagerClient({ region: tb.moto.region, endpoint: tb.moto.url, credentials: tb.moto.credentials });
}

/** A new version carrying only CANARY (AWSCURRENT stays where it is), as a pipeline stages a canary value. */
async function putCanary(m: LocalMapping, n: number, from: string): Promise<string> {
  const sm = secretsManager();
  const out = await sm.send(
    new PutSecretValueCommand({ SecretId: m.secretArn, SecretString: value(n), VersionStages: ['STAGED'] }),
  );
  await sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: m.secretArn,
      VersionStage: 'CANARY',
      MoveToVersionId: out.VersionId!,
      ...(from !== '' && { RemoveFromVersionId: from }),
    }),
  );
  sm.destroy();
  return out.VersionId!;
}

/** The native event of `label` moving to `versionId` on the mapping's secret. */
function moved(m: LocalMapping, label: string, versionId: string): Record<string, unknown> {
  const event = m.labelEvent(versionId) as { detail: Record<string, unknown> };
  return { ...event, detail: { ...event.detail, labelUpdated: label } };
}

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('a mapping following CANARY on the test bed', () => {
  it('syncs the version CANARY moves to; AWSCURRENT moving alone changes nothing', async () => {
    const m = await TestMapping.create({
      secretString: value(0), // AWSCURRENT: never the Secret's value
      functionEnv: { FetchSecret: optionEnvironment('fetch-secret', { label: 'CANARY' }) },
    });
    mappings.push(m);
    const rules = { label: secretEventPattern('label', m.secretArn, 'CANARY') };
    const ruled = (events: Record<string, unknown>[]) => matchEvents([{ rules, events }])[0]!.map((r) => r.length > 0);
    expect(optionEnvironment('fetch-secret', { label: 'CANARY' })).toStrictEqual({ [ENV.followLabel]: 'CANARY' });

    // Deploy: the initial sync names no version and reads CANARY's.
    await pause(1100); // Secrets Manager dates have one-second precision
    const firstCanary = await putCanary(m, 1, '');
    const first = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });
    expect(first.status).toBe('SUCCEEDED');
    expect(text((await secretOf(m)).body.data.password)).toBe(passwords[1]);

    // AWSCURRENT moves alone: the rule does not match its event; run anyway, the Secret keeps CANARY's value.
    await pause(1100);
    const currentMoved = moved(m, 'AWSCURRENT', await m.putSecret({ secretString: value(2) }));
    expect(ruled([currentMoved])).toStrictEqual([false]);
    const ignored = await m.run(currentMoved);
    expect(ignored.status).toBe('SUCCEEDED');
    expect(text((await secretOf(m)).body.data.password)).toBe(passwords[1]);

    // CANARY moves: the rule matches its event, and the version it moved to is written.
    await pause(1100);
    const next = await putCanary(m, 3, firstCanary);
    const canaryMoved = moved(m, 'CANARY', next);
    expect(ruled([canaryMoved])).toStrictEqual([true]);
    const synced = await m.run(canaryMoved);
    expect(synced.status).toBe('SUCCEEDED');
    const secret = await secretOf(m);
    expect(text(secret.body.data.password)).toBe(passwords[3]);
    expect(Object.values(secret.body.metadata.annotations ?? {})).toContain(next);

    // A late event for the version CANARY left is not written over the newer one.
    const late = await m.run(moved(m, 'CANARY', firstCanary));
    expect(late.status).toBe('SUCCEEDED');
    expect(text((await secretOf(m)).body.data.password)).toBe(passwords[3]);
    expect(await m.receiveDlq()).toEqual([]);
  });

  it('never lets a value of any version reach logs, state, DLQ messages or errors', () => {
    expect(mappings.length).toBeGreaterThan(0);
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), passwords, 500);
  });
});
