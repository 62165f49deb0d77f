/**
 * One signed AWS JSON-protocol client (awsJson1_0 / awsJson1_1: POST, `x-amz-target`, a JSON body) over
 * node:http(s) (the HTTPS primitive, https.ts), signed with @smithy/signature-v4, credentials from
 * @aws-sdk/credential-provider-env, retried with @smithy/core's StandardRetryStrategy (the SDK's own standard
 * retry: 3 attempts, backoff with jitter). The KMS adapter (kms.ts) and the sync ledger's write (ledger.ts) speak
 * through it instead of their SDK clients, whose module init is most of a function's cold start
 * (docs/decisions.md#a-hand-written-kms-adapter-instead-of-aws-sdkclient-kms,
 * docs/decisions.md#the-ledger-write-without-aws-sdkclient-dynamodb).
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
import { noDeadline, type TimeLeft } from '../domain/ports.ts';
import { AWS_PARTITION, regionalHost } from '../domain/partitions.ts';
import type { SyncError } from '../domain/errors.ts';
import { assertTimeForAttempt, MIN_ATTEMPT_MS } from './deadline.ts';

/** Settings of one client; every field has the Lambda default. */
export interface AwsJsonOptions {
  /** @default process.env.AWS_REGION */
  readonly region?: string;
  /** @default the SDK's AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else the regional endpoint */
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

/** What tells one service's JSON protocol apart. */
export interface AwsJsonService {
  /** Signing name and endpoint prefix: `kms`, `dynamodb`. */
  readonly service: string;
  /** The SDK's environment override of the endpoint: `AWS_ENDPOINT_URL_KMS`. */
  readonly endpointVariable: string;
  /** awsJson1_1 (KMS) or awsJson1_0 (DynamoDB). */
  readonly contentType: 'application/x-amz-json-1.1' | 'application/x-amz-json-1.0';
  /** `x-amz-target` is this prefix, a dot and the operation: `TrentService`, `DynamoDB_20120810`. */
  readonly targetPrefix: string;
}

/** The regional endpoint of a service, with the SDK's environment overrides. */
export function awsEndpoint(
  service: Pick<AwsJsonService, 'service' | 'endpointVariable'>,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const configured = env[service.endpointVariable] ?? env.AWS_ENDPOINT_URL;
  if (configured) return configured;
  // A region of an unknown isolated partition keeps the commercial suffix (set AWS_ENDPOINT_URL there).
  const host = regionalHost(service.service, region) ?? `${service.service}.${region}.${AWS_PARTITION.dnsSuffix}`;
  return `https://${host}`;
}

/** A signed JSON-protocol client of one AWS service. */
export class AwsJsonClient {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private transport?: Promise<{ readonly request: Transport; readonly agent: Agent }>;
  private readonly timeoutMs: number;
  private readonly timeLeft: TimeLeft;
  private readonly retries: StandardRetryStrategy;
  private readonly spec: AwsJsonService;

  constructor(spec: AwsJsonService, options: AwsJsonOptions = {}) {
    this.spec = spec;
    const region = options.region ?? process.env.AWS_REGION ?? '';
    this.url = new URL(options.endpoint ?? awsEndpoint(spec, region));
    const credentials = options.credentials ?? fromEnv();
    // applyChecksum false: like botocore, no x-amz-content-sha256 header for a non-S3 service.
    this.signer = new SignatureV4({
      service: spec.service,
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
   * One call.
   *
   * @param action - Names the call in messages: `kms:Decrypt on <key>`.
   * @throws the error contract's error for the failure (awsError): TransientError for throttling,
   *   5xx, timeouts and resets; PermissionDeniedError; NotFoundError; InvalidInputError otherwise.
   */
  async call(operation: string, input: object, action: string): Promise<Record<string, unknown>> {
    let token = await this.retries.acquireInitialRetryToken(this.spec.service);
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
        'content-type': this.spec.contentType,
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-target': `${this.spec.targetPrefix}.${operation}`,
      },
      body,
    });
    const res = await this.send(signed.headers as Record<string, string>, body, timeoutMs);
    const parsed = parseJson(res.text);
    if (res.status < 200 || res.status >= 300)
      throw jsonFailure(res.status, res.headers['x-amzn-errortype'], parsed, res.text);
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
function jsonFailure(
  status: number,
  errorType: string | string[] | undefined,
  body: Record<string, unknown> | undefined,
  text: string,
) {
  // AWS JSON errors: `__type` ("NotFoundException", "com.amazonaws.kms#NotFoundException",
  // "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"), or the x-amzn-ErrorType header
  // ("NotFoundException:http://..."); the message as `message` or `Message`.
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
