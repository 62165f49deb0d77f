// A fault-injecting reverse proxy on loopback, put in front of the test bed's
// real servers (kube-apiserver over TLS, moto over HTTP) so that the Lambdas'
// real clients meet real network failures: injected answers in the servers'
// own formats, held requests, connection resets, and lost responses. Nothing
// in the product knows it is there: the functions are pointed at it through
// their ordinary endpoint settings (CLUSTER_ENDPOINT, AWS_ENDPOINT_URL).
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to a request a rule selects. */
export type Fault =
  /** Answer in the target's place (the request never reaches it). */
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly body: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Never answer; after `ms` (default: when the client gives up) close the connection. Never forwarded. */
  | { readonly kind: 'hold'; readonly ms?: number }
  /** Reset the client's connection (TCP RST) without forwarding. */
  | { readonly kind: 'reset' }
  /** Forward, let the target act, then reset the client's connection instead of answering. */
  | { readonly kind: 'lose-response' };

/** Selects requests; every given field must match. */
export interface FaultRule {
  readonly method?: string;
  readonly path?: RegExp;
  /** The AWS JSON protocol operation, the `X-Amz-Target` header (e.g. `TrentService.Decrypt`). */
  readonly target?: string;
  /** The tag of the client's endpoint URL (see {@link FaultProxy.url}). */
  readonly client?: string;
  /** Apply the fault to the first `times` matches only; later matches pass. @default Infinity */
  readonly times?: number;
  readonly fault: Fault;
}

/** A rule as added: counts what it saw. */
export interface ActiveRule extends FaultRule {
  /** Requests that matched, faulted or not. */
  readonly matched: number;
  /** Requests the fault was applied to. */
  readonly faulted: number;
}

/** One request the proxy saw. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly target?: string;
  readonly client?: string;
  /** The fault applied, if any. */
  readonly fault?: Fault['kind'];
  /** The status the client received (undefined when it received none). */
  readonly status?: number;
  /** When the request arrived (ms since the epoch). */
  readonly at: number;
  /** The request body, kept only for targets {@link FaultProxyOptions.recordBodiesOf} names. */
  readonly body?: string;
}

/** Where the proxy forwards to and how it listens. */
export interface FaultProxyOptions {
  /** Base URL of the real server (`https://127.0.0.1:6443`, `http://127.0.0.1:5000`). */
  readonly target: string;
  /** PEM the target's certificate must verify against (https targets). */
  readonly targetCa?: string | Buffer;
  /** Serving certificate and key: when given the proxy listens with TLS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /**
   * The `x-amz-target`s whose request bodies the log keeps (e.g. `/^TrentService\./`, KMS), to assert what the
   * functions sent. None by default: a body may hold what no test should keep.
   */
  readonly recordBodiesOf?: RegExp;
}

const TAG = /^\/@([A-Za-z0-9_-]+)(\/.*)?$/;

/**
 * A reverse proxy with fault rules, listening on 127.0.0.1. Rules are checked
 * in the order they were added; the first that matches and still has faults
 * left decides.
 */
