/**
 * The event vocabulary: which events start a sync of a mapping's secret, and
 * how each names the secret. The mapping's EventBridge rule patterns are
 * built here ({@link secretEventPattern}) and FetchSecret reads its execution
 * input here ({@link readSecretEvent}); test/infra/event-vocabulary.test.ts
 * checks with AWS Event Ruler that the two accept exactly the same events.
 *
 * Pure: plain data in, plain data out.
 *
 * Matching follows EventBridge: a field matches when its value, or any element
 * of an array value, is one of the pattern's values (strings compare exactly,
 * never as a prefix), and `{"exists": false}` holds only when the field is
 * absent (a `null` value counts as present).
 */
import { PRODUCT_NAME } from './product.ts';
import { parseSecretArn, secretIdSpellings } from './secret-arn.ts';

/** `source` of every Secrets Manager event on the default bus, native and CloudTrail-derived. */
export const SECRETS_MANAGER_SOURCE = 'aws.secretsmanager';

/**
 * `detail-type` of the native event sent when a staging label moves to a
 * version (all labels but AWSPENDING and AWSPREVIOUS); needs no trail. The
 * secret's full ARN is in `resources`; `detail` is `{name, labelUpdated, versionId}`.
 */
export const LABEL_UPDATED_DETAIL_TYPE = 'Secret Label Updated';

/** The label whose move means "the secret's value changed" (PutSecretValue, rotation, UpdateSecretVersionStage). */
export const CURRENT_LABEL = 'AWSCURRENT';

/**
 * The labels Secrets Manager sends no {@link LABEL_UPDATED_DETAIL_TYPE} event for: a mapping cannot follow them
 * (AWSPREVIOUS moves with AWSCURRENT; AWSPENDING is a rotation's untested version).
 */
export const SILENT_LABELS = ['AWSPREVIOUS', 'AWSPENDING'] as const;

/** `detail-type` of the API calls a CloudTrail trail records (needs a trail with logging on). */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** `detail.eventSource` of Secrets Manager calls recorded by CloudTrail. */
export const CLOUDTRAIL_EVENT_SOURCE = 'secretsmanager.amazonaws.com';

/** The CloudTrail-recorded call that schedules the secret's deletion. */
export const DELETE_SECRET_EVENT_NAME = 'DeleteSecret';

/** The CloudTrail-recorded call that cancels a scheduled deletion: the secret exists again. */
export const RESTORE_SECRET_EVENT_NAME = 'RestoreSecret';

/**
 * The CloudTrail-recorded calls that change whether the secret exists, and
 * what each means. Value changes (PutSecretValue, UpdateSecret with a value,
 * RotateSecret, UpdateSecretVersionStage) move AWSCURRENT and arrive as the
 * native {@link LABEL_UPDATED_DETAIL_TYPE} event, so they are not listed here.
 */
export const CLOUDTRAIL_CHANGES = {
  [DELETE_SECRET_EVENT_NAME]: 'deleted',
  [RESTORE_SECRET_EVENT_NAME]: 'restored',
} as const satisfies Readonly<Record<string, SecretChange>>;

/** The names of {@link CLOUDTRAIL_CHANGES}: the `eventName`s of the CloudTrail rule. */
export const CLOUDTRAIL_EVENT_NAMES = Object.keys(CLOUDTRAIL_CHANGES) as readonly (keyof typeof CLOUDTRAIL_CHANGES)[];

/**
 * The CloudTrail field present only on calls AWS refused (with `errorMessage`).
 * A refused call changed nothing: it never starts a sync.
 */
export const CLOUDTRAIL_ERROR_FIELD = 'errorCode';

/** The `source` of the events this tool makes up itself (initial sync, scheduled sync, sweep, redrive). */
export const SYNTHETIC_SOURCE = PRODUCT_NAME;

/** `detail-type` of the sync a deployment starts (infra/constructs/mapping.ts, initial sync). */
export const INITIAL_SYNC_DETAIL_TYPE = 'Initial sync';

/** `detail-type` of the syncs the mapping's `resyncSchedule` starts. */
export const SCHEDULED_SYNC_DETAIL_TYPE = 'Scheduled sync';

/** `detail-type` of the syncs the lost-event sweep starts (functions/domain/sweep.ts). */
export const SWEEP_DETAIL_TYPE = 'Sweep sync';

