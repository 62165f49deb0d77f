import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import type { SealingFunctionProps } from './common.ts';
import { StepFunction } from './step-function.ts';

/** Props of {@link MintTokenFunction}: the token's cluster comes from the state (the target's). */
export interface MintTokenFunctionProps extends SealingFunctionProps {
  /**
   * The regions of the mapping's clusters outside the stack's region, by cluster name.
   * @default none: every cluster is in the stack's region (no variable is set)
   */
  readonly clusterRegions?: Readonly<Record<string, string>>;
  /**
   * The role's name, for a mapping whose clusters in another account or region must name the role before any
   * deploy (infra/model/cluster-env.ts).
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;
}

/**
 * The mint-token step of one mapping: presigns an EKS bearer token with its own role, which is the mapping's
 * Kubernetes identity (the access entry names it), and seals it. The role holds no other AWS permission than
 * sealing this mapping's `eks-token`.
 */
export class MintTokenFunction extends StepFunction<'mint-token'> {
  constructor(scope: Construct, id: string, props: MintTokenFunctionProps) {
    const environment: FunctionEnvironment<'mint-token'> = {
      [ENV.mappingId]: props.mappingId,
      [ENV.sealKeyId]: props.sealKey.keyArn,
      ...(props.clusterRegions !== undefined &&
        Object.keys(props.clusterRegions).length > 0 && { [ENV.clusterRegions]: JSON.stringify(props.clusterRegions) }),
    };
    super(scope, id, 'mint-token', { ...props, environment });
  }
}
