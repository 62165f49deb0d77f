/** ApplySecret: the plan written to the Kubernetes Secret, conditionally on what was read. */
import type { TargetInput } from '../domain/contract.ts';
import { buildDeletion } from '../domain/deletion.ts';
import { InvalidInputError } from '../domain/errors.ts';
import {
  ANNOTATIONS,
  DATA_HASH_KEY_BYTES,
  MANAGER_NAME,
  newDataHashAnnotations,
  sourceVersionAnnotations,
} from '../domain/metadata.ts';
import { releaseKeys } from '../domain/observe.ts';
import { buildTakeover, buildWrite } from '../domain/plan.ts';
import type { Connect, KubeSecret, Sealed, SecretStore, Sealer, TokenSigner } from '../domain/ports.ts';
import type { MergePlan, SecretType, SourceVersion } from '../domain/types.ts';
import type { FetchOutput } from './fetch.ts';
import type { PlanOutput } from './plan.ts';
import { openData } from './sealed.ts';

/** ApplySecret: in, out at `$.write.applied`. */
export interface ApplyInput extends Partial<TargetInput> {
  /** ReadSecret's plan ({@link PlanOutput}); a plan without `restart` (a merge plan alone) restarts nothing. */
  readonly plan: MergePlan & Partial<Pick<PlanOutput, 'restart' | 'recheck'>>;
  readonly sealedData: Sealed;
  /** {@link FetchOutput.changedAt}: a write of the version records its freshness (absent or null: none). */
  readonly changedAt?: FetchOutput['changedAt'];
  /**
   * The version fetched (`$.fetched.source`): a create or update writes its `source-*` annotations from it
   * (ReadSecret's plan leaves them out when asked to). Absent (a definition from before): the plan carries them, as it
   * did.
   */
  readonly source?: SourceVersion;
}

/** What ApplySecret wrote. */
export interface ApplyOutput {
  readonly action: 'create' | 'update' | 'delete-keys' | 'delete-secret';
  /** The Secret's resourceVersion after the write; empty after `delete-secret`. */
  readonly resourceVersion: string;
  readonly added: number;
  readonly updated: number;
  /** Keys removed: pruned, or removed by a deletion. */
  readonly pruned: number;
  /**
   * With `restartWindowSeconds` W > 0, after a create or update: the boundary of the W-second window the write
   * completed in (`restartBoundary` in domain/restart.ts). WaitForRestartWindow waits until then and
   * RestartWorkloads writes it as the restart time. Absent with W = 0 (restart at the execution's start time).
   */
  readonly restartAt?: string;
  /**
   * Present (true) when the plan's `restart` list has a workload (the write changed data): RestartNeeded restarts.
   * The plan is not carried past the write, so the states after it read this instead of `plan.restart[0]`.
   */
  readonly restart?: true;
  /** Present (true) when the plan's `recheck` list has a workload (a redrive): RestartNeeded re-checks. */
  readonly recheck?: true;
}

/** What the apply step works through. */
export interface ApplyPorts {
  readonly sealer: Sealer;
  /** Signs the token the step calls the cluster with (the mapping's identity). */
  readonly signer: TokenSigner;
  /** The mapping's Secret, reached with the token the step signs. */
  readonly kubernetes: Connect<SecretStore>;
  /** `n` random bytes (node:crypto's randomBytes): a new data-hash key. */
  readonly randomBytes: (n: number) => Buffer;
}

/** The mapping's settings the apply step needs. */
export interface ApplySettings {
  readonly mappingId: string;
  readonly namespace: string;
  readonly name: string;
  readonly type: SecretType;
}

/** Server-side apply with force: an adoption takes the keys from their other field managers. */
const ADOPT = { force: true } as const;

/** The plan actions that write. */
export const WRITE_ACTIONS: ReadonlySet<string> = new Set(['create', 'update', 'delete-keys', 'delete-secret']);

/**
 * The field manager of a first create: one per source version, so two racing
 * first syncs of different versions conflict instead of silently overwriting
 * each other. At most 128 characters, as the apiserver requires.
 */
export function fieldManagerFor(plan: Pick<MergePlan, 'annotations'>): string {
  return `${MANAGER_NAME}-${plan.annotations[ANNOTATIONS.sourceVersionId]}`.slice(0, 128);
}