/** `detail-type` of the events redrive starts executions with (functions/domain/redrive.ts). */
export const REDRIVE_DETAIL_TYPE = 'Redrive';

/** The mapping's rules that deliver Secrets Manager events: the native label event, and the CloudTrail calls. */
export const SECRET_EVENT_RULES = ['label', 'trail'] as const;

/** One of {@link SECRET_EVENT_RULES}. */
export type SecretEventRule = (typeof SECRET_EVENT_RULES)[number];

/**
 * An EventBridge event pattern as the service reads it (`detail-type` with
 * its dash): field names to lists of accepted values, nested objects, `$or`.
 */
export interface EventPatternJson {
  readonly [field: string]:
    | readonly (string | Readonly<Record<string, unknown>>)[]
    | EventPatternJson
    | readonly EventPatternJson[];
}

/** What a sync does about an event that names the mapping's secret. */
export type SecretChange =
  /** The followed label (AWSCURRENT, or the mapping's `label`) moved: sync the version it moved to. */
  | 'current-moved'
  /** DeleteSecret: the secret is scheduled for deletion. */
  | 'deleted'
  /** RestoreSecret: the secret exists again; sync AWSCURRENT. */
  | 'restored';

/**
 * What an event means to one mapping: a trigger (it names the secret, and the
 * rule it belongs to matches it), an event of a trigger's kind for another
 * secret (a rule that should not have matched it), or no trigger at all
 * (a synthetic sync, a refused call, another label, another call or source).
 */
export type SecretEventReading =
  | {
      readonly verdict: 'trigger';
      readonly rule: SecretEventRule;
      readonly change: SecretChange;
      readonly versionId?: string;
    }
  | { readonly verdict: 'other-secret'; readonly rule: SecretEventRule; readonly named: string }
  | { readonly verdict: 'not-a-trigger' };

/**
 * The EventBridge pattern of one of the mapping's rules:
 * - `label`: the native {@link LABEL_UPDATED_DETAIL_TYPE} event for exactly
 *   this secret (`resources`) when the followed staging label `label`
 *   ({@link CURRENT_LABEL} unless the mapping's `label` option names another) moves;
 * - `trail`: the successful (no {@link CLOUDTRAIL_ERROR_FIELD}) CloudTrail
 *   calls of {@link CLOUDTRAIL_EVENT_NAMES} in the secret's account and
 *   region, naming the secret wherever its identity appears:
 *   `responseElements.arn`, its pre-2024 spelling `aRN`, and
 *   `requestParameters.secretId` as whatever the caller passed (full ARN,
 *   partial ARN or name). Exact values only, never a prefix, so a secret
 *   named `app` never matches `app-two`.
 *
 * @throws Error for the `trail` rule when `secretArn` is not a full secret ARN.
 */
export function secretEventPattern(
  rule: SecretEventRule,
  secretArn: string,
  label: string = CURRENT_LABEL,
): EventPatternJson {
  if (rule === 'label') {
    return {
      source: [SECRETS_MANAGER_SOURCE],
      'detail-type': [LABEL_UPDATED_DETAIL_TYPE],
      resources: [secretArn],
      detail: { labelUpdated: [label] },
    };
  }
  const arn = parseSecretArn(secretArn);
  if (!arn) throw new Error(`not a full secret ARN: ${secretArn}`);
  return {
    source: [SECRETS_MANAGER_SOURCE],
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    account: [arn.account],
    region: [arn.region],
    detail: {
      eventSource: [CLOUDTRAIL_EVENT_SOURCE],
      eventName: [...CLOUDTRAIL_EVENT_NAMES],
      [CLOUDTRAIL_ERROR_FIELD]: [{ exists: false }],
      $or: [
        { responseElements: { arn: [secretArn] } },
        { responseElements: { aRN: [secretArn] } },
        { requestParameters: { secretId: secretIdSpellings(secretArn) } },
      ],
    },
  };
}

/**
 * Reads an event as the mapping's rules would match it (see
 * {@link secretEventPattern}): a trigger of one of the rules, an event of a
 * trigger's kind naming another secret, or not a trigger.
 *
 * @param event - The execution input's `event`; anything is accepted.
 * @param secretArn - The mapping's full secret ARN.
 * @param label - The staging label the mapping follows (its `label` option).
 */
