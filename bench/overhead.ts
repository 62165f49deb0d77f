/**
 * Orchestration overhead: warm per-sync latency through the ASL executor with
 * the real bundles (one worker process per step) against a direct sync in one
 * process that makes the same requests (bench/direct-sync.ts). Syncs of the
 * two kinds alternate, each on its own mapping, each writing a new version.
 * Also splits what the local harness adds: the executor alone (canned task
 * results) and one worker IPC round trip.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';
import { SYNC_STEPS, taskStates as lambdaTaskStates } from '../functions/domain/sync-steps.ts';
import { rolePath, stateMachineName } from '../infra/model/resource-names.ts';
import { FaultProxy } from '../testbed/fault-proxy.ts';
import { LocalFunction } from '../testbed/lambda-runtime.ts';
import { LocalMapping, resultIn, stepResults, type Bundles, type ExecutionRecord } from '../testbed/local-pipeline.ts';
import type { TestbedDetails } from '../testbed/testbed.ts';
import { DirectSync } from './direct-sync.ts';
import { type Invocation, type LogRecords, logRecords, type RecordNames } from './log-records.ts';
import { processTree, rssBytes } from './machine.ts';
import { median, round, summarize, type Summary } from './stats.ts';

/** The step table's Task states (each runs its step's function; others, as RecheckRollouts, run one again). */
const STEP_STATES: ReadonlySet<string> = new Set(SYNC_STEPS.map((s) => s.state));

/** The goal for the pipeline's warm latency over the direct sync's (issue 22: 1.25, with the fan-out's Map). */
export const OVERHEAD_GOAL = 1.25;

/** The overhead block of results.json. */
export interface OverheadResult {
  readonly syncs: number;
  readonly pipelineMs: number;
  readonly pipeline: Summary;
  readonly directMs: number;
  readonly direct: Summary;
  readonly ratio: number;
  readonly goal: number;
  readonly met: boolean;
  /** Median time in each task state (StateEntered to StateExited), ms. */
  readonly perStateMs: Record<string, number>;
  /** Median time of the same requests in the direct sync, by the step that makes them, ms. */
  readonly directPerStepMs: Record<string, number>;
  /** The executor alone: one execution with canned task results and no process hop, ms. */
  readonly executorOnlyMs: number;
  /** One invocation of a worker that returns its event (a FetchSecret-sized payload), ms. */
  readonly ipcRoundTripMs: number;
  /** {@link ipcRoundTripMs} times the Lambda invocations of one sync (`logBytesPerSync.lambdaInvocations`). */
  readonly ipcPerSyncMs: number;
  /** Resident memory of one warm worker (median over the workers), MiB. */
  readonly workerRssMb: number;
  /**
   * Bytes per sync for the log estimate: `statePayloads` = every state input (on entry) and output (on
   * exit), every task's Lambda input and result, and the execution's output, as JSON (what Express
   * logging at level ALL with execution data carries, without the log records' own envelopes);
   * `functionLogs` = the functions' own log lines (without Lambda's platform records).
   */
  readonly logBytesPerSync: {
    readonly statePayloads: number;
    readonly functionLogs: number;
    /**
     * The execution's CloudWatch Logs records as Step Functions writes them (bench/log-records.ts): one JSON line
     * per history event, payloads as escaped strings, the records AWS adds to the local interpreter's (the Map's
     * start and end, three per Lambda task) derived from the execution. Absent in results from before it was counted.
     */
    readonly expressRecords?: number;
    /** Lambda invocations per sync (each writes START, END and REPORT platform records). */
    readonly lambdaInvocations?: number;
  };
  /**
   * Where `statePayloads` comes from, per sync (medians are not needed: every measured sync takes the same path):
   * by state and direction (`<state> in`/`<state> out`, and `<state> task` for a task's Lambda input and result),
   * by top-level field of the states' inputs and outputs, and how many execution events a sync logs by type.
   */
  readonly logBreakdown?: {
    readonly byState: Record<string, number>;
    readonly byField: Record<string, number>;
    readonly events: Record<string, number>;
    /** The Express log records per sync: how many of each type, and their bytes split into payload and envelope. */
    readonly records?: {
      readonly byType: Record<string, number>;
      readonly count: number;
      readonly bytes: number;
      readonly payloadBytes: number;
      readonly envelopeBytes: number;
    };
  };
  /** KMS requests one pipeline sync makes (GenerateDataKey and Decrypt, counted on a proxy in a separate sync). */
  readonly kmsCallsPerSync?: Record<string, number>;
  /**
   * KMS requests of the direct sync's last measured sync, by operation: the baseline makes the pipeline's requests
   * ({@link kmsCallsPerSync}), or the ratio compares different work. Absent in results from before it was counted.
   */
  readonly directKmsCallsPerSync?: Record<string, number>;
  /** Syncs of each kind that wrote (every measured sync must). */
  readonly writes: { readonly pipeline: number; readonly direct: number };
  readonly secretKeys: number;
}

