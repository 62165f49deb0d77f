/**
 * The steps that call the Kubernetes API of the clusters of a mapping's targets: read-secret, apply-secret and
 * restart-workloads. They share one execution role, the mapping's Kubernetes identity (./identity.ts), and each
 * signs its own token with it.
 */
import { Duration } from 'aws-cdk-lib';
import { RESTART_STEP_TIMEOUT_SECONDS } from '../../../functions/domain/rollout.ts';
import { Stack } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import type { SecretType } from '../../../functions/domain/types.ts';
import type { FunctionVpcPlacement } from '../function-vpc.ts';
import type { KmsInterfaceEndpoint } from '../vpc-endpoints.ts';
import type { SealingFunctionProps } from './common.ts';
import { StepFunction } from './step-function.ts';

/** Props of a function that reaches the clusters of the mapping's targets (each from the state's Map item). */
export interface KubernetesFunctionProps extends SealingFunctionProps {
  /** The mapping's Kubernetes identity: the execution role, which the access entries name. */
  readonly role: Role;
  /**
   * The API server URLs of the clusters of the mapping's targets (tokens allowed): the function refuses any other
   * endpoint its input names, so whoever may invoke it cannot point the mapping's token at another server.
   */
  readonly clusterEndpoints: readonly string[];
  /**
   * The regions of the mapping's clusters outside the stack's region, by cluster name (each token is signed for its
   * cluster's region).
   * @default none: every cluster is in the stack's region (no variable is set)
   */
  readonly clusterRegions?: Readonly<Record<string, string>>;
  /**
   * The Kubernetes client's request timeout in milliseconds (100 to 25000).
   * @default 10000
   */
  readonly kubeTimeoutMs?: number;
  /**
   * Run in these subnets with these security groups (a cluster whose API endpoint is private or allow-listed).
   * @default outside any VPC
   */
  readonly vpc?: FunctionVpcPlacement;
  /**
   * Call KMS through this interface endpoint of the VPC (its DNS name; the role is tagged so the endpoint's policy
   * admits it). Only with `vpc`.
   * @default KMS's regional endpoint (in a VPC: reached through a NAT route or the VPC's own KMS endpoint)
   */
  readonly kmsEndpoint?: KmsInterfaceEndpoint;
}

/** Props of {@link ReadSecretFunction} and {@link ApplySecretFunction}. */
export interface SecretAccessFunctionProps extends KubernetesFunctionProps {
  /**
   * The mapping's Secret type (a target may override it).
   * @default Opaque
   */
  readonly secretType?: SecretType;
}

/** Props of {@link ApplySecretFunction}. */
export interface ApplySecretFunctionProps extends SecretAccessFunctionProps {
  /**
   * The CloudWatch namespace of the app's metrics, where each write records its freshness (SyncLagSeconds).
   * @default no freshness metric
   */
  readonly metricNamespace?: string;
}

/** Props of {@link RestartWorkloadsFunction}. */
export interface RestartWorkloadsFunctionProps extends KubernetesFunctionProps {
  /**
   * The mapping's workloads to restart (`deployment/<name>`, ...); a target may list its own.
   * @default none: only targets that list their own restart anything
   */
  readonly restart?: readonly string[];
  /**
   * Seconds to follow the rollouts after the restart (0: not followed).
   * @default 0
   */
  readonly rolloutTimeoutSeconds?: number;
}

/** The variables every function that calls an API server reads (a new such step's environment is this). */
export function kubernetesEnvironment(scope: Construct, props: KubernetesFunctionProps) {
  const regions = props.clusterRegions ?? {};
  return {
    [ENV.mappingId]: props.mappingId,
    [ENV.clusterEndpoints]: Stack.of(scope).toJsonString([...new Set(props.clusterEndpoints)]),
    [ENV.kubeIdentity]: props.role.roleArn,
    [ENV.kubeTimeoutMs]: props.kubeTimeoutMs === undefined ? undefined : String(props.kubeTimeoutMs),
    [ENV.clusterRegions]: Object.keys(regions).length > 0 ? JSON.stringify(regions) : undefined,
  };
}

/** What a step that opens the sealed data adds: the seal key, and the KMS endpoint of the VPC when there is one. */
function opensData(props: KubernetesFunctionProps) {
  return { [ENV.sealKeyId]: props.sealKey.keyArn, [ENV.kmsEndpointUrl]: props.kmsEndpoint?.url };
}

function secretAccess(
  scope: Construct,
  props: SecretAccessFunctionProps,
): FunctionEnvironment<'read-secret' | 'apply-secret'> {
  return { ...kubernetesEnvironment(scope, props), ...opensData(props), [ENV.secretType]: props.secretType };
}

/**
 * The read-secret step of one mapping: observes the Secret without its values and plans the merge. It opens the
 * sealed data to compare, so its role may decrypt this mapping's `secret-data`; the merge options reach it by the
 * option table's delivery (infra/model/mapping-options.ts).
 */
export class ReadSecretFunction extends StepFunction<'read-secret'> {
  constructor(scope: Construct, id: string, props: SecretAccessFunctionProps) {
    super(scope, id, 'read-secret', { ...props, environment: secretAccess(scope, props) });
  }
}

/**
 * The apply-secret step of one mapping: writes the planned Secret. It opens the sealed values, so its role may
 * decrypt this mapping's `secret-data`.
 */
export class ApplySecretFunction extends StepFunction<'apply-secret'> {
  constructor(scope: Construct, id: string, props: ApplySecretFunctionProps) {
    const environment = { ...secretAccess(scope, props), [ENV.metricNamespace]: props.metricNamespace };
    super(scope, id, 'apply-secret', { ...props, environment });
  }
}

/**
 * The restart-workloads step of a mapping with `restart`: patches the listed workloads' pod templates. It opens
 * nothing and is given no value (the shared role could open the sealed data, which it is never given).
 */
export class RestartWorkloadsFunction extends StepFunction<'restart-workloads'> {
  constructor(scope: Construct, id: string, props: RestartWorkloadsFunctionProps) {
    const environment: FunctionEnvironment<'restart-workloads'> = {
      ...kubernetesEnvironment(scope, props),
      [ENV.restartTargets]: props.restart === undefined ? undefined : JSON.stringify(props.restart),
      [ENV.rolloutTimeoutSeconds]: props.rolloutTimeoutSeconds ? String(props.rolloutTimeoutSeconds) : undefined,
    };
    // Following the rollouts takes up to MAX_ROLLOUT_TIMEOUT_SECONDS; the state's TimeoutSeconds is the same.
    const timeout = Duration.seconds(RESTART_STEP_TIMEOUT_SECONDS);
    super(scope, id, 'restart-workloads', { ...props, environment, timeout });
  }
}
