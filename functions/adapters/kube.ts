import { send as request } from './https.ts';
import type { EVENT_CALL_VERBS, SECRET_CALL_VERBS, WORKLOAD_CALL_VERBS } from '../domain/kube-verbs.ts';
import { assertTimeForAttempt, deadlineSignal, outOfTime } from './deadline.ts';
import { noDeadline, type TimeLeft } from '../domain/ports.ts';
import type { V1Secret, V1Status } from '@kubernetes/client-node';
import { MANAGER_NAME } from '../domain/metadata.ts';
import type { WorkloadStatusView } from '../domain/rollout.ts';
import {
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
 * restart), over the HTTPS primitive (https.ts). @kubernetes/client-node is used for its types
 * only: loading it costs ~200 ms of Lambda init (docs/decisions.md#no-kubernetesclient-node-in-the-lambdas).
 */
export interface SecretClient {
  /** The Secret, or null when it does not exist. */
  get(): Promise<V1Secret | null>;
  /** Server-side apply (creates the Secret; RBAC can name it, unlike POST). */
  apply(manifest: object, fieldManager: string, options?: { readonly force?: boolean }): Promise<V1Secret>;
  /** JSON merge patch; `metadata.resourceVersion` in the patch makes it conditional. */
  mergePatch(patch: object): Promise<V1Secret>;
  /**
   * DELETE with DeleteOptions (`preconditions.resourceVersion` makes it
   * conditional: 409 when the Secret changed). A Secret already gone counts
   * as deleted.
   */
  delete(options: object): Promise<void>;
}

// Every client method has its verbs in functions/domain/kube-verbs.ts (the Role is derived from them), and no more.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const secretVerbsCoverTheClient: Same<keyof typeof SECRET_CALL_VERBS, keyof SecretClient> = true;
const workloadVerbsCoverTheClient: Same<keyof typeof WORKLOAD_CALL_VERBS, keyof WorkloadClient> = true;
const eventVerbsCoverTheClient: Same<keyof typeof EVENT_CALL_VERBS, keyof EventClient> = true;
void [secretVerbsCoverTheClient, workloadVerbsCoverTheClient, eventVerbsCoverTheClient];

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

/** A request's deadline unless the caller gives one (the functions read KUBE_TIMEOUT_MS). */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The field manager of every merge patch: this tool's name. */
const MERGE_PATCH_QUERY = `?fieldManager=${encodeURIComponent(MANAGER_NAME)}`;

/** Builds a {@link SecretClient} for one Secret, authenticating with `token`. */
export function secretClient(
  loc: SecretLocation,
  token: string,
  identity: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  timeLeft: TimeLeft = noDeadline,
): SecretClient {
  const timing = { timeoutMs, timeLeft };
  const path = `/api/v1/namespaces/${encodeURIComponent(loc.namespace)}/secrets/${encodeURIComponent(loc.name)}`;
  const what = `Secret ${loc.namespace}/${loc.name}`;
  const call = async (verb: string, method: string, query: string, body?: object, contentType?: string) => {
    const res = await send(loc, token, timing, method, path + query, body, contentType);
    if (res.status >= 200 && res.status < 300) return secretBody(res.body, verb, what);
    throw statusError(res.status, res.body, res.retryAfter, { verb, what, identity });
  };
  return {
    get: async () => {
      const res = await send(loc, token, timing, 'GET', path);
      if (res.status === 404 && notFoundKind(res.body) === 'secrets') return null;
      if (res.status === 200) return secretBody(res.body, 'get', what);
      throw statusError(res.status, res.body, res.retryAfter, { verb: 'get', what, identity });
    },
    apply: (manifest, fieldManager, options) =>
      call(
        options?.force ? 'patch (server-side apply, force)' : 'create (server-side apply)',
        'PATCH',
        `?fieldManager=${encodeURIComponent(fieldManager)}${options?.force ? '&force=true' : ''}`,
        manifest,
        'application/apply-patch+yaml',
      ),
    // Named, so managedFields tell this tool's keys from another writer's (domain/metadata.ts isOurFieldManager).
    mergePatch: (patch) => call('patch', 'PATCH', MERGE_PATCH_QUERY, patch, 'application/merge-patch+json'),
    delete: async (options) => {
      const res = await send(loc, token, timing, 'DELETE', path, options);
      if ((res.status >= 200 && res.status < 300) || (res.status === 404 && notFoundKind(res.body) === 'secrets'))
        return;
      throw statusError(res.status, res.body, res.retryAfter, { verb: 'delete', what, identity });
    },
  };
}

/** A workload of the mapping's namespace (API group `apps`, v1). */
type WorkloadRef = { readonly kind: string; readonly resource: string; readonly name: string };

/**
 * The calls the restart step makes on one workload (API group `apps`, v1) in the mapping's namespace, which RBAC
 * allows by name: the strategic merge patch of the restart (`patch`) and the GET that follows the rollout (`get`).
 */
export interface WorkloadClient {
  /** @throws NotFoundError when the workload does not exist; the other errors of {@link statusError}. */
  strategicMergePatch(workload: WorkloadRef, patch: object): Promise<void>;
  /** The workload as the apiserver has it. @throws as {@link WorkloadClient.strategicMergePatch}. */
  status(workload: WorkloadRef): Promise<WorkloadStatusView>;
}

/** Builds a {@link WorkloadClient} for the workloads of one namespace, authenticating with `token`. */
export function workloadClient(
  loc: NamespaceLocation,
  token: string,
  identity: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  timeLeft: TimeLeft = noDeadline,
): WorkloadClient {
  const timing = { timeoutMs, timeLeft };
  const workloadPath = (w: WorkloadRef) =>
    `/apis/apps/v1/namespaces/${encodeURIComponent(loc.namespace)}/${w.resource}/${encodeURIComponent(w.name)}`;
  return {
    strategicMergePatch: async (w, patch) => {
      const res = await send(
        loc,
        token,
        timing,
        'PATCH',
        workloadPath(w),
        patch,
        'application/strategic-merge-patch+json',
      );
      if (res.status >= 200 && res.status < 300) return;
      throw statusError(res.status, res.body, res.retryAfter, {
        verb: 'patch',
        what: `${w.kind} ${loc.namespace}/${w.name}`,
        identity,
      });
    },
    status: async (w) => {
      const res = await send(loc, token, timing, 'GET', workloadPath(w));
      if (res.status === 200) return JSON.parse(res.body) as WorkloadStatusView;
      throw statusError(res.status, res.body, res.retryAfter, {
        verb: 'get',
        what: `${w.kind} ${loc.namespace}/${w.name}`,
        identity,
      });
    },
  };
}

/** The Events of one namespace: the failure report's one call (`failureEvents`). */
export interface EventClient {
  /** POST a core/v1 Event. @throws the errors of {@link statusError}. */
  create(event: { readonly metadata: { readonly name: string } }): Promise<void>;
}

/** Builds an {@link EventClient} for one namespace, authenticating with `token`. */
export function eventClient(
  loc: NamespaceLocation,
  token: string,
  identity: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  timeLeft: TimeLeft = noDeadline,
): EventClient {
  const timing = { timeoutMs, timeLeft };
  const path = `/api/v1/namespaces/${encodeURIComponent(loc.namespace)}/events`;
  return {
    create: async (event) => {
      const res = await send(loc, token, timing, 'POST', path, event);
      if (res.status >= 200 && res.status < 300) return;
      throw statusError(res.status, res.body, res.retryAfter, {
        verb: 'create',
        what: `Event ${loc.namespace}/${event.metadata.name}`,
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

/**
 * One request, bounded twice: the apiserver's idle timeout (KUBE_TIMEOUT_MS), and the invocation's time left,
 * which also aborts a request in flight.
 */
async function send(
  loc: Pick<NamespaceLocation, 'server' | 'caPem'>,
  token: string,
  timing: { readonly timeoutMs: number; readonly timeLeft: TimeLeft },
  method: string,
  path: string,
  body?: object,
  contentType?: string,
): Promise<RawResponse> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
  if (body) headers['content-type'] = contentType ?? 'application/json';
  const url = new URL(path, loc.server);
  const action = `${method} ${url.pathname}`;
  const left = assertTimeForAttempt(timing.timeLeft, action);
  try {
    const payload = body && JSON.stringify(body);
    const answer = await request({
      method,
      url,
      headers,
      body: payload,
      ca: loc.caPem,
      idleTimeoutMs: Math.min(timing.timeoutMs, left),
      signal: deadlineSignal(timing.timeLeft),
    });
    const retryAfter = answer.headers['retry-after'];
    return { status: answer.status, body: answer.body, ...(retryAfter !== undefined && { retryAfter }) };
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw outOfTime(`request to ${loc.server}`);
    throw networkError(e as Error & { code?: string }, loc.server);
  }
}

/** Network failures are transient, except a certificate the cluster CA does not verify. */
function networkError(e: Error & { code?: string }, server: string): SyncError {
  const code = e.code ?? 'unknown';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new InvalidInputError(`TLS verification of ${server} failed (${code}): check the mapping's cluster CA`);
  }
  return new TransientError(`request to ${server} failed (${code})`);
}

/**
 * A Secret from a successful answer's body.
 *
 * @throws TransientError when it is not JSON, without quoting it (JSON.parse's own message quotes the input, and a
 *   Secret body holds values).
 */
function secretBody(body: string, verb: string, what: string): V1Secret {
  try {
    return JSON.parse(body) as V1Secret;
  } catch {
    throw new TransientError(
      `the apiserver answered ${verb} ${what} with a body that is not JSON (${body.length} bytes)`,
    );
  }
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
 * RBAC's denial as the apiserver words it; its parts are identifiers (kind,
 * name, user, verb, resource, group, namespace), so a denial in this form is
 * rebuilt from them. Any other 403 (an admission policy or webhook, another
 * authorizer) carries free text that may hold anything: it is not copied.
 */
const RBAC_DENIAL = new RegExp(
  /^([a-z0-9.-]{1,63}) "([-.a-zA-Z0-9]{1,253})" is forbidden: /.source +
    /User "([^"\n]{1,512})" cannot ([a-z]{1,32}) resource "([a-z0-9.-]{1,63})"/.source +
    /(?: in API group "([a-z0-9.-]{0,253})")?(?: in the namespace "([a-z0-9-]{1,63})")?/.source,
);

/** What a 403 says, from its structure only. */
function forbiddenBecause(s: Partial<V1Status>): string {
  const m = RBAC_DENIAL.exec(s.message ?? '');
  if (!m) {
    const reason = s.reason ?? 'Forbidden';
    return `403 ${reason}, refused by admission control or another authorizer (its message is not copied)`;
  }
  const [, kind, name, user, verb, resource, group, namespace] = m;
  return (
    `${kind} "${name}" is forbidden: User "${user}" cannot ${verb} resource "${resource}"` +
    `${group !== undefined ? ` in API group "${group}"` : ''}${namespace ? ` in the namespace "${namespace}"` : ''}`
  );
}

/** What a 404 says, from its structure only: the kind (with its API group) and name of what is missing. */
function notFoundBecause(s: Partial<V1Status>): string {
  const { kind, group, name } = s.details ?? {};
  const ok = (x: unknown, re: RegExp): x is string => typeof x === 'string' && re.test(x);
  if (!ok(kind, /^[a-z0-9.-]{1,63}$/) || !ok(name, /^[-.a-zA-Z0-9]{1,253}$/)) return `404 ${s.reason ?? 'NotFound'}`;
  // As the apiserver words it: `deployments.apps "api" not found`, `namespaces "ns" not found`.
  return `${kind}${ok(group, /^[a-z0-9.-]{1,253}$/) ? `.${group}` : ''} "${name}" not found`;
}

/**
 * Translates a Kubernetes Status answer into the error contract. Nothing of
 * the body's free text is copied (an admission webhook's message can hold
 * anything): a 403 keeps RBAC's denial rebuilt from its identifiers, a 404
 * the missing object's kind and name, a 422 only the failing field paths,
 * every other answer its code and reason.
 */
export function statusError(
  status: number,
  body: string,
  retryAfter: string | undefined,
  ctx: { verb: string; what: string; identity: string },
): SyncError {
  const s = parseStatus(body);
  switch (status) {
    case 401:
      return new UnauthorizedError(
        `the cluster refused the bearer token of ${ctx.identity} (401): it expired, it was minted for another ` +
          `cluster name (an EKS token is valid only on the cluster whose name it was signed for: check the ` +
          `mapping's cluster.name), or no access entry maps the identity`,
      );
    case 403:
      return new PermissionDeniedError(`${ctx.identity} may not ${ctx.verb} ${ctx.what}: ${forbiddenBecause(s)}`);
    case 404:
      return new NotFoundError(`cannot ${ctx.verb} ${ctx.what}: ${notFoundBecause(s)}`);
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
