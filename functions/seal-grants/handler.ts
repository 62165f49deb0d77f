import { kmsGrantService, type SealGrantService } from '../adapters/kms.ts';
import { grantChanges, parseSealGrants, type SealGrantSpec } from '../domain/seal-grants.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';

/**
 * Seconds the resource waits after creating a grant before it answers CloudFormation: KMS grants are eventually
 * consistent ("typically less than a few seconds ... in some cases several minutes", KMS developer guide, Using a
 * grant token), and the mapping's deploy-time sync starts after this resource. A sync that still meets a grant KMS
 * does not know yet fails with AccessDenied into the DLQ; redrive replays it (docs/operations.md).
 */
export const GRANT_SETTLE_SECONDS = 30;

/** The part of CloudFormation's custom resource request this function reads. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

readEnv('seal-grants');

/**
 * The seal grants of one stack (Custom::EksSecretSyncSealGrants): makes the seal key's grants under the names the
 * stack manages exactly those its properties list, creating the missing ones and revoking the others; on delete,
 * revokes them all. Always answers CloudFormation, with the reason when it failed.
 */
export async function handler(event: CustomResourceEvent): Promise<void> {
  const physicalId = event.PhysicalResourceId ?? `${event.LogicalResourceId}-seal-grants`;
  try {
    const keyArn = String(event.ResourceProperties.KeyArn ?? '');
    if (!keyArn.startsWith('arn:')) throw new Error('KeyArn must be the seal key ARN');
    const created = await reconcile(kmsGrantService(keyArn), event);
    if (created > 0 && event.RequestType !== 'Delete') await sleep(GRANT_SETTLE_SECONDS * 1000);
    await respond(event, 'SUCCESS', physicalId);
  } catch (e) {
    logger.error('seal grants failed', { requestType: event.RequestType, error: (e as Error).message });
    await respond(event, 'FAILED', physicalId, (e as Error).message);
  }
}

/**
 * Creates and revokes the key's grants for the request.
 *
 * @returns how many grants were created.
 */
export async function reconcile(kms: SealGrantService, event: CustomResourceEvent): Promise<number> {
  const wanted: SealGrantSpec[] =
    event.RequestType === 'Delete' ? [] : parseSealGrants(event.ResourceProperties.Grants);
  const had = grantsOrNone(event.RequestType === 'Update' ? event.OldResourceProperties?.Grants : undefined);
  const named = event.RequestType === 'Delete' ? grantsOrNone(event.ResourceProperties.Grants) : wanted;
  const managed = new Set([...had, ...named].map((g) => g.name));
  const { create, revoke } = grantChanges(await kms.list(), wanted, managed);
  for (const spec of create) {
    const { grantId } = await kms.create(spec);
    logger.info('seal grant created', { name: spec.name, grantId });
  }
  for (const grantId of revoke) {
    await kms.revoke(grantId);
    logger.info('seal grant revoked', { grantId });
  }
  return create.length;
}

/** Grants of old properties, or none when they cannot be read (a delete must not fail on what it cannot parse). */
function grantsOrNone(value: unknown): SealGrantSpec[] {
  try {
    return value === undefined ? [] : parseSealGrants(value);
  } catch {
    return [];
  }
}

async function respond(event: CustomResourceEvent, status: 'SUCCESS' | 'FAILED', physicalId: string, reason = '') {
  const body = JSON.stringify({
    Status: status,
    Reason: reason.slice(0, 1000) || 'see the function log',
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // The pre-signed S3 URL signs no content type.
  const res = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!res.ok) throw new Error(`CloudFormation's response URL answered ${res.status}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
