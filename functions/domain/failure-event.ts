/**
 * The Kubernetes Event a failed sync leaves on its Secret when the mapping asks for it (`failureEvents`): the
 * step that failed as the reason, and the same sanitized text as the DLQ message (its cause's first line, never a
 * trace, never a value). Pure: plain data in, a core/v1 Event out.
 */
import { managedLabels, MANAGER_NAME } from './metadata.ts';
import type { KubeEvent } from './ports.ts';
import { causeLine } from './redrive.ts';

/** Longest Event message written (events.k8s.io caps a note at 1 KiB; core/v1 is kept to the same). */
export const EVENT_MESSAGE_MAX = 1024;

/** What the failed target's run recorded: the DLQ message's `failedStep`, `error` and `cause`. */
export interface FailureReport {
  readonly failedStep: string;
  readonly error: string;
  readonly cause: string;
}

/** The Secret the Event is about; `uid` when it exists (what `kubectl describe secret` matches on). */
export interface EventSubject {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

/**
 * The Event's reason: `<failedStep>Failed` (e.g. `ReadSecretFailed`), a CamelCase word as Kubernetes reasons are;
 * `SyncFailed` when the step is not a plain name.
 */
export function failureReason(failedStep: unknown): string {
  return typeof failedStep === 'string' && /^[A-Z][A-Za-z]{0,100}$/.test(failedStep)
    ? `${failedStep}Failed`
    : 'SyncFailed';
}

/**
 * The core/v1 Event of a failed sync: type Warning, about the Secret, reason {@link failureReason}, message
 * `<error>: <first line of the cause>` (at most {@link EVENT_MESSAGE_MAX} characters), labelled with the mapping.
 *
 * @param report - The failure as the DLQ message records it.
 * @param subject - The Secret.
 * @param mappingId - The mapping (label and reporting instance).
 * @param now - The time of the report.
 * @param suffix - A unique suffix for the Event's name (`<secret>.<suffix>`, as client-go names Events).
 */
export function failureEvent(
  report: FailureReport,
  subject: EventSubject,
  mappingId: string,
  now: Date,
  suffix: string,
): KubeEvent {
  const error = typeof report.error === 'string' && report.error !== '' ? report.error : 'Error';
  const message = causeLine(`${error}: ${causeLine(report.cause, EVENT_MESSAGE_MAX)}`, EVENT_MESSAGE_MAX);
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${subject.name}.${suffix}`.slice(0, 253),
      namespace: subject.namespace,
      labels: managedLabels(mappingId),
    },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: subject.namespace,
      name: subject.name,
      ...(subject.uid !== undefined && { uid: subject.uid }),
    },
    type: 'Warning',
    reason: failureReason(report.failedStep),
    message,
    source: { component: MANAGER_NAME },
    reportingComponent: MANAGER_NAME,
    reportingInstance: `${MANAGER_NAME}-${mappingId}`.slice(0, 128),
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}
