/**
 * The package's entry point (`import { EksSecretSync } from '@eks-secret-sync/cdk'`): the construct, its props
 * and the mapping types; the YAML app's stack and loader; the per-mapping and per-function constructs it is
 * built from; the RBAC objects each mapping needs applied in its cluster.
 */
export { EksSecretSync } from './eks-secret-sync.ts';
export { MAX_KEY_POLICY_BYTES, MAX_STACK_OUTPUTS, MAX_STACK_RESOURCES } from './stack-limits.ts';
export type { EksSecretSyncProps, MappingClusterProps, MappingProps } from './sync-props.ts';
export type { MappingVpc } from './config.ts';
export { EksSecretSyncStack, syncPropsOf, type EksSecretSyncStackProps } from './stack.ts';
export {
  loadMappings,
  parseMappings,
  MappingsError,
  type Mapping,
  type StackOptions,
  type SyncConfig,
} from './config.ts';
export { SecretMapping, type MappingFunctions, type SecretMappingProps } from './mapping.ts';
export { SyncFunction, type SyncFunctionProps } from './lambda-defaults.ts';
export { FetchSecretFunction, type FetchSecretFunctionProps } from './functions/fetch-secret.ts';
export { MintTokenFunction, type MintTokenFunctionProps } from './functions/mint-token.ts';
export { PlanMergeFunction, type PlanMergeFunctionProps } from './functions/plan-merge.ts';
export {
  ApplySecretFunction,
  ReadSecretFunction,
  RestartWorkloadsFunction,
  type KubernetesFunctionProps,
  type RestartWorkloadsFunctionProps,
  type SecretAccessFunctionProps,
} from './functions/kubernetes.ts';
export { RedriveSyncFunction, type RedriveSyncFunctionProps } from './functions/redrive-sync.ts';
export type { MappingFunctionProps, SealingFunctionProps } from './functions/common.ts';
export type { DataShape, DataSource, DataSourceFields } from '../functions/domain/shape.ts';
export { accessManifests, kubernetesGroup, rbacManifests, rbacYaml, type RbacMapping } from './rbac.ts';
export { restartPolicyManifests, restartPolicyName } from './restart-policy.ts';
export { placeInVpc, type FunctionVpcPlacement } from './function-vpc.ts';
export { KMS_ENDPOINT_TAG, KmsInterfaceEndpoint, type KmsInterfaceEndpointProps } from './vpc-endpoints.ts';