export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  private readonly rules: { rule: FaultRule; matched: number; faulted: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly options: FaultProxyOptions;
  private port = 0;
  private active = 0;
  private lastActivity = Date.now();

  private constructor(options: FaultProxyOptions) {
    this.options = options;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
      : createHttpServer(handler);
    this.server.on(options.tls ? 'secureConnection' : 'connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Starts a proxy on a free loopback port. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const p = new FaultProxy(options);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.port = (p.server.address() as AddressInfo).port;
    return p;
  }

  /** The proxy's base URL; a `tag` is sent as a path prefix (`/@tag`) and stripped before forwarding. */
  url(tag?: string): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}${tag ? `/@${tag}` : ''}`;
  }

  /** Adds a rule and returns its live counters. */
  add(rule: FaultRule): ActiveRule {
    const entry = { rule, matched: 0, faulted: 0 };
    this.rules.push(entry);
    return {
      ...rule,
      get matched() {
        return entry.matched;
      },
      get faulted() {
        return entry.faulted;
      },
    };
  }

  /** Removes every rule and forgets the request log. */
  reset(): void {
    this.rules.length = 0;
    this.requests.length = 0;
  }

  /**
   * Resolves once no request has been in flight for `quietMs`: a client that
   * gave up on a call may still be retrying a sibling call in the background.
   */
  async settled(quietMs: number): Promise<void> {
    for (;;) {
      const wait = this.lastActivity + quietMs - Date.now();
      if (this.active === 0 && wait <= 0) return;
      await new Promise((r) => setTimeout(r, Math.max(wait, 20)));
    }
  }

  /** Stops listening and closes every connection, held ones included. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.active++;
    this.lastActivity = Date.now();
    const done = () => {
      this.active--;
      this.lastActivity = Date.now();
    };
    res.once('close', done);
    const tagged = TAG.exec(req.url ?? '/');
    const path = tagged ? (tagged[2] ?? '/') : (req.url ?? '/');
    const seen = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      target: header(req, 'x-amz-target'),
      client: tagged?.[1],
    };
    const body = await readBody(req);
    const fault = this.select(seen);
    const kept = seen.target !== undefined && this.options.recordBodiesOf?.test(seen.target);
    const log = (status?: number): void => {
      this.requests.push({ ...seen, fault: fault?.kind, status, ...(kept && { body: body.toString('utf8') }) });
    };
    switch (fault?.kind) {
      case 'respond':
        res.writeHead(fault.status, { 'content-length': Buffer.byteLength(fault.body), ...fault.headers });
        res.end(fault.body);
        return log(fault.status);
      case 'hold': {
        const timer = fault.ms === undefined ? undefined : setTimeout(() => req.socket.destroy(), fault.ms);
        req.socket.once('close', () => clearTimeout(timer));
        return log();
      }
      case 'reset':
        resetSocket(req.socket);
        return log();
      default: {
        const answer = await this.forward(req, path, body).catch((e: Error) => e);
        if (answer instanceof Error) {
          resetSocket(req.socket);
          return log();
        }
        if (fault?.kind === 'lose-response') {
          resetSocket(req.socket);
          return log();
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return log(answer.status);
      }
    }
  }

  private select(seen: Omit<ProxiedRequest, 'fault' | 'status'>): Fault | undefined {
    for (const entry of this.rules) {
      const r = entry.rule;
      if (r.method && r.method !== seen.method) continue;
      if (r.path && !r.path.test(seen.path)) continue;
      if (r.target && r.target !== seen.target) continue;
      if (r.client && r.client !== seen.client) continue;
      entry.matched++;
      if (entry.faulted >= (r.times ?? Infinity)) continue;
      entry.faulted++;
      return r.fault;
    }
    return undefined;
  }

  private forward(
    req: IncomingMessage,
    path: string,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const target = new URL(this.options.target);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'connection') headers[k] = v;
    headers.host = target.host;
    headers['content-length'] = String(body.length);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const out = send(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path,
          headers,
          ca: this.options.targetCa,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const h: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined && k !== 'connection' && k !== 'transfer-encoding') h[k] = v;
            const all = Buffer.concat(chunks);
            h['content-length'] = String(all.length);
            resolve({ status: res.statusCode ?? 502, headers: h, body: all });
          });
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

/** A TCP RST where the socket allows it (plain TCP), else an abrupt close (TLS). */
function resetSocket(socket: Socket): void {
  const s = socket as Socket & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === 'function' && !('encrypted' in s)) s.resetAndDestroy();
  else s.destroy();
}

/**
 * A Kubernetes Status answer, shaped like the apiserver's (apimachinery
 * pkg/api/errors): `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}`.
 */
export function kubeStatus(
  code: number,
  reason: string,
  message: string,
  details?: object,
  headers: Record<string, string> = {},
): Fault {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details && { details }),
    code,
  });
  return {
    kind: 'respond',
    status: code,
    body,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-cache, private', ...headers },
  };
}

/**
 * The apiserver's 429 from its max-in-flight and priority-and-fairness
 * filters (apiserver pkg/server/filters: `http.Error` with a Retry-After),
 * which is plain text, not a Status.
 */
export function kubeTooManyRequests(retryAfterSeconds: number): Fault {
  return {
    kind: 'respond',
    status: 429,
    body: 'Too many requests, please try again later.\n',
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'retry-after': String(retryAfterSeconds),
    },
  };
}

/**
 * An AWS JSON protocol (1.0/1.1) error: `{"__type": ..., "message": ...}` with
 * the x-amzn-ErrorType and x-amzn-RequestId headers, as Secrets Manager and KMS send.
 */
export function awsJsonError(type: string, message: string, status = 400): Fault {
  return {
    kind: 'respond',
    status,
    body: JSON.stringify({ __type: type, message }),
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': `${type}:`,
      'x-amzn-requestid': randomUUID(),
    },
  };
}
