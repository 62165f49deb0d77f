import { send } from '../functions/adapters/https.ts';

/** TLS material and credentials for one request; the CA is always verified. */
export interface TlsRequestOptions {
  readonly ca: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly bearerToken?: string;
  readonly method?: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

/** Response of {@link httpsRequest}: status and raw body text. */
export interface TextResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * One HTTPS request that verifies the server against `ca` (never skips verification), over the product's
 * HTTPS primitive (functions/adapters/https.ts).
 *
 * @throws the transport's error; on the idle timeout an Error naming the request.
 */
export async function httpsRequest(url: string, opts: TlsRequestOptions): Promise<TextResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.bearerToken) headers.authorization = `Bearer ${opts.bearerToken}`;
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const method = opts.method ?? 'GET';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const { ca, cert, key, body } = opts;
  try {
    const answer = await send({ method, url, headers, body, ca, cert, key, idleTimeoutMs: timeoutMs });
    return { status: answer.status, body: answer.body };
  } catch (e) {
    if ((e as { code?: string }).code !== 'ETIMEDOUT') throw e;
    throw new Error(`timeout after ${timeoutMs}ms: ${method} ${url}`, { cause: e });
  }
}
