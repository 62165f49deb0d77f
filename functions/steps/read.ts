/** ReadSecret: how the Kubernetes Secret compares with the AWS data, without a value. */
import type { TargetInput } from '../domain/contract.ts';
import { existingSecret, observe } from '../domain/observe.ts';
import type { Connect, Sealed, SecretStore, Sealer } from '../domain/ports.ts';
import type { Observation } from '../domain/types.ts';
import { openData, openToken } from './sealed.ts';

/** ReadSecret: in, out at `$.observed` ({@link Observation}). */
export interface ReadInput extends Partial<TargetInput> {
  readonly sealedData: Sealed;
  readonly sealedToken: Sealed;
}

/** What the read step works through. */
export interface ReadPorts {
  readonly sealer: Sealer;
  /** The mapping's Secret, reached with the token the step opens. */
  readonly kubernetes: Connect<Pick<SecretStore, 'get'>>;
}

/** The mapping's settings the read step needs. */
export interface ReadSettings {
  readonly mappingId: string;
}

/**
 * Opens the data and the token, reads the Secret and reports, without
 * values, how it compares with the AWS data: absent means "create"; the
 * resourceVersion read is kept for the conditional write.
 *
 * @throws InvalidInputError (sealed inputs), UnauthorizedError, PermissionDeniedError,
 *   NotFoundError (namespace), TransientError.
 */
export async function readSecret(ports: ReadPorts, settings: ReadSettings, input: ReadInput): Promise<Observation> {
  const [desired, token] = await Promise.all([
    openData(ports.sealer, settings.mappingId, input?.sealedData),
    openToken(ports.sealer, settings.mappingId, input?.sealedToken),
  ]);
  const secret = await ports.kubernetes(token).get();
  return observe(desired, existingSecret(secret));
}
