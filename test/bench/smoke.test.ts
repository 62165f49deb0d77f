// The bench cannot break silently: every phase of `npm run bench` (bench/phases.ts, the loop bench/run.ts runs)
// at tiny sizes on the suite's test bed and bundles, writing its results to a temp file as the bench writes
// bench/results.json. Asserts that each phase ran and wrote its section, never a time (performance is measured
// only by `npm run bench`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { perSyncOfSteps } from '../../bench/cost.ts';
import { machine } from '../../bench/machine.ts';
import { PHASES, type Phase, runPhases, type Sizes, writeResults } from '../../bench/phases.ts';
import { ensureBenchPython } from '../../bench/python-deps.ts';
import type { BenchResults } from '../../bench/report.ts';
import { CORE_FUNCTION_NAMES } from '../../infra/constructs/lambda-defaults.ts';

/** Each phase as small as it runs: one of everything, two where the phase compares or fans out. */
const TINY: Sizes = {
  BENCH_COLD_SAMPLES: 1,
  BENCH_OVERHEAD_SYNCS: 1,
  BENCH_OVERHEAD_WARMUP: 1,
  BENCH_PAYLOAD_SHAPES: 1,
  BENCH_SCALE_MAPPINGS: 2,
  BENCH_SCALE_UPDATES: 3,
  BENCH_SCALE_BURSTS: 2,
  BENCH_SCALE_ACTIVE: 2,
  fanoutTargets: [1, 2],
};

const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-bench-smoke-'));
const file = join(dir, 'results.json');
const recordsFile = join(dir, 'records.jsonl');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What each phase must have written: the section of its name, with the fields the report reads. */
const SECTION_FIELDS: Record<Phase, string[]> = {
  coldStart: ['bundles', 'sumInitMs', 'ratio'],
  overhead: ['pipelineMs', 'directMs', 'ratio', 'logBytesPerSync'],
  payload: ['maxStateBytes', 'shapes'],
  fanout: ['rows', 'met'],
  scale: ['lost', 'convergeSeconds'],
};

/**
 * What a results file lacks: each phase's missing section (`<phase>`) or missing field (`<phase>.<field>`), then
 * `cost` and `idle` when absent. Empty when every phase wrote its section.
 */
function missingSections(results: BenchResults, phases: readonly Phase[] = PHASES): string[] {
  const missing: string[] = [];
  for (const phase of phases) {
    const section = (results as unknown as Record<string, unknown>)[phase];
    if (section === null || typeof section !== 'object') {
      missing.push(phase);
      continue;
    }
    for (const field of SECTION_FIELDS[phase]) if (!(field in section)) missing.push(`${phase}.${field}`);
  }
  for (const key of ['cost', 'idle'] as const) if (results[key] === undefined) missing.push(key);
  return missing;
}

describe('npm run bench, every phase at tiny sizes', () => {
  let written: BenchResults;

  it('runs every phase and writes the results file', async () => {
    const t0 = performance.now();
    // Each phase's start, with the time since the test began: where a slow smoke test spends it.
    const log = (msg: string) => {
      if (/^[a-zA-Z ]+: \d/.test(msg) || /^(payload|fanout): /.test(msg)) {
        process.stderr.write(`[bench smoke ${((performance.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);
      }
    };
    const start: BenchResults = {
      machine: machine(),
      node: process.version,
      date: new Date().toISOString(),
      runtimeSeconds: 0,
      command: 'bench smoke test',
    };
    const python = await ensureBenchPython(log);
    const inputs = { testbed: inject('testbed'), bundles: inject('bundles'), core: CORE_FUNCTION_NAMES, python };
    writeResults(file, await runPhases(PHASES, { ...inputs, sizes: TINY, log, recordsFile }, start));
    written = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    expect(missingSections(written)).toStrictEqual([]);
  }, 240_000);

  it.each(PHASES.map((p) => [p]))('the %s phase wrote its section', (phase) => {
    expect(missingSections(written, [phase])).toStrictEqual([]);
  });

  // Positive control of the check above: the same results with one phase that did not write its section (or
  // wrote it without a field the report reads) are found out, for every phase.
  it.each(PHASES.map((p) => [p]))('finds the %s phase out when it writes no section or drops a field', (phase) => {
    const { [phase]: _dropped, ...without } = written as unknown as Record<string, unknown>;
    expect(missingSections(without as unknown as BenchResults)).toStrictEqual([phase]);
    const field = SECTION_FIELDS[phase][0]!;
    const { [field]: _gone, ...partial } = written[phase] as unknown as Record<string, unknown>;
    expect(missingSections({ ...written, [phase]: partial } as BenchResults)).toStrictEqual([`${phase}.${field}`]);
  });

  it('the phases did what they measure: every sync wrote, nothing was lost, the cost was estimated', () => {
    expect(written.overhead!.writes).toStrictEqual({ pipeline: 1, direct: 1 });
    expect(written.payload!.shapes[0]!.othersKept).toBe(true);
    expect(written.fanout!.rows.map((r) => [r.targets, r.status, r.applies])).toStrictEqual([
      [1, 'SUCCEEDED', 1],
      [2, 'SUCCEEDED', 2],
    ]);
    expect(written.scale!.lost).toBe(0);
    expect(written.cost!.logBytesPerSync).toBeGreaterThan(0);
    expect(written.idle!.map((r) => r.mappings)).toContain(500);
  });

  it("the overhead phase's baseline makes the pipeline's KMS requests, as many as the step table says", () => {
    const o = written.overhead!;
    const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
    // No token is sealed or opened: the fetch seals the data once, the read and the write each open it.
    expect(o.kmsCallsPerSync).toStrictEqual({ GenerateDataKey: 1, Decrypt: 2 });
    expect(o.directKmsCallsPerSync).toStrictEqual(o.kmsCallsPerSync);
    expect(total(o.kmsCallsPerSync!)).toBe(perSyncOfSteps().kmsCalls);
    expect(o.logBytesPerSync.lambdaInvocations).toBe(perSyncOfSteps().lambdaInvocations);
    expect(written.cost!.inputs.kmsCalls).toBe(total(o.kmsCallsPerSync!));
  });

  it("the overhead phase wrote its last sync's log records (BENCH_RECORDS_FILE), the bytes the cost counts", () => {
    const lines = readFileSync(recordsFile, 'utf8').trimEnd().split('\n');
    const records = lines.map((l) => JSON.parse(l) as { type: string; execution_arn: string });
    expect(records.length).toBe(written.overhead!.logBreakdown!.records!.count);
    expect(records[0]!.type).toBe('ExecutionStarted');
    expect(records.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(lines.reduce((n, l) => n + Buffer.byteLength(l), 0)).toBe(written.overhead!.logBytesPerSync.expressRecords);
  });
});
