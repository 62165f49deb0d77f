/**
 * The two KMS calls of envelope sealing (GenerateDataKey, Decrypt) over
 * node:http(s) (the HTTPS primitive, https.ts), signed with @smithy/signature-v4, credentials from
 * @aws-sdk/credential-provider-env.
 *
 * Why not @aws-sdk/client-kms (its module init was most of four functions'
 * cold start), with the measurements:
 * docs/decisions.md#a-hand-written-kms-adapter-instead-of-aws-sdkclient-kms.
 * This adapter speaks the same JSON 1.1 protocol with the same endpoint
 * settings and the SDK's own standard retry strategy (3 attempts, backoff with
 * jitter); its signature is checked against botocore's in
 * test/testbed/kms.test.ts.
 */
import type { Agent } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { awsError, isThrottling } from './aws-errors.ts';
import { send, type Transport } from './https.ts';
import type { AwsCredentials } from './eks-token.ts';
import { noDeadline, type KeyService, type SealContext, type TimeLeft } from '../domain/ports.ts';
import type { SyncError } from '../domain/errors.ts';
import { assertTimeForAttempt, MIN_ATTEMPT_MS } from './deadline.ts';
import type { ListedGrant, SealGrantSpec } from '../domain/seal-grants.ts';

/** Settings of {@link kmsKeyService}; every field has the Lambda default. */
export interface KmsOptions {
  /** @default process.env.AWS_REGION */
  readonly region?: string;
  /** @default the SDK's AWS_ENDPOINT_URL_KMS, else AWS_ENDPOINT_URL, else the regional endpoint */
  readonly endpoint?: string;
  /** @default the Lambda environment's credentials (fromEnv) */
  readonly credentials?: () => Promise<AwsCredentials>;
  /**
   * Deadline of one attempt: a hung call fails as a TransientError instead of running into the Lambda timeout. @default
   * 5000
   */
  readonly timeoutMs?: number;
  /** The invocation's time left; no attempt starts without enough, none runs past it. @default no deadline */
  readonly timeLeft?: TimeLeft;
  /** Attempts per call, as the SDK's `maxAttempts`. @default 3 */
  readonly maxAttempts?: number;
}