/** A small, typical secret: four keys, one of them changing every version. */
function secretValue(i: number): string {
  return JSON.stringify({
    username: 'payments',
    password: `rotated-${i}-${Math.random().toString(36).slice(2)}`,
    host: 'db.payments.internal',
    port: 5432,
  });
}

function planAction(r: ExecutionRecord): string | undefined {
  return stepResults(r, 'ReadSecret')[0]?.action;
}

function stateDurations(r: ExecutionRecord): Record<string, number> {
  const entered = new Map<string, number>();
  const out: Record<string, number> = {};
  for (const e of r.events) {
    if (e.type === 'StateEntered') entered.set(e.state.name, e.timestamp);
    if (e.type === 'StateExited' && STEP_STATES.has(e.state.name))
      out[e.state.name] = e.timestamp - entered.get(e.state.name)!;
  }
  return out;
}

function workerPids(): number[] {
  return processTree(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('lambda-worker.ts');
    } catch {
      return false;
    }
  });
}

/** Every state of a definition by name, also those inside Map and Parallel states. */
function allStates(states: Record<string, any>): Record<string, any> {
  return Object.assign(
    {},
    states,
    ...Object.values(states).flatMap((st) => [
      ...(st.ItemProcessor ? [allStates(st.ItemProcessor.States)] : []),
      ...(st.Iterator ? [allStates(st.Iterator.States)] : []),
      ...(st.Branches ?? []).map((b: { States: Record<string, any> }) => allStates(b.States)),
    ]),
  );
}

/** A stack name of typical length for the names in the log records' envelopes. */
const RECORD_STACK = 'eks-secret-sync';

/**
 * The names the mapping's log records carry, as on AWS: the execution ARN of an execution EventBridge started (its
 * name and id are UUIDs), the state machine's role (under the app's role path) and each Lambda task's function ARN
 * (a CDK-generated function name is up to 64 characters: taken at 64).
 */
function recordNames(mappingId: string, subs: Record<string, string>): RecordNames {
  const asl = readFileSync(fileURLToPath(new URL('../statemachine/sync.asl.json', import.meta.url)), 'utf8');
  const states = allStates(JSON.parse(asl.replace(/\$\{(\w+)\}/g, (_, k: string) => subs[k]!)).States);
  const uuid = '00000000-0000-4000-8000-000000000000';
  const machine = stateMachineName(RECORD_STACK, mappingId);
  const account = 'arn:aws:lambda:us-east-1:123456789012:function:';
  const invokes = new Map(lambdaTaskStates().map(([state, kind]) => [state, SYNC_STEPS.find((r) => r.kind === kind)!]));
  return {
    executionArn: `arn:aws:states:us-east-1:123456789012:express:${machine}:${uuid}:${uuid}`,
    roleArn: `arn:aws:iam::123456789012:role${rolePath(RECORD_STACK)}${machine.slice(0, 50)}-sfn`,
    lambdaTask: (state) => {
      const step = invokes.get(state);
      if (!step) return undefined;
      const name = `${machine}-${step.kind}`.padEnd(64, 'x').slice(0, 64);
      return { invokes: step.state, functionArn: `${account}${name}`, timeoutSeconds: states[state]?.TimeoutSeconds };
    },
  };
}

/**
 * The executor alone: the product's ASL, with the placeholders the mapping's own definition was made with
 * (`subs`), and handlers that return recorded results at once.
 */
