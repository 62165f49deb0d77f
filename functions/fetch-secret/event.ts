import { InvalidInputError } from '../shared/errors.ts';

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
