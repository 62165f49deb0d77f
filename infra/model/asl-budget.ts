/**
 * Static worst case of the state machine's time, read from the ASL generically: every Task's TimeoutSeconds and
 * Retry (MaxAttempts, IntervalSeconds, BackoffRate, MaxDelaySeconds; full jitter waits at most the computed delay),
 * every Catch, Choice, Pass, Wait, Parallel branch and Map ItemProcessor, and the loops, which must be bounded by a
 * counter the ASL's own Pass states increment (`States.MathAdd($.x, n)`) and a Choice compares with a number (the
 * numbers of functions/domain/loops.ts; test/unit/asl-contract.test.ts holds them equal). Anything the analysis
 * cannot bound (a Task without TimeoutSeconds, a Wait on a path not in {@link BOUNDED_TIMESTAMPS}, a loop without a
 * counter) makes it throw, never pass.
 *
 * Two answers:
 * - {@link worstCase}: the longest path with every attempt taking its TimeoutSeconds and every wait its maximum.
 * - {@link worstCaseWithBudget}: the same once the Lambda tasks keep the execution budget
 *   (functions/domain/execution-budget.ts): work before the budget ends by it; after it, an attempt of a task that
 *   receives the execution's start time ends within the give-up allowance with ExecutionBudgetError or a Lambda
 *   service error, matched against that task's Retry and Catch like any error. The bound is the budget plus the
 *   longest such tail, over every state the budget can run out in.
 *
 * A loop the counters cannot bound once the budget is spent (the wave loop of a mapping with waves: its index is
 * unknown after the budget) must stop by time: a Pass copies `$$.State.EnteredTime` (the time now) and a Choice
 * compares it (TimestampGreaterThan[Equals]Path) with a deadline, a budget-keeping task's `budgetEndsAt` (the start
 * time plus its budget, functions/domain/execution-budget.ts). Once the time is past that deadline the Choice can
 * only stop; before it, a path through the Choice is counted from the deadline instead (a second crossing time).
 * A task may keep a shorter budget than the execution's ({@link BUDGET_SECONDS_PARAMETER}); the crossing is then
 * the longest budget of its tasks.
 *
 * Used by test/unit/asl-budget.test.ts (with planted over-budget definitions) and `node infra/model/asl-budget.ts`.
 */
import { readFileSync } from 'node:fs';
import {
  BUDGET_PARAMETER,
  BUDGET_SECONDS_PARAMETER,
  EXECUTION_BUDGET_SECONDS,
  EXPRESS_LIMIT_SECONDS,
  GIVE_UP_SECONDS,
} from '../../functions/domain/execution-budget.ts';
import { MAX_RESTART_WINDOW_SECONDS } from '../../functions/domain/restart.ts';
import { MAX_TARGETS } from './config-schema.ts';

/** An ASL definition or part of one: any JSON; the analysis checks each field it reads. */
// biome-ignore lint/suspicious/noExplicitAny: ASL is read field by field, each checked where it is used
type Json = any;

/** Step Functions' defaults for a Retrier (ASL specification). */
const RETRY_DEFAULTS = { MaxAttempts: 3, IntervalSeconds: 1, BackoffRate: 2 };

/**
 * The timestamps a Wait state may wait for (`TimestampPath`): how far after the state is entered each is at most,
 * and whether it is never later than the end of the execution's budget (a Wait entered after the budget then ends
 * at once). ApplySecret's `restartAt`, the boundary of the restart window the write completed in, is at most one
 * window (`restartWindowSeconds`) after the write, the Wait follows the write, and ApplySecret returns none past the
 * budget (`restartBoundary` in functions/domain/restart.ts).
 */
export const BOUNDED_TIMESTAMPS: Readonly<Record<string, { readonly seconds: number; readonly byBudget: boolean }>> = {
  '$.write.applied.restartAt': { seconds: MAX_RESTART_WINDOW_SECONDS, byBudget: true },
};

/** An inline Map runs at most this many iterations at once (Step Functions' inline Map limit). */
export const INLINE_MAP_CONCURRENCY = 40;

/**
 * The errors a budget-keeping Lambda task can end an attempt with once the budget is spent: its own
 * ExecutionBudgetError, or Lambda answering for it without running it.
 */