async function executorOnly(record: ExecutionRecord, runs: number, subs: Record<string, string>): Promise<number> {
  const results: Record<string, unknown> = {};
  for (const e of record.events) {
    if (e.type === 'StateExited' && STEP_STATES.has(e.state.name)) {
      results[e.state.name] = resultIn(e.state.name, e.state.output);
    }
  }
  const asl = readFileSync(fileURLToPath(new URL('../statemachine/sync.asl.json', import.meta.url)), 'utf8');
  const definition = JSON.parse(asl.replace(/\$\{(\w+)\}/g, (_, k: string) => subs[k]!)) as {
    States: Record<string, unknown>;
  };
  const machine = new StateMachine(definition as never);
  // Every task state answers at once: with the recorded result, or {} for states a default sync does not reach.
  const handlers = Object.fromEntries(
    Object.entries(allStates(definition.States))
      .filter(([, st]) => st.Type === 'Task')
      .map(([name]) => [name, async () => (results[name] ?? {}) as never]),
  );
  const input = record.events.find((e) => e.type === 'ExecutionStarted')?.input;
  const times: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t = performance.now();
    const ex = machine.run(input, { overrides: { taskResourceLocalHandlers: handlers } });
    const drain = (async () => {
      for await (const _ of ex.eventLogs) void _;
    })();
    await ex.result;
    await drain;
    if (i >= 5) times.push(performance.now() - t);
  }
  return median(times);
}

/** The records of the measured syncs, per sync (medians; every measured sync takes the same path). */
function recordSummary(records: readonly LogRecords[]): NonNullable<OverheadResult['logBreakdown']>['records'] {
  const m = (f: (x: LogRecords) => number) => Math.round(median(records.map(f)));
  const types = [...new Set(records.flatMap((x) => Object.keys(x.byType)))];
  return {
    byType: Object.fromEntries(types.map((t) => [t, m((x) => x.byType[t] ?? 0)])),
    count: m((x) => x.count),
    bytes: m((x) => x.bytes),
    payloadBytes: m((x) => x.payloadBytes),
    envelopeBytes: m((x) => x.envelopeBytes),
  };
}

/** Totals over `syncs` syncs as per-sync values, largest first. */
function perSync(totals: Record<string, number>, syncs: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(totals)
      .map(([k, v]) => [k, Math.round(v / syncs)] as const)
      .sort((a, b) => b[1] - a[1]),
  );
}

/**
 * The KMS requests of one warm pipeline sync, by operation: a mapping of its own whose functions reach KMS
 * through a counting proxy in front of moto (apart from the measured mappings, so the proxy's hop is not in
 * their times). One warm-up sync first (a cold function makes the same calls; counted warm all the same).
 */
async function countKmsCalls(tb: TestbedDetails, bundles: Bundles): Promise<Record<string, number>> {
  const proxy = await FaultProxy.start({ target: tb.moto.url });
  const mapping = await LocalMapping.create(tb, bundles, {
    id: 'bench-kms-count',
    namespacePrefix: 'bench-kms',
    secretString: secretValue(0),
    env: { AWS_ENDPOINT_URL_KMS: proxy.url() },
  });
  try {
    const counts: Record<string, number> = {};
    for (let i = 1; i <= 2; i++) {
      const v = await mapping.putSecret({ secretString: secretValue(i) });
      proxy.reset();
      const r = await mapping.run(mapping.labelEvent(v));
      if (r.status !== 'SUCCEEDED') throw new Error(`KMS count sync failed: ${r.error?.name}: ${r.error?.message}`);
      if (i === 1) continue;
      for (const q of proxy.requests) {
        const op = q.target?.replace(/^TrentService\./, '');
        if (op) counts[op] = (counts[op] ?? 0) + 1;
      }
    }
    return counts;
  } finally {
    await mapping.close();
    await proxy.stop();
  }
}

/** One worker IPC round trip with a payload the size of FetchSecret's output. */
async function ipcRoundTrip(payload: unknown, runs: number): Promise<number> {
  const echo = new LocalFunction('bench-echo', fileURLToPath(new URL('./echo-handler.mjs', import.meta.url)), {});
  try {
    const times: number[] = [];
    for (let i = 0; i < runs + 10; i++) {
      const t = performance.now();
      await echo.invoke(payload);
      if (i >= 10) times.push(performance.now() - t);
    }
    return median(times);
  } finally {
    await echo.stop();
  }
}

