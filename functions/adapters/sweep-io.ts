/**
 * The AWS edges of the lost-event sweep (functions/domain/sweep.ts): the sync ledger in DynamoDB (one item per
 * mapping: FetchSecret writes what it fetched, through ledger.ts, the sweep what it found behind), ListSecrets'
 * metadata pages, and the StartExecution of a mapping behind. Nothing here reads a secret value.
 */
import {
  DeleteItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CURRENT_LABEL } from '../domain/events.ts';
import {
  behindRecord,
  currentVersionOf,
  labelVersionsOf,
  planSweep,
  sweepSyncInput,
  type LedgerEntry,
  type SecretListing,
  type SweepDecision,
} from '../domain/sweep.ts';
import { LEDGER_ATTRIBUTES } from './ledger.ts';

export { LEDGER_ATTRIBUTES } from './ledger.ts';

const A = LEDGER_ATTRIBUTES;

/** Every item of the ledger (a Scan: a few read units for hundreds of mappings, docs/performance.md). */
export async function readLedger(db: Pick<DynamoDBClient, 'send'>, table: string): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const s = (k: string) => item[k]?.S;
      const n = item[A.sweeps]?.N;
      out.push({
        mappingId: s(A.mappingId)!,
        ...(s(A.secretArn) !== undefined && { secretArn: s(A.secretArn) }),
        ...(s(A.fetchedVersion) !== undefined && { fetchedVersion: s(A.fetchedVersion) }),
        ...(s(A.label) !== undefined && { label: s(A.label) }),
        ...(s(A.sweptVersion) !== undefined && { sweptVersion: s(A.sweptVersion) }),
        ...(n !== undefined && { sweeps: Number(n) }),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Every secret of the account and region as ListSecrets pages it (100 a call): ARN and AWSCURRENT's version. */
export async function listSecrets(sm: Pick<SecretsManagerClient, 'send'>): Promise<SecretListing[]> {
  const out: SecretListing[] = [];
  let token: string | undefined;
  do {
    const page = await sm.send(new ListSecretsCommand({ MaxResults: 100, NextToken: token }));
    for (const s of page.SecretList ?? []) {
      if (s.ARN === undefined) continue;
      const currentVersionId = currentVersionOf(s.SecretVersionsToStages);
      const labels = labelVersionsOf(s.SecretVersionsToStages);
      out.push({
        arn: s.ARN,
        ...(currentVersionId !== undefined && { currentVersionId }),
        ...(Object.keys(labels).length > 0 && { labels }),
      });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

/** The clients and settings of one sweep. */
export interface SweepTargets {
  readonly db: Pick<DynamoDBClient, 'send'>;
  readonly sm: Pick<SecretsManagerClient, 'send'>;
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly table: string;
  /** Every state machine of the app is this prefix + the mapping id. */
  readonly stateMachineArnPrefix: string;
  /** The CloudWatch namespace of the behind metric. */
  readonly metricNamespace: string;
}

/** What one sweep did: its decisions, the executions it started, and one log record per mapping behind. */
export interface SweepReport {
  readonly mappings: number;
  readonly secretsListed: number;
  readonly inStep: number;
  readonly unlisted: readonly string[];
  readonly started: readonly { mappingId: string; executionArn: string }[];
  /** Mappings whose state machine no longer exists (mapping removed): their ledger items were deleted. */
  readonly removed: readonly string[];
  readonly behind: readonly Record<string, unknown>[];
}

/**
 * One sweep: ledger and metadata, the decisions, StartExecution for each mapping behind (at most
 * MAX_SWEEP_STARTS times per version) and its counter in the ledger. No execution and no ledger write when every
 * mapping is in step.
 */
export async function runSweep(t: SweepTargets, now: Date): Promise<SweepReport> {
  const [ledger, listings] = await Promise.all([readLedger(t.db, t.table), listSecrets(t.sm)]);
  const decisions = planSweep(ledger, listings);
  const started: { mappingId: string; executionArn: string }[] = [];
  const removed: string[] = [];
  const behind: Record<string, unknown>[] = [];
  for (const d of decisions) {
    if (d.action !== 'behind') continue;
    if (d.start) {
      const executionArn = await startSync(t, d, now);
      if (executionArn === undefined) {
        await t.db.send(new DeleteItemCommand({ TableName: t.table, Key: { [A.mappingId]: { S: d.mappingId } } }));
        removed.push(d.mappingId);
        continue;
      }
      started.push({ mappingId: d.mappingId, executionArn });
    }
    await t.db.send(
      new UpdateItemCommand({
        TableName: t.table,
        Key: { [A.mappingId]: { S: d.mappingId } },
        UpdateExpression: 'SET #v = :v, #n = :n',
        ExpressionAttributeNames: { '#v': A.sweptVersion, '#n': A.sweeps },
        ExpressionAttributeValues: { ':v': { S: d.versionId }, ':n': { N: String(d.sweeps) } },
      }),
    );
    behind.push(behindRecord(t.metricNamespace, d, now));
  }
  const count = (a: SweepDecision['action']) => decisions.filter((d) => d.action === a);
  return {
    mappings: decisions.length,
    secretsListed: listings.length,
    inStep: count('in-step').length,
    unlisted: count('unlisted').map((d) => d.mappingId),
    started,
    removed,
    behind,
  };
}

/** StartExecution of the mapping's sync; undefined when its state machine does not exist (the mapping removed). */
async function startSync(
  t: SweepTargets,
  d: Extract<SweepDecision, { action: 'behind' }>,
  now: Date,
): Promise<string | undefined> {
  try {
    const out = await t.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${t.stateMachineArnPrefix}${d.mappingId}`,
        input: JSON.stringify(sweepSyncInput(d, now)),
      }),
    );
    return out.executionArn!;
  } catch (e) {
    if ((e as { name?: string }).name === 'StateMachineDoesNotExist') return undefined;
    throw e;
  }
}
