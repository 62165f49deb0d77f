// The fault proxy itself, in front of a local HTTP server: what it forwards,
// what it injects, and what it counts. (Its TLS side is exercised by every
// test in test/e2e/faults-kube.test.ts, against the real kube-apiserver.)
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsJsonError, FaultProxy, kubeStatus, kubeTooManyRequests } from '../../testbed/fault-proxy.ts';

let upstream: Server;
let proxy: FaultProxy;
const seen: { method: string; url: string; host: string; body: string }[] = [];

interface Answer {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  error?: string;
}

function call(
  url: string,
  opts: { method?: string; target?: string; body?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = opts.target ? { 'x-amz-target': opts.target } : {};
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers, timeout: opts.timeoutMs ?? 2000, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: Error & { code?: string }) => resolve({ error: e.code ?? e.message }));
    req.end(opts.body);
  });
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        host: req.headers.host!,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await FaultProxy.start({ target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
});

afterAll(async () => {
  await proxy.stop();
  await new Promise((r) => upstream.close(r));
});

beforeEach(() => {
  proxy.reset();
  seen.length = 0;
});

describe('FaultProxy', () => {
  it('forwards method, path, body and answer unchanged when no rule matches, with the target as Host', async () => {
    const answer = await call(`${proxy.url()}/api/v1/x?y=1`, { method: 'POST', body: 'hello' });
    expect(answer).toMatchObject({ status: 200, body: '{"ok":true}', headers: { 'x-upstream': 'yes' } });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/api/v1/x?y=1',
        host: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        body: 'hello',
      },
    ]);
    expect(proxy.requests).toMatchObject([{ method: 'POST', path: '/api/v1/x?y=1', status: 200 }]);
  });

  it('strips a client tag from the path and matches rules on it, the method, the path and X-Amz-Target', async () => {
    const rule = proxy.add({
      client: 'read',
      method: 'POST',
      path: /^\/$/,
      target: 'TrentService.Decrypt',
      fault: awsJsonError('ThrottlingException', 'Rate exceeded'),
    });
    const hit = await call(proxy.url('read'), { method: 'POST', target: 'TrentService.Decrypt' });
    const otherClient = await call(proxy.url('apply'), { method: 'POST', target: 'TrentService.Decrypt' });
    const otherTarget = await call(proxy.url('read'), { method: 'POST', target: 'TrentService.Encrypt' });
    expect(hit).toMatchObject({
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException:' },
    });
    expect(JSON.parse(hit.body!)).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    expect([otherClient.status, otherTarget.status]).toEqual([200, 200]);
    expect(seen.map((s) => s.url)).toEqual(['/', '/']);
    expect([rule.matched, rule.faulted]).toEqual([1, 1]);
  });

  it('applies a fault to the first `times` matches only and counts every match', async () => {
    const rule = proxy.add({ path: /secrets/, times: 2, fault: kubeStatus(503, 'ServiceUnavailable', 'unavailable') });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(`${proxy.url()}/api/v1/secrets`)).status);
    expect(statuses).toEqual([503, 503, 200, 200]);
    expect([rule.matched, rule.faulted]).toEqual([4, 2]);
  });

  it('answers in the apiserver formats: a Status for errors, plain text with Retry-After for 429', async () => {
    proxy.add({
      times: 1,
      fault: kubeStatus(500, 'InternalError', 'Internal error occurred: boom', { causes: [{ message: 'boom' }] }),
    });
    proxy.add({ times: 1, fault: kubeTooManyRequests(3) });
    const status = await call(proxy.url());
    const throttled = await call(proxy.url());
    expect(JSON.parse(status.body!)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Internal error occurred: boom',
      reason: 'InternalError',
      details: { causes: [{ message: 'boom' }] },
      code: 500,
    });
    expect(throttled).toMatchObject({
      status: 429,
      body: 'Too many requests, please try again later.\n',
      headers: { 'retry-after': '3' },
    });
  });

  it('resets the connection without forwarding', async () => {
    proxy.add({ times: 1, fault: { kind: 'reset' } });
    expect((await call(proxy.url(), { method: 'PATCH', body: 'x' })).error).toBe('ECONNRESET');
    expect(seen).toEqual([]);
  });

  it('holds a request until the client gives up, never forwarding it', async () => {
    proxy.add({ times: 1, fault: { kind: 'hold' } });
    const started = Date.now();
    expect((await call(proxy.url(), { timeoutMs: 200 })).error).toBe('ETIMEDOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await proxy.settled(20);
    expect(seen).toEqual([]);
  });

  it('closes a held request itself after `ms`', async () => {
    proxy.add({ times: 1, fault: { kind: 'hold', ms: 50 } });
    expect((await call(proxy.url(), { timeoutMs: 5000 })).error).toBe('ECONNRESET');
  });

  it('forwards and then loses the answer: the target acted, the client saw a reset', async () => {
    proxy.add({ times: 1, fault: { kind: 'lose-response' } });
    expect((await call(proxy.url(), { method: 'PATCH', body: 'applied' })).error).toBe('ECONNRESET');
    expect(seen).toMatchObject([{ method: 'PATCH', body: 'applied' }]);
    expect(proxy.requests).toMatchObject([{ fault: 'lose-response', status: undefined }]);
  });

  it('settles only after no request was in flight for the quiet time', async () => {
    proxy.add({ times: 1, fault: { kind: 'hold', ms: 150 } });
    const held = call(proxy.url(), { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await proxy.settled(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await held;
  });
});

describe('recordBodiesOf', () => {
  it('keeps the request bodies of the named targets only', async () => {
    const port = (upstream.address() as AddressInfo).port;
    const recorder = await FaultProxy.start({ target: `http://127.0.0.1:${port}`, recordBodiesOf: /^TrentService\./ });
    try {
      await call(recorder.url('fetch'), { method: 'POST', target: 'TrentService.Decrypt', body: '{"KeyId":"k"}' });
      await call(recorder.url('fetch'), { method: 'POST', target: 'secretsmanager.GetSecretValue', body: '{"x":1}' });
      await call(recorder.url('fetch'), { method: 'POST', body: 'no target' });

      expect(recorder.requests.map((r) => [r.target, r.client, r.body])).toStrictEqual([
        ['TrentService.Decrypt', 'fetch', '{"KeyId":"k"}'],
        ['secretsmanager.GetSecretValue', 'fetch', undefined],
        [undefined, 'fetch', undefined],
      ]);
    } finally {
      await recorder.stop();
    }
  });
});
