/**
 * A step's function as the step table's row makes it: the Lambda with the project's defaults, its role granted
 * exactly the row's seal purposes, and (when the row's step calls an API server, `inVpc`) placed in the mapping's
 * VPC and admitted by its KMS endpoint. A step whose function needs nothing but its environment is this class in
 * its `STEP_FUNCTIONS` entry (infra/constructs/functions/steps.ts), with no construct file of its own; the step
 * constructs of this folder are this class with their props.
 */
import type { Duration } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { stepOfKind, type StepKind } from '../../../functions/domain/sync-steps.ts';
import type { FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import { type FunctionVpcPlacement, placeInVpc } from '../function-vpc.ts';
import { SyncFunction } from '../lambda-defaults.ts';
import type { KmsInterfaceEndpoint } from '../vpc-endpoints.ts';
import { grantStepSeals, mappingFunctionDescription, type SealingFunctionProps } from './common.ts';

/** Props of a {@link StepFunction} of kind `K`. */
export interface StepFunctionProps<K extends StepKind> extends SealingFunctionProps {
  /** The function's environment, by the names of its contract (functions/runtime/env-contract.ts). */
  readonly environment: FunctionEnvironment<K>;
  /**
   * Run in these subnets with these security groups (only a row with `inVpc`).
   * @default outside any VPC
   */
  readonly vpc?: FunctionVpcPlacement;
  /**
   * Call KMS through this interface endpoint of the VPC (only a row with `inVpc`).
   * @default KMS's regional endpoint
   */
  readonly kmsEndpoint?: KmsInterfaceEndpoint;
  /**
   * The function's timeout.
   * @default the Lambda defaults' (30 seconds)
   */
  readonly timeout?: Duration;
  /**
   * The execution role, when the function shares one (the Kubernetes steps share the mapping's identity).
   * @default a role of the function's own
   */
  readonly role?: Role;
}

/** The function of the step of kind `K`, made from its row of the step table. */
export class StepFunction<K extends StepKind> extends SyncFunction<K> {
  constructor(scope: Construct, id: string, kind: K, props: StepFunctionProps<K>) {
    super(scope, id, {
      name: kind,
      environment: props.environment,
      logRetention: props.logRetention,
      description: mappingFunctionDescription(kind, props),
      ...(props.timeout !== undefined && { timeout: props.timeout }),
      ...(props.role !== undefined && { role: props.role }),
    });
    const step = stepOfKind(kind);
    grantStepSeals(props.sealKey, this.role, props.mappingId, step);
    if (!step.inVpc) return;
    if (props.vpc !== undefined) placeInVpc(this, props.vpc);
    props.kmsEndpoint?.admit(this.role);
  }
}
