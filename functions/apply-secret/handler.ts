import { randomBytes } from 'node:crypto';
import { kmsKeyService } from '../adapters/kms.ts';
import { eventClient, secretClient } from '../adapters/kube.ts';
import { envelopeSealer } from '../adapters/seal.ts';
import { systemClock } from '../domain/ports.ts';
import { freshnessRecord } from '../domain/freshness.ts';
import { ANNOTATIONS } from '../domain/metadata.ts';
import { restartAtAfterWrite } from '../domain/restart.ts';
import { targetRefOf } from '../domain/target.ts';
import { ENV } from '../runtime/env-contract.ts';
import { type InvocationContext, startInvocation, timeLeft } from '../runtime/deadline.ts';
import { readEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import { kubeTimeoutFrom, restartWindowFrom, secretTypeFrom } from '../runtime/options.ts';
import { identitySignerFrom } from '../runtime/signer.ts';
import { allowedEndpointsFrom, identityFrom, secretOf } from '../runtime/target.ts';
import { type ApplyInput, type ApplyOutput, applyPlan } from '../steps/apply.ts';
import { type ReportInput, type ReportOutput, reportFailure } from '../steps/report.ts';

const env = readEnv('apply-secret');
const mappingId = env[ENV.mappingId];
const mappingType = secretTypeFrom(env);
const identity = identityFrom(env);
const allowed = allowedEndpointsFrom(env);
const timeoutMs = kubeTimeoutFrom(env[ENV.kubeTimeoutMs]);
const namespace = env[ENV.metricNamespace];
const restartWindow = restartWindowFrom(env[ENV.restartWindowSeconds]);
const signerFor = identitySignerFrom(env);
const sealer = envelopeSealer(kmsKeyService(env[ENV.sealKeyId], { timeLeft, endpoint: env[ENV.kmsEndpointUrl] }));

/**
 * ApplySecret ({@link applyPlan}): the plan written to the target's Secret conditionally on the resourceVersion
 * read (409 goes back to ReadSecret), a first create by server-side apply, a deletion as a patch with nulls or
 * a DELETE. The target and its cluster come from the state (the Map item); its type overrides the mapping's. The
 * token is signed here, with the function's role (the mapping's identity).
 *
 * The same function records a failed target's sync as an Event on its Secret (RecordFailureEvent, input with
 * `report`, mapping option `failureEvents`): it already has the target's identity and reach. With
 * `restartWindowSeconds`, a create or update returns `restartAt`, the restart window's boundary.
 *
 * @throws ConflictError, UnauthorizedError, PermissionDeniedError, InvalidInputError, TransientError.
 */
export async function handler(
  input: ApplyInput | ReportInput,
  context?: InvocationContext,
): Promise<ApplyOutput | ReportOutput> {
  startInvocation(context, input);
  if ('report' in input) return report(input);
  const target = targetRefOf(input.target);
  const location = secretOf(target, input.clusters, allowed);
  const settings = { mappingId, namespace: location.namespace, name: location.name, type: target.type ?? mappingType };
  const kubernetes = (token: string) => secretClient(location, token, identity, timeoutMs, timeLeft);
  const signer = signerFor(target.cluster);
  const applied = await applyPlan({ sealer, signer, kubernetes, randomBytes }, settings, input);
  // restartWindowSeconds: the boundary of the window the write completed in (taken now, after the write).
  const restartAt = restartAtAfterWrite(applied.action, restartWindow, Date.now(), input);
  const out = restartAt === undefined ? applied : { ...applied, restartAt };
  logger.info('applied Secret', { mappingId, target: target.name, ...out });
  // A write of the AWS data records its freshness (a deletion's does not: it is no version's arrival).
  if (namespace && input.changedAt && (out.action === 'create' || out.action === 'update')) {
    const versionId = input.source?.versionId ?? input.plan.annotations[ANNOTATIONS.sourceVersionId] ?? 'unknown';
    const sample = { namespace, mappingId, target: target.name, versionId, changedAt: input.changedAt };
    logger.info('sync freshness', freshnessRecord({ ...sample, writtenAt: new Date() }));
  }
  return out;
}

/** RecordFailureEvent ({@link reportFailure}): one Warning Event about the target's Secret. */
async function report(input: ReportInput): Promise<ReportOutput> {
  const target = targetRefOf(input.target);
  const location = secretOf(target, input.clusters, allowed);
  const ports = {
    signer: signerFor(target.cluster),
    kubernetes: (token: string) => secretClient(location, token, identity, timeoutMs, timeLeft),
    events: (token: string) => eventClient(location, token, identity, timeoutMs, timeLeft),
    clock: systemClock,
    suffix: () => randomBytes(8).toString('hex'),
  };
  const out = await reportFailure(ports, { mappingId, namespace: location.namespace, name: location.name }, input);
  logger.info('recorded failure event', { mappingId, target: target.name, ...out });
  return out;
}