export function readSecretEvent(event: unknown, secretArn: string, label: string = CURRENT_LABEL): SecretEventReading {
  const e = asRecord(event);
  if (!matches(e.source, SECRETS_MANAGER_SOURCE)) return NOT_A_TRIGGER;
  if (matches(e['detail-type'], LABEL_UPDATED_DETAIL_TYPE)) return readLabelEvent(e, secretArn, label);
  if (matches(e['detail-type'], CLOUDTRAIL_DETAIL_TYPE)) return readCloudTrailEvent(e, secretArn);
  return NOT_A_TRIGGER;
}

const NOT_A_TRIGGER: SecretEventReading = { verdict: 'not-a-trigger' };

function readLabelEvent(e: Record<string, unknown>, secretArn: string, label: string): SecretEventReading {
  const detail = asRecord(e.detail);
  if (!matches(detail.labelUpdated, label)) return NOT_A_TRIGGER;
  if (!matches(e.resources, secretArn)) {
    return { verdict: 'other-secret', rule: 'label', named: JSON.stringify(e.resources ?? null) };
  }
  const versionId = typeof detail.versionId === 'string' ? detail.versionId : undefined;
  return { verdict: 'trigger', rule: 'label', change: 'current-moved', ...(versionId !== undefined && { versionId }) };
}

function readCloudTrailEvent(e: Record<string, unknown>, secretArn: string): SecretEventReading {
  const detail = asRecord(e.detail);
  // A refused call changed nothing, whatever it names.
  if (!matches(detail.eventSource, CLOUDTRAIL_EVENT_SOURCE) || Object.hasOwn(detail, CLOUDTRAIL_ERROR_FIELD)) {
    return NOT_A_TRIGGER;
  }
  const call = CLOUDTRAIL_EVENT_NAMES.find((name) => matches(detail.eventName, name));
  if (call === undefined) return NOT_A_TRIGGER;
  const change = CLOUDTRAIL_CHANGES[call];
  const response = asRecord(detail.responseElements);
  const secretId = asRecord(detail.requestParameters).secretId;
  const arn = parseSecretArn(secretArn);
  const here = arn !== undefined && matches(e.account, arn.account) && matches(e.region, arn.region);
  const spellings = arn ? secretIdSpellings(secretArn) : [secretArn];
  const byArn = matches(response.arn, secretArn) || matches(response.aRN, secretArn);
  const named = here && (byArn || spellings.some((s) => matches(secretId, s)));
  if (named) return { verdict: 'trigger', rule: 'trail', change };
  const identity = [response.arn, response.aRN, secretId].find((x) => typeof x === 'string') ?? null;
  const where = here ? '' : ` in account ${String(e.account)} region ${String(e.region)}`;
  return { verdict: 'other-secret', rule: 'trail', named: `${JSON.stringify(identity)}${where}` };
}

/** EventBridge's exact match of one value: the field's value, or any element of an array value, equals it. */
function matches(field: unknown, value: string): boolean {
  return Array.isArray(field) ? field.includes(value) : field === value;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Longest staging label Secrets Manager takes (VersionStage: 1 to 256 characters, API reference). */
export const MAX_LABEL_LENGTH = 256;

/**
 * Why a mapping cannot follow the staging label `label`, or undefined when it can: Secrets Manager takes 1 to
 * {@link MAX_LABEL_LENGTH} characters (its API reference documents no narrower character set), and sends no label
 * event for the {@link SILENT_LABELS}. Whitespace at either end is refused as a typo: the rule would match exactly.
 */
export function followedLabelProblem(label: string): string | undefined {
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH) {
    return (
      `${JSON.stringify(label)} is not a staging label; expected 1 to ${MAX_LABEL_LENGTH} characters, such as ` +
      `${CURRENT_LABEL} or CANARY`
    );
  }
  if (label.trim() !== label) {
    return `${JSON.stringify(label)} starts or ends with whitespace; the rule matches the label exactly: remove it`;
  }
  if ((SILENT_LABELS as readonly string[]).includes(label)) {
    return (
      `${label} cannot be followed: Secrets Manager sends no "${LABEL_UPDATED_DETAIL_TYPE}" event when it moves; ` +
      `follow ${CURRENT_LABEL} and read ${label} with a data entry's stage instead`
    );
  }
  return undefined;
}
