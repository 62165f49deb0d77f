/**
 * What `status` reads for one mapping: the current version at its source (through the source port; metadata only:
 * it never reads the value), the source version annotated on the Kubernetes Secret, and the verdict comparing them.
 */
import type { MappingTarget as Mapping } from '../../infra/model/targets.ts';
import type { SourceCurrent } from '../../functions/domain/source.ts';
import { openSource } from '../../functions/sources/open.ts';
import { ANNOTATIONS } from '../../functions/domain/metadata.ts';
import type { AwsSession } from './aws.ts';
import { resolveKubeTarget, type KubeconfigFlags } from './cluster.ts';
import { kubeCall, kubeError } from './kube-http.ts';

/** The AWS side: AWSCURRENT's version and creation date, and a pending deletion. */
export type AwsSide = SourceCurrent;

/** The Kubernetes side: what the Secret's annotations record. */
export interface SecretSide {
  readonly exists: boolean;
  readonly sourceArn?: string;
  readonly versionId?: string;
  readonly createdDate?: string;
  readonly syncedAt?: string;
  readonly resourceVersion?: string;
}

/** The verdict of one mapping. Only `in-sync` needs nothing; `unknown` means a side could not be read. */
export type SyncState =
  | 'in-sync'
  | 'out-of-sync'
  | 'not-synced'
  | 'not-managed'
  | 'other-source'
  | 'secret-deleted'
  | 'unknown';

/**
 * Reads the current version at the mapping's source (Secrets Manager: DescribeSecret and ListSecretVersionIds): the
 * one carrying the staging label the mapping follows (`label`, default AWSCURRENT).
 *
 * @throws SyncError from the source's call (awsError).
 */
export async function readAwsSide(m: Mapping, aws: AwsSession): Promise<AwsSide> {
  const { source, close } = openSource(m.source, await aws.config());
  try {
    return await source.current(m.secretArn, m.label);
  } finally {
    close();
  }
}

/**
 * Reads the Secret's annotations (get on the Secret).
 *
 * @throws Error naming the identity when the cluster refuses.
 */
export async function readSecretSide(m: Mapping, aws: AwsSession, flags: KubeconfigFlags): Promise<SecretSide> {
  const target = await resolveKubeTarget(m.cluster, aws, flags);
  const path = `/api/v1/namespaces/${encodeURIComponent(m.namespace)}/secrets/${encodeURIComponent(m.secretName)}`;
  const answer = await kubeCall(target, 'GET', path);
  if (answer.status === 404 && answer.body?.details?.kind === 'secrets') return { exists: false };
  if (answer.status !== 200) throw kubeError(answer, target, `get Secret ${m.namespace}/${m.secretName}`);
  const a: Record<string, string> = answer.body?.metadata?.annotations ?? {};
  const pick = (name: string) => (typeof a[name] === 'string' && a[name] !== '' ? a[name] : undefined);
  const side: Record<string, unknown> = {
    exists: true,
    sourceArn: pick(ANNOTATIONS.sourceArn),
    versionId: pick(ANNOTATIONS.sourceVersionId),
    createdDate: pick(ANNOTATIONS.sourceCreatedDate),
    syncedAt: pick(ANNOTATIONS.syncedAt),
    resourceVersion: answer.body?.metadata?.resourceVersion,
  };
  return Object.fromEntries(Object.entries(side).filter(([, v]) => v !== undefined)) as unknown as SecretSide;
}

/** Compares the two sides; `detail` says why in one sentence. */
export function verdict(
  m: Mapping,
  aws: AwsSide | undefined,
  secret: SecretSide | undefined,
): { state: SyncState; detail: string } {
  if (!aws || !secret) return { state: 'unknown', detail: 'a side could not be read (see the errors)' };
  if (aws.deletedDate)
    return { state: 'secret-deleted', detail: `the AWS secret is scheduled for deletion on ${aws.deletedDate}` };
  if (!secret.exists)
    return {
      state: 'not-synced',
      detail: `the Secret does not exist yet: run a sync (eks-secret-sync sync --mapping ${m.id})`,
    };
  if (!secret.versionId)
    return {
      state: 'not-managed',
      detail: 'the Secret has no eks-secret-sync annotations: it was never written by this tool',
    };
  if (secret.sourceArn !== undefined && secret.sourceArn !== m.secretArn) {
    return {
      state: 'other-source',
      detail: `the Secret was written from another AWS secret (${secret.sourceArn}); syncs of this mapping are refused`,
    };
  }
  if (!aws.currentVersionId) return { state: 'unknown', detail: 'the AWS secret has no AWSCURRENT version' };
  if (secret.versionId === aws.currentVersionId)
    return { state: 'in-sync', detail: `the Secret holds AWSCURRENT (${aws.currentVersionId})` };
  return {
    state: 'out-of-sync',
    detail:
      `the Secret holds version ${secret.versionId} (created ${secret.createdDate ?? '?'}) but AWSCURRENT is ` +
      `${aws.currentVersionId} (created ${aws.createdDate ?? '?'})`,
  };
}
