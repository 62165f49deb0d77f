/**
 * Positive controls of the race checker (test/support/write-history.ts): an
 * audit log written here in the kube-apiserver's JSON format, with each kind
 * of violation planted, must be reported; a clean history must not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acceptedWrites, orderViolations } from '../support/write-history.ts';

const DIR = mkdtempSync(join(tmpdir(), 'write-history-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** One audit event as the apiserver writes it (audit.k8s.io/v1 Event, stage ResponseComplete). */
function event(rv: number, version: string | undefined, opts: { verb?: string; code?: number; name?: string } = {}) {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `id-${rv}`,
    stage: 'ResponseComplete',
    verb: opts.verb ?? 'patch',
    user: { username: 'eks-secret-sync:race' },
    objectRef: { resource: 'secrets', namespace: 'audited-0', name: opts.name ?? 'app-config', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: opts.code ?? 200 },
    responseObject: {
      kind: 'Secret',
      metadata: {
        name: opts.name ?? 'app-config',
        resourceVersion: String(rv),
        annotations: version ? { 'eks-secret-sync.io/source-version-id': version } : {},
      },
    },
  });
}

function historyOf(lines: string[]) {
  const file = join(DIR, `${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return acceptedWrites(file, 'audited-0', 'app-config');
}

const VERSIONS = ['v1', 'v2', 'v3'];

describe('acceptedWrites', () => {
  it('keeps accepted writes of the Secret in commit order, and drops refused ones, reads and other Secrets', () => {
    const writes = historyOf([
      event(12, 'v3'),
      event(10, 'v1', { verb: 'create', code: 201 }),
      event(11, 'v2', { code: 409 }),
      event(11, 'v2', { verb: 'get' }),
      event(13, 'v1', { name: 'other' }),
    ]);
    expect(writes.map((w) => [w.resourceVersion, w.verb, w.sourceVersion])).toEqual([
      [10, 'create', 'v1'],
      [12, 'patch', 'v3'],
    ]);
  });

  it('refuses an event without a response body (a namespace the policy does not record)', () => {
    const bare = JSON.parse(event(10, 'v1'));
    delete bare.responseObject;
    expect(() => historyOf([JSON.stringify(bare)])).toThrow(/no response body/);
  });
});

describe('orderViolations', () => {
  it('finds nothing in a history that only moves forward and ends at the newest', () => {
    expect(
      orderViolations(historyOf([event(1, 'v1'), event(2, 'v2'), event(3, 'v2'), event(4, 'v3')]), VERSIONS),
    ).toEqual([]);
  });

  it('reports a write that goes back to an older version, even when a later write repairs it', () => {
    const v = orderViolations(historyOf([event(1, 'v2'), event(2, 'v1'), event(3, 'v3')]), VERSIONS);
    expect(v).toEqual([
      expect.objectContaining({ resourceVersion: 2, wrote: 'v1', after: 'v2', reason: 'went backwards' }),
    ]);
  });

  it('reports a history whose last write is not the newest version', () => {
    const v = orderViolations(historyOf([event(1, 'v1'), event(2, 'v2')]), VERSIONS);
    expect(v.map((x) => x.reason)).toEqual(['last write is not the newest']);
  });

  it('reports a write of a version the trial never created', () => {
    const v = orderViolations(historyOf([event(1, 'v0'), event(2, 'v3')]), VERSIONS);
    expect(v.map((x) => x.reason)).toEqual(['unknown version']);
  });
});
