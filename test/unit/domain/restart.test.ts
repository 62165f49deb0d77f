import { describe, expect, it } from 'vitest';
import {
  parseWorkload,
  parseWorkloads,
  recheckAfter,
  restartAfter,
  restartFailure,
  restartPatch,
  rfc3339Seconds,
} from '../../../functions/domain/restart.ts';
import {
  ConfigError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  TransientError,
  UnauthorizedError,
} from '../../../functions/domain/errors.ts';
import { restartTargetsFrom } from '../../../functions/runtime/options.ts';

const TARGETS = ['statefulset/db', 'deployment/api'];

describe('parseWorkload', () => {
  it.each([
    ['deployment/api', { kind: 'Deployment', resource: 'deployments', name: 'api' }],
    ['statefulset/db-0.primary', { kind: 'StatefulSet', resource: 'statefulsets', name: 'db-0.primary' }],
    ['daemonset/agent', { kind: 'DaemonSet', resource: 'daemonsets', name: 'agent' }],
  ])('reads %s', (ref, want) => {
    expect(parseWorkload(ref)).toStrictEqual({ ref, ...want });
  });

  it.each([
    'job/x',
    'deployment',
    'deployment/',
    'Deployment/api',
    'deployment/API',
    'deployment/a/b',
    `deployment/${'a'.repeat(254)}`,
  ])('refuses %j with the forms it accepts', (ref) => {
    expect(() => parseWorkload(ref)).toThrow(InvalidInputError);
    expect(() => parseWorkload(ref)).toThrow('expected deployment/<name>, statefulset/<name> or daemonset/<name>');
  });

  it('sorts a list and drops duplicates', () => {
    expect(parseWorkloads(['statefulset/db', 'deployment/api', 'statefulset/db']).map((w) => w.ref)).toStrictEqual([
      'deployment/api',
      'statefulset/db',
    ]);
  });
});

describe('restartAfter', () => {
  const plan = (action: string, added: string[] = [], updated: string[] = [], pruned: string[] = []) =>
    ({ action, added, updated, pruned }) as Parameters<typeof restartAfter>[0];

  it.each([
    ['a create', plan('create', ['a'])],
    ['an update of a value', plan('update', [], ['a'])],
    ['an update adding a key', plan('update', ['b'])],
    ['an update pruning a key', plan('update', [], [], ['c'])],
  ])('restarts every target after %s', (_what, p) => {
    expect(restartAfter(p, TARGETS)).toStrictEqual(['deployment/api', 'statefulset/db']);
  });

  it.each([
    ['an update that only records a new version (metadata only)', plan('update')],
    ['no write', plan('none')],
    ['a stale version', plan('skip-stale')],
  ])('restarts nothing after %s', (_what, p) => {
    expect(restartAfter(p, TARGETS)).toStrictEqual([]);
  });

  it('restarts nothing when the mapping lists no workload', () => {
    expect(restartAfter(plan('update', ['a']), [])).toStrictEqual([]);
  });
});

describe('recheckAfter', () => {
  const plan = (action: string, added: string[] = []) =>
    ({ action, added, updated: [], pruned: [] }) as Parameters<typeof recheckAfter>[0];

  it.each([
    ['no write', plan('none')],
    ['a metadata-only update', plan('update')],
  ])('re-checks every target on a redrive with %s (the earlier attempt wrote the data)', (_what, p) => {
    expect(recheckAfter(p, TARGETS, 2)).toStrictEqual(['deployment/api', 'statefulset/db']);
  });

  it.each([
    ['a first attempt', plan('none'), 1],
    ['no attempt number (the CLI)', plan('none'), undefined],
    ['a redrive that writes new data (restartAfter restarts)', plan('update', ['a']), 2],
    ['a redrive of a stale version', plan('skip-stale'), 3],
    ['a redrive that deletes', plan('delete-secret'), 2],
    ['a redrive under deletionPolicy retain', plan('retain'), 2],
  ])('re-checks nothing on %s', (_what, p, attempt) => {
    expect(recheckAfter(p, TARGETS, attempt)).toStrictEqual([]);
  });

  it('re-checks nothing when the mapping lists no workload', () => {
    expect(recheckAfter(plan('none'), [], 2)).toStrictEqual([]);
  });
});

describe('restartPatch', () => {
  it("sets only the pod template annotations: kubectl's restartedAt and the version", () => {
    expect(restartPatch('2026-11-20T10:00:00Z', 'v-123')).toStrictEqual({
      spec: {
        template: {
          metadata: {
            annotations: {
              'kubectl.kubernetes.io/restartedAt': '2026-11-20T10:00:00Z',
              'eks-secret-sync.io/restarted-for-version': 'v-123',
            },
          },
        },
      },
    });
  });
});

describe('rfc3339Seconds', () => {
  it.each([
    ['2026-11-20T10:00:00.123Z', '2026-11-20T10:00:00Z'],
    ['2026-11-20T11:00:00+01:00', '2026-11-20T10:00:00Z'],
  ])('writes %s as %s, as kubectl does', (input, want) => {
    expect(rfc3339Seconds(input)).toBe(want);
  });

  it('refuses a time that is not a date', () => {
    expect(() => rfc3339Seconds('soon')).toThrow(InvalidInputError);
  });
});

describe('restartFailure', () => {
  it('is undefined when every workload was restarted', () => {
    expect(restartFailure([{ ref: 'deployment/api' }, { ref: 'statefulset/db' }])).toBeUndefined();
  });

  it.each([
    [
      'a refused token over everything',
      [new NotFoundError('gone'), new TransientError('503'), new UnauthorizedError('401')],
      UnauthorizedError,
    ],
    [
      'a transient failure over a permanent one',
      [new PermissionDeniedError('403'), new TransientError('503')],
      TransientError,
    ],
    ['the first permanent failure', [new NotFoundError('gone'), new PermissionDeniedError('403')], NotFoundError],
  ])('raises %s', (_what, errors, want) => {
    const e = restartFailure(errors.map((error, i) => ({ ref: `deployment/w${i}`, error })));
    expect(e).toBeInstanceOf(want);
    expect(e!.name).toBe(want.name);
  });

  it('names each workload that failed with its reason, and those restarted', () => {
    const e = restartFailure([
      { ref: 'deployment/api' },
      { ref: 'statefulset/db', error: new NotFoundError('statefulsets.apps "db" not found') },
    ]);
    expect(e!.message).toBe(
      '1 of 2 workloads not restarted: statefulset/db: statefulsets.apps "db" not found; restarted: deployment/api',
    );
  });
});

describe('restartTargetsFrom', () => {
  it('reads a JSON array of workloads, sorted; unset means none', () => {
    expect(restartTargetsFrom({ RESTART_TARGETS: JSON.stringify(TARGETS) }).map((w) => w.ref)).toStrictEqual([
      'deployment/api',
      'statefulset/db',
    ]);
    expect(restartTargetsFrom({ RESTART_TARGETS: '' })).toStrictEqual([]);
    expect(restartTargetsFrom({})).toStrictEqual([]);
  });

  it.each([['{"deployment":"api"}'], ['[1]'], ['["job/x"]'], ['not json']])('refuses %s as a ConfigError', (value) => {
    expect(() => restartTargetsFrom({ RESTART_TARGETS: value })).toThrow(ConfigError);
  });
});
