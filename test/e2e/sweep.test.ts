// The lost-event sweep end to end on the test bed: the fetch-secret BUNDLE records what it fetched in the sync ledger
// (a DynamoDB table in moto), the sweep-secrets BUNDLE lists the secrets' metadata (moto's ListSecrets), compares,
// and starts the mapping's state machine in moto; that exact execution input then runs through the pipeline against
// the real kube-apiserver (moto does not run our Lambdas: test/support/redrive.ts). An event is dropped on purpose
// by rotating AWSCURRENT without running the sync its event would start.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SWEEP_DETAIL_TYPE } from '../../functions/domain/events.ts';
import { SWEEP_BEHIND_METRIC } from '../../functions/domain/sweep.ts';
import { LEDGER_ATTRIBUTES } from '../../functions/adapters/sweep-io.ts';
import { INITIAL_SYNC_DETAIL_TYPE, syntheticExecutionInput } from '../../infra/constructs/events.ts';
import { LocalFunction } from '../../testbed/lambda-runtime.ts';
import type { Bundles } from '../support/bundles.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { adminToken, kube } from '../support/kube.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';
import { RedriveBed } from '../support/redrive.ts';

const CANARY = 'CANARY-sweep-7c2f90-do-not-log';
const NAMESPACE = 'EksSecretSync/testbed-sweep';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const value = (n: number) => JSON.stringify({ password: `${CANARY}-${n}` });

let table: string;
let db: DynamoDBClient;
let m: LocalMapping;
let bed: RedriveBed;
let sweep: LocalFunction;
const inputs: string[] = [];

interface Report {
  readonly started: readonly { mappingId: string }[];
  readonly inStep: number;
  readonly behind: readonly Record<string, unknown>[];
}

const passwordOf = async () =>
  (await kube(adminToken(), 'GET', `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`)).body?.data?.password;
/** Fetches so far (fetch-secret is the only caller of GetSecretValue; it logs one line per fetch). */
const fetches = () => m.pools.FetchSecret.flatMap((f) => f.logs).filter((l) => l.includes('"fetched secret version"'));
const ledgerItem = async () =>
  (await db.send(new GetItemCommand({ TableName: table, Key: { [LEDGER_ATTRIBUTES.mappingId]: { S: m.id } } }))).Item;
const runSweep = async () => (await sweep.invoke({})) as Report;
/** Runs, through the pipeline, the executions the sweep started in moto since `from`. */
async function runStarted(from: number) {
  const started = (await bed.executions()).slice(from);
  for (const e of started) {
    inputs.push(JSON.stringify(e.input));
    expect((await m.run(e.input.event as Record<string, unknown>, e.input.attempt)).status).toBe('SUCCEEDED');
  }
  return started;
}

beforeAll(async () => {
  const tb = inject('testbed');
  const aws = { region: tb.moto.region, endpoint: tb.moto.url, credentials: tb.moto.credentials };
  db = new DynamoDBClient(aws);
  table = `sync-ledger-${randomUUID().slice(0, 8)}`;
  // As infra/constructs/sweep.ts: one item per mapping, keyed by its id, on demand.
  await db.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: LEDGER_ATTRIBUTES.mappingId, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: LEDGER_ATTRIBUTES.mappingId, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  m = await TestMapping.create({ secretString: value(1), functionEnv: { FetchSecret: { SYNC_LEDGER_TABLE: table } } });
  bed = await RedriveBed.create(m, { maxAttempts: 3 });
  sweep = new LocalFunction(`${m.id}-sweep-secrets`, (inject('bundles') as Bundles)['sweep-secrets'], {
    AWS_REGION: tb.moto.region,
    AWS_ENDPOINT_URL: tb.moto.url,
    AWS_ACCESS_KEY_ID: tb.moto.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: tb.moto.credentials.secretAccessKey,
    POWERTOOLS_SERVICE_NAME: 'eks-secret-sync',
    SYNC_LEDGER_TABLE: table,
    STATE_MACHINE_ARN_PREFIX: bed.stateMachineArn.slice(0, bed.stateMachineArn.length - m.id.length),
    METRIC_NAMESPACE: NAMESPACE,
  });
  // The deploy's initial sync: the fetch records AWSCURRENT in the ledger.
  const initial = syntheticExecutionInput(INITIAL_SYNC_DETAIL_TYPE, { mappingId: m.id, configHash: '0' });
  expect((await m.run(initial.event, initial.attempt)).status).toBe('SUCCEEDED');
});

