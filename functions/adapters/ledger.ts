/**
 * The sync ledger's write of FetchSecret (docs/decisions.md#lost-event-sweep): one DynamoDB PutItem through the
 * signed JSON client (aws-json.ts), not @aws-sdk/client-dynamodb, whose module init pushed fetch-secret's cold
 * start over its goal (docs/decisions.md#the-ledger-write-without-aws-sdkclient-dynamodb). The sweep's own reads
 * and updates stay on the SDK (sweep-io.ts: not on a sync's path). The item holds a version id and a time, never
 * a value.
 */
import { CURRENT_LABEL } from '../domain/events.ts';
import { AwsJsonClient, type AwsJsonOptions, type AwsJsonService } from './aws-json.ts';

/** The ledger's attribute names, written once (the construct's key and the sweep's reads name them too). */
export const LEDGER_ATTRIBUTES = {
  mappingId: 'mappingId',
  secretArn: 'secretArn',
  fetchedVersion: 'fetchedVersion',
  label: 'label',
  fetchedAt: 'fetchedAt',
  sweptVersion: 'sweptVersion',
  sweeps: 'sweeps',
} as const;

const A = LEDGER_ATTRIBUTES;

/** DynamoDB's JSON protocol (awsJson1_0, `DynamoDB_20120810`). */
export const DYNAMODB: AwsJsonService = {
  service: 'dynamodb',
  endpointVariable: 'AWS_ENDPOINT_URL_DYNAMODB',
  contentType: 'application/x-amz-json-1.0',
  targetPrefix: 'DynamoDB_20120810',
};

/** What a fetch records: the mapping, its secret and the version fetched. */
export interface FetchRecord {
  readonly mappingId: string;
  readonly secretArn: string;
  readonly versionId: string;
  /** The staging label the mapping follows (written only when it is not AWSCURRENT). */
  readonly label?: string;
}

/** Writes the ledger's items of one table. */
export interface LedgerWriter {
  /**
   * Records that the mapping's sync fetched `versionId` (FetchSecret, after a fetch of a version). A whole-item
   * put: the sweep's counters of an older version go with it.
   *
   * @throws TransientError, PermissionDeniedError, NotFoundError (the table), InvalidInputError (awsError).
   */
  recordFetch(e: FetchRecord, now: Date): Promise<void>;
}

/** The PutItem request of {@link LedgerWriter.recordFetch}, as DynamoDB's JSON protocol spells it. */
export function fetchRecordItem(table: string, e: FetchRecord, now: Date) {
  return {
    TableName: table,
    Item: {
      [A.mappingId]: { S: e.mappingId },
      [A.secretArn]: { S: e.secretArn },
      [A.fetchedVersion]: { S: e.versionId },
      [A.fetchedAt]: { S: now.toISOString() },
      // Only a label other than AWSCURRENT: the items of every other mapping stay as they were.
      ...(e.label !== undefined && e.label !== CURRENT_LABEL && { [A.label]: { S: e.label } }),
    },
  };
}

/** The ledger of `table` over DynamoDB (endpoint: AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL, else AWS). */
export function dynamoLedger(table: string, options: AwsJsonOptions = {}): LedgerWriter {
  const db = new AwsJsonClient(DYNAMODB, options);
  const action = `dynamodb:PutItem on ${table}`;
  return {
    async recordFetch(e, now) {
      await db.call('PutItem', fetchRecordItem(table, e, now), action);
    },
  };
}
