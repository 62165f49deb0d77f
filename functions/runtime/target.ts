import type { NamespaceLocation, SecretLocation } from '../adapters/kube.ts';
import { ConfigError, InvalidInputError } from '../domain/errors.ts';
import { clusterOf, type TargetRef } from '../domain/target.ts';
import { ENV } from './env-contract.ts';
import type { EnvWith } from './options.ts';

/** Who the Kubernetes calls are made as, for error messages (KUBE_IDENTITY). */
export function identityFrom(env: EnvWith<typeof ENV.kubeIdentity>): string {
  return env[ENV.kubeIdentity] ?? "the mapping's Kubernetes identity";
}

/** The API server URLs the function may send the mapping's token to, and the mapping they belong to. */
export interface AllowedEndpoints {
  readonly mappingId: string;
  readonly endpoints: readonly string[];
}

/**
 * The mapping's cluster endpoints (CLUSTER_ENDPOINTS, a JSON array of `https://` URLs).
 *
 * @throws ConfigError naming the variable when it is missing or not such an array.
 */
export function allowedEndpointsFrom(
  env: EnvWith<typeof ENV.clusterEndpoints | typeof ENV.mappingId>,
): AllowedEndpoints {
  const raw = env[ENV.clusterEndpoints];
  let value: unknown;
  try {
    value = JSON.parse(raw ?? '');
  } catch {
    value = undefined;
  }
  const ok =
    Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.startsWith('https://'));
  if (!ok) {
    throw new ConfigError(
      `environment variable ${ENV.clusterEndpoints} must be a non-empty JSON array of the mapping's cluster ` +
        'endpoints (https:// URLs); redeploy the stack',
    );
  }
  return { mappingId: env[ENV.mappingId] ?? '?', endpoints: value as string[] };
}

/**
 * The target's cluster and namespace, for a step that works beside the Secret rather than on it (the restart
 * of workloads): the cluster's endpoint and CA (base64 PEM, as EKS returns it) from the state's `clusters`. The
 * endpoint must be one of the mapping's (`allowed`, from the function's environment): the input cannot send the
 * mapping's token to another server.
 *
 * @throws InvalidInputError when the clusters do not name the target's cluster, or name an endpoint not allowed.
 */
export function namespaceOf(target: TargetRef, clusters: unknown, allowed: AllowedEndpoints): NamespaceLocation {
  const c = clusterOf(clusters, target);
  if (!allowed.endpoints.includes(c.endpoint)) {
    throw new InvalidInputError(
      `target ${target.name}: the endpoint ${c.endpoint} of cluster ${target.cluster} is not one of mapping ` +
        `${allowed.mappingId}'s cluster endpoints (${ENV.clusterEndpoints}); the token is not sent. The input was ` +
        "not made by the mapping's state machine, or the functions and the definition come from different " +
        'deployments: redeploy the stack',
    );
  }
  return { server: c.endpoint, caPem: Buffer.from(c.ca, 'base64').toString('utf8'), namespace: target.namespace };
}

/**
 * The target's Secret: {@link namespaceOf} and the Secret's name.
 *
 * @throws InvalidInputError when the clusters do not name the target's cluster, or name an endpoint not allowed.
 */
export function secretOf(target: TargetRef, clusters: unknown, allowed: AllowedEndpoints): SecretLocation {
  return { ...namespaceOf(target, clusters, allowed), name: target.secretName };
}
