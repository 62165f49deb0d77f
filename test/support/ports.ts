// In-memory ports for the step tests (test/unit/steps): narrow fakes with the semantics the steps rely on, as
// External Secrets Operator tests its providers against a fake client. Each fake answers like its adapter:
// the same error classes, resourceVersion preconditions, 404 on a missing workload.
import type { WorkloadStatusView } from '../../functions/domain/rollout.ts';
import { memorySealer } from '../../functions/adapters/memory-sealer.ts';
import { ConflictError, NotFoundError, UnauthorizedError } from '../../functions/domain/errors.ts';
import type {
  Clock,
  KubeSecret,
  SecretStore,
  Sealer,
  TokenSigner,
  WorkloadPatcher,
} from '../../functions/domain/ports.ts';
import type { RestartPatch, WorkloadRef } from '../../functions/domain/restart.ts';
import type { SecretSource, SourceCurrent, SourceDeletion, SourceVersion } from '../../functions/domain/source.ts';
import { readSecretsManagerEvent } from '../../functions/sources/secrets-manager/event-reading.ts';
import { encodeSecretData } from '../../functions/domain/data-codec.ts';
import type { MergeOptions, SecretData } from '../../functions/domain/types.ts';
import { expect } from 'vitest';

/** A clock stopped at `iso`. */
/** A mapping's merge options as the tests' mapping `db` has them (retain, Opaque, nothing pruned), with `over`. */
export function mergeOptions(over: Partial<MergeOptions> = {}): MergeOptions {
  return {
    mappingId: 'db',
    prune: false,
    type: 'Opaque',
    labels: {},
    annotations: {},
    deletionPolicy: 'retain',
    ...over,
  };
}

export function fixedClock(iso = '2026-11-23T14:00:00.000Z'): Clock {
  return { now: () => new Date(iso) };
}

/** A Secrets Manager version in memory, with its staging labels. */
interface StagedVersion extends Omit<SourceVersion, 'current'> {
  readonly stages: readonly string[];
}

/**
 * A Secrets Manager secret in memory: its versions (the last with AWSCURRENT unless told) and its deletion state;
 * it reads events as the Secrets Manager provider does.
 */
export class MemorySecretSource implements SecretSource {
  readonly versions: StagedVersion[] = [];
  deletionState: SourceDeletion = {};
  readonly readEvent = readSecretsManagerEvent;
  readonly calls: string[] = [];

  /** Adds a version; `current` moves AWSCURRENT to it (default true). */
  put(versionId: string, secretString: string, opts: { current?: boolean; createdDate?: string } = {}): this {
    const current = opts.current ?? true;
    // As Secrets Manager does: the version losing AWSCURRENT takes AWSPREVIOUS from whichever had it.
    const demoted = (stages: readonly string[]) =>
      !current
        ? stages
        : stages.includes('AWSCURRENT')
          ? [...stages.filter((s) => s !== 'AWSCURRENT'), 'AWSPREVIOUS']
          : stages.filter((s) => s !== 'AWSPREVIOUS');
    const others = this.versions.map((v) => ({ ...v, stages: demoted(v.stages) }));
    this.versions.splice(0, this.versions.length, ...others, {
      versionId,
      createdDate: opts.createdDate ?? `2026-11-23T13:0${this.versions.length}:00.000Z`,
      stages: current ? ['AWSCURRENT'] : [],
      secretString,
    });
    return this;
  }

  /** Moves the staging label `label` (not AWSCURRENT) to `versionId`, as UpdateSecretVersionStage does. */
  label(versionId: string, label: string): this {
    const moved = this.versions.map((v) => {
      const stages = v.stages.filter((s) => s !== label);
      return { ...v, stages: v.versionId === versionId ? [...stages, label] : stages };
    });
    this.versions.splice(0, this.versions.length, ...moved);
    return this;
  }

  async readVersion(arn: string, versionId?: string, label = 'AWSCURRENT'): Promise<SourceVersion> {
    this.calls.push(`GetSecretValue ${versionId ?? label}`);
    const v = this.versions.find((x) => (versionId ? x.versionId === versionId : x.stages.includes(label)));
    if (!v) throw new NotFoundError(`secretsmanager:GetSecretValue on ${arn} failed: ResourceNotFoundException`);
    const { stages, ...version } = v;
    return { ...version, current: stages.includes(label) };
  }

