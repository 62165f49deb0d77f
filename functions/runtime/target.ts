import type { NamespaceLocation, SecretLocation } from '../adapters/kube.ts';
import { requireEnv } from './env.ts';

/**
 * The mapping's Kubernetes target from the environment the CDK stack sets:
 * CLUSTER_ENDPOINT, CLUSTER_CA (base64 PEM, as EKS returns it), NAMESPACE,
 * SECRET_NAME. KUBE_IDENTITY names the identity in error messages.
 *
 * @throws ConfigError when a variable is missing.
 */
export function targetFromEnv(): { location: SecretLocation; identity: string } {
  const { location, identity } = namespaceFromEnv();
  return { location: { ...location, name: requireEnv('SECRET_NAME') }, identity };
}

/**
 * The mapping's cluster and namespace, for a step that works beside the
 * Secret rather than on it (the restart of workloads): CLUSTER_ENDPOINT,
 * CLUSTER_CA and NAMESPACE, as in {@link targetFromEnv}.
 *
 * @throws ConfigError when a variable is missing.
 */
export function namespaceFromEnv(): { location: NamespaceLocation; identity: string } {
  return {
    location: {
      server: requireEnv('CLUSTER_ENDPOINT'),
      caPem: Buffer.from(requireEnv('CLUSTER_CA'), 'base64').toString('utf8'),
      namespace: requireEnv('NAMESPACE'),
    },
    identity: process.env.KUBE_IDENTITY ?? "the mapping's Kubernetes identity",
  };
}
