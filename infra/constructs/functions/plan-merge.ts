import type { Construct } from 'constructs';
import { ENV, type FunctionEnvironment } from '../../../functions/runtime/env-contract.ts';
import type { DeletionPolicy, SecretType } from '../../../functions/domain/types.ts';
import { SyncFunction } from '../lambda-defaults.ts';
import { mappingFunctionDescription, type MappingFunctionProps } from './common.ts';

/** Props of {@link PlanMergeFunction}; every option left out keeps the function's default. */
export interface PlanMergeFunctionProps extends MappingFunctionProps {
  /**
   * Remove keys this tool wrote earlier that the source dropped.
   * @default false
   */
  readonly prune?: boolean;
  /**
   * The Kubernetes Secret's type.
   * @default Opaque
   */
  readonly secretType?: SecretType;
  /**
   * Labels to set on the Secret.
   * @default none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations to set on the Secret.
   * @default none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Workloads to restart after a change (`deployment/<name>`, ...).
   * @default none
   */
  readonly restart?: readonly string[];
  /**
   * What a deleted AWS secret does to the Secret.
   * @default 'retain'
   */
  readonly deletionPolicy?: DeletionPolicy;
  /**
   * Take over a Secret another controller owns (remove its ownerReferences, take the keys).
   * @default false
   */
  readonly adopt?: boolean;
}

/**
 * The plan-merge step of one mapping: pure planning from the fetched and the observed state. Its role holds
 * nothing but its log group: it neither opens nor seals a value.
 */
export class PlanMergeFunction extends SyncFunction<'plan-merge'> {
  constructor(scope: Construct, id: string, props: PlanMergeFunctionProps) {
    const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));
    const environment: FunctionEnvironment<'plan-merge'> = {
      [ENV.mappingId]: props.mappingId,
      [ENV.prune]: props.prune === undefined ? undefined : String(props.prune),
      [ENV.secretType]: props.secretType,
      [ENV.labels]: json(props.labels),
      [ENV.annotations]: json(props.annotations),
      [ENV.restartTargets]: json(props.restart),
      [ENV.deletionPolicy]: props.deletionPolicy,
      // Set only when on: a mapping without adoption keeps the environment (and template) it had.
      [ENV.adopt]: props.adopt === true ? 'true' : undefined,
    };
    super(scope, id, {
      name: 'plan-merge',
      environment,
      logRetention: props.logRetention,
      description: mappingFunctionDescription('plan-merge', props),
    });
  }
}
