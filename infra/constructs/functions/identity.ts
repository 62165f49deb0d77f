/**
 * The mapping's Kubernetes identity: the IAM role its access entries name, which the Kubernetes steps (read-secret,
 * apply-secret, restart-workloads) share as their execution role and sign their tokens with
 * (functions/runtime/signer.ts). It keeps the construct id and the role of the mint-token function of earlier
 * releases (`MintToken/Role`: the same logical id, path and name), so the access entries, the RBAC subjects and the
 * cluster-side entries made elsewhere still name it (docs/deploy.md#upgrading-to-the-token-free-release).
 */
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { lambdaRole } from '../lambda-defaults.ts';

/** Props of {@link KubernetesIdentity}. */
export interface KubernetesIdentityProps {
  /** The mapping's id. */
  readonly mappingId: string;
  /**
   * The role's name, for a mapping whose clusters in another account or region must name the role before any
   * deploy (infra/model/cluster-env.ts).
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;
}

/** The construct id of the identity: the mint-token function's, whose role it keeps. */
export const KUBERNETES_IDENTITY_ID = 'MintToken';

/** The role of the mapping's Kubernetes identity (Lambda may assume it; its steps' grants are added by them). */
export class KubernetesIdentity extends Construct {
  /** The role: the access entries' principal and the Kubernetes steps' execution role. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: KubernetesIdentityProps) {
    super(scope, id);
    const description = `eks-secret-sync Kubernetes identity of mapping ${props.mappingId}`;
    this.role = lambdaRole(this, 'Role', description, props.roleName);
  }
}
