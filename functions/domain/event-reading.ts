/**
 * What FetchSecret reads from its triggering event, on top of the event
 * vocabulary (events.ts): the version asked for, and whether it is a deletion.
 */
import { readSecretEvent, type SecretEventReading } from './events.ts';
import { InvalidInputError } from './errors.ts';

/**
 * Which version of the secret an event asks for: the `versionId` of a native
 * `Secret Label Updated` event moving AWSCURRENT on this secret, else
 * undefined (AWSCURRENT) for every other trigger (CloudTrail events,
 * schedules, redrive, deploy) and for events that trigger nothing (another
 * label, a refused call). Which events name the secret is the event
 * vocabulary's (functions/domain/events.ts), the same that builds the rules.
 *
 * @throws InvalidInputError when the event is missing, or is a trigger of the
 *   mapping's rules for another secret.
 */
export function requestedVersion(event: unknown, secretArn: string): string | undefined {
  if (!event || typeof event !== 'object') {
    throw new InvalidInputError(
      'execution input has no `event` object; start executions with {"event": {...}, "attempt": 1}',
    );
  }
  const reading = thisSecretOnly(readSecretEvent(event, secretArn), secretArn);
  return reading.verdict === 'trigger' ? reading.versionId : undefined;
}

/**
 * Whether the event is a successful CloudTrail-recorded DeleteSecret call on
 * this secret (the mapping's CloudTrail rule, `cloudTrailRules: true`). The
 * secret is recognized as the rule matches it: `responseElements.arn` (or its
 * pre-2024 spelling `aRN`), or `requestParameters.secretId` as the full ARN,
 * the partial ARN (without `-<6 chars>`) or the name, in the secret's account
 * and region. A refused call (`errorCode` present), RestoreSecret and every
 * other event are not deletions: they sync AWSCURRENT.
 *
 * @throws InvalidInputError for a trigger of the mapping's rules that names another secret.
 */
export function isDeleteSecretEvent(event: unknown, secretArn: string): boolean {
  const reading = thisSecretOnly(readSecretEvent(event, secretArn), secretArn);
  return reading.verdict === 'trigger' && reading.change === 'deleted';
}

/** The reading, unless it is for another secret: such an event reached the mapping by a wrong rule. */
function thisSecretOnly(reading: SecretEventReading, secretArn: string): SecretEventReading {
  if (reading.verdict !== 'other-secret') return reading;
  const what = reading.rule === 'label' ? 'event' : 'CloudTrail event';
  throw new InvalidInputError(
    `${what} is for ${reading.named}, not this mapping's secret ${secretArn}: check the rule's pattern`,
  );
}
