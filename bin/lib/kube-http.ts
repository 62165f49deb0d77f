/**
 * Plain requests to the kube-apiserver for the CLI's own reads (status, doctor):
 * verifies the cluster CA, authenticates with the target's token or client
 * certificate, and keeps the Date header (doctor compares clocks with it).
 * The pipeline's steps use functions/adapters/kube.ts instead.
 */
import { send, type HttpAnswer } from '../../functions/adapters/https.ts';
import type { KubeTarget } from './cluster.ts';

/** One apiserver answer. */
export interface KubeAnswer {
  readonly status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: a Kubernetes object or Status as JSON; callers read what they know.
  readonly body: any;
  /** The Date header, when sent. */
  readonly date?: string;
  /** Local time (ms) half-way between sending and receiving, to compare with {@link date}. */
  readonly localTime: number;
}

/**
 * Sends one request.
 *
 * @throws Error (one line, no credential) when the connection or TLS fails or it times out (10 s idle).
 */
export async function kubeCall(target: KubeTarget, method: string, path: string, body?: unknown): Promise<KubeAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const sent = Date.now();
  const url = new URL(path, `${target.server}/`);
  const tls = { ca: target.caPem, cert: target.cert, key: target.key };
  let answer: HttpAnswer;
  try {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    answer = await send({ method, url, headers, body: payload, ...tls, idleTimeoutMs: 10_000 });
  } catch (e) {
    throw networkError(e as Error & { code?: string }, target.server);
  }
  let parsed: unknown = answer.body;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    // not JSON: keep the text
  }
  return { status: answer.status, body: parsed, date: answer.headers.date, localTime: (sent + answer.respondedAt) / 2 };
}

function networkError(e: Error & { code?: string }, server: string): Error {
  const code = e.code ?? 'unknown';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new Error(`TLS verification of ${server} failed (${code}): the CA does not match the cluster`);
  }
  return new Error(`request to ${server} failed (${code})`);
}

/** The apiserver's message of an error answer, on one line (Status.message, else the HTTP status). */
export function kubeMessage(answer: KubeAnswer): string {
  const message = (answer.body as { message?: unknown })?.message;
  return typeof message === 'string' ? message.replace(/\s+/g, ' ') : `HTTP ${answer.status}`;
}

/**
 * A failed answer as an Error naming the identity and what it tried; 401 says
 * how to get access.
 */
export function kubeError(answer: KubeAnswer, target: KubeTarget, what: string): Error {
  if (answer.status === 401) {
    const binding =
      target.mintedFor === undefined
        ? ''
        : `the token is bound to the cluster name ${JSON.stringify(target.mintedFor)} it was signed for, and the ` +
          `cluster at ${target.server} has another name (check the mapping's cluster.name), or `;
    return new Error(
      `the cluster refused the credentials of ${target.identity} (401) while trying to ${what}: ${binding}the token ` +
        `expired, or your IAM identity has no access entry on the cluster`,
    );
  }
  return new Error(`could not ${what} as ${target.identity}: ${kubeMessage(answer)} (${answer.status})`);
}
