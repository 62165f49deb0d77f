/**
 * The baseline of the overhead benchmark: one sync done directly in one process with the product's adapters (the
 * Secrets Manager source, KMS sealing, the Kubernetes client over the HTTPS primitive) and the product's step
 * modules, in the order, with the conditions and the loops of the one orchestration description
 * (functions/steps/orchestration.ts, which the CLI's `sync` runs too). It makes the requests a pipeline execution
 * makes, because it runs the same step code:
 *
 *   FetchSecret  the source's read of the event's version, GenerateDataKey (seal the data)
 *   ReadSecret   Decrypt (open the data), sign the EKS token (no request), GET the Secret; the plan (no request)
 *   ApplySecret  Decrypt (open the data), sign the EKS token (no request), PATCH
 *
 * What it leaves out is everything orchestration adds: the executor, one process per step, state passing and
 * logging. A new per-target step runs here with no edit (its call is in the orchestration).
 */
import { setTimeout } from 'node:timers/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { eksTokenSigner } from '../functions/adapters/eks-token.ts';
import { kmsKeyService } from '../functions/adapters/kms.ts';
import { secretClient, workloadClient } from '../functions/adapters/kube.ts';
import { envelopeSealer } from '../functions/adapters/seal.ts';
import { LABEL_UPDATED_DETAIL_TYPE, SECRETS_MANAGER_SOURCE } from '../functions/domain/events.ts';
import { systemClock, type KeyService, type Sealer } from '../functions/domain/ports.ts';
import { fetchSecret } from '../functions/steps/fetch.ts';
import { runTarget, type StepRunner, type TargetPorts } from '../functions/steps/orchestration.ts';
import { openSource, type OpenSource } from '../functions/sources/open.ts';

/** Where the baseline reads and writes, and as whom. */
export interface DirectSyncConfig {
  readonly awsEndpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  readonly secretArn: string;
  readonly keyId: string;
  readonly mappingId: string;
  readonly clusterName: string;
  readonly server: string;
  readonly caPem: string;
  readonly namespace: string;
  readonly name: string;
}

/** The identity named in the Kubernetes client's error messages. */
const IDENTITY = 'bench-direct';

/** A warm "function": clients are created once, as a warm Lambda keeps them. */
export class DirectSync {
  private readonly source: OpenSource;
  private readonly sealer: Sealer;
  private readonly ports: TargetPorts;
  private readonly cfg: DirectSyncConfig;
  /** Time of each step of the last sync (the requests its pipeline state makes), ms, by state. */
  readonly stepMs: Record<string, number> = {};
  /**
   * The KMS requests of the last sync, by operation (`GenerateDataKey`, `Decrypt`: the names the overhead phase
   * counts the pipeline's by), to compare the baseline's requests with the pipeline's.
   */
  kmsCalls: Record<string, number> = {};

  constructor(cfg: DirectSyncConfig) {
    this.cfg = cfg;
    const credentials = async () => cfg.credentials;
    this.source = openSource('secretsManager', {
      region: cfg.region,
      endpoint: cfg.awsEndpoint,
      credentials: cfg.credentials,
    });
    const kms = kmsKeyService(cfg.keyId, { region: cfg.region, endpoint: cfg.awsEndpoint, credentials });
    const count = (op: string) => {
      this.kmsCalls[op] = (this.kmsCalls[op] ?? 0) + 1;
    };
    // Each call of the key service is one KMS request.
    const counted: KeyService = {
      generateDataKey: (c) => {
        count('GenerateDataKey');
        return kms.generateDataKey(c);
      },
      decrypt: (ciphertext, c) => {
        count('Decrypt');
        return kms.decrypt(ciphertext, c);
      },
    };
    this.sealer = envelopeSealer(counted);
    const secret = { server: cfg.server, caPem: cfg.caPem, namespace: cfg.namespace, name: cfg.name };
    this.ports = {
      sealer: this.sealer,
      signer: eksTokenSigner({ clusterName: cfg.clusterName, region: cfg.region, credentials }),
      secrets: (bearer) => secretClient(secret, bearer, IDENTITY),
      workloads: (bearer) => workloadClient(secret, bearer, IDENTITY),
      clock: systemClock,
      sleep: setTimeout,
      randomBytes,
    };
  }

  /**
   * Syncs the AWS secret's `versionId` into the Kubernetes Secret; returns what it did.
   *
   * @throws Error on any failed step (the baseline has no retries beyond the orchestration's: a failure fails the
   *   benchmark).
   */
  async sync(versionId: string): Promise<'create' | 'update' | 'none'> {
    const { cfg } = this;
    this.kmsCalls = {};
    const timed: StepRunner = async (state, run) => {
      const t = performance.now();
      const out = await run();
      this.stepMs[state] = performance.now() - t;
      return out;
    };
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': LABEL_UPDATED_DETAIL_TYPE,
      source: SECRETS_MANAGER_SOURCE,
      time: new Date().toISOString(),
      region: cfg.region,
      resources: [cfg.secretArn],
      detail: { name: cfg.secretArn.split(':')[6], labelUpdated: 'AWSCURRENT', versionId },
    };
    const fetchPorts = { source: this.source.source, sealer: this.sealer, clock: systemClock };
    const fetchSettings = { mappingId: cfg.mappingId, secretArn: cfg.secretArn, type: 'Opaque' as const };
    const fetched = await timed('FetchSecret', () => fetchSecret(fetchPorts, fetchSettings, { event, attempt: 1 }));
    const settings = {
      merge: { mappingId: cfg.mappingId, prune: false, type: 'Opaque' as const, labels: {}, annotations: {} },
      namespace: cfg.namespace,
      name: cfg.name,
      type: 'Opaque' as const,
      restart: [],
      write: true,
    };
    const outcome = await runTarget(this.ports, settings, fetched, timed);
    const action = outcome.applied?.action;
    return action === 'create' || action === 'update' ? action : 'none';
  }

  /** Releases the SDK client's sockets (the KMS adapter's keep-alive agent lets the process exit). */
  close(): void {
    this.source.close();
  }
}