export const AFTER_BUDGET_ERRORS = [
  'ExecutionBudgetError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
];

/**
 * What a Pass copies as the time now: the state's entered time, as it is or in whole seconds (rounded down, `Z`:
 * the form moto's timestamp comparison reads, statemachine/waves.asl.json).
 */
export const ENTERED_TIMES: readonly string[] = [
  '$$.State.EnteredTime',
  "States.Format('{}Z', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit(" +
    "$$.State.EnteredTime, '.'), 0), 'Z'), 0))",
];

/** The result field of a budget-keeping task that holds the end of its budget (a deadline a Choice may compare). */
export const BUDGET_END_FIELD = 'budgetEndsAt';

/** Options of the analysis. */
export interface BudgetOptions {
  /**
   * Deadlines a Choice may compare the time with: path -> seconds after the start. @default each top-level
   * budget-keeping task's `<ResultPath>.budgetEndsAt`, at its budget
   */
  readonly deadlines?: Readonly<Record<string, number>>;
  /** Items a Map state may get at most (required when the definition has a Map state). */
  readonly mapItems?: number;
  /** Seconds a state transition takes (added once per state on a path). @default 0.1 */
  readonly transitionSeconds?: number;
}

/** What the analysis found. */
export interface BudgetReport {
  /** The worst case in seconds (Infinity when unbounded). */
  readonly seconds: number;
  /** The states of the worst path, in order (a state repeated per visit). */
  readonly path: readonly string[];
  /**
   * Budget analysis only: the state the budget runs out in on the worst path, and the time it runs out (the
   * longest budget of the tasks, or a later deadline the definition compares the time with).
   */
  readonly crossing?: string;
  readonly budgetSeconds?: number;
}

/** The analysis cannot bound the definition. */
export class UnboundedError extends Error {
  override name = 'UnboundedError';
}

/** A retrier with the defaults filled in. */
interface Retrier {
  readonly errors: readonly string[];
  readonly attempts: number;
  /** The longest total of its waits. */
  readonly waits: number;
  /** Its longest single wait. */
  readonly longestWait: number;
}

function retriers(state: Json): Retrier[] {
  return (state.Retry ?? []).map((r: Json) => {
    const attempts = r.MaxAttempts ?? RETRY_DEFAULTS.MaxAttempts;
    const interval = r.IntervalSeconds ?? RETRY_DEFAULTS.IntervalSeconds;
    const rate = r.BackoffRate ?? RETRY_DEFAULTS.BackoffRate;
    const cap = r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
    const delays = Array.from({ length: attempts }, (_, i) => Math.min(interval * rate ** i, cap));
    return {
      errors: r.ErrorEquals,
      attempts,
      waits: delays.reduce((a, b) => a + b, 0),
      longestWait: Math.max(0, ...delays),
    };
  });
}

/** Whether an ErrorEquals list matches the error `name` (States.ALL all; States.TaskFailed all but States.Timeout). */
function matches(errorEquals: readonly string[], name: string): boolean {
  return errorEquals.some(
    (e) => e === name || e === 'States.ALL' || (e === 'States.TaskFailed' && name !== 'States.Timeout'),
  );
}

/** A Lambda task: its Resource is a function ARN, a `${...FunctionArn}` placeholder, or lambda:invoke. */
function isLambdaTask(state: Json): boolean {
  const r = String(state.Resource ?? '');
  return /:lambda:|FunctionArn\}|^arn:aws:states:::lambda:invoke/.test(r);
}

/** A Lambda task that keeps the budget: it passes `$$.Execution.StartTime` as {@link BUDGET_PARAMETER}. */
export function keepsBudget(state: Json): boolean {
  const p = state.Parameters ?? {};
  const payload = String(state.Resource ?? '').includes(':::lambda:invoke') ? (p.Payload ?? {}) : p;
  return isLambdaTask(state) && payload[`${BUDGET_PARAMETER}.$`] === '$$.Execution.StartTime';
}

/** The budget a budget-keeping task keeps: the execution's, or the shorter one its Parameters name. */
export function budgetOf(state: Json, executionBudget: number = EXECUTION_BUDGET_SECONDS): number {
  const p = state.Parameters ?? {};
  const payload = String(state.Resource ?? '').includes(':::lambda:invoke') ? (p.Payload ?? {}) : p;
  const own = payload[BUDGET_SECONDS_PARAMETER];
  return typeof own === 'number' && own > 0 ? Math.min(own, executionBudget) : executionBudget;
}

