import { request } from 'node:https';
import type { V1Secret, V1Status } from '@kubernetes/client-node';
import {
  ConfigError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  TransientError,
  UnauthorizedError,
  type SyncError,
} from '../domain/errors.ts';

/**
 * The narrow Kubernetes client of the pipeline: the three calls it makes on
 * one Secret (and, in {@link WorkloadClient}, the one on the workloads to
 * restart), over node:https. @kubernetes/client-node is used for its types
 * only: loading it costs ~200 ms of Lambda init (docs/decisions.md#no-kubernetesclient-node-in-the-lambdas).
 */
export interface SecretClient {
  /** The Secret, or null when it does not exist. */
  get(): Promise<V1Secret | null>;
  /** Server-side apply (creates the Secret; RBAC can name it, unlike POST). */
  apply(manifest: object, fieldManager: string): Promise<V1Secret>;
  /** JSON merge patch; `metadata.resourceVersion` in the patch makes it conditional. */
  mergePatch(patch: object): Promise<V1Secret>;
  /**
   * DELETE with DeleteOptions (`preconditions.resourceVersion` makes it
   * conditional: 409 when the Secret changed). A Secret already gone counts
   * as deleted.
   */
  delete(options: object): Promise<void>;
}

/** How to reach the cluster, and the mapping's namespace. */
export interface NamespaceLocation {
  /** https URL of the kube-apiserver. */
  readonly server: string;
  /** PEM of the cluster CA (EKS `certificateAuthority.data`, base64-decoded). */
  readonly caPem: string;
  readonly namespace: string;
}

/** Where the Secret lives and how to reach the cluster. */
export interface SecretLocation extends NamespaceLocation {
  readonly name: string;
}

/**
 * How long one Kubernetes request may take before it counts as a (transient)
 * timeout: KUBE_TIMEOUT_MS, default 10 s. Read once at init. Keep it well
 * under the task's TimeoutSeconds (30) so the state machine's retries, not
 * States.Timeout, handle a hung apiserver.
 *
 * @throws ConfigError when it is set but not an integer from 100 to 25000.
 */
