/**
 * Renders bench/results.json: the table `npm run bench` prints, and the
 * generated blocks of docs/performance.md (between BEGIN/END markers).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { ColdStartResult } from './cold-start.ts';
import type { IdleCostRow } from './idle-cost.ts';
import { ASSUMPTIONS, type CostResult, PRICES, perSyncOfSteps } from './cost.ts';
import type { Machine } from './machine.ts';
import type { OverheadResult } from './overhead.ts';
import type { PayloadResult } from './payload.ts';
import type { ScaleResult } from './scale.ts';
import type { FanoutResult } from './fanout.ts';

/** The whole of bench/results.json. */
export interface BenchResults {
  readonly machine: Machine;
  readonly node: string;
  readonly python?: string;
  readonly date: string;
  readonly runtimeSeconds: number;
  readonly command: string;
  readonly coldStart?: ColdStartResult;
  readonly overhead?: OverheadResult;
  readonly payload?: PayloadResult;
  readonly fanout?: FanoutResult;
  readonly scale?: ScaleResult;
  readonly cost?: CostResult;
  /** Idle cost by number of mappings (counted from the construct tree at render time). */
  readonly idle?: readonly IdleCostRow[];
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const yes = (met: boolean) => (met ? 'yes' : '**no**');
const int = (x: number) => x.toLocaleString('en-US');
const usd = (x: number) => `$${x < 0.1 && x > 0 ? x.toFixed(3) : x.toFixed(2)}`;

/** The cost goals of issue 22: half the cost per sync of the run of 2026-11-27 ($83, 116,235 B of logs). */
export const COST_GOALS = { perMillionSyncsUsd: 45, logBytesPerSync: 45_000 } as const;

/** Lambda invocations of one sync (one worker process each): as measured, or the step table's. */
function invocationsOf(r: BenchResults): number {
  return r.overhead?.logBytesPerSync.lambdaInvocations ?? perSyncOfSteps().lambdaInvocations;
}

/** The KMS requests of one sync, as counted (`1 GenerateDataKey + 2 Decrypt`), or the step table's total. */
function kmsOf(r: BenchResults): string {
  const counted = r.overhead?.kmsCallsPerSync;
  if (!counted) return `${perSyncOfSteps().kmsCalls} KMS requests`;
  return Object.entries(counted)
    .map(([op, n]) => `${n} ${op}`)
    .join(' + ');
}

/** Rows of the summary table: benchmark, measured, goal, met. */
export function summaryRows(r: BenchResults): [string, string, string, string][] {
  const rows: [string, string, string, string][] = [];
  const c = r.coldStart;
  if (c) {
    const each = c.sumOf.map((n) => `${n} ${c.bundles[n]!.initMs.toFixed(0)}`).join(', ');
    const extra = Object.keys(c.bundles).filter((n) => !c.sumOf.includes(n));
    rows.push([
      `Cold start: module init, sum of the ${c.sumOf.length} bundles every sync runs`,
      `${ms(c.sumInitMs)} (${each})`,
      '',
      '',
    ]);
    for (const n of extra)
      rows.push([`Cold start of \`${n}\` (not run by every sync: not in the sum)`, ms(c.bundles[n]!.initMs), '', '']);
    rows.push(['Python seed: `import boto3, botocore.auth, kubernetes`', ms(c.pythonSeedImportMs), '', '']);
    rows.push(['`@kubernetes/client-node` KubeConfig, bundled', ms(c.clientNodeKubeConfigInitMs), '', '']);
    rows.push([
      '**coldStart.ratio** = sum / Python seed',
      `${c.ratio.toFixed(2)} (by process wall time: ${c.ratioByWall.toFixed(2)})`,
      `<= ${c.goal}`,
      yes(c.met),
    ]);
  }
  const o = r.overhead;
  if (o) {
    rows.push([
      `Warm sync through the ASL executor, ${invocationsOf(r)} worker processes (median of ${o.syncs})`,
      ms(o.pipelineMs),
      '',
      '',
    ]);
    rows.push([`Direct sync, same requests, one process (median of ${o.syncs})`, ms(o.directMs), '', '']);
    rows.push(['**overhead.ratio**', o.ratio.toFixed(2), `<= ${o.goal}`, yes(o.met)]);
  }
  const p = r.payload;
  if (p) {
    rows.push([
      '**payload.maxStateBytes** (64 KiB secret into a full 1 MiB Secret)',
      `${int(p.maxStateBytes)} B (${p.worst.shape}, ${p.worst.step}, ${p.worst.where})`,
      `<= ${int(p.goal)}`,
      yes(p.met),
    ]);
  }
  const cost = r.cost;
  if (cost) {
    const warm = cost.perMillionSyncs.thisDesignWarm.total;
    rows.push([
      '**cost.perMillionSyncs** (warm, list prices; 4-key secret, one target)',
      usd(warm),
      `<= ${usd(COST_GOALS.perMillionSyncsUsd)}`,
      yes(warm <= COST_GOALS.perMillionSyncsUsd),
    ]);
    const counted = r.overhead?.logBytesPerSync.expressRecords !== undefined;
    rows.push([
      counted
        ? '**cost.logBytesPerSync** (Express records rebuilt from the execution, function logs measured)'
        : '**cost.logBytesPerSync** (state payloads and function logs measured, record envelopes assumed)',
      `${int(cost.logBytesPerSync)} B`,
      `<= ${int(COST_GOALS.logBytesPerSync)}`,
      yes(cost.logBytesPerSync <= COST_GOALS.logBytesPerSync),
    ]);
  }
  const s = r.scale;
  if (s) {
    rows.push([
      `Scale: ${s.mappings} mappings, ${int(s.updates)} updates in ${s.bursts} bursts (at most ` +
        `${s.activeMappingsMax} mappings warm at once)`,
      `converged in ${s.convergeSeconds} s, ${s.syncsPerSecond} syncs/s, peak RSS ${int(s.peakRssMb)} MiB`,
      '',
      '',
    ]);
    rows.push([
      '**scale.lost** (Secrets not at their newest version)',
      `${s.lost} (failed executions ${s.failed}, DLQ messages ${s.dlqMessages})`,
      '0',
      yes(s.lost === 0),
    ]);
  }
  return rows;
}

/** The summary as an aligned text table for the terminal. */
export function consoleTable(r: BenchResults): string {
  const rows = [['benchmark', 'measured', 'goal', 'met'], ...summaryRows(r)].map((row) =>
    row.map((cell) => cell.replace(/\*\*|`/g, '')),
  );
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), w.map((n) => '-'.repeat(n)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** The generated results block of docs/performance.md. */
export function resultsMarkdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(
    `Measured by \`${r.command}\` on ${r.date.slice(0, 10)}: ${r.machine.cpuModel}, ${r.machine.cores} cores, ` +
      `${r.machine.memoryGiB} GiB, ` +
      `Linux ${r.machine.kernel}; Node.js ${r.node}${r.python ? `, Python ${r.python}` : ''}; the whole run took ` +
      `${Math.round(r.runtimeSeconds)} s. ` +
      'One run on a shared 2-core machine: read the ratios, not the absolute times.',
  );
  out.push('', table(['benchmark', 'measured', 'goal', 'met'], summaryRows(r)));
  const c = r.coldStart;
  if (c) {
    out.push('', `**Cold start** (median of ${c.samples} fresh processes each; ${c.method.split(';')[0]}):`, '');
    const rows = Object.entries(c.bundles).map(([n, b]) => [
      `\`${n}\` bundle`,
      int(b.bytes ?? 0),
      b.initMs.toFixed(1),
      `${b.init.p10.toFixed(0)}–${b.init.p90.toFixed(0)}`,
      b.wallMinusEmptyMs.toFixed(1),
      b.networkCallsAtInit ?? '',
    ]);
    rows.push([
      'Python seed (boto3 + kubernetes)',
      '',
      c.pythonSeedImportMs.toFixed(1),
      `${c.pythonSeedImport.init.p10.toFixed(0)}–${c.pythonSeedImport.init.p90.toFixed(0)}`,
      c.pythonSeedImport.wallMinusEmptyMs.toFixed(1),
      '',
    ]);
    rows.push([
      '`@kubernetes/client-node` KubeConfig',
      int(c.clientNodeKubeConfig.bytes ?? 0),
      c.clientNodeKubeConfigInitMs.toFixed(1),
      `${c.clientNodeKubeConfig.init.p10.toFixed(0)}–${c.clientNodeKubeConfig.init.p90.toFixed(0)}`,
      c.clientNodeKubeConfig.wallMinusEmptyMs.toFixed(1),
      c.clientNodeKubeConfig.networkCallsAtInit ?? '',
    ]);
    for (const [n, b] of Object.entries(c.components)) {
      rows.push([
        `only \`${n.split(' ')[0]}\` (${n.split(' ')[1]})`,
        int(b.bytes ?? 0),
        b.initMs.toFixed(1),
        `${b.init.p10.toFixed(0)}–${b.init.p90.toFixed(0)}`,
        b.wallMinusEmptyMs.toFixed(1),
        b.networkCallsAtInit ?? '',
      ]);
    }
    out.push(
      table(
        ['subject', 'bytes', 'init ms (median)', 'p10–p90', 'wall − empty process, ms', 'network calls at init'],
        rows,
      ),
    );
  }
  const o = r.overhead;
  if (o) {
    out.push('', '**Overhead**, per step (medians, ms):', '');
    const steps = Object.keys(o.perStateMs);
    out.push(
      table(
        ['', ...steps, 'whole sync'],
        [
          [
            'pipeline (state entered → exited)',
            ...steps.map((s) => o.perStateMs[s]!.toFixed(1)),
            o.pipelineMs.toFixed(1),
          ],
          [
            'direct (the same requests)',
            ...steps.map((s) =>
              o.directPerStepMs[s] === undefined ? '(in process)' : o.directPerStepMs[s]!.toFixed(1),
            ),
            o.directMs.toFixed(1),
          ],
        ],
      ),
    );
    out.push(
      '',
      `The local harness itself: the executor alone ${o.executorOnlyMs} ms per execution (canned task results), one ` +
        `worker IPC round trip ` +
        `${o.ipcRoundTripMs} ms (${o.ipcPerSyncMs} ms for the ${o.logBytesPerSync.lambdaInvocations ?? 5} task ` +
        `invocations of a sync). One warm worker holds ${o.workerRssMb} MiB.`,
    );
  }
  const p = r.payload;
  if (p) {
    out.push(
      '',
      `**Payload**: the largest state input or output per sync (JSON bytes; goal ${int(p.goal)}, Step Functions' ` +
        `hard limit ${int(p.hardLimit)}):`,
      '',
    );
    const rows = p.shapes.flatMap((s) =>
      s.syncs.map((y, i) => [
        i === 0
          ? `${s.shape}: ${s.description}; ${int(s.awsKeys)} keys, ${int(s.awsSecretStringBytes)} B; existing Secret ` +
            `${int(s.existingKeys)} other keys, ${int(s.existingValueBytes)} B` +
            `${s.othersKept ? ', all kept' : ', **NOT kept**'}`
          : '',
        y.step,
        y.status === 'SUCCEEDED' ? (y.action ?? '') : y.status,
        int(y.maxStateBytes),
        Object.entries(y.largestFields)
          .slice(0, 4)
          .map(([k, v]) => `${k} ${int(v)}`)
          .join(', '),
      ]),
    );
    out.push(table(['AWS secret', 'sync', 'outcome', 'largest state, B', 'largest fields, B'], rows));
  }
  const s = r.scale;
  if (s) {
    out.push(
      '',
      `**Scale**: ${s.mappings} mappings provisioned in ${s.setupSeconds} s. Bursts took ` +
        `${s.burstSeconds.join(' s, ')} s ` +
        `(mappings started cold per burst: ${s.coldStartsPerBurst.join(', ')}; found warm: ` +
        `${s.warmStartsPerBurst.join(', ')}). ` +
        `Update-to-synced latency median ${s.latencySeconds.median} s, p90 ${s.latencySeconds.p90} s, max ` +
        `${s.latencySeconds.max} s. ` +
        `Outcomes: ${Object.entries(s.outcomes)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}. ` +
        `Peak ${s.peakProcesses} processes, ${s.peakWorkers} of them workers (${int(s.peakWorkerRssMb)} MiB); the ` +
        `test bed and bench alone held ${int(s.baselineRssMb)} MiB before the first burst.`,
    );
  }
  return out.join('\n');
}

/** The generated cost block of docs/performance.md (see docs/performance.md#cost-estimate-on-paper). */
export function costMarkdown(r: BenchResults): string {
  const c = r.cost;
  if (!c) return '_No cost estimate in this run (it needs the coldStart and overhead results)._';
  const w = c.perMillionSyncs.thisDesignWarm;
  const k = c.perMillionSyncs.thisDesignCold;
  const lines = Object.keys(w).filter((x) => x !== 'total');
  const out: string[] = [];
  out.push(
    table(
      [
        '$ per million syncs',
        'this design, warm',
        'this design, every function cold',
        'External Secrets Operator (one poll = one sync)',
      ],
      [
        ...lines.map((l) => [l, usd(w[l]!), usd(k[l]!), l === 'secretsManager' ? usd(c.perMillionSyncs.esoPoll) : '']),
        [
          '**total**',
          `**${usd(w.total)}**`,
          `**${usd(k.total)}**`,
          `**${usd(c.perMillionSyncs.esoPoll)}** + the operator's pod`,
        ],
      ],
    ),
  );
  const i = c.idlePerMonth;
  out.push(
    '',
    table(
      [
        `idle $ per month, ${ASSUMPTIONS.mappings} secrets`,
        'this design',
        'ESO polling every hour',
        'ESO polling every minute',
      ],
      [
        ['Secrets Manager API (polls)', usd(0), usd(i.esoHourly), usd(i.esoEveryMinute)],
        ['KMS seal key (one for the app, in its first stack)', usd(i.thisDesign.kmsKey!), '', ''],
        [
          `CloudWatch alarms (${c.inputs.alarms} alarm metrics, as many at any number of mappings; list price)`,
          usd(i.thisDesign.alarms!),
          '',
          '',
        ],
        [
          'CloudWatch dashboard (list price; free as one of 3 dashboards of ≤ 50 metrics)',
          usd(i.thisDesign.dashboard!),
          '',
          '',
        ],
        ['Lambda, Step Functions, EventBridge rule', usd(0), '', ''],
        [
          '**total**',
          `**${usd(i.thisDesign.total)}**`,
          `**${usd(i.esoHourly)}** + the operator's pod`,
          `**${usd(i.esoEveryMinute)}** + the operator's pod`,
        ],
        [
          'staleness after a rotation',
          `event delivery + one sync ` +
            `(${r.overhead ? `${r.overhead.pipelineMs.toFixed(0)} ms warm here` : 'see overhead'}; median ` +
            `${r.scale?.latencySeconds.median ?? '?'} s in the scale run, queued on 2 cores)`,
          'up to 60 minutes',
          'up to 1 minute',
        ],
      ],
    ),
  );
  out.push(
    '',
    `Both designs also pay secret storage: ${usd(i.secretStorageBoth)} per month for ${ASSUMPTIONS.mappings} ` +
      `secrets. ` +
      `Inputs from this run: Lambda billed ms per step ${c.inputs.lambdaStepMs} at ` +
      `${ASSUMPTIONS.lambdaMemoryGb * 1024} MB, execution ${c.inputs.executionMs} ms ` +
      `(64 MB, rounded up to 100 ms), cold adds ${c.inputs.initMsCold} ms of INIT; log volume ` +
      `${int(c.logBytesPerSync)} B per sync ` +
      (r.overhead?.logBreakdown?.records
        ? `(${r.overhead.logBreakdown.records.count} Express records rebuilt from the execution as Step Functions ` +
          `writes them, ${int(r.overhead.logBreakdown.records.bytes)} B with payloads escaped, and the function ` +
          `logs measured, plus assumed ${ASSUMPTIONS.platformLogBytesPerInvoke} B of platform records per ` +
          `invocation). `
        : `(state payloads and function logs measured, plus assumed ${ASSUMPTIONS.platformLogBytesPerInvoke} B ` +
          `of platform records per invocation and ` +
          `${ASSUMPTIONS.expressRecordsPerSync} Express records × ${ASSUMPTIONS.expressRecordEnvelopeBytes} B of ` +
          `envelope). `) +
      `Requests per sync: 1 GetSecretValue, ${kmsOf(r)}, ${invocationsOf(r)} Lambda invocations, 1 Express ` +
      'execution. List prices, us-east-1, no free tier.',
  );
  if (r.idle) out.push('', idleMarkdown(r.idle));
  out.push('', 'Prices (source and date; **not confirmed** where the search found no source):', '');
  for (const [name, p] of Object.entries(PRICES)) {
    out.push(`- \`${name}\`: ${p.per}. Source: ${p.source}${p.confirmed ? '' : ' — **not confirmed**'}.`);
  }
  return out.join('\n');
}

/** The idle cost by number of mappings, this design against the one before issue 14. */
export function idleMarkdown(rows: readonly IdleCostRow[]): string {
  const head = ['idle $ per month', ...rows.map((r) => `${int(r.mappings)} mapping${r.mappings === 1 ? '' : 's'}`)];
  const row = (label: string, f: (r: IdleCostRow) => string) => [label, ...rows.map(f)];
  return [
    table(head, [
      row('stacks (`stack.mappingsPerStack` = 12 mappings each)', (r) => String(r.stacks)),
      row('alarms (of them on Metrics Insights queries)', (r) => `${r.alarms} (${r.metricsInsightsAlarms})`),
      row('alarm metrics charged while idle', (r) => String(r.alarmMetrics)),
      row('metric filters (free; their metrics are sent only on a match)', (r) => String(r.metricFilters)),
      row('dashboards (metrics on it)', (r) => `${r.dashboards} (${r.dashboardMetrics})`),
      row('KMS keys', (r) => String(r.kmsKeys)),
      row('lost-event sweep every 15 minutes (ListSecrets pages, ledger Scan, Lambda, logs; included below)', (r) =>
        r.sweepUsd === undefined ? 'not in this run' : usd(r.sweepUsd),
      ),
      row('**this design, list price**', (r) => `**${usd(r.listUsd)}**`),
      row(
        '**this design, free tier to itself** (10 alarm metrics, 3 dashboards of ≤ 50 metrics)',
        (r) => `**${usd(r.freeTierUsd)}**`,
      ),
      row('every stack with its own key, alarms and dashboard (before the shared core), list price', (r) =>
        usd(r.perStackListUsd),
      ),
      row(
        'before issue 14, list price (an alarm per mapping + 2)',
        (r) => `${usd(r.beforeListUsd)} (${r.beforeAlarms} alarms)`,
      ),
    ]),
    '',
    'Counted by `bench/idle-cost.ts` from the construct tree the app builds for each size, every stack of it (Lambda ' +
      'bundling skipped): one core stack holds the key, queues, alarms and dashboard whatever the number of mapping ' +
      'stacks. The Metrics Insights alarms are ' +
      'charged per metric their query matches: none while no EventBridge rule fails (`metricsInsightsAlarm` below). ' +
      'Not counted: log storage (retention-bound, proportional to syncs, not to idle time).',
  ].join('\n');
}

/** Replaces the text between `<!-- BEGIN name -->` and `<!-- END name -->` in `file`. */
export function replaceBlock(file: string, name: string, content: string): void {
  const text = readFileSync(file, 'utf8');
  const begin = `<!-- BEGIN ${name}`;
  const end = `<!-- END ${name} -->`;
  const b = text.indexOf(begin);
  const e = text.indexOf(end);
  if (b < 0 || e < b) throw new Error(`${file} has no ${begin} ... ${end} block`);
  const afterBegin = text.indexOf('-->', b) + 3;
  writeFileSync(file, `${text.slice(0, afterBegin)}\n${content}\n${text.slice(e)}`);
}
