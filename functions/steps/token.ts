/** MintToken: a bearer token for the cluster, sealed so that it never enters the state in plain text. */
import type { Sealed, Sealer, TokenSigner } from '../domain/ports.ts';
import { tokenToSeal } from '../domain/token-form.ts';

/** MintToken (and RemintToken): in, the target's cluster. */
export interface TokenInput {
  /**
   * The EKS cluster the token is for (signed into it as `x-k8s-aws-id`): the state machine's before the Map item
   * held the index alone; still taken, for executions in flight during a deploy.
   */
  readonly clusterName?: string;
  /** The target's spec, from the definition by the item's index (its `cluster`), when `clusterName` is absent. */
  readonly target?: { readonly cluster?: unknown };
}

/** The cluster a token is asked for: `clusterName`, else the target's `cluster` (undefined: neither is a string). */
export function clusterOf(input: TokenInput | undefined): string | undefined {
  if (typeof input?.clusterName === 'string') return input.clusterName;
  const cluster = input?.target?.cluster;
  return typeof cluster === 'string' ? cluster : undefined;
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