// ---- the known state: what the Pass states keep, as path -> value ----

/** The time now (a copy of $$.State.EnteredTime made after the crossing), a deadline, a counter or a flag. */
type Value = number | boolean | string;
const NOW = 'now';
const deadline = (seconds: number) => `deadline ${seconds}`;
const deadlineSeconds = (v: Value | undefined) =>
  typeof v === 'string' && v.startsWith('deadline ') ? Number(v.slice(9)) : undefined;

type Counters = ReadonlyMap<string, Value>;

const key = (c: Counters) => JSON.stringify([...c.entries()].sort());

/** Drops every counter at or under `path` ("$" drops all). */
function dropUnder(c: Counters, path: string): Map<string, Value> {
  const out = new Map(c);
  for (const k of out.keys()) if (path === '$' || k === path || k.startsWith(`${path}.`)) out.delete(k);
  return out;
}

/**
 * The values a Pass state's Parameters or Result produce: literal numbers and booleans, `$.x` references,
 * States.MathAdd, the entered time, and deadlines.
 */
function evaluate(template: Json, c: Counters, base: string, deadlines: Record<string, number>): Map<string, Value> {
  const out = new Map<string, Value>();
  if (typeof template === 'number' || typeof template === 'boolean') out.set(base, template);
  if (typeof template !== 'object' || template === null) return out;
  for (const [k, v] of Object.entries(template)) {
    if (k.endsWith('.$') && typeof v === 'string') {
      const name = `${base}.${k.slice(0, -2)}`;
      const add = /^States\.MathAdd\((\$[\w.]*),\s*(-?\d+)\)$/.exec(v);
      const from = add ? c.get(add[1]!) : undefined;
      if (add && typeof from === 'number') out.set(name, from + Number(add[2]));
      else if (ENTERED_TIMES.includes(v)) out.set(name, NOW);
      else if (deadlines[v] !== undefined) out.set(name, deadline(deadlines[v]!));
      else if (c.has(v)) out.set(name, c.get(v)!);
    } else for (const [p, n] of evaluate(v, c, `${base}.${k}`, deadlines)) out.set(p, n);
  }
  return out;
}

/** The counters after a Pass state. */
function pass(state: Json, c: Counters, deadlines: Record<string, number>): Counters {
  let input: Map<string, Value> = new Map(c);
  if (state.InputPath && state.InputPath !== '$') {
    // the scalar (or the counters under) InputPath become the input
    input = new Map();
    for (const [k, v] of c) {
      if (k === state.InputPath) input.set('$', v);
      else if (k.startsWith(`${state.InputPath}.`)) input.set(`$${k.slice(state.InputPath.length)}`, v);
    }
  }
  const result =
    state.Parameters !== undefined
      ? evaluate(state.Parameters, input, '$', deadlines)
      : state.Result !== undefined
        ? evaluate(state.Result, input, '$', deadlines)
        : input;
  const at = state.ResultPath === undefined ? '$' : state.ResultPath;
  if (at === null) return c;
  const out = dropUnder(c, at);
  for (const [k, v] of result) out.set(at === '$' ? k : k === '$' ? at : `${at}${k.slice(1)}`, v);
  return out;
}

/**
 * What the time is known to be: `at` seconds after the start or later (once the budget or a deadline has passed),
 * or nothing (before the budget).
 */
type Clock = { readonly at: number } | undefined;

/**
 * A Choice rule's value under the counters: true, false, undefined (it reads something else), or `cut`: it compares
 * the time now with a deadline later than the clock, so the path is counted from that deadline instead.
 */