afterAll(async () => {
  await sweep?.stop();
  await bed?.close();
  await m?.close();
  db?.destroy();
});

describe('lost-event sweep', () => {
  it("FetchSecret records the version it fetched in the mapping's ledger item (ids only)", async () => {
    expect(await ledgerItem()).toMatchObject({
      mappingId: { S: m.id },
      secretArn: { S: m.secretArn },
      fetchedVersion: { S: expect.stringMatching(/.+/) },
    });
  });

  it('starts no execution and no fetch when nothing changed', async () => {
    const before = fetches().length;
    const report = await runSweep();
    expect(report).toMatchObject({ started: [], inStep: 1, behind: [] });
    expect(await bed.executions()).toStrictEqual([]);
    expect(fetches().length).toBe(before);
  });

  it('control: an event dropped on purpose leaves the Secret stale while no sweep runs', async () => {
    await m.putSecret({ secretString: value(2) });
    // The label event is lost: nothing runs the sync.
    expect(await passwordOf()).toBe(b64(`${CANARY}-1`));
  });

  it('repairs the dropped event in one sweep: one execution, a sweep-origin input, the new value written', async () => {
    const report = await runSweep();
    expect(report.started).toStrictEqual([{ mappingId: m.id, executionArn: expect.any(String) }]);
    const [e, ...more] = await runStarted(0);
    expect(more).toStrictEqual([]);
    expect(e!.input.event).toMatchObject({ 'detail-type': SWEEP_DETAIL_TYPE, resources: [m.secretArn] });
    expect(await passwordOf()).toBe(b64(`${CANARY}-2`));
    // The next sweep finds it in step.
    expect(await runSweep()).toMatchObject({ started: [], inStep: 1 });
    expect(await bed.executions()).toHaveLength(1);
  });

  it('reports a mapping still behind after two sweeps with the behind metric naming it, and stops starting it', async () => {
    const v3 = await m.putSecret({ secretString: value(3) });
    // Two sweeps whose executions never ran (lost, say): still behind at the second.
    const first = await runSweep();
    expect(first.behind).toStrictEqual([expect.not.objectContaining({ _aws: expect.anything() })]);
    const second = await runSweep();
    expect(second.behind).toStrictEqual([
      expect.objectContaining({ [SWEEP_BEHIND_METRIC]: 2, mappingId: m.id, versionId: v3 }),
    ]);
    const line = sweep.logs.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l._aws !== undefined);
    expect(line?._aws.CloudWatchMetrics).toStrictEqual([
      { Namespace: NAMESPACE, Dimensions: [[]], Metrics: [{ Name: SWEEP_BEHIND_METRIC }] },
    ]);
    expect(line).toMatchObject({ mappingId: m.id, sweeps: 2 });
    // A third sweep reports it again but starts nothing more: two starts per version at most.
    const third = await runSweep();
    expect(third.started).toStrictEqual([]);
    expect(await bed.executions()).toHaveLength(3);
    // Running one of them repairs it; the fetch's record resets the count.
    await runStarted(2);
    expect(await passwordOf()).toBe(b64(`${CANARY}-3`));
    expect(await runSweep()).toMatchObject({ started: [], inStep: 1, behind: [] });
  });

  it('never carries a value in any encoding (the leak scanner over the sweep logs, inputs and the sync)', () => {
    expectNoSecretMaterial([...sweep.logs, ...inputs, m.captured()].join('\n'), [CANARY], 100);
  });
});