/**
 * Runs `syncs` measured syncs of each kind (after warm-up ones) and returns the medians and ratio.
 *
 * @throws Error when a sync fails or does not write.
 */
export async function measureOverhead(
  tb: TestbedDetails,
  bundles: Bundles,
  opts: { syncs: number; warmup?: number; log: (msg: string) => void; recordsFile?: string },
): Promise<OverheadResult> {
  const pipelineMapping = await LocalMapping.create(tb, bundles, {
    id: 'bench-overhead',
    namespacePrefix: 'bench-overhead',
    secretString: secretValue(0),
  });
  const directMapping = await LocalMapping.create(tb, bundles, {
    id: 'bench-direct',
    namespacePrefix: 'bench-direct',
    secretString: secretValue(0),
  });
  const env = directMapping.functions.FetchSecret.env;
  const direct = new DirectSync({
    awsEndpoint: tb.moto.url,
    region: tb.moto.region,
    // The mapping's own identity: its access entry's group is what the namespace's Role binds.
    credentials: directMapping.identity.credentials,
    secretArn: directMapping.secretArn,
    keyId: env.SEAL_KEY_ID!,
    mappingId: directMapping.id,
    clusterName: tb.cluster.name,
    server: tb.cluster.server,
    caPem: readFileSync(tb.cluster.caFile, 'utf8'),
    namespace: directMapping.namespace,
    name: directMapping.secretName,
  });
  try {
    const pipelineTimes: number[] = [];
    const directTimes: number[] = [];
    const states: Record<string, number[]> = {};
    const writes = { pipeline: 0, direct: 0 };
    let eventBytes = 0;
    let taskBytes = 0;
    let measuring = false;
    const byState: Record<string, number> = {};
    const byField: Record<string, number> = {};
    const events: Record<string, number> = {};
    const add = (into: Record<string, number>, key: string, n: number) => {
      into[key] = (into[key] ?? 0) + n;
    };
    const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v ?? null));
    const directSteps: Record<string, number[]> = {};
    let directKms: Record<string, number> = {};
    const names = recordNames(pipelineMapping.id, pipelineMapping.substitutions);
    let invocations: Invocation[] = [];
    const records: LogRecords[] = [];
    // Task payloads as Lambda sees them (the Parameters-built input and the result).
    for (const [name, f] of Object.entries(pipelineMapping.functions)) {
      const invoke = f.invoke.bind(f);
      f.invoke = async (event: unknown) => {
        const result = await invoke(event);
        const n = size(event) + size(result);
        taskBytes += n;
        if (measuring) add(byState, `${name} task`, n);
        invocations.push({ state: name, input: event, output: result });
        return result;
      };
    }
    let logBytes = 0;
    let last: ExecutionRecord | undefined;
    const logSize = () =>
      Object.values(pipelineMapping.pools)
        .flat()
        .reduce((s, f) => s + f.logs.reduce((a, l) => a + Buffer.byteLength(l) + 1, 0), 0);
    const warmup = opts.warmup ?? 3;
    let version = 0;
    const runPipeline = async (measure: boolean) => {
      const v = await pipelineMapping.putSecret({ secretString: secretValue(++version) });
      const logsBefore = logSize();
      const taskBefore = taskBytes;
      invocations = [];
      measuring = measure;
      const t = performance.now();
      const r = await pipelineMapping.run(pipelineMapping.labelEvent(v));
      const ms = performance.now() - t;
      measuring = false;
      if (r.status !== 'SUCCEEDED') throw new Error(`pipeline sync failed: ${r.error?.name}: ${r.error?.message}`);
      const action = planAction(r);
      if (!measure) return;
      if (action !== 'update') throw new Error(`pipeline sync planned ${action}, not update`);
      pipelineTimes.push(ms);
      writes.pipeline++;
      for (const [s, d] of Object.entries(stateDurations(r))) {
        states[s] ??= [];
        states[s].push(d);
      }
      for (const e of r.events) {
        add(events, e.type, 1);
        if (e.type !== 'StateEntered' && e.type !== 'StateExited') continue;
        const payload = e.type === 'StateEntered' ? e.state.input : e.state.output;
        const n = size(payload);
        eventBytes += n;
        add(byState, `${e.state.name} ${e.type === 'StateEntered' ? 'in' : 'out'}`, n);
        if (payload && typeof payload === 'object' && !Array.isArray(payload))
          for (const [k, x] of Object.entries(payload)) add(byField, k, size(x));
      }
      eventBytes += taskBytes - taskBefore + Buffer.byteLength(JSON.stringify(r.output ?? null));
      records.push(logRecords(r.events, invocations, names));
      logBytes += logSize() - logsBefore;
      last = r;
    };
    const runDirect = async (measure: boolean) => {
      const v = await directMapping.putSecret({ secretString: secretValue(++version) });
      const t = performance.now();
      const action = await direct.sync(v);
      const ms = performance.now() - t;
      if (!measure) return;
      if (action !== 'update') throw new Error(`direct sync did ${action}, not update`);
      directTimes.push(ms);
      writes.direct++;
      directKms = { ...direct.kmsCalls };
      for (const [step, d] of Object.entries(direct.stepMs)) {
        directSteps[step] ??= [];
        directSteps[step].push(d);
      }
    };
    for (let i = 0; i < warmup; i++) {
      await runPipeline(false);
      await runDirect(false);
    }
    for (let i = 0; i < opts.syncs; i++) {
      // Alternate which kind goes first, so neither always follows the other's load.
      if (i % 2 === 0) {
        await runPipeline(true);
        await runDirect(true);
      } else {
        await runDirect(true);
        await runPipeline(true);
      }
      if ((i + 1) % 20 === 0) opts.log(`overhead: ${i + 1}/${opts.syncs} syncs of each kind`);
    }
    if (opts.recordsFile) writeFileSync(opts.recordsFile, `${records.at(-1)!.lines.join('\n')}\n`);
    const workerRss = workerPids()
      .map(rssBytes)
      .filter((b) => b > 0);
    const fetched = last!.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret')!.state.output
      .fetched;
    const [executor, ipc] = [
      await executorOnly(last!, 50, pipelineMapping.substitutions),
      await ipcRoundTrip(fetched, 100),
    ];
    const invocationsPerSync = median(records.map((x) => x.byType.LambdaFunctionScheduled ?? 0));
    const pipelineMs = round(median(pipelineTimes));
    const directMs = round(median(directTimes));
    const ratio = round(pipelineMs / directMs, 2);
    return {
      syncs: opts.syncs,
      pipelineMs,
      pipeline: summarize(pipelineTimes),
      directMs,
      direct: summarize(directTimes),
      ratio,
      goal: OVERHEAD_GOAL,
      met: ratio <= OVERHEAD_GOAL,
      perStateMs: Object.fromEntries(Object.entries(states).map(([s, xs]) => [s, round(median(xs))])),
      directPerStepMs: Object.fromEntries(Object.entries(directSteps).map(([s, xs]) => [s, round(median(xs))])),
      executorOnlyMs: round(executor, 2),
      ipcRoundTripMs: round(ipc, 2),
      ipcPerSyncMs: round(ipc * invocationsPerSync, 2),
      workerRssMb: round(median(workerRss) / 2 ** 20),
      logBytesPerSync: {
        statePayloads: Math.round(eventBytes / opts.syncs),
        functionLogs: Math.round(logBytes / opts.syncs),
        expressRecords: Math.round(median(records.map((x) => x.bytes))),
        lambdaInvocations: invocationsPerSync,
      },
      logBreakdown: {
        byState: perSync(byState, opts.syncs),
        byField: perSync(byField, opts.syncs),
        events: perSync(events, opts.syncs),
        records: recordSummary(records),
      },
      kmsCallsPerSync: await countKmsCalls(tb, bundles),
      directKmsCallsPerSync: directKms,
      writes,
      secretKeys: 4,
    };
  } finally {
    direct.close();
    await pipelineMapping.close();
    await directMapping.close();
  }
}