/**
 * Writes the plan. Update: a JSON merge patch carrying the resourceVersion
 * that was read, so a concurrent writer makes it fail with 409 (ConflictError,
 * which the state machine routes back to ReadSecret). Create: server-side
 * apply, the one create RBAC can restrict to the Secret's name, under
 * {@link fieldManagerFor}. A deletion (deletionPolicy delete): `delete-keys`
 * is a merge patch with nulls, `delete-secret` a DELETE; both carry the
 * resourceVersion read. A create or update whose plan carries no data hash
 * (the Secret had no data-hash key) gets a new random key and the hash of the
 * data under it here, where the values are open: the key never enters the state.
 * An adopting update (mapping option `adopt`) then applies the keys with force under
 * {@link MANAGER_NAME}, which moves their ownership from the other tool's field manager.
 *
 * @throws InvalidInputError for a plan that does not write or malformed sealed inputs; ConflictError,
 *   UnauthorizedError, PermissionDeniedError, TransientError from the cluster.
 */
export async function applyPlan(ports: ApplyPorts, settings: ApplySettings, input: ApplyInput): Promise<ApplyOutput> {
  const plan = withSourceAnnotations(input?.plan, input?.source);
  if (!WRITE_ACTIONS.has(plan?.action)) {
    const only = [...WRITE_ACTIONS].join(', ');
    throw new InvalidInputError(`ApplySecret got plan action ${JSON.stringify(plan?.action)}; only ${only} write`);
  }
  const [desired, token] = await Promise.all([
    openData(ports.sealer, settings.mappingId, input.sealedData),
    ports.signer.mint(),
  ]);
  const client = ports.kubernetes(token.token);
  const target = { namespace: settings.namespace, name: settings.name, type: settings.type };
  let body = plan.action.startsWith('delete-')
    ? buildDeletion(plan)
    : buildWrite(withDataHash(plan, desired, ports.randomBytes), desired, target);
  if (plan.adopt !== undefined && 'data' in body && !('apiVersion' in body)) {
    // The other managers' claim on the keys is released in the same conditional patch (metadata only).
    const live = await client.get();
    body = {
      ...body,
      metadata: {
        ...body.metadata,
        managedFields: releaseKeys(live?.metadata?.managedFields ?? [], plan.adopt.takeKeys),
      },
    };
  }
  let written: KubeSecret | undefined;
  if ('preconditions' in body) await client.delete(body);
  else if ('apiVersion' in body) written = await client.apply(body, fieldManagerFor(plan));
  else written = await client.mergePatch(body);
  // An adoption: the conditional patch above removed the owners; now take the keys (idempotent if this fails:
  // the next sync still sees the other manager and adopts again).
  if (plan.adopt !== undefined) written = await client.apply(buildTakeover(plan, desired, target), MANAGER_NAME, ADOPT);
  const resourceVersion = written?.metadata?.resourceVersion ?? '';
  return {
    action: plan.action as ApplyOutput['action'],
    resourceVersion,
    added: plan.added.length,
    updated: plan.updated.length,
    pruned: plan.pruned.length,
    ...(plan.restart?.[0] !== undefined && { restart: true }),
    ...(plan.recheck?.[0] !== undefined && { recheck: true }),
  };
}

/** A create or update plan with the `source-*` annotations of `source` (none given, or another action: as it is). */
function withSourceAnnotations(plan: ApplyInput['plan'], source: SourceVersion | undefined): ApplyInput['plan'] {
  if (source === undefined || (plan?.action !== 'create' && plan?.action !== 'update')) return plan;
  return { ...plan, annotations: { ...plan.annotations, ...sourceVersionAnnotations(source) } };
}

/** The plan with the data-hash annotations: as planned (under the Secret's key), or a new key and its hash. */
function withDataHash(
  plan: MergePlan,
  desired: Readonly<Record<string, string>>,
  random: ApplyPorts['randomBytes'],
): MergePlan {
  if (plan.annotations[ANNOTATIONS.dataHash] !== undefined) return plan;
  const annotations = { ...plan.annotations, ...newDataHashAnnotations(random(DATA_HASH_KEY_BYTES), desired) };
  return { ...plan, annotations };
}
