import { inject } from 'vitest';
import { mintEksToken } from '../../functions/adapters/eks-token.ts';
import type { IdentityName } from '../../testbed/identities.ts';
import * as admin from '../../testbed/kube-admin.ts';

export type { KubeResponse } from '../../testbed/kube-admin.ts';
export { uniqueName } from '../../testbed/kube-admin.ts';

/** Raw call to the test bed's kube-apiserver; the cluster CA is always verified. */
export function kube(token: string, method: string, path: string, body?: unknown, contentType?: string) {
  return admin.kubeRequest(inject('testbed'), token, method, path, body, contentType);
}

/** The static cluster-admin token, for setting tests up. */
export function adminToken(): string {
  return inject('testbed').cluster.adminToken;
}

/** A fresh EKS token for one of the test bed's identities, minted by the product's token code. */
export async function tokenFor(
  name: IdentityName,
  opts: { clusterName?: string; now?: Date; region?: string } = {},
): Promise<string> {
  const tb = inject('testbed');
  const minted = await mintEksToken({
    clusterName: opts.clusterName ?? tb.cluster.name,
    region: opts.region ?? tb.cluster.region,
    credentials: tb.identities[name].credentials,
    now: opts.now,
  });
  return minted.token;
}

/** Creates a namespace as admin and returns its name. */
export function createNamespace(prefix: string): Promise<string> {
  return admin.createNamespace(inject('testbed'), prefix);
}

/** Applies objects as admin (create, or replace when they exist). */
export function adminApply(objects: any[]): Promise<void> {
  return admin.adminApply(inject('testbed'), objects);
}
