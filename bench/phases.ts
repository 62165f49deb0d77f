/**
 * The phases of `npm run bench` and how big each one runs: the one loop that `bench/run.ts` (the recorded run,
 * on its own test bed and synthesized bundles) and the smoke test (test/testbed/bench-smoke.test.ts, tiny sizes,
 * on the suite's test bed) both go through, so a phase that breaks fails the suite. Benchmarks, not tests:
 * nothing here asserts a time.
 */
import { writeFileSync } from 'node:fs';
import { measureColdStart } from './cold-start.ts';
import { ASSUMPTIONS, estimateCost } from './cost.ts';
import { FANOUT_TARGETS, measureFanout } from './fanout.ts';
import { idleCost, idleCostOf, type IdleCostRow } from './idle-cost.ts';
import { measureOverhead } from './overhead.ts';
import { measurePayload, PAYLOAD_SHAPES } from './payload.ts';
import type { BenchResults } from './report.ts';
import { measureScale } from './scale.ts';
import type { Bundles } from '../testbed/local-pipeline.ts';
import type { TestbedDetails } from '../testbed/testbed.ts';

/** Every phase, in the order they run. */
export const PHASES = ['coldStart', 'overhead', 'payload', 'fanout', 'scale'] as const;
/** One phase: its section of the results has the same name. */
export type Phase = (typeof PHASES)[number];

/** The sizes of the recorded run; each can be set by the environment variable of its name. */
export const SIZES = {
  BENCH_COLD_SAMPLES: 15,
  BENCH_OVERHEAD_SYNCS: 60,
  BENCH_OVERHEAD_WARMUP: 3,
  BENCH_PAYLOAD_SHAPES: PAYLOAD_SHAPES,
  BENCH_SCALE_MAPPINGS: 200,
  BENCH_SCALE_UPDATES: 1000,
  BENCH_SCALE_BURSTS: 5,
  BENCH_SCALE_ACTIVE: 16,
};

/** How big each phase runs. */
export interface Sizes extends Record<keyof typeof SIZES, number> {
  /** The target counts of the fan-out phase. */
  readonly fanoutTargets: readonly number[];
}

/** The recorded run's sizes. */
export const RECORDED_SIZES: Sizes = { ...SIZES, fanoutTargets: [...FANOUT_TARGETS] };

/** What the phases run on. */
export interface PhaseInputs {
  /** Present when a phase other than coldStart runs. */
  readonly testbed?: TestbedDetails;
  readonly bundles: Bundles & Record<string, string>;
  /** The functions every sync runs (their cold starts are summed). */
  readonly core: readonly string[];
  /** Each function's environment as the template gives it, references replaced by dummies (cold start). */
  readonly env?: Record<string, Record<string, string>>;
  /** The Python interpreter of the cold-start reference (present when coldStart runs). */
  readonly python?: string;
  readonly sizes: Sizes;
  readonly log: (msg: string) => void;
  /**
   * BENCH_RECORDS_FILE: where the overhead phase writes the Express log records of its last measured pipeline sync,
   * one JSON line each (the lines `cost.logBytesPerSync` counts; for finding where the bytes are).
   */
  readonly recordsFile?: string;
}

/**
 * Runs `phases` in {@link PHASES} order and adds each one's section to `results`.
 *
 * @throws Error when a phase fails, or needs the test bed or Python and was not given it.
 */
export async function runPhases(
  phases: readonly Phase[],
  inputs: PhaseInputs,
  results: BenchResults,
): Promise<BenchResults> {
  const { bundles, sizes, log } = inputs;
  const tb = () => {
    if (!inputs.testbed) throw new Error('the bench phases after coldStart need the test bed');
    return inputs.testbed;
  };
  let out = results;
  for (const phase of PHASES.filter((p) => phases.includes(p))) {
    if (phase === 'coldStart') {
      if (!inputs.python) throw new Error('the coldStart phase needs the Python reference (ensureBenchPython)');
      log(`cold start: ${sizes.BENCH_COLD_SAMPLES} fresh processes per subject`);
      const opts = { samples: sizes.BENCH_COLD_SAMPLES, log, env: inputs.env };
      out = { ...out, coldStart: await measureColdStart(bundles, [...inputs.core], inputs.python, opts) };
    } else if (phase === 'overhead') {
      log(`overhead: ${sizes.BENCH_OVERHEAD_SYNCS} warm syncs through the pipeline and as many direct ones`);
      const opts = {
        syncs: sizes.BENCH_OVERHEAD_SYNCS,
        warmup: sizes.BENCH_OVERHEAD_WARMUP,
        log,
        recordsFile: inputs.recordsFile,
      };
      out = { ...out, overhead: await measureOverhead(tb(), bundles, opts) };
    } else if (phase === 'payload') {
      log('payload: 64 KiB secrets into a Secret filled to 1 MiB');
      out = { ...out, payload: await measurePayload(tb(), bundles, { log, shapes: sizes.BENCH_PAYLOAD_SHAPES }) };
    } else if (phase === 'fanout') {
      log(`fanout: one rotation of a 64 KiB secret to ${sizes.fanoutTargets.join(', ')} targets`);
      out = { ...out, fanout: await measureFanout(tb(), bundles, { log, targets: sizes.fanoutTargets }) };
    } else {
      const opts = {
        mappings: sizes.BENCH_SCALE_MAPPINGS,
        updates: sizes.BENCH_SCALE_UPDATES,
        bursts: sizes.BENCH_SCALE_BURSTS,
        active: sizes.BENCH_SCALE_ACTIVE,
        log,
      };
      log(`scale: ${opts.mappings} mappings, ${opts.updates} updates in ${opts.bursts} bursts, ${opts.active} warm`);
      out = { ...out, scale: await measureScale(tb(), bundles, opts) };
    }
  }
  return withCost(out);
}

/** Writes the results as `npm run bench` does (bench/results.json, or BENCH_RESULTS_FILE). */
export function writeResults(file: string, results: BenchResults): void {
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** The idle rows and the cost estimate (its idle block is the stack of ASSUMPTIONS.mappings mappings). */
export function withCost(results: BenchResults): BenchResults {
  const idle = idleCost();
  const at = (n: number): IdleCostRow => idle.find((r) => r.mappings === n) ?? idleCostOf(n);
  const out = { ...results, idle };
  return results.overhead && results.coldStart
    ? { ...out, cost: estimateCost(results.overhead, results.coldStart, at(ASSUMPTIONS.mappings)) }
    : out;
}
