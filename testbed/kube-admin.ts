import { readFileSync } from 'node:fs';
import { httpsRequest } from './https.ts';
import type { TestbedDetails } from './testbed.ts';

/** A parsed apiserver answer: HTTP status and the JSON body (a Status on errors). */
export interface KubeResponse {
  readonly status: number;
  readonly body: any;
}

/** Raw call to the test bed's kube-apiserver with `token`; the cluster CA is always verified. */
export async function kubeRequest(
  details: TestbedDetails,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeResponse> {
  const res = await httpsRequest(`${details.cluster.server}${path}`, {
    ca: readFileSync(details.cluster.caFile),
    bearerToken: token,
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    contentType,
  });
  let parsed: unknown = res.body;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    // watch streams and plain-text errors stay text
  }
  return { status: res.status, body: parsed };
}

/** A unique DNS-1123 name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Creates a namespace as the test bed's admin and returns its name. */
export async function createNamespace(details: TestbedDetails, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const r = await kubeRequest(details, details.cluster.adminToken, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (r.status !== 201) throw new Error(`create namespace ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return name;
}

/** Applies objects as admin (create, or replace when they exist). */
export async function adminApply(details: TestbedDetails, objects: any[]): Promise<void> {
  const admin = details.cluster.adminToken;
  for (const o of objects) {
    const base = collectionPath(o);
    const r = await kubeRequest(details, admin, 'POST', base, o);
    if (r.status === 409) {
      const cur = await kubeRequest(details, admin, 'GET', `${base}/${o.metadata.name}`);
      const put = await kubeRequest(details, admin, 'PUT', `${base}/${o.metadata.name}`, {
        ...o,
        metadata: { ...o.metadata, resourceVersion: cur.body.metadata.resourceVersion },
      });
      if (put.status !== 200)
        throw new Error(`replace ${o.kind} ${o.metadata.name}: ${put.status} ${JSON.stringify(put.body)}`);
    } else if (r.status !== 201) {
      throw new Error(`create ${o.kind} ${o.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
  await awaitRbac(details, objects);
}

/**
 * Waits until the RBAC authorizer grants what the applied Roles bind: it reads
 * Roles and RoleBindings from an informer cache, so a request right after the
 * write may still be denied (seen in CI under load: a 403 where the new Role
 * allowed the call). A SubjectAccessReview asks that same authorizer.
 */
async function awaitRbac(details: TestbedDetails, objects: any[], timeoutMs = 20_000): Promise<void> {
  const roles = new Map(
    objects.filter((o) => o.kind === 'Role').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]),
  );
  const probes = objects
    .filter((o) => o.kind === 'RoleBinding' && o.roleRef?.kind === 'Role')
    .flatMap((b) => {
      const role = roles.get(`${b.metadata.namespace}/${b.roleRef.name}`);
      const groups = (b.subjects ?? []).filter((s: any) => s.kind === 'Group').map((s: any) => s.name);
      const users = (b.subjects ?? []).filter((s: any) => s.kind === 'User').map((s: any) => s.name);
      if (!role || groups.length + users.length === 0) return [];
      return (role.rules ?? []).flatMap((rule: any) =>
        (rule.verbs as string[]).map((verb) => ({
          user: users[0] ?? 'testbed:rbac-probe',
          groups,
          resourceAttributes: {
            namespace: b.metadata.namespace,
            verb,
            group: rule.apiGroups?.[0] ?? '',
            resource: rule.resources?.[0],
            name: rule.resourceNames?.[0],
          },
        })),
      );
    });
  const deadline = Date.now() + timeoutMs;
  for (const spec of probes) {
    for (;;) {
      const r = await kubeRequest(
        details,
        details.cluster.adminToken,
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec,
        },
      );
      if (r.status !== 201) throw new Error(`SubjectAccessReview: ${r.status} ${JSON.stringify(r.body)}`);
      if (r.body.status?.allowed === true) break;
      if (Date.now() > deadline) throw new Error(`RBAC not effective after ${timeoutMs} ms: ${JSON.stringify(spec)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function collectionPath(o: any): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const plural = `${o.kind.toLowerCase()}s`.replace(/ys$/, 'ies');
  const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${prefix}${ns}/${plural}`;
}