function rule(r: Json, c: Counters, clock: Clock, deadlines: Record<string, number>): boolean | undefined | 'cut' {
  const plain = (x: Json) => {
    const v = rule(x, c, clock, deadlines);
    return v === 'cut' ? undefined : v;
  };
  if (r.And) {
    const v = r.And.map(plain);
    return v.includes(false) ? false : v.includes(undefined) ? undefined : true;
  }
  if (r.Or) {
    const v = r.Or.map(plain);
    return v.includes(true) ? true : v.includes(undefined) ? undefined : false;
  }
  if (r.Not) {
    const v = plain(r.Not);
    return v === undefined ? undefined : !v;
  }
  const time = timeRule(r, c, clock, deadlines);
  if (time !== undefined) return time;
  if (!c.has(r.Variable)) return undefined;
  const x = c.get(r.Variable)!;
  if (typeof r.BooleanEquals === 'boolean') return typeof x === 'boolean' ? x === r.BooleanEquals : undefined;
  if (typeof x !== 'number') return undefined;
  const ops: Record<string, (a: number, b: number) => boolean> = {
    NumericEquals: (a, b) => a === b,
    NumericLessThan: (a, b) => a < b,
    NumericLessThanEquals: (a, b) => a <= b,
    NumericGreaterThan: (a, b) => a > b,
    NumericGreaterThanEquals: (a, b) => a >= b,
  };
  for (const [op, f] of Object.entries(ops)) if (typeof r[op] === 'number') return f(x, r[op]);
  return undefined;
}

/**
 * A rule `now >= deadline` (or `>`): true once the clock is past the deadline, `cut` before it, undefined when it
 * is not such a rule or the time is unknown (before the budget, or a time copied before the crossing).
 */
function timeRule(r: Json, c: Counters, clock: Clock, deadlines: Record<string, number>): boolean | 'cut' | undefined {
  const strict = typeof r.TimestampGreaterThanPath === 'string';
  const path = strict ? r.TimestampGreaterThanPath : r.TimestampGreaterThanEqualsPath;
  if (typeof path !== 'string' || c.get(r.Variable) !== NOW || clock === undefined) return undefined;
  const d = deadlineSeconds(c.get(path)) ?? deadlines[path];
  if (d === undefined) return undefined;
  return d < clock.at || (d === clock.at && !strict) ? true : 'cut';
}

/** The deadlines the definition's Choice rules compare the time with (nested states included). */
function deadlinesCompared(definition: Json, deadlines: Record<string, number>): number[] {
  const found = new Set<number>();
  const walk = (states: Record<string, Json>) => {
    const copied = new Map<string, number>();
    for (const s of Object.values(states)) {
      if (s.Type === 'Pass')
        for (const [p, v] of evaluate(s.Parameters, new Map(), '$', deadlines)) {
          const d = deadlineSeconds(v);
          if (d !== undefined) copied.set(`${s.ResultPath ?? '$'}${p.slice(1)}`, d);
        }
    }
    const rules = (r: Json): Json[] => [
      r,
      ...[...(r.And ?? []), ...(r.Or ?? []), ...(r.Not ? [r.Not] : [])].flatMap(rules),
    ];
    for (const s of Object.values(states)) {
      for (const r of (s.Choices ?? []).flatMap(rules)) {
        const path = r.TimestampGreaterThanPath ?? r.TimestampGreaterThanEqualsPath;
        const d = typeof path === 'string' ? (copied.get(path) ?? deadlines[path]) : undefined;
        if (d !== undefined) found.add(d);
      }
      for (const b of s.Branches ?? []) walk(b.States);
      const inner = s.ItemProcessor ?? s.Iterator;
      if (inner) walk(inner.States);
    }
  };
  walk(definition.States);
  return [...found];
}

/** The states a Choice can go to under the counters, in order (none after a `cut`). */
function choices(state: Json, c: Counters, clock: Clock, deadlines: Record<string, number>): string[] {
  const out: string[] = [];
  for (const r of state.Choices ?? []) {
    const v = rule(r, c, clock, deadlines);
    if (v === 'cut') return out;
    if (v === true) return [...out, r.Next];
    if (v === undefined) out.push(r.Next);
  }
  if (state.Default === undefined) throw new UnboundedError('a Choice state without Default can fail: give it one');
  return [...out, state.Default];
}

// ---- the walk ----

interface Exit {
  readonly next: string | undefined;
  readonly counters: Counters;
}
interface Found {
  readonly seconds: number;
  readonly path: readonly string[];
}

/** One graph (the top level, a Parallel branch, a Map's ItemProcessor). */
class Graph {
  private readonly memo = new Map<string, Found>();
  private readonly onStack = new Set<string>();
  private readonly states: Record<string, Json>;
  private readonly startAt: string;
  private readonly o: Options;
  /** Budget tail mode: Lambda tasks that keep the budget refuse at once; counters are unknown. */
  private readonly late: boolean;
  /** In budget tail mode, the time (seconds after the start) the tail starts at. */
  private readonly clock: Clock;