  async readStage(_arn: string, stage: string): Promise<SourceVersion | null> {
    this.calls.push(`GetSecretValue ${stage}`);
    const v = this.versions.find((x) => x.stages.includes(stage));
    if (!v) return null;
    const { stages, ...version } = v;
    return { ...version, current: stages.includes('AWSCURRENT') };
  }

  async deletion(): Promise<SourceDeletion> {
    this.calls.push('DescribeSecret');
    return this.deletionState;
  }

  async current(_arn?: string, label = 'AWSCURRENT'): Promise<SourceCurrent> {
    this.calls.push('DescribeSecret ListSecretVersionIds');
    const v = this.versions.find((x) => x.stages.includes(label));
    return {
      ...(v && { currentVersionId: v.versionId, createdDate: v.createdDate }),
      ...(this.deletionState.deletedDate !== undefined && { deletedDate: this.deletionState.deletedDate }),
    };
  }
}

/** A token signer that hands out `token-1`, `token-2`, ... (each a distinct credential). */
export class CountingSigner implements TokenSigner {
  minted = 0;
  private readonly prefix: string;
  constructor(prefix = 'k8s-aws-v1.canary-token') {
    this.prefix = prefix;
  }

  async mint() {
    this.minted += 1;
    return { token: `${this.prefix}-${this.minted}`, expiresAt: '2026-11-23T14:14:00Z' };
  }
}

/** What a fake cluster saw: each call with the token it came with. */
export interface KubeCall {
  readonly verb: string;
  readonly token: string;
  readonly body?: unknown;
}

/** A Deployment, StatefulSet or DaemonSet whose rollout is complete by every kind's rule (domain/rollout.ts). */
export const ROLLED_OUT: WorkloadStatusView = {
  metadata: { generation: 2 },
  spec: { replicas: 1 },
  status: {
    observedGeneration: 2,
    replicas: 1,
    updatedReplicas: 1,
    availableReplicas: 1,
    readyReplicas: 1,
    currentRevision: 'r2',
    updateRevision: 'r2',
    desiredNumberScheduled: 1,
    updatedNumberScheduled: 1,
    numberAvailable: 1,
  },
};

/**
 * One namespace of a cluster in memory: the mapping's Secret (or none) and
 * workloads by `resource/name`. Writes check `metadata.resourceVersion` and
 * DeleteOptions preconditions (409), as the apiserver does; `acceptedTokens`
 * limits which bearer tokens it accepts (401 otherwise).
 */
export class MemoryCluster {
  secret: (KubeSecret & { metadata: { resourceVersion: string } }) | null = null;
  readonly workloads = new Map<string, RestartPatch | null>();
  /**
   * What each GET of a workload (`<resource>/<name>`) returns, in turn; the last one repeats. A workload without
   * an entry reads as rolled out ({@link ROLLED_OUT}).
   */
  readonly rollouts = new Map<string, WorkloadStatusView[]>();
  readonly calls: KubeCall[] = [];
  acceptedTokens?: ReadonlySet<string>;
  /** Before each write: lets a test play a concurrent writer. */
  beforeWrite?: () => void;
  private version = 100;

  /** Sets the Secret as another writer would, with a new resourceVersion. */
  setSecret(secret: Omit<KubeSecret, 'metadata'> & { metadata?: KubeSecret['metadata'] }): void {
    this.secret = { ...secret, metadata: { ...secret.metadata, resourceVersion: this.nextVersion() } };
  }

