/** RecordFailureEvent: a failed target's sync left on its Secret as a Kubernetes Event (`failureEvents`). */
import type { TargetInput } from '../domain/contract.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { failureEvent } from '../domain/failure-event.ts';
import type { Clock, Connect, EventRecorder, SecretStore, TokenSigner } from '../domain/ports.ts';

/**
 * RecordFailureEvent: in (the apply-secret function, after a target's DLQ message, for a mapping with
 * `failureEvents`): the failure as the DLQ message records it.
 */
export interface ReportInput extends Partial<TargetInput> {
  readonly report: { readonly failedStep: string; readonly error: string; readonly cause: string };
}

/** RecordFailureEvent: out at `$.reported`. */
export interface ReportOutput {
  /** The Event's name. */
  readonly event: string;
  /** The Event's reason (`<failedStep>Failed`). */
  readonly reason: string;
  /** Whether the Secret existed (the Event then names its uid, which `kubectl describe secret` matches). */
  readonly secretExists: boolean;
}

/** What the report step works through. */
export interface ReportPorts {
  /** Signs the token the step calls the cluster with (the mapping's identity). */
  readonly signer: TokenSigner;
  /** The mapping's Secret (read for its uid only), reached with the token the step signs. */
  readonly kubernetes: Connect<Pick<SecretStore, 'get'>>;
  /** The Secret's namespace's Events, with the same token. */
  readonly events: Connect<EventRecorder>;
  readonly clock: Clock;
  /** A unique suffix for the Event's name (hex). */
  readonly suffix: () => string;
}

/** The target's settings the report step needs. */
export interface ReportSettings {
  readonly mappingId: string;
  readonly namespace: string;
  readonly name: string;
}

const isText = (v: unknown): v is string => typeof v === 'string';

/**
 * Creates a Warning Event about the target's Secret that says which step failed and why (the DLQ message's
 * error and the first line of its cause): what `kubectl describe secret` shows an app team without AWS access.
 * The Secret is read first for its uid (describe matches Events on it); a Secret that does not exist gets an
 * Event without one (`kubectl get events` shows it). Runs after the DLQ message was sent: the state machine
 * ignores its failure.
 *
 * @throws InvalidInputError for a malformed report; UnauthorizedError, PermissionDeniedError (no
 *   `create` on events: the RBAC of a mapping without failureEvents), TransientError from the cluster.
 */
export async function reportFailure(
  ports: ReportPorts,
  settings: ReportSettings,
  input: ReportInput,
): Promise<ReportOutput> {
  const report = input?.report;
  if (!report || !isText(report.failedStep) || !isText(report.error) || !isText(report.cause)) {
    throw new InvalidInputError('RecordFailureEvent needs report {failedStep, error, cause}, as the DLQ message has');
  }
  const { token } = await ports.signer.mint();
  const secret = await ports.kubernetes(token).get();
  const uid = secret?.metadata?.uid;
  const subject = { namespace: settings.namespace, name: settings.name, ...(uid !== undefined && { uid }) };
  const event = failureEvent(report, subject, settings.mappingId, ports.clock.now(), ports.suffix());
  await ports.events(token).create(event);
  return { event: event.metadata.name, reason: event.reason as string, secretExists: secret !== null };
}