  constructor(def: Json, o: Options, late: boolean, at = 0) {
    this.states = def.States;
    this.startAt = def.StartAt;
    this.o = o;
    this.late = late;
    this.clock = late ? { at } : undefined;
  }

  /** The longest path from `name` to the end of this graph. */
  longest(name: string = this.startAt, c: Counters = new Map()): Found {
    const k = `${name} ${key(c)}`;
    const known = this.memo.get(k);
    if (known) return known;
    if (this.onStack.has(k))
      throw new UnboundedError(`${name} can be reached again with the same counters: a loop the analysis cannot bound`);
    this.onStack.add(k);
    try {
      const state = this.states[name];
      if (!state) throw new UnboundedError(`no state ${name}`);
      const own = this.cost(name, state);
      let best: Found = { seconds: 0, path: [] };
      for (const exit of this.exits(name, state, c)) {
        if (exit.next === undefined) continue;
        const f = this.longest(exit.next, exit.counters);
        if (f.seconds > best.seconds || best.path.length === 0) best = f;
      }
      const found = { seconds: own + this.o.transitionSeconds + best.seconds, path: [name, ...best.path] };
      this.memo.set(k, found);
      return found;
    } finally {
      this.onStack.delete(k);
    }
  }

  /** Where a state can go, with the counters there. */
  exits(name: string, state: Json, c: Counters): Exit[] {
    switch (state.Type) {
      case 'Pass': {
        const after = pass(state, c, this.o.deadlines);
        return [{ next: state.End ? undefined : state.Next, counters: after }];
      }
      case 'Choice':
        return choices(state, c, this.clock, this.o.deadlines).map((next) => ({ next, counters: c }));
      case 'Wait':
        return [{ next: state.End ? undefined : state.Next, counters: c }];
      case 'Succeed':
      case 'Fail':
        return [];
      case 'Task':
      case 'Map':
      case 'Parallel': {
        const refuses = this.late && state.Type === 'Task' && keepsBudget(state);
        const out: Exit[] = [];
        if (!refuses) out.push({ next: state.End ? undefined : state.Next, counters: resultAt(c, state.ResultPath) });
        const catchers: Json[] = state.Catch ?? [];
        const reachable = refuses
          ? catchers.filter((k, i) =>
              AFTER_BUDGET_ERRORS.some(
                (e) => matches(k.ErrorEquals, e) && !catchers.slice(0, i).some((p) => matches(p.ErrorEquals, e)),
              ),
            )
          : catchers;
        for (const k of reachable) out.push({ next: k.Next, counters: resultAt(c, k.ResultPath) });
        return out;
      }
      default:
        throw new UnboundedError(`${name}: state type ${state.Type} is not known to the analysis`);
    }
  }

  /** Seconds a state itself can take (every attempt and wait of a Task; the branches of a Map or Parallel). */
  cost(name: string, state: Json): number {
    switch (state.Type) {
      case 'Wait': {
        if (typeof state.Seconds === 'number') return state.Seconds;
        const bound = typeof state.TimestampPath === 'string' ? BOUNDED_TIMESTAMPS[state.TimestampPath] : undefined;
        if (bound === undefined)
          throw new UnboundedError(
            `${name}: a Wait state without a constant Seconds or a known TimestampPath cannot be bounded`,
          );
        return this.late && bound.byBudget ? 0 : bound.seconds;
      }
      case 'Task': {
        const retry = this.usableRetriers(state);
        const attempts = 1 + retry.reduce((a, r) => a + r.attempts, 0);
        return attempts * this.attemptSeconds(name, state) + retry.reduce((a, r) => a + r.waits, 0);
      }
      case 'Parallel': {
        const branch = Math.max(0, ...(state.Branches ?? []).map((b: Json) => this.inner(b)));
        return this.withRetries(state, branch);
      }
      case 'Map': {
        // An iteration starts with the counters its item sets (the ItemSelector's constants: the loop counters at 0).
        const seed = evaluate(state.ItemSelector ?? state.Parameters ?? {}, new Map(), '$', this.o.deadlines ?? {});
        const inner = this.inner(state.ItemProcessor ?? state.Iterator, seed);
        if (!(this.o.mapItems > 0))
          throw new UnboundedError(`${name}: a Map state needs the number of items at most (mapItems)`);
        const width = Math.min(state.MaxConcurrency || INLINE_MAP_CONCURRENCY, INLINE_MAP_CONCURRENCY);
        return this.withRetries(state, Math.ceil(this.o.mapItems / width) * inner);
      }
      default:
        return 0;
    }
  }