  /** The {@link SecretStore} port for one token. */
  readonly connect = (token: string): SecretStore & WorkloadPatcher => ({
    get: async () => {
      this.check('get', token);
      return this.secret && structuredClone(this.secret);
    },
    apply: async (manifest, fieldManager) => {
      this.check('apply', token, { manifest, fieldManager });
      if (this.secret) throw new ConflictError(`Secret exists; field manager ${fieldManager} conflicts`);
      const metadata = { ...manifest.metadata, resourceVersion: this.nextVersion() };
      this.secret = { ...structuredClone(manifest), metadata };
      return structuredClone(this.secret);
    },
    mergePatch: async (patch) => {
      this.check('mergePatch', token, patch);
      if (!this.secret) throw new NotFoundError('secrets "app" not found');
      this.precondition(patch.metadata.resourceVersion);
      const data: Record<string, string> = { ...this.secret.data };
      for (const [k, v] of Object.entries(patch.data)) {
        if (v === null) delete data[k];
        else data[k] = v;
      }
      const meta = this.secret.metadata;
      const annotations = merged(meta.annotations, patch.metadata.annotations);
      const labels = merged(meta.labels, patch.metadata.labels);
      const metadata = { ...meta, labels, annotations, resourceVersion: this.nextVersion() };
      this.secret = { ...this.secret, data, metadata };
      return structuredClone(this.secret);
    },
    delete: async (options) => {
      this.check('delete', token, options);
      if (!this.secret) return;
      this.precondition(options.preconditions.resourceVersion);
      this.secret = null;
    },
    strategicMergePatch: async (w: WorkloadRef, patch: RestartPatch) => {
      this.check('patch', token, { ref: w.ref, patch });
      const id = `${w.resource}/${w.name}`;
      if (!this.workloads.has(id)) throw new NotFoundError(`${w.resource}.apps "${w.name}" not found`);
      this.workloads.set(id, patch);
    },
    status: async (w: WorkloadRef) => {
      this.check('get', token, { ref: w.ref });
      const id = `${w.resource}/${w.name}`;
      if (!this.workloads.has(id)) throw new NotFoundError(`${w.resource}.apps "${w.name}" not found`);
      const seq = this.rollouts.get(id);
      const view = !seq ? ROLLED_OUT : seq.length > 1 ? seq.shift()! : seq[0]!;
      // The pod template as the last restart patch left it (none yet: no annotations).
      const patched = this.workloads.get(id);
      if (!patched) return view;
      // A null in the patch removes the annotation (strategic merge patch).
      const annotations = Object.fromEntries(
        Object.entries(patched.spec.template.metadata.annotations).filter((e): e is [string, string] => e[1] !== null),
      );
      return { ...view, spec: { ...view.spec, template: { metadata: { annotations } } } };
    },
  });

  private check(verb: string, token: string, body?: unknown): void {
    this.calls.push({ verb, token, body });
    if (this.acceptedTokens && !this.acceptedTokens.has(token)) {
      throw new UnauthorizedError('the cluster refused the bearer token of the test identity (401)');
    }
    if (verb !== 'get' && verb !== 'patch') this.beforeWrite?.();
  }

  private precondition(resourceVersion: string): void {
    if (this.secret && this.secret.metadata.resourceVersion !== resourceVersion) {
      throw new ConflictError('Secret changed between read and write (409 Conflict)');
    }
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }
}

type Strings = Readonly<Record<string, string>>;

function merged(a: Strings | undefined, b: Strings): Record<string, string> {
  return { ...a, ...b };
}

/** The sealer of the step tests: real AES-256-GCM under a key held in memory. */
export function testSealer(): Sealer {
  return memorySealer();
}

/** Seals `data` as FetchSecret would, for a step that receives it. */
export function sealData(sealer: Sealer, mappingId: string, data: SecretData) {
  return sealer.seal({ mappingId, purpose: 'secret-data' }, encodeSecretData(data));
}

/** base64 of UTF-8 text, as Kubernetes data holds values. */
export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A value no code would write by chance. */
export function canaryValue(): string {
  return `canary-${crypto.randomUUID()}`;
}

/** `text` (an output, an error message) holds no canary, no base64 of one, and no EKS token. */
export function expectNoValue(text: string, canaries: readonly string[]): void {
  expect(text.length).toBeGreaterThan(0);
  for (const canary of canaries) {
    expect(text).not.toContain(canary);
    expect(text).not.toContain(b64(canary).slice(0, 16));
  }
  expect(text).not.toContain('k8s-aws-v1.');
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}
