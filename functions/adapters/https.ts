/**
 * The one HTTPS request loop of the project: send a request, collect the
 * answer's body as text. The Kubernetes adapter (kube.ts), the KMS adapter
 * (kms.ts), the CLI's own apiserver reads (bin/lib/kube-http.ts), the
 * benchmark baseline and the test bed's TLS requests all go through it; each
 * translates failures into its own errors.
 *
 * node:https only: node:http is another module to load at init (~20 ms, see
 * kms.ts), so a caller that may speak plain HTTP (an emulator) passes
 * node:http's `request` as the transport itself.
 */
import { request as httpsRequest, type Agent, type RequestOptions } from 'node:https';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** One request. The server's certificate is always verified (against `ca` when given). */
export interface HttpRequest {
  readonly method: string;
  readonly url: URL | string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent with an explicit content-length, never chunked. */
  readonly body?: string;
  /** PEM of the CA that signs the server's certificate. @default Node's trust store */
  readonly ca?: string | Buffer;
  /** Client certificate and key (kubeconfig users). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly agent?: Agent | RequestOptions['agent'];
  /**
   * Idle time after which the request fails with an error whose `code` is ETIMEDOUT (a hung server).
   * @default no idle timeout
   */
  readonly idleTimeoutMs?: number;
  /** Aborts the request (e.g. `AbortSignal.timeout(ms)` for a deadline); it then fails with an AbortError. */
  readonly signal?: AbortSignal;
}

/** The answer: status, headers and the body as UTF-8 text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** When the answer's headers arrived (ms since the epoch). */
  readonly respondedAt: number;
}

/** A request function with node:https's signature (node:http's, for a plain-HTTP endpoint). */
export type Transport = (
  url: URL | string,
  options: RequestOptions,
  callback: (res: IncomingMessage) => void,
) => ClientRequest;

/**
 * Sends one request and reads the whole answer.
 *
 * @throws the transport's error (with its `code`: ECONNRESET, ECONNREFUSED, a TLS code, ETIMEDOUT for
 *   the idle timeout) or an AbortError; never one that holds a header or body of the request.
 */
export function send(req: HttpRequest, transport: Transport = httpsRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    // Explicit length, never chunked: the apiserver may answer a DELETE without reading a chunked body,
    // which leaves its bytes on the kept-alive connection and breaks the next request (400).
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const options: RequestOptions = {
      method: req.method,
      headers,
      ...(req.ca !== undefined && { ca: req.ca }),
      ...(req.cert !== undefined && { cert: req.cert }),
      ...(req.key !== undefined && { key: req.key }),
      ...(req.agent !== undefined && { agent: req.agent }),
      ...(req.idleTimeoutMs !== undefined && { timeout: req.idleTimeoutMs }),
      ...(req.signal !== undefined && { signal: req.signal }),
    };
    const sent = transport(req.url, options, (res) => {
      const respondedAt = Date.now();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, respondedAt });
      });
    });
    const idle = () => Object.assign(new Error(`no answer within ${req.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' });
    sent.on('timeout', () => sent.destroy(idle()));
    sent.on('error', reject);
    sent.end(req.body);
  });
}