  /**
   * The longest a nested graph (a branch, an item) takes: from its start; once late, also from any state in it the
   * budget can run out in.
   */
  private inner(def: Json, seed: Counters = new Map()): number {
    const g = new Graph(def, this.o, this.late, this.clock?.at);
    const fromStart = g.longest(undefined, seed).seconds;
    return this.late ? Math.max(fromStart, ...g.names().map((n) => g.tail(n).seconds)) : fromStart;
  }

  /**
   * One attempt of a Task: TimeoutSeconds, or once late for a task keeping the budget the give-up allowance (never
   * more than its TimeoutSeconds: Step Functions ends the attempt then).
   */
  attemptSeconds(name: string, state: Json): number {
    if (this.late && keepsBudget(state)) {
      return typeof state.TimeoutSeconds === 'number'
        ? Math.min(GIVE_UP_SECONDS, state.TimeoutSeconds)
        : GIVE_UP_SECONDS;
    }
    if (typeof state.TimeoutSeconds !== 'number')
      throw new UnboundedError(`${name}: a Task without TimeoutSeconds can wait forever`);
    return state.TimeoutSeconds;
  }

  /** The retriers that can fire: all of them, or once late for a budget-keeping task those matching its errors. */
  usableRetriers(state: Json): Retrier[] {
    const all = retriers(state);
    if (!(this.late && state.Type === 'Task' && keepsBudget(state))) return all;
    return all.filter((r) => AFTER_BUDGET_ERRORS.some((e) => matches(r.errors, e)));
  }

  private withRetries(state: Json, attempt: number): number {
    const retry = retriers(state);
    return (1 + retry.reduce((a, r) => a + r.attempts, 0)) * attempt + retry.reduce((a, r) => a + r.waits, 0);
  }

  /**
   * The longest tail once the budget runs out in `name`: what the state still takes (a Task attempt already
   * running: its TimeoutSeconds capped at the give-up allowance for a budget keeper, or one retry wait), the
   * rest of its attempts as late ones, and the longest late path from its exits.
   */
  tail(name: string): Found {
    const state = this.states[name];
    let overrun = 0;
    if (state.Type === 'Task') {
      const longestWait = Math.max(0, ...retriers(state).map((r) => r.longestWait));
      overrun = Math.max(this.attemptSeconds(name, state), longestWait) + this.cost(name, state);
    } else overrun = this.cost(name, state);
    let best: Found = { seconds: 0, path: [] };
    for (const exit of this.exits(name, state, new Map())) {
      if (exit.next === undefined) continue;
      // A time the crossing state itself copied may be from before the crossing: unknown.
      const counters = new Map([...exit.counters].filter(([, v]) => v !== NOW));
      const f = this.longest(exit.next, counters);
      if (f.seconds > best.seconds || best.path.length === 0) best = f;
    }
    return { seconds: overrun + this.o.transitionSeconds + best.seconds, path: [name, ...best.path] };
  }

  names(): string[] {
    return Object.keys(this.states);
  }
}

const resultAt = (c: Counters, path: string | null | undefined): Counters =>
  path === null ? c : dropUnder(c, path ?? '$');

type Options = Required<Omit<BudgetOptions, 'deadlines'>> & { readonly deadlines: Record<string, number> };

function options(o: BudgetOptions, deadlines: Record<string, number> = {}): Options {
  return {
    mapItems: o.mapItems ?? 0,
    transitionSeconds: o.transitionSeconds ?? 0.1,
    deadlines: { ...deadlines, ...o.deadlines },
  };
}

