/**
 * The baseline of the overhead benchmark: one sync done directly in one
 * process with the product's adapters (the SDK for Secrets Manager, KMS
 * sealing, the HTTPS primitive) and no step code, making the same requests a
 * pipeline execution makes, in the same order and with the same parallelism (the per-target part runs through
 * the CLI's orchestration description, functions/domain/orchestration.ts):
 *
 *   FetchSecret  GetSecretValue, GenerateDataKey (seal the data)
 *   MintToken    sign the EKS token (no request), GenerateDataKey (seal it)
 *   ReadSecret   2 x Decrypt (in parallel), GET the Secret
 *   ApplySecret  2 x Decrypt (in parallel), PATCH (JSON merge patch with resourceVersion)
 *
 * It keeps the sealing (functions/adapters/seal.ts over the KMS adapter: AES-256-GCM under KMS data keys) so
 * the requests carry what the pipeline's carry; what it leaves out is everything orchestration adds: the
 * executor, one process per step, state passing and logging.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mintEksToken } from '../functions/adapters/eks-token.ts';
import { send } from '../functions/adapters/https.ts';
import { kmsKeyService } from '../functions/adapters/kms.ts';
import { seal, unseal } from '../functions/adapters/seal.ts';
import { runTarget } from '../functions/domain/orchestration.ts';
import type { KeyService, Sealed, SealContext } from '../functions/domain/ports.ts';

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

const SOURCE_VERSION = 'bench.eks-secret-sync.io/source-version-id';

/** The Secret as the baseline reads it. */
interface Existing {
  readonly metadata: { resourceVersion: string; annotations?: Record<string, string> };
  readonly data?: Record<string, string>;
}

/** A warm "function": clients are created once, as a warm Lambda keeps them. */
export class DirectSync {
  private readonly sm: SecretsManagerClient;
  private readonly keys: KeyService;
  private readonly cfg: DirectSyncConfig;
  /** Time of each step's share of the last sync (the requests its pipeline state makes), ms. */
  readonly stepMs = { FetchSecret: 0, MintToken: 0, ReadSecret: 0, ApplySecret: 0 };

  constructor(cfg: DirectSyncConfig) {
    this.cfg = cfg;
    const aws = { region: cfg.region, endpoint: cfg.awsEndpoint, credentials: cfg.credentials };
    this.sm = new SecretsManagerClient(aws);
    const credentials = async () => cfg.credentials;
    this.keys = kmsKeyService(cfg.keyId, { region: cfg.region, endpoint: cfg.awsEndpoint, credentials });
  }

  /**
   * Syncs the AWS secret's `versionId` into the Kubernetes Secret; returns what it did.
   *
   * @throws Error on any failed request (the baseline has no retries: a failure fails the benchmark).
   */
  async sync(versionId: string): Promise<'create' | 'update' | 'none'> {
    const { cfg } = this;
    let t = performance.now();
    const mark = (step: keyof DirectSync['stepMs']) => {
      this.stepMs[step] = performance.now() - t;
      t = performance.now();
    };
    // FetchSecret
    const v = await this.sm.send(new GetSecretValueCommand({ SecretId: cfg.secretArn, VersionId: versionId }));
    const parsed = JSON.parse(v.SecretString ?? '{}') as Record<string, unknown>;
    const data = Object.fromEntries(
      Object.entries(parsed).map(([k, x]) => [
        k,
        Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64'),
      ]),
    );
    const sealedData = await this.seal('secret-data', Buffer.from(JSON.stringify(data)));
    mark('FetchSecret');
    const path = `/api/v1/namespaces/${cfg.namespace}/secrets/${cfg.name}`;
    // The target's run, in the order and with the conditions of the one orchestration description.
    const outcome = await runTarget<Sealed, Existing | null, Existing | null | 'current', 'create' | 'update', never>({
      mint: async () => {
        const eks = { clusterName: cfg.clusterName, region: cfg.region, credentials: cfg.credentials };
        const { token } = await mintEksToken(eks);
        const sealedToken = await this.seal('eks-token', Buffer.from(token));
        mark('MintToken');
        return sealedToken;
      },
      read: async (sealedToken) => {
        const [, token] = await Promise.all([
          this.unseal('secret-data', sealedData),
          this.unseal('eks-token', sealedToken),
        ]);
        const got = await this.kube(token.toString(), 'GET', path);
        if (got.status !== 200 && got.status !== 404)
          throw new Error(`GET ${path}: ${got.status} ${got.body.slice(0, 300)}`);
        mark('ReadSecret');
        return got.status === 200 ? (JSON.parse(got.body) as Existing) : null;
      },
      // PlanMerge (in process): the version is there already, or the Secret is written.
      plan: async (existing) => (existing?.metadata.annotations?.[SOURCE_VERSION] === versionId ? 'current' : existing),
      writes: (plan) => plan !== 'current',
      apply: async (plan, sealedToken) => {
        const existing = plan === 'current' ? null : plan;
        await this.apply(existing, sealedData, sealedToken, versionId, path);
        mark('ApplySecret');
        return existing ? 'update' : 'create';
      },
      restarts: () => false,
      restart: () => Promise.reject(new Error('the direct sync restarts no workloads')),
    });
    return outcome.applied ?? 'none';
  }

  /** ApplySecret's requests: open the data and the token, then PATCH (merge patch, or apply for a create). */
  private async apply(
    existing: Existing | null,
    sealedData: Sealed,
    sealedToken: Sealed,
    versionId: string,
    path: string,
  ): Promise<void> {
    const { cfg } = this;
    const [desiredBytes, tokenForApply] = await Promise.all([
      this.unseal('secret-data', sealedData),
      this.unseal('eks-token', sealedToken),
    ]);
    const desired = JSON.parse(desiredBytes.toString()) as Record<string, string>;
    const annotations = { [SOURCE_VERSION]: versionId };
    const res = existing
      ? await this.kube(
          tokenForApply.toString(),
          'PATCH',
          path,
          { metadata: { resourceVersion: existing.metadata.resourceVersion, annotations }, data: desired },
          'application/merge-patch+json',
        )
      : await this.kube(
          tokenForApply.toString(),
          'PATCH',
          `${path}?fieldManager=bench-direct`,
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: cfg.name, namespace: cfg.namespace, annotations },
            type: 'Opaque',
            data: desired,
          },
          'application/apply-patch+yaml',
        );
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`PATCH ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  }

  /** Releases the SDK client's sockets (the KMS adapter's keep-alive agent lets the process exit). */
  close(): void {
    this.sm.destroy();
  }

  private context(purpose: SealContext['purpose']): SealContext {
    return { mappingId: this.cfg.mappingId, purpose };
  }

  private seal(purpose: SealContext['purpose'], plaintext: Buffer): Promise<Sealed> {
    return seal(this.keys, this.context(purpose), plaintext);
  }

  private unseal(purpose: SealContext['purpose'], sealed: Sealed): Promise<Buffer> {
    return unseal(this.keys, this.context(purpose), sealed);
  }

  private async kube(token: string, method: string, path: string, body?: object, contentType?: string) {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
    if (body) headers['content-type'] = contentType ?? 'application/json';
    const url = new URL(path, this.cfg.server);
    const payload = body ? JSON.stringify(body) : undefined;
    return send({ method, url, headers, body: payload, ca: this.cfg.caPem, idleTimeoutMs: 10_000 });
  }
}
