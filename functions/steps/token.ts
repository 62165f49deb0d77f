/** MintToken: a bearer token for the cluster, sealed so that it never enters the state in plain text. */
import { InvalidInputError } from '../domain/errors.ts';
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

/**
 * The cluster a token is asked for: `clusterName`, else the target's `cluster`.
 *
 * @throws InvalidInputError when neither is a string: the message names the missing field and where the definition
 *   fills it, never a value of the input.
 */
export function clusterOf(input: TokenInput | undefined): string {
  if (typeof input?.clusterName === 'string') return input.clusterName;
  const cluster = input?.target?.cluster;
  if (typeof cluster === 'string') return cluster;
  const found =
    input?.target === undefined
      ? 'no target'
      : cluster === undefined
        ? 'a target without cluster'
        : `a target whose cluster is of type ${cluster === null ? 'null' : typeof cluster}`;
  throw new InvalidInputError(
    `MintToken got no cluster name: its input has neither target.cluster nor clusterName as a string (it has ` +
      `${found}). The definition's Parameters fill it: \`target.$\` takes the target's spec from TargetsJson at ` +
      "the Map item's index, and its cluster names the EKS cluster; an input without it was not built by the " +
      'definition (a Lambda invoked by hand, or a state machine whose Parameters were edited).',
  );
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
