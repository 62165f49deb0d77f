/**
 * The steps that call the Kubernetes API of the clusters of a mapping's targets with the mapping's sealed token:
 * read-secret, apply-secret and restart-workloads.
 */
import { Duration } from 'aws-cdk-lib';
import { RESTART_STEP_TIMEOUT_SECONDS } from '../../../functions/domain/rollout.ts';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import type { SecretType } from '../../../functions/domain/types.ts';
import type { FunctionVpcPlacement } from '../function-vpc.ts';
import type { KmsInterfaceEndpoint } from '../vpc-endpoints.ts';
import type { SealingFunctionProps } from './common.ts';
import { StepFunction } from './step-function.ts';

/** Props of a function that reaches the clusters of the mapping's targets (each from the state's Map item). */
export interface KubernetesFunctionProps extends SealingFunctionProps {
  /**
   * The API server URLs of the clusters of the mapping's targets (tokens allowed): the function refuses any other
   * endpoint its input names, so whoever may invoke it cannot point the mapping's token at another server.
   */
  readonly clusterEndpoints: readonly string[];
  /**
   * The Kubernetes identity (the mint-token role's ARN), named in error messages.
   * @default messages name no identity
   */
  readonly kubeIdentity?: string;
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
  return { ...connection(scope, props), ...identity(props) };
}

function connection(scope: Construct, props: KubernetesFunctionProps) {
  return {
    [ENV.mappingId]: props.mappingId,
    [ENV.sealKeyId]: props.sealKey.keyArn,
    [ENV.clusterEndpoints]: Stack.of(scope).toJsonString([...new Set(props.clusterEndpoints)]),
  };
}

/** The KMS endpoint URL of a function that calls KMS through a stack-made endpoint. */
function kmsEndpointEnv(props: KubernetesFunctionProps) {
  return { [ENV.kmsEndpointUrl]: props.kmsEndpoint?.url };
}

function identity(props: KubernetesFunctionProps) {
  return {
    [ENV.kubeIdentity]: props.kubeIdentity,
    [ENV.kubeTimeoutMs]: props.kubeTimeoutMs === undefined ? undefined : String(props.kubeTimeoutMs),
    ...kmsEndpointEnv(props),
  };
}

function secretAccess(
  scope: Construct,
  props: SecretAccessFunctionProps,
): FunctionEnvironment<'read-secret' | 'apply-secret'> {
  return {
    ...connection(scope, props),
    [ENV.secretType]: props.secretType,
    ...identity(props),
  };
}

/**
 * The read-secret step of one mapping: observes the Secret without its values. It opens the token and seals
 * what it read, so its role may decrypt this mapping's `secret-data` and `eks-token`.
 */
export class ReadSecretFunction extends StepFunction<'read-secret'> {
  constructor(scope: Construct, id: string, props: SecretAccessFunctionProps) {
    super(scope, id, 'read-secret', { ...props, environment: secretAccess(scope, props) });
  }
}

/**
 * The apply-secret step of one mapping: writes the planned Secret. It opens the sealed values and the token,
 * so its role may decrypt this mapping's `secret-data` and `eks-token`.
 */
export class ApplySecretFunction extends StepFunction<'apply-secret'> {
  constructor(scope: Construct, id: string, props: ApplySecretFunctionProps) {
    const environment = { ...secretAccess(scope, props), [ENV.metricNamespace]: props.metricNamespace };
    super(scope, id, 'apply-secret', { ...props, environment });
  }
}

/**
 * The restart-workloads step of a mapping with `restart`: patches the listed workloads' pod templates. It
 * opens the token only and never sees a value: its role may decrypt this mapping's `eks-token` alone.
 */
export class RestartWorkloadsFunction extends StepFunction<'restart-workloads'> {
  constructor(scope: Construct, id: string, props: RestartWorkloadsFunctionProps) {
    const environment: FunctionEnvironment<'restart-workloads'> = {
      ...connection(scope, props),
      ...identity(props),
      [ENV.restartTargets]: props.restart === undefined ? undefined : JSON.stringify(props.restart),
      [ENV.rolloutTimeoutSeconds]: props.rolloutTimeoutSeconds ? String(props.rolloutTimeoutSeconds) : undefined,
    };
    // Following the rollouts takes up to MAX_ROLLOUT_TIMEOUT_SECONDS; the state's TimeoutSeconds is the same.
    const timeout = Duration.seconds(RESTART_STEP_TIMEOUT_SECONDS);
    super(scope, id, 'restart-workloads', { ...props, environment, timeout });
  }
}
