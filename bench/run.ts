// `npm run bench`: the benchmarks of issue 8, side by side in one run.
//
//   coldStart  module init of each Lambda bundle vs a Python seed and client-node
//   overhead   warm sync through the ASL executor vs a direct sync (same requests)
//   payload    largest state for a 64 KiB secret into a full 1 MiB Secret
//   scale      200 mappings, 1,000 updates in bursts, on the local test bed
//
// Prints a table, writes bench/results.json and regenerates the blocks of
// docs/performance.md (between its BEGIN/END markers). Subsets and smaller runs for development (BENCH_ONLY=
// overhead,payload; BENCH_SCALE_MAPPINGS=20, BENCH_FANOUT_TARGETS=1,2 ...; the sizes: bench/phases.ts) write
// bench/results.local.json, or BENCH_RESULTS_FILE, and leave the docs alone. The phases themselves are in
// bench/phases.ts, which the smoke test of the suite runs at tiny sizes. `npm run bench -- --render` only
// re-renders the docs and the table from bench/results.json (after a change of bench/cost.ts
// or bench/report.ts), with the idle cost at 1, 100 and 500 mappings counted
// again (bench/idle-cost.ts). Benchmarks, not tests: nothing here asserts a time.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundles } from '../testbed/local-pipeline.ts';
import { repoRoot } from '../testbed/paths.ts';
import { startTestbed, type Testbed } from '../testbed/testbed.ts';
import { MissingToolError } from '../testbed/toolchain.ts';
import { FANOUT_TARGETS } from './fanout.ts';
import { machine, pythonVersion } from './machine.ts';
import { PHASES, runPhases, SIZES, type Sizes, withCost, writeResults } from './phases.ts';
import { ensureBenchPython } from './python-deps.ts';
import { consoleTable, costMarkdown, replaceBlock, resultsMarkdown, type BenchResults } from './report.ts';

const DEFAULTS = SIZES;

const t0 = performance.now();
const log = (msg: string) =>
  process.stderr.write(`[bench ${String(Math.round((performance.now() - t0) / 1000)).padStart(4)} s] ${msg}\n`);
const setting = (name: keyof typeof DEFAULTS) => {
  const v = process.env[name];
  if (v === undefined || v === '') return DEFAULTS[name];
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(v)}`);
  return n;
};
/** BENCH_FANOUT_TARGETS: the target counts of the fan-out phase, comma separated (default 1,10,50). */
const fanoutTargets = (): number[] => {
  const v = process.env.BENCH_FANOUT_TARGETS;
  if (v === undefined || v === '') return [...FANOUT_TARGETS];
  const ns = v.split(',').map((x) => Number(x.trim()));
  if (!ns.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`BENCH_FANOUT_TARGETS must be positive integers separated by commas, not ${JSON.stringify(v)}`);
  }
  return ns;
};
const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const p of only)
  if (!(PHASES as readonly string[]).includes(p))
    throw new Error(`BENCH_ONLY: unknown phase ${p}; phases are ${PHASES.join(', ')}`);
const runs = (p: (typeof PHASES)[number]) => only.length === 0 || only.includes(p);
const customFile = process.env.BENCH_RESULTS_FILE || undefined;
const official =
  only.length === 0 &&
  !customFile &&
  !process.env.BENCH_FANOUT_TARGETS &&
  Object.keys(DEFAULTS).every((k) => !process.env[k]);
// BENCH_RESULTS_FILE: a development run's results elsewhere. BENCH_RECORDS_FILE: the Express log records of the
// overhead phase's last pipeline sync, one JSON line each (where the log bytes are).
const recordsFile = process.env.BENCH_RECORDS_FILE || undefined;
const resultsFile = customFile ?? join(repoRoot, 'bench', official ? 'results.json' : 'results.local.json');

let testbed: Testbed | undefined;
let workDir: string | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await testbed?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping the test bed`);
    void cleanup().finally(() => process.exit(130));
  });
}

interface Synthesized {
  readonly bundles: Bundles & Record<string, string>;
  readonly core: string[];
  readonly env: Record<string, Record<string, string>>;
}

/** Synthesizes the app in a child process (see synth-child.ts) and returns the copied bundles. */
async function synthesize(dir: string): Promise<Synthesized> {
  const out: string[] = [];
  const child = spawn(process.execPath, [join(repoRoot, 'bench', 'synth-child.ts'), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c: Buffer) => out.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => out.push(c.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`cdk synth of the bundles failed (exit ${code}):\n${out.join('').slice(-3000)}`);
  return JSON.parse(readFileSync(join(dir, 'bundles.json'), 'utf8')) as Synthesized;
}

/** Regenerates the docs blocks from `results` and prints the table. */
function publish(results: BenchResults): void {
  const doc = join(repoRoot, 'docs', 'performance.md');
  replaceBlock(doc, 'bench:results', resultsMarkdown(results));
  replaceBlock(doc, 'bench:cost', costMarkdown(results));
  log(`updated the generated blocks of ${doc}`);
}

if (process.argv.includes('--render')) {
  const results = withCost(JSON.parse(readFileSync(join(repoRoot, 'bench', 'results.json'), 'utf8')) as BenchResults);
  writeFileSync(join(repoRoot, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  publish(results);
  process.stdout.write(`\n${consoleTable(results)}\n`);
  process.exit(0);
}

try {
  log(`phases: ${PHASES.filter(runs).join(', ')}${official ? '' : ` (development run: results go to ${resultsFile})`}`);
  const python = runs('coldStart') ? await ensureBenchPython(log) : undefined;
  workDir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-bench-'));
  log('synthesizing the CDK app (cdk synth of the example mappings) for the Lambda bundles');
  const { bundles, core, env } = await synthesize(workDir);
  log(`bundles: ${Object.keys(bundles).join(', ')} (every sync runs ${core.join(', ')})`);

  let results: BenchResults = {
    machine: machine(),
    node: process.version,
    ...(python ? { python: pythonVersion(python) } : {}),
    date: new Date().toISOString(),
    runtimeSeconds: 0,
    command: 'npm run bench',
  };
  const phases = PHASES.filter(runs);
  if (phases.some((p) => p !== 'coldStart')) testbed = await startTestbed(log);
  const sizes: Sizes = {
    ...(Object.fromEntries(Object.keys(SIZES).map((k) => [k, setting(k as keyof typeof SIZES)])) as typeof SIZES),
    fanoutTargets: fanoutTargets(),
  };
  results = await runPhases(
    phases,
    { testbed: testbed?.details, bundles, core, env, python, sizes, log, recordsFile },
    results,
  );
  await cleanup();
  results = { ...results, runtimeSeconds: Math.round((performance.now() - t0) / 100) / 10 };
  writeResults(resultsFile, results);
  if (official) publish(results);
  process.stdout.write(
    `\n${consoleTable(results)}\n\nwrote ${resultsFile} (${Math.round(results.runtimeSeconds)} s)\n`,
  );
} catch (err) {
  log(err instanceof MissingToolError ? err.message : `failed: ${(err as Error).stack ?? err}`);
  await cleanup();
  process.exit(1);
}
