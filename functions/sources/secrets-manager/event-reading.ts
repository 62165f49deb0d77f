/**
 * What FetchSecret reads from a Secrets Manager event, on top of the event vocabulary
 * (functions/domain/events.ts): the version asked for, whether it is a deletion, and when the version became
 * current. The Secrets Manager provider's event reading ({@link readSecretsManagerEvent}). Pure.
 */
import { InvalidInputError } from '../../domain/errors.ts';
import { CURRENT_LABEL, readSecretEvent, type SecretEventReading } from '../../domain/events.ts';
import { originalEvent } from '../../domain/redrive.ts';
import type { SourceEventAsk } from '../../domain/source.ts';

/**
 * What the event asks of the fetch: a DeleteSecret event of this secret asks to confirm a deletion (and names no
 * version); otherwise the version it names, and when that version became current.
 *
 * @throws InvalidInputError when the event is missing, or is a trigger of the mapping's rules for another secret.
 */
export function readSecretsManagerEvent(
  event: unknown,
  secretArn: string,
  label: string = CURRENT_LABEL,
): SourceEventAsk {
  if (isDeleteSecretEvent(event, secretArn, label)) return { deletion: true, changedAt: null };
  return {
    versionId: requestedVersion(event, secretArn, label),
    deletion: false,
    changedAt: changedAtOf(event, secretArn, label),
  };
}

/**
 * When the version the event names got the followed label (AWSCURRENT unless the mapping's `label`): the time of
 * a `Secret Label Updated` event for this secret (also when it comes back in a redrive). Null for every other
 * trigger (deploy, schedule, CloudTrail events), which sync whatever is current and say nothing about when it changed.
 */
export function changedAtOf(event: unknown, secretArn: string, label: string = CURRENT_LABEL): string | null {
  if (!event || typeof event !== 'object') return null;
  const original = originalEvent(event as Record<string, unknown>) as Record<string, unknown>;
  let named: string | undefined;
  try {
    named = requestedVersion(original, secretArn, label);
  } catch {
    return null;
  }
  const time = typeof original.time === 'string' ? Date.parse(original.time) : Number.NaN;
  return named === undefined || Number.isNaN(time) ? null : new Date(time).toISOString();
}

/**
 * Which version of the secret an event asks for: the `versionId` of a native
 * `Secret Label Updated` event moving the followed label (`label`, default
 * AWSCURRENT) on this secret, else undefined (the label's version) for every other trigger (CloudTrail events,
 * schedules, redrive, deploy) and for events that trigger nothing (another
 * label, a refused call). Which events name the secret is the event
 * vocabulary's (functions/domain/events.ts), the same that builds the rules.
 *
 * @throws InvalidInputError when the event is missing, or is a trigger of the
 *   mapping's rules for another secret.
 */
export function requestedVersion(event: unknown, secretArn: string, label: string = CURRENT_LABEL): string | undefined {
  if (!event || typeof event !== 'object') {
    throw new InvalidInputError(
      'execution input has no `event` object; start executions with {"event": {...}, "attempt": 1}',
    );
  }
  const reading = thisSecretOnly(readSecretEvent(event, secretArn, label), secretArn);
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
export function isDeleteSecretEvent(event: unknown, secretArn: string, label: string = CURRENT_LABEL): boolean {
  const reading = thisSecretOnly(readSecretEvent(event, secretArn, label), secretArn);
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