/** KMS envelope keys for {@link seal}/{@link unseal}, bound to the encryption context. */
export function kmsKeyService(keyId: string, options: KmsOptions = {}): KeyService {
  const kms = new KmsJsonClient(options);
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
  const kms = new KmsJsonClient(options);
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

/** The regional KMS endpoint, with the SDK's environment overrides. */
export function kmsEndpoint(region: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.AWS_ENDPOINT_URL_KMS ?? env.AWS_ENDPOINT_URL;
  if (configured) return configured;
  return `https://kms.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

class KmsJsonClient {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private transport?: Promise<{ readonly request: Transport; readonly agent: Agent }>;
  private readonly timeoutMs: number;
  private readonly timeLeft: TimeLeft;
  private readonly retries: StandardRetryStrategy;

  constructor(options: KmsOptions) {
    const region = options.region ?? process.env.AWS_REGION ?? '';
    this.url = new URL(options.endpoint ?? kmsEndpoint(region));
    const credentials = options.credentials ?? fromEnv();
    // applyChecksum false: like botocore, no x-amz-content-sha256 header for a non-S3 service.
    this.signer = new SignatureV4({
      service: 'kms',
      region,
      credentials,
      sha256: Hash.bind(null, 'sha256'),
      applyChecksum: false,
    });
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.timeLeft = options.timeLeft ?? noDeadline;
    this.retries = new StandardRetryStrategy(options.maxAttempts ?? 3);
  }

  /**
   * One KMS call.
   *
   * @throws the error contract's error for the failure (awsError): TransientError for throttling,
   *   5xx, timeouts and resets; PermissionDeniedError; NotFoundError; InvalidInputError otherwise.
   */
  async call(operation: string, input: object, action: string): Promise<Record<string, unknown>> {
    let token = await this.retries.acquireInitialRetryToken('kms');
    let failed: SyncError | undefined;
    for (;;) {
      // Each attempt gets the smaller of its own deadline and the invocation's time left; a retry that no
      // longer fits ends with the last attempt's failure.
      if (failed && this.timeLeft() < MIN_ATTEMPT_MS) throw failed;
      const timeoutMs = Math.min(this.timeoutMs, assertTimeForAttempt(this.timeLeft, action));
      try {
        const out = await this.attempt(operation, input, timeoutMs);
        this.retries.recordSuccess(token);
        return out;
      } catch (e) {
        const failure = awsError(e, action);
        if (failure.name !== 'TransientError') throw failure;
        failed = failure;
        try {
          token = await this.retries.refreshRetryTokenForRetry(token, {
            errorType: isThrottling(e) ? 'THROTTLING' : 'TRANSIENT',
          });
        } catch {
          throw failure; // attempts or retry capacity used up
        }
      }
    }
  }

  /** One signed request; throws errors shaped like the SDK's (name, message, $metadata). */
  private async attempt(operation: string, input: object, timeoutMs: number): Promise<Record<string, unknown>> {
    const body = JSON.stringify(input);
    // Signed per attempt: the credentials provider and the clock are read now.
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port ? Number(this.url.port) : undefined,
      path: this.url.pathname,
      query: {},
      headers: {
        host: this.url.host,
        'content-type': 'application/x-amz-json-1.1',
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-target': `TrentService.${operation}`,
      },
      body,
    });
    const res = await this.send(signed.headers as Record<string, string>, body, timeoutMs);
    const parsed = parseJson(res.text);
    if (res.status < 200 || res.status >= 300)
      throw kmsFailure(res.status, res.headers['x-amzn-errortype'], parsed, res.text);
    if (!parsed) throw Object.assign(new Error('the answer is not a JSON object'), { name: 'InternalFailure' });
    return parsed;
  }

  /**
   * node:https with a keep-alive agent, like the SDK (warm invocations reuse the TLS connection). Plain HTTP only
   * reaches an emulator (AWS_ENDPOINT_URL at moto), so node:http is loaded only then: an ESM import of node:http
   * costs about 20 ms of module init (its namespace evaluates lazy exports that load undici;
   * docs/decisions.md#esm-import-of-nodehttp-only-for-plain-http).
   */
  private connection() {
    this.transport ??=
      this.url.protocol === 'http:'
        ? import('node:http').then((http) => ({ request: http.request, agent: new http.Agent({ keepAlive: true }) }))
        : Promise.resolve({ request: httpsRequest, agent: new HttpsAgent({ keepAlive: true }) });
    return this.transport;
  }

  private async send(headers: Record<string, string>, body: string, timeoutMs: number) {
    const { request, agent } = await this.connection();
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      const res = await send({ method: 'POST', url: this.url, headers, body, agent, signal }, request);
      return { status: res.status, headers: res.headers, text: res.body };
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
      throw Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' });
    }
  }
}

/** An error shaped like the SDK's (name, message, $metadata) for {@link awsError}. */
function kmsFailure(
  status: number,
  errorType: string | string[] | undefined,
  body: Record<string, unknown> | undefined,
  text: string,
) {
  // AWS JSON errors: `__type` ("NotFoundException" or "com.amazonaws.kms#NotFoundException"), or the
  // x-amzn-ErrorType header ("NotFoundException:http://..."); the message as `message` or `Message`.
  const raw =
    (typeof errorType === 'string' && errorType) ||
    (typeof body?.__type === 'string' && body.__type) ||
    `HTTP${status}`;
  const name = raw.split(':')[0]!.split('#').pop()!;
  // AWS's own message from a JSON error; a body that is not AWS's JSON (a proxy's page, anything) is not quoted.
  const message =
    typeof body?.message === 'string'
      ? body.message
      : typeof body?.Message === 'string'
        ? body.Message
        : `a ${text.length}-byte answer that is not AWS JSON`;
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function blob(out: Record<string, unknown>, field: string, action: string): Uint8Array {
  const value = out[field];
  if (typeof value !== 'string')
    throw awsError(Object.assign(new Error(`the answer has no ${field}`), { name: 'InternalFailure' }), action);
  return Buffer.from(value, 'base64');
}
