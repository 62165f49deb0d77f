/** MintToken: a bearer token for the cluster, sealed so that it never enters the state in plain text. */
import type { Sealed, Sealer, TokenSigner } from '../domain/ports.ts';
import { tokenToSeal } from '../domain/token-form.ts';

/** MintToken (and RemintToken): in, the target's cluster. */
export interface TokenInput {
  /** The EKS cluster the token is for (signed into it as `x-k8s-aws-id`). */
  readonly clusterName: string;
}

/** MintToken: in {@link TokenInput}, out at `$.write.token`. */
export interface TokenOutput {
  readonly sealedToken: Sealed;
  /** When clients should stop using the token (14 minutes after signing). */
  readonly expiresAt: string;
}

/** What the token step works through. */
export interface TokenPorts {
  readonly signer: TokenSigner;
  readonly sealer: Sealer;
}

/** The mapping's settings the token step needs. */
export interface TokenSettings {
  readonly mappingId: string;
}

/**
 * Mints a token with the signer's identity (the one the cluster's access
 * entry maps) and seals it for this mapping's Kubernetes steps.
 *
 * @throws InvalidInputError for a bad cluster name, region or credentials; TransientError from the sealer.
 */
export async function mintToken(ports: TokenPorts, settings: TokenSettings): Promise<TokenOutput> {
  const { token, expiresAt } = await ports.signer.mint();
  const context = { mappingId: settings.mappingId, purpose: 'eks-token' } as const;
  const sealedToken = await ports.sealer.seal(context, tokenToSeal(token));
  return { sealedToken, expiresAt };
}
