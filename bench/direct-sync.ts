/**
 * The baseline of the overhead benchmark: one sync done directly in one
 * process with plain SDK and node:https calls, making the same requests a
 * pipeline execution makes, in the same order and with the same parallelism:
 *
 *   FetchSecret  GetSecretValue, GenerateDataKey (seal the data)
 *   MintToken    sign the EKS token (no request), GenerateDataKey (seal it)
 *   ReadSecret   2 x Decrypt (in parallel), GET the Secret
 *   ApplySecret  2 x Decrypt (in parallel), PATCH (JSON merge patch with resourceVersion)
 *
 * It keeps the sealing (AES-256-GCM under KMS data keys) so the requests carry
 * what the pipeline's carry; what it leaves out is everything orchestration
 * adds: the executor, one process per step, state passing and logging.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mintEksToken } from '../functions/adapters/eks-token.ts';

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

interface Sealed {
  key: Uint8Array;
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

const SOURCE_VERSION = 'bench.eks-secret-sync.io/source-version-id';

/** A warm "function": clients are created once, as a warm Lambda keeps them. */
export class DirectSync {
  private readonly sm: SecretsManagerClient;
  private readonly kms: KMSClient;
  private readonly cfg: DirectSyncConfig;
  /** Time of each step's share of the last sync (the requests its pipeline state makes), ms. */
  readonly stepMs = { FetchSecret: 0, MintToken: 0, ReadSecret: 0, ApplySecret: 0 };

  constructor(cfg: DirectSyncConfig) {
    this.cfg = cfg;
    const aws = { region: cfg.region, endpoint: cfg.awsEndpoint, credentials: cfg.credentials };
    this.sm = new SecretsManagerClient(aws);
    this.kms = new KMSClient(aws);
  }

  /**
   * Syncs the AWS secret's `versionId` into the Kubernetes Secret; returns what it did.
   *
   * @throws Error on any failed request (the baseline has no retries: a failure fails the benchmark).
   */
  async sync(versionId: string): Promise<'create' | 'update' | 'none'> {
    const { cfg } = this;
    const mark = (step: keyof DirectSync['stepMs'], since: number) => {
      this.stepMs[step] = performance.now() - since;
      return performance.now();
    };
    let t = performance.now();
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
    t = mark('FetchSecret', t);
    // MintToken
    const { token } = await mintEksToken({
      clusterName: cfg.clusterName,
      region: cfg.region,
      credentials: cfg.credentials,
    });
    const sealedToken = await this.seal('eks-token', Buffer.from(token));
    t = mark('MintToken', t);
    // ReadSecret
    const [, tokenForRead] = await Promise.all([
      this.unseal('secret-data', sealedData),
      this.unseal('eks-token', sealedToken),
    ]);
    const path = `/api/v1/namespaces/${cfg.namespace}/secrets/${cfg.name}`;
    const got = await this.kube(tokenForRead.toString(), 'GET', path);
    if (got.status !== 200 && got.status !== 404)
      throw new Error(`GET ${path}: ${got.status} ${got.body.slice(0, 300)}`);
    const existing =
      got.status === 200
        ? (JSON.parse(got.body) as {
            metadata: { resourceVersion: string; annotations?: Record<string, string> };
            data?: Record<string, string>;
          })
        : null;
    t = mark('ReadSecret', t);
    // PlanMerge (in process)
    if (existing?.metadata.annotations?.[SOURCE_VERSION] === versionId) return 'none';
    // ApplySecret
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
    mark('ApplySecret', t);
    return existing ? 'update' : 'create';
  }

  /** Releases the SDK clients' sockets. */
  close(): void {
    this.sm.destroy();
    this.kms.destroy();
  }

  private context(purpose: string) {
    return { mappingId: this.cfg.mappingId, purpose };
  }

  private async seal(purpose: string, plaintext: Buffer): Promise<Sealed> {
    const dk = await this.kms.send(
      new GenerateDataKeyCommand({
        KeyId: this.cfg.keyId,
        KeySpec: 'AES_256',
        EncryptionContext: this.context(purpose),
      }),
    );
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dk.Plaintext!, iv).setAAD(Buffer.from(purpose));
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { key: dk.CiphertextBlob!, iv, tag: cipher.getAuthTag(), data };
  }

  private async unseal(purpose: string, s: Sealed): Promise<Buffer> {
    const out = await this.kms.send(
      new DecryptCommand({ CiphertextBlob: s.key, KeyId: this.cfg.keyId, EncryptionContext: this.context(purpose) }),
    );
    const d = createDecipheriv('aes-256-gcm', out.Plaintext!, s.iv).setAAD(Buffer.from(purpose));
    d.setAuthTag(s.tag);
    return Buffer.concat([d.update(s.data), d.final()]);
  }

  private kube(
    token: string,
    method: string,
    path: string,
    body?: object,
    contentType?: string,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
      if (body) headers['content-type'] = contentType ?? 'application/json';
      const req = request(
        new URL(path, this.cfg.server),
        { method, ca: this.cfg.caPem, headers, timeout: 10_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  }
}