/** Every budget-keeping Lambda task of the definition, nested ones included. */
function budgetKeepers(definition: Json): Json[] {
  const out: Json[] = [];
  const walk = (states: Record<string, Json>) => {
    for (const s of Object.values(states)) {
      if (s.Type === 'Task' && keepsBudget(s)) out.push(s);
      for (const b of s.Branches ?? []) walk(b.States);
      const inner = s.ItemProcessor ?? s.Iterator;
      if (inner) walk(inner.States);
    }
  };
  walk(definition.States);
  return out;
}

/** The deadlines the top-level budget-keeping tasks return: `<ResultPath>.budgetEndsAt` at the task's budget. */
function budgetEnds(definition: Json, executionBudget: number): Record<string, number> {
  return Object.fromEntries(
    Object.values(definition.States as Record<string, Json>)
      .filter((s) => s.Type === 'Task' && keepsBudget(s) && typeof s.ResultPath === 'string')
      .map((s) => [`${s.ResultPath}.${BUDGET_END_FIELD}`, budgetOf(s, executionBudget)]),
  );
}

/** The longest the definition can run with every attempt at its TimeoutSeconds and every wait at its longest. */
export function worstCase(definition: Json, o: BudgetOptions = {}): BudgetReport {
  return new Graph(definition, options(o, budgetEnds(definition, EXECUTION_BUDGET_SECONDS)), false).longest();
}

/**
 * The longest the definition can run when its Lambda tasks keep an execution budget of `budgetSeconds`: the budget,
 * plus the longest tail over every state it can run out in (see the module comment). States nested in a Map or
 * Parallel count through their parent.
 */
export function worstCaseWithBudget(
  definition: Json,
  budgetSeconds: number = EXECUTION_BUDGET_SECONDS,
  o: BudgetOptions = {},
): BudgetReport {
  const opts = options(o, budgetEnds(definition, budgetSeconds));
  // Every task refuses once the longest of their budgets is spent; a deadline compared later is a crossing too.
  const budgets = budgetKeepers(definition).map((s) => budgetOf(s, budgetSeconds));
  const spent = budgets.length === 0 ? budgetSeconds : Math.max(...budgets);
  const crossings = [spent, ...deadlinesCompared(definition, opts.deadlines).filter((d) => d > spent)];
  let worst: Found & { crossing: string; at: number } = { seconds: -1, path: [], crossing: '', at: spent };
  for (const at of crossings) {
    const late = new Graph(definition, opts, true, at);
    for (const name of late.names()) {
      const t = late.tail(name);
      if (at + t.seconds > worst.seconds) worst = { seconds: at + t.seconds, path: t.path, crossing: name, at };
    }
  }
  return { seconds: worst.seconds, path: worst.path, crossing: worst.crossing, budgetSeconds: worst.at };
}

/** Every Lambda task state (nested ones included) that does not receive the execution's start time. */
export function tasksWithoutBudget(definition: Json): string[] {
  const out: string[] = [];
  const walk = (states: Record<string, Json>) => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type === 'Task' && isLambdaTask(s) && !keepsBudget(s)) out.push(name);
      for (const b of s.Branches ?? []) walk(b.States);
      const inner = s.ItemProcessor ?? s.Iterator;
      if (inner) walk(inner.States);
    }
  };
  walk(definition.States);
  return out;
}

/** The numbers docs/operations.md quotes, for `node infra/model/asl-budget.ts`. */
export function summary(definition: Json, o: BudgetOptions = {}): string {
  const plain = (() => {
    try {
      return worstCase(definition, o).seconds.toFixed(1);
    } catch (e) {
      return `unbounded (${(e as Error).message})`;
    }
  })();
  const b = worstCaseWithBudget(definition, EXECUTION_BUDGET_SECONDS, o);
  return [
    `without the budget: ${plain} s`,
    `with the ${b.budgetSeconds} s budget: ${b.seconds.toFixed(1)} s of ${EXPRESS_LIMIT_SECONDS} s ` +
      `(margin ${(EXPRESS_LIMIT_SECONDS - b.seconds).toFixed(1)} s); worst tail from ${b.crossing}: ` +
      b.path.join(' > '),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = new URL('../../statemachine/sync.asl.json', import.meta.url);
  // The Map runs a mapping's targets: at most MAX_TARGETS of them.
  console.log(summary(JSON.parse(readFileSync(file, 'utf8')), { mapItems: MAX_TARGETS }));
}
