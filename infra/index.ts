/**
 * The package's entry point (`import { EksSecretSync } from '@eks-secret-sync/cdk'`): the construct, its props
 * and the mapping types; the YAML app's stack and loader; the per-mapping and per-function constructs it is
 * built from; the RBAC objects each mapping needs applied in its cluster.
 */
export { EksSecretSync } from './constructs/eks-secret-sync.ts';
export { MAX_KEY_POLICY_BYTES, MAX_STACK_OUTPUTS, MAX_STACK_RESOURCES } from './constructs/stack-limits.ts';
export type { EksSecretSyncProps, MappingClusterProps, MappingProps } from './constructs/sync-props.ts';
export type { MappingVpc } from './model/config.ts';
export { EksSecretSyncStack, syncPropsOf, type EksSecretSyncStackProps } from './constructs/stack.ts';
export {
  loadMappings,
  parseMappings,
  MappingsError,
  type Mapping,
  type StackOptions,
  type SyncConfig,
} from './model/config.ts';
export { SecretMapping, type MappingFunctions, type SecretMappingProps } from './constructs/mapping.ts';
export { SyncFunction, type SyncFunctionProps } from './constructs/lambda-defaults.ts';
export { StepFunction, type StepFunctionProps } from './constructs/functions/step-function.ts';
export { FetchSecretFunction, type FetchSecretFunctionProps } from './constructs/functions/fetch-secret.ts';
export { KubernetesIdentity, type KubernetesIdentityProps } from './constructs/functions/identity.ts';
export {
  ApplySecretFunction,
  ReadSecretFunction,
  RestartWorkloadsFunction,
  type KubernetesFunctionProps,
  type RestartWorkloadsFunctionProps,
  type SecretAccessFunctionProps,
} from './constructs/functions/kubernetes.ts';
export { RedriveSyncFunction, type RedriveSyncFunctionProps } from './constructs/functions/redrive-sync.ts';
export type { MappingFunctionProps, SealingFunctionProps } from './constructs/functions/common.ts';
export type { DataShape, DataSource, DataSourceFields } from '../functions/domain/shape.ts';
export { accessManifests, kubernetesGroup, rbacManifests, rbacYaml, type RbacMapping } from './model/rbac.ts';
export { restartPolicyManifests, restartPolicyName } from './model/restart-policy.ts';
export {
  clusterKey,
  lookupNumbers,
  providerLogs,
  type LookupNumbers,
  type ProviderLogs,
} from './model/cluster-lookups.ts';
export { placeInVpc, type FunctionVpcPlacement } from './constructs/function-vpc.ts';
export { KMS_ENDPOINT_TAG, KmsInterfaceEndpoint, type KmsInterfaceEndpointProps } from './constructs/vpc-endpoints.ts';
export { ClusterAccessStack, type ClusterAccessStackProps } from './constructs/cluster-access.ts';
export {
  accessEntryCommand,
  clusterAccessStackName,
  remoteAccessEntries,
  type RemoteAccessEntry,
} from './model/cluster-env.ts';
