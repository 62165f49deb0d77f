import type { NamespaceLocation, SecretLocation } from '../adapters/kube.ts';
import { ENV } from './env-contract.ts';
import type { EnvWith } from './options.ts';

/** The variables of {@link namespaceFrom}. */
type NamespaceEnv = {
  readonly [ENV.clusterEndpoint]: string;
  readonly [ENV.clusterCa]: string;
  readonly [ENV.namespace]: string;
} & EnvWith<typeof ENV.kubeIdentity>;

/**
 * The mapping's cluster and namespace, for a step that works beside the
 * Secret rather than on it (the restart of workloads): CLUSTER_ENDPOINT,
 * CLUSTER_CA (base64 PEM, as EKS returns it) and NAMESPACE. KUBE_IDENTITY
 * names the identity in error messages.
 */
export function namespaceFrom(env: NamespaceEnv): { location: NamespaceLocation; identity: string } {
  return {
    location: {
      server: env[ENV.clusterEndpoint],
      caPem: Buffer.from(env[ENV.clusterCa], 'base64').toString('utf8'),
      namespace: env[ENV.namespace],
    },
    identity: env[ENV.kubeIdentity] ?? "the mapping's Kubernetes identity",
  };
}

/** The mapping's Kubernetes target: {@link namespaceFrom} and the Secret's name, SECRET_NAME. */
export function targetFrom(env: NamespaceEnv & { readonly [ENV.secretName]: string }): {
  location: SecretLocation;
  identity: string;
} {
  const { location, identity } = namespaceFrom(env);
  return { location: { ...location, name: env[ENV.secretName] }, identity };
}
