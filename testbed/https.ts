import { request } from 'node:https';

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

/** One HTTPS request that verifies the server against `ca` (never skips verification). */
export function httpsRequest(url: string, opts: TlsRequestOptions): Promise<TextResponse> {
  return new Promise((resolveReq, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.bearerToken) headers.authorization = `Bearer ${opts.bearerToken}`;
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        headers,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolveReq({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 10_000}ms: ${opts.method ?? 'GET'} ${url}`)),
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
