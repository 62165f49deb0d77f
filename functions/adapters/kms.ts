/**
 * The two KMS calls of envelope sealing (GenerateDataKey, Decrypt) over
 * node:http(s) (the HTTPS primitive, https.ts), signed with @smithy/signature-v4, credentials from
 * @aws-sdk/credential-provider-env.
 *
 * Why not @aws-sdk/client-kms (its module init was most of four functions'
 * cold start), with the measurements:
 * docs/decisions.md#a-hand-written-kms-adapter-instead-of-aws-sdkclient-kms.
 * This adapter speaks the same JSON 1.1 protocol (the signed client: aws-json.ts) with the same endpoint
 * settings and the SDK's own standard retry strategy (3 attempts, backoff with
 * jitter); its signature is checked against botocore's in
 * test/testbed/kms.test.ts.
 */
import { awsError } from './aws-errors.ts';
import { AwsJsonClient, awsEndpoint, type AwsJsonOptions, type AwsJsonService } from './aws-json.ts';
import type { KeyService, SealContext } from '../domain/ports.ts';
import type { ListedGrant, SealGrantSpec } from '../domain/seal-grants.ts';

/** Settings of {@link kmsKeyService}; every field has the Lambda default (the endpoint: AWS_ENDPOINT_URL_KMS). */
export type KmsOptions = AwsJsonOptions;

/** KMS envelope keys for {@link seal}/{@link unseal}, bound to the encryption context. */
export function kmsKeyService(keyId: string, options: KmsOptions = {}): KeyService {
  const kms = new AwsJsonClient(KMS, options);
  const context = (c: SealContext) => ({ mappingId: c.mappingId, purpose: c.purpose });
  const generateAction = `kms:GenerateDataKey on ${keyId}`;
  const decryptAction = `kms:Decrypt on ${keyId}`;
  return {
    async generateDataKey(c) {
      const out = await kms.call(
        'GenerateDataKey',
        { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context(c) },
        generateAction,
      );
      return {
        plaintext: blob(out, 'Plaintext', generateAction),
        ciphertext: blob(out, 'CiphertextBlob', generateAction),
      };
    },
    async decrypt(ciphertext, c) {
      const body = {
        CiphertextBlob: Buffer.from(ciphertext).toString('base64'),
        KeyId: keyId,
        EncryptionContext: context(c),
      };
      return blob(await kms.call('Decrypt', body, decryptAction), 'Plaintext', decryptAction);
    },
  };
}

/** The grant calls of the deploy-time seal grants resource (functions/seal-grants). */
export interface SealGrantService {
  /** Every grant on the key (all pages). */
  list(): Promise<ListedGrant[]>;
  /** Creates one grant bound to its exact encryption context; returns its id and token. */
  create(spec: SealGrantSpec): Promise<{ grantId: string; grantToken: string }>;
  /** Revokes one grant; one already gone counts as revoked. */
  revoke(grantId: string): Promise<void>;
}

/** {@link SealGrantService} on one key, through the same signed JSON client as the seal calls. */
export function kmsGrantService(keyArn: string, options: KmsOptions = {}): SealGrantService {
  const kms = new AwsJsonClient(KMS, options);
  return {
    async list() {
      const grants: ListedGrant[] = [];
      let marker: string | undefined;
      do {
        const out = await kms.call(
          'ListGrants',
          { KeyId: keyArn, Limit: 100, Marker: marker },
          `kms:ListGrants on ${keyArn}`,
        );
        for (const g of (out.Grants as Record<string, unknown>[] | undefined) ?? []) grants.push(listedGrant(g));
        marker = out.Truncated === true && typeof out.NextMarker === 'string' ? out.NextMarker : undefined;
      } while (marker !== undefined);
      return grants;
    },
    async create(spec) {
      const out = await kms.call(
        'CreateGrant',
        {
          KeyId: keyArn,
          GranteePrincipal: spec.granteePrincipal,
          Operations: [...spec.operations],
          Constraints: { EncryptionContextEquals: { ...spec.encryptionContext } },
          Name: spec.name,
        },
        `kms:CreateGrant on ${keyArn}`,
      );
      return { grantId: String(out.GrantId ?? ''), grantToken: String(out.GrantToken ?? '') };
    },
    async revoke(grantId) {
      try {
        await kms.call('RevokeGrant', { KeyId: keyArn, GrantId: grantId }, `kms:RevokeGrant on ${keyArn}`);
      } catch (e) {
        if ((e as Error).name !== 'NotFoundError') throw e;
      }
    },
  };
}

function listedGrant(g: Record<string, unknown>): ListedGrant {
  const constraints = g.Constraints as { EncryptionContextEquals?: Record<string, string> } | undefined;
  return {
    grantId: String(g.GrantId ?? ''),
    name: typeof g.Name === 'string' ? g.Name : undefined,
    granteePrincipal: typeof g.GranteePrincipal === 'string' ? g.GranteePrincipal : undefined,
    operations: Array.isArray(g.Operations) ? (g.Operations as string[]) : undefined,
    encryptionContextEquals: constraints?.EncryptionContextEquals,
  };
}

/** KMS's JSON protocol (awsJson1_1, `TrentService`). */
const KMS: AwsJsonService = {
  service: 'kms',
  endpointVariable: 'AWS_ENDPOINT_URL_KMS',
  contentType: 'application/x-amz-json-1.1',
  targetPrefix: 'TrentService',
};

/** The regional KMS endpoint, with the SDK's environment overrides. */
export function kmsEndpoint(region: string, env?: NodeJS.ProcessEnv): string {
  return awsEndpoint(KMS, region, env);
}

function blob(out: Record<string, unknown>, field: string, action: string): Uint8Array {
  const value = out[field];
  if (typeof value !== 'string')
    throw awsError(Object.assign(new Error(`the answer has no ${field}`), { name: 'InternalFailure' }), action);
  return Buffer.from(value, 'base64');
}
