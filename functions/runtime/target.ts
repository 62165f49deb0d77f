import type { NamespaceLocation, SecretLocation } from '../adapters/kube.ts';
import { clusterOf, type TargetRef } from '../domain/target.ts';
import { ENV } from './env-contract.ts';
import type { EnvWith } from './options.ts';

/** Who the Kubernetes calls are made as, for error messages (KUBE_IDENTITY). */
export function identityFrom(env: EnvWith<typeof ENV.kubeIdentity>): string {
  return env[ENV.kubeIdentity] ?? "the mapping's Kubernetes identity";
}

/**
 * The target's cluster and namespace, for a step that works beside the Secret rather than on it (the restart
 * of workloads): the cluster's endpoint and CA (base64 PEM, as EKS returns it) from the state's `clusters`.
 *
 * @throws InvalidInputError when the clusters do not name the target's cluster.
 */
export function namespaceOf(target: TargetRef, clusters: unknown): NamespaceLocation {
  const c = clusterOf(clusters, target);
  return { server: c.endpoint, caPem: Buffer.from(c.ca, 'base64').toString('utf8'), namespace: target.namespace };
}

/**
 * The target's Secret: {@link namespaceOf} and the Secret's name.
 *
 * @throws InvalidInputError when the clusters do not name the target's cluster.
 */
export function secretOf(target: TargetRef, clusters: unknown): SecretLocation {
  return { ...namespaceOf(target, clusters), name: target.secretName };
}
