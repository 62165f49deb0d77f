import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { mintEksToken } from '../../functions/shared/eks-token.ts';
import { httpsRequest } from '../../testbed/https.ts';
import type { IdentityName } from '../../testbed/identities.ts';

/** A parsed apiserver answer: HTTP status and the JSON body (a Status on errors). */
export interface KubeResponse {
  readonly status: number;
  readonly body: any;
}

/** Raw call to the test bed's kube-apiserver; the cluster CA is always verified. */
export async function kube(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeResponse> {
  const tb = inject('testbed');
  const res = await httpsRequest(`${tb.cluster.server}${path}`, {
    ca: readFileSync(tb.cluster.caFile),
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

/** The static cluster-admin token, for setting tests up. */
export function adminToken(): string {
  return inject('testbed').cluster.adminToken;
}

/** A fresh EKS token for one of the test bed's identities, minted by the product's token code. */
export async function tokenFor(name: IdentityName, opts: { clusterName?: string; now?: Date } = {}): Promise<string> {
  const tb = inject('testbed');
  const minted = await mintEksToken({
    clusterName: opts.clusterName ?? tb.cluster.name,
    region: tb.cluster.region,
    credentials: tb.identities[name].credentials,
    now: opts.now,
  });
  return minted.token;
}

/** A unique DNS-1123 name for this test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Creates a namespace as admin and returns its name. */
export async function createNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const r = await kube(adminToken(), 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status !== 201) throw new Error(`create namespace ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return name;
}

/** Applies objects as admin (create, or replace when they exist). */
export async function adminApply(objects: any[]): Promise<void> {
  for (const o of objects) {
    const base = collectionPath(o);
    const r = await kube(adminToken(), 'POST', base, o);
    if (r.status === 409) {
      const cur = await kube(adminToken(), 'GET', `${base}/${o.metadata.name}`);
      const put = await kube(adminToken(), 'PUT', `${base}/${o.metadata.name}`, {
        ...o,
        metadata: { ...o.metadata, resourceVersion: cur.body.metadata.resourceVersion },
      });
      if (put.status !== 200) throw new Error(`replace ${o.kind} ${o.metadata.name}: ${put.status} ${JSON.stringify(put.body)}`);
    } else if (r.status !== 201) {
      throw new Error(`create ${o.kind} ${o.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
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