export function kubeTimeoutFromEnv(value = process.env.KUBE_TIMEOUT_MS): number {
  if (value === undefined || value === '') return 10_000;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100 || ms > 25_000) {
    throw new ConfigError(
      `KUBE_TIMEOUT_MS must be an integer number of milliseconds from 100 to 25000, not ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

const TIMEOUT_MS = kubeTimeoutFromEnv();

/** Builds a {@link SecretClient} for one Secret, authenticating with `token`. */
export function secretClient(loc: SecretLocation, token: string, identity: string): SecretClient {
  const path = `/api/v1/namespaces/${encodeURIComponent(loc.namespace)}/secrets/${encodeURIComponent(loc.name)}`;
  const what = `Secret ${loc.namespace}/${loc.name}`;
  const call = async (verb: string, method: string, query: string, body?: object, contentType?: string) => {
    const res = await send(loc, token, method, path + query, body, contentType);
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.body) as V1Secret;
    throw statusError(res.status, res.body, res.retryAfter, { verb, what, identity });
  };
  return {
    get: async () => {
      const res = await send(loc, token, 'GET', path);
      if (res.status === 404 && notFoundKind(res.body) === 'secrets') return null;
      if (res.status === 200) return JSON.parse(res.body) as V1Secret;
      throw statusError(res.status, res.body, res.retryAfter, { verb: 'get', what, identity });
    },
    apply: (manifest, fieldManager) =>
      call(
        'create (server-side apply)',
        'PATCH',
        `?fieldManager=${encodeURIComponent(fieldManager)}`,
        manifest,
        'application/apply-patch+yaml',
      ),
    mergePatch: (patch) => call('patch', 'PATCH', '', patch, 'application/merge-patch+json'),
    delete: async (options) => {
      const res = await send(loc, token, 'DELETE', path, options);
      if ((res.status >= 200 && res.status < 300) || (res.status === 404 && notFoundKind(res.body) === 'secrets'))
        return;
      throw statusError(res.status, res.body, res.retryAfter, { verb: 'delete', what, identity });
    },
  };
}

/**
 * The one call the restart step makes: a strategic merge patch of one
 * workload (API group `apps`, v1) in the mapping's namespace, which RBAC
 * allows by name with the verb `patch` alone.
 */
export interface WorkloadClient {
  /** @throws NotFoundError when the workload does not exist; the other errors of {@link statusError}. */
  strategicMergePatch(
    workload: { readonly kind: string; readonly resource: string; readonly name: string },
    patch: object,
  ): Promise<void>;
}

/** Builds a {@link WorkloadClient} for the workloads of one namespace, authenticating with `token`. */
export function workloadClient(loc: NamespaceLocation, token: string, identity: string): WorkloadClient {
  return {
    strategicMergePatch: async (w, patch) => {
      const path = `/apis/apps/v1/namespaces/${encodeURIComponent(loc.namespace)}/${w.resource}/${encodeURIComponent(w.name)}`;
      const res = await send(loc, token, 'PATCH', path, patch, 'application/strategic-merge-patch+json');
      if (res.status >= 200 && res.status < 300) return;
      throw statusError(res.status, res.body, res.retryAfter, {
        verb: 'patch',
        what: `${w.kind} ${loc.namespace}/${w.name}`,
        identity,
      });
    },
  };
}

interface RawResponse {
  status: number;
  body: string;
  retryAfter?: string;
}

function send(
  loc: Pick<NamespaceLocation, 'server' | 'caPem'>,
  token: string,
  method: string,
  path: string,
  body?: object,
  contentType?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
    const payload = body ? JSON.stringify(body) : undefined;
    if (payload !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      // Explicit length, never chunked: the apiserver may answer a DELETE without reading a chunked body,
      // which leaves its bytes on the kept-alive connection and breaks the next request (400).
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const req = request(new URL(path, loc.server), { method, ca: loc.caPem, headers, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(networkError(e, loc.server)));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          retryAfter: res.headers['retry-after'],
        }),
      );
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(networkError(e, loc.server)));
    req.end(payload);
  });
}

/** Network failures are transient, except a certificate the cluster CA does not verify. */
function networkError(e: Error & { code?: string }, server: string): SyncError {
  const code = e.code ?? 'unknown';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new InvalidInputError(`TLS verification of ${server} failed (${code}): check the mapping's cluster CA`);
  }
  return new TransientError(`request to ${server} failed (${code})`);
}

function parseStatus(body: string): Partial<V1Status> {
  try {
    const s = JSON.parse(body) as V1Status;
    return s && s.kind === 'Status' ? s : {};
  } catch {
    return {};
  }
}

function notFoundKind(body: string): string | undefined {
  return parseStatus(body).details?.kind;
}

/**
 * Translates a Kubernetes Status answer into the error contract. The
 * apiserver's messages name user, verb and resource but never data values;
 * for 422 only the failing field paths are kept.
 */
export function statusError(
  status: number,
  body: string,
  retryAfter: string | undefined,
  ctx: { verb: string; what: string; identity: string },
): SyncError {
  const s = parseStatus(body);
  const msg = s.message ?? `HTTP ${status}`;
  switch (status) {
    case 401:
      return new UnauthorizedError(
        `the cluster refused the bearer token of ${ctx.identity} (401): it expired or the access entry is missing`,
      );
    case 403:
      return new PermissionDeniedError(`${ctx.identity} may not ${ctx.verb} ${ctx.what}: ${msg}`);
    case 404:
      return new NotFoundError(`cannot ${ctx.verb} ${ctx.what}: ${msg}`);
    case 409:
      return new ConflictError(`${ctx.what} changed between read and write (409 ${s.reason ?? 'Conflict'})`);
    case 422: {
      const fields = (s.details?.causes ?? []).map((c) => c.field).filter(Boolean);
      return new InvalidInputError(
        `the apiserver refused ${ctx.what} (422 Invalid) at ${fields.join(', ') || 'unknown fields'}`,
      );
    }
    case 429:
      return new TransientError(
        `the apiserver throttled ${ctx.verb} ${ctx.what} (429, Retry-After ${retryAfter ?? 'unset'})`,
      );
    default:
      if (status >= 500)
        return new TransientError(`the apiserver failed ${ctx.verb} ${ctx.what} (${status} ${s.reason ?? ''})`.trim());
      return new InvalidInputError(`unexpected answer to ${ctx.verb} ${ctx.what}: ${status} ${s.reason ?? ''}`.trim());
  }
}
