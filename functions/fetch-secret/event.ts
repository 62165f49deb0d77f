import { InvalidInputError } from '../domain/errors.ts';

/**
 * Which version of the secret an event asks for: the `versionId` of a native
 * `Secret Label Updated` event for this secret, else undefined (AWSCURRENT)
 * for every other trigger (CloudTrail events, schedules, redrive, deploy).
 *
 * @throws InvalidInputError when the event is missing or names another secret.
 */
export function requestedVersion(event: unknown, secretArn: string): string | undefined {
  if (!event || typeof event !== 'object') {
    throw new InvalidInputError('execution input has no `event` object; start executions with {"event": {...}, "attempt": 1}');
  }
  const e = event as { source?: unknown; 'detail-type'?: unknown; resources?: unknown; detail?: { versionId?: unknown } };
  if (e.source !== 'aws.secretsmanager' || e['detail-type'] !== 'Secret Label Updated') return undefined;
  const resources = Array.isArray(e.resources) ? e.resources : [];
  if (!resources.includes(secretArn)) {
    throw new InvalidInputError(`event is for ${JSON.stringify(resources)}, not this mapping's secret ${secretArn}: check the rule's pattern`);
  }
  return typeof e.detail?.versionId === 'string' ? e.detail.versionId : undefined;
}

/**
 * Whether the event is a CloudTrail-recorded DeleteSecret call on this
 * secret (the mapping's CloudTrail rule, `cloudTrailRules: true`). The
 * secret is recognized as the rule matches it: `responseElements.arn` (or its
 * pre-2024 spelling `aRN`), or `requestParameters.secretId` as the full ARN,
 * the partial ARN (without `-<6 chars>`) or the name. RestoreSecret and every
 * other event are not deletions: they sync AWSCURRENT.
 *
 * @throws InvalidInputError for a DeleteSecret event that names another secret.
 */
export function isDeleteSecretEvent(event: unknown, secretArn: string): boolean {
  const e = (event ?? {}) as { source?: unknown; 'detail-type'?: unknown; detail?: Record<string, any> };
  if (e.source !== 'aws.secretsmanager' || e['detail-type'] !== 'AWS API Call via CloudTrail' || e.detail?.eventName !== 'DeleteSecret') return false;
  const partialArn = secretArn.replace(/-[A-Za-z0-9]{6}$/, '');
  const name = partialArn.split(':secret:')[1];
  const ids = [e.detail.responseElements?.arn, e.detail.responseElements?.aRN];
  const secretId = e.detail.requestParameters?.secretId;
  if (ids.includes(secretArn) || [secretArn, partialArn, name].includes(secretId)) return true;
  throw new InvalidInputError(
    `DeleteSecret event is for ${JSON.stringify(ids.find((x) => typeof x === 'string') ?? secretId ?? null)}, not this mapping's secret ${secretArn}: check the rule's pattern`,
  );
}
