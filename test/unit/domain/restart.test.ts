import { describe, expect, it } from 'vitest';
import {
  parseWorkload,
  parseWorkloads,
  recheckAfter,
  restartAfter,
  restartFailure,
  MAX_RESTART_WINDOW_SECONDS,
  RESTART_BUDGET_MS,
  restartAtAfterWrite,
  restartBoundary,
  restartPatch,
  rfc3339Seconds,
} from '../../../functions/domain/restart.ts';
import { EXECUTION_BUDGET_SECONDS } from '../../../functions/domain/execution-budget.ts';
import {
  ConfigError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  TransientError,
  UnauthorizedError,
} from '../../../functions/domain/errors.ts';
import { restartTargetsFrom, restartWindowFrom } from '../../../functions/runtime/options.ts';

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

describe('coalesced restarts (restartWindowSeconds)', () => {
  const at = (iso: string) => Date.parse(iso);

  it('the patch of a coalesced restart carries the time alone and removes the version: the same for any version', () => {
    const a = restartPatch('2026-11-20T10:00:10Z', 'v-db', true);
    expect(a).toStrictEqual({
      spec: {
        template: {
          metadata: {
            annotations: {
              'kubectl.kubernetes.io/restartedAt': '2026-11-20T10:00:10Z',
              'eks-secret-sync.io/restarted-for-version': null,
            },
          },
        },
      },
    });
    expect(restartPatch('2026-11-20T10:00:10Z', 'v-cache', true)).toStrictEqual(a);
    // Control: not coalesced, two versions give two patches (two rollouts).
    expect(restartPatch('2026-11-20T10:00:10Z', 'v-db')).not.toStrictEqual(
      restartPatch('2026-11-20T10:00:10Z', 'v-cache'),
    );
  });

  it('restarts at the first boundary of the window grid at or after the write: one value per window', () => {
    expect(restartBoundary(at('2026-11-20T10:00:00.001Z'), 10)).toBe('2026-11-20T10:00:10Z');
    expect(restartBoundary(at('2026-11-20T10:00:09.999Z'), 10)).toBe('2026-11-20T10:00:10Z');
    expect(restartBoundary(at('2026-11-20T10:00:10.000Z'), 10)).toBe('2026-11-20T10:00:10Z');
    // adjacent windows restart twice (docs/restart.md#coalescing-restarts)
    expect(restartBoundary(at('2026-11-20T10:00:10.001Z'), 10)).toBe('2026-11-20T10:00:20Z');
    expect(restartBoundary(at('2026-11-20T10:00:00.500Z'), 1)).toBe('2026-11-20T10:00:01Z');
  });

  it('refuses a window outside 1 to the maximum, naming it', () => {
    for (const w of [0, -1, 1.5, MAX_RESTART_WINDOW_SECONDS + 1]) {
      expect(() => restartBoundary(0, w)).toThrow(InvalidInputError);
    }
    expect(() => restartBoundary(0, 0)).toThrow(`restart window 0 is not a whole number of seconds from 1 to 30`);
  });

  it('returns no boundary past the budget: such a write restarts at once', () => {
    const started = '2026-11-20T10:00:00Z';
    const input = { executionStartedAt: started };
    const budgetEnd = at(started) + EXECUTION_BUDGET_SECONDS * 1000;
    expect(restartAtAfterWrite('update', 10, at('2026-11-20T10:00:01.2Z'), input)).toBe('2026-11-20T10:00:10Z');
    expect(restartAtAfterWrite('create', 10, at('2026-11-20T10:00:01.2Z'), input)).toBe('2026-11-20T10:00:10Z');
    // the last boundary leaving RESTART_BUDGET_MS of the budget, and one past it
    const last = budgetEnd - RESTART_BUDGET_MS;
    expect(restartAtAfterWrite('update', 5, last - 1, input)).toBe(new Date(last).toISOString().replace('.000Z', 'Z'));
    expect(restartAtAfterWrite('update', 5, last + 1, input)).toBeUndefined();
    // off, a deletion, a metadata-only action: none
    expect(restartAtAfterWrite('update', 0, at('2026-11-20T10:00:01Z'), input)).toBeUndefined();
    expect(restartAtAfterWrite('delete-keys', 10, at('2026-11-20T10:00:01Z'), input)).toBeUndefined();
    // no start time (a direct call): no budget to keep
    expect(restartAtAfterWrite('update', 10, at('2026-11-20T10:04:59Z'), {})).toBe('2026-11-20T10:05:00Z');
  });

  it('RESTART_WINDOW_SECONDS: unset or empty is 0; anything but 0 to the maximum is a ConfigError naming it', () => {
    expect(restartWindowFrom(undefined)).toBe(0);
    expect(restartWindowFrom('')).toBe(0);
    expect(restartWindowFrom('5')).toBe(5);
    expect(restartWindowFrom(String(MAX_RESTART_WINDOW_SECONDS))).toBe(MAX_RESTART_WINDOW_SECONDS);
    for (const bad of ['-1', '2.5', 'ten', String(MAX_RESTART_WINDOW_SECONDS + 1)]) {
      expect(() => restartWindowFrom(bad)).toThrow(ConfigError);
    }
    expect(() => restartWindowFrom('31')).toThrow('RESTART_WINDOW_SECONDS must be an integer number of seconds from 0');
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
