/**
 * Secrets Manager events shaped as the AWS documentation shows them, for the
 * rule and parser tests:
 * - the native `Secret Label Updated` event (Secrets Manager user guide,
 *   "Secret Label Updated event": the full ARN in `resources`, `detail` =
 *   `{name, labelUpdated, versionId}`);
 * - CloudTrail-recorded calls, `AWS API Call via CloudTrail` (user guide,
 *   "AWS CloudTrail entries for Secrets Manager"): `resources` empty,
 *   `requestParameters.secretId` as the caller passed it, the full ARN in
 *   `responseElements.arn` (`aRN` before February 2024), and for a call AWS
 *   refused `errorCode` + `errorMessage` with no `responseElements`.
 * DeleteSecret and RestoreSecret come from test/fixtures; the other calls
 * reuse their envelope.
 */
import { parseSecretArn } from '../../functions/domain/secret-arn.ts';
import { cloudTrailEvent } from '../fixtures/cloudtrail.ts';

type Json = Record<string, any>;

/** The account and region of a full secret ARN. */
function whereOf(arn: string): { account: string; region: string } {
  const parts = parseSecretArn(arn);
  if (!parts) throw new Error(`not a full secret ARN: ${arn}`);
  return { account: parts.account, region: parts.region };
}

/** The native event of `label` moving to a new version of the secret `arn`. */
export function labelEvent(arn: string, opts: { label?: string; versionId?: string; resources?: unknown } = {}): Json {
  const { account, region } = whereOf(arn);
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Secret Label Updated',
    source: 'aws.secretsmanager',
    account,
    time: '2026-11-05T10:15:02Z',
    region,
    resources: opts.resources ?? [arn],
    detail: {
      name: parseSecretArn(arn)!.name,
      labelUpdated: opts.label ?? 'AWSCURRENT',
      versionId: opts.versionId ?? 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    },
  };
}

/** How a CloudTrail event names the secret in `responseElements`. */
export type ArnKey = 'arn' | 'aRN' | 'none';

/** Options of {@link cloudTrailCall}. */
export interface CloudTrailCallOptions {
  /** `requestParameters.secretId` as the caller passed it; `null` leaves it out. Default the full ARN. */
  readonly secretId?: string | null;
  /** Key of the full ARN in `responseElements` (`none`: no `responseElements`). Default `arn`. */
  readonly arnKey?: ArnKey;
  /** A refused call: `errorCode` (with an `errorMessage`, `responseElements` null). Default a successful call. */
  readonly errorCode?: string | null;
  /** The event's account and region. Default the secret's. */
  readonly account?: string;
  readonly region?: string;
}

/**
 * The CloudTrail-recorded call `eventName` on the secret `arn`, in the
 * secret's account and region unless told otherwise.
 */
export function cloudTrailCall(eventName: string, arn: string, opts: CloudTrailCallOptions = {}): Json {
  const own = whereOf(arn);
  const account = opts.account ?? own.account;
  const region = opts.region ?? own.region;
  const call = eventName === 'RestoreSecret' ? 'RestoreSecret' : 'DeleteSecret';
  const base = cloudTrailEvent(call, arn, opts.secretId ? { secretId: opts.secretId } : {});
  const detail: Json = { ...base.detail, eventName, awsRegion: region, recipientAccountId: account };
  if (eventName !== call) detail.requestParameters = { secretId: opts.secretId ?? arn };
  if (opts.secretId === null) delete detail.requestParameters.secretId;
  const { arn: _arn, deletionDate, ...response } = detail.responseElements as Json;
  if (eventName === call && deletionDate !== undefined) response.deletionDate = deletionDate;
  if (opts.arnKey !== 'none') response[opts.arnKey ?? 'arn'] = arn;
  detail.responseElements = response;
  if (opts.arnKey === 'none') delete detail.responseElements;
  if (opts.errorCode !== undefined) {
    // A refused call has no response (CloudTrail writes null) and says why.
    detail.responseElements = null;
    detail.errorCode = opts.errorCode;
    detail.errorMessage = `User: ${detail.userIdentity.arn} is not authorized to perform: secretsmanager:${eventName}`;
  }
  return { ...base, account, region, detail };
}
