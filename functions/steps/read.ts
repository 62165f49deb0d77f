/**
 * ReadSecret: how the Kubernetes Secret compares with the AWS data, without a value, and the merge decided from it
 * (the plan): one step, so the state carries the plan alone.
 */
import type { TargetInput } from '../domain/contract.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { existingSecret, observe } from '../domain/observe.ts';
import type { Connect, Sealed, SecretStore, Sealer, TokenSigner } from '../domain/ports.ts';
import type { Observation } from '../domain/types.ts';
import { type PlanInput, type PlanOutput, type PlanPorts, type PlanSettings, planSync } from './plan.ts';
import { openData } from './sealed.ts';

/** The read alone ({@link readSecret}): the sealed data to compare with. */
export interface ReadInput extends Partial<TargetInput> {
  readonly sealedData: Sealed;
}

/**
 * ReadSecret: in (the sealed data, the version fetched and what the plan takes), out at `$.write.plan`
 * ({@link PlanOutput}).
 */
export interface ReadPlanInput extends ReadInput, Partial<Omit<PlanInput, 'observed' | 'target'>> {}

/** What the read step works through. */
export interface ReadPorts {
  readonly sealer: Sealer;
  /** Signs the token the step calls the cluster with (the mapping's identity). */
  readonly signer: TokenSigner;
  /** The mapping's Secret, reached with the token the step signs. */
  readonly kubernetes: Connect<Pick<SecretStore, 'get'>>;
}

/** The mapping's settings the read step needs. */
export interface ReadSettings {
  readonly mappingId: string;
}

/**
 * Opens the data, signs a token, reads the Secret and reports, without values, how it compares with the AWS data:
 * absent means "create"; the resourceVersion read is kept for the conditional write.
 *
 * @throws InvalidInputError (sealed inputs, token inputs), UnauthorizedError, PermissionDeniedError,
 *   NotFoundError (namespace), TransientError.
 */
export async function readSecret(ports: ReadPorts, settings: ReadSettings, input: ReadInput): Promise<Observation> {
  const [desired, { token }] = await Promise.all([
    openData(ports.sealer, settings.mappingId, input?.sealedData),
    ports.signer.mint(),
  ]);
  const secret = await ports.kubernetes(token).get();
  return observe(desired, existingSecret(secret));
}

/**
 * ReadSecret as the state machine runs it: {@link readSecret}, then the merge decided from what it read
 * ({@link planSync}). The observation stays in the function (the plan carries what the write needs: the
 * resourceVersion, the key lists).
 *
 * @throws InvalidInputError for an input without the version fetched (`source`: an execution of a definition from
 *   before ReadSecret planned, in flight during a deploy; its DLQ message's redrive runs the current one), or a
 *   merge that is impossible; the errors of {@link readSecret}.
 */
export async function readAndPlan(
  ports: ReadPorts & PlanPorts,
  settings: ReadSettings & PlanSettings,
  input: ReadPlanInput,
): Promise<PlanOutput> {
  const source = input?.source;
  if (source === undefined) {
    throw new InvalidInputError(
      'ReadSecret got no source (the version fetched, $.fetched.source): the execution runs a definition from ' +
        'before ReadSecret planned the merge; redrive its DLQ message, which runs the current definition',
    );
  }
  const observed = await readSecret(ports, settings, input);
  return planSync(ports, settings, { ...input, source, observed });
}
