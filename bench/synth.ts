// `npm run bench:synth`: `cdk synth` of mappings files of 1, 15, 100 and 500 plain mappings (test/support/fleet.ts)
// on this machine. Each size runs the app exactly as `npx cdk synth` does (`node infra/app.ts` with the CLI's
// CDK_OUTDIR and CDK_CONTEXT_JSON, cdk-nag included, the CLI's own start-up left out) in a fresh process, one
// size after the other, and reads the cloud assembly it wrote: stacks, resources, outputs, template sizes, the seal
// key policy and the esbuild runs. Writes bench/synth-results.json and the bench:synth block of
// docs/performance.md. BENCH_SYNTH_SIZES=1,15 runs other sizes (results.local, docs left alone). Not a test:
// nothing here asserts a time.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../testbed/paths.ts';
import { fleetYaml } from '../test/support/fleet.ts';
import { machine, type Machine } from './machine.ts';
import { replaceBlock } from './report.ts';
import { round } from './stats.ts';

/** One size's measurement. */
export interface SynthSize {
  readonly mappings: number;
  /** Whether CDK's built-in CloudFormation template validation ran (`CDK_VALIDATION=false` turns it off). */
  readonly cdkValidation: boolean;
  readonly seconds: number;
  /** User + system CPU time of the synth process: less sensitive than wall time to the machine's other load. */
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly stacks: number;
  readonly resources: number;
  readonly resourcesPerMapping: number;
  readonly outputsMax: number;
  readonly templateBytesMax: number;
  readonly templateBytesTotal: number;
  readonly keyPolicyBytesMax: number;
  /** esbuild runs in the whole synth ("Bundling asset" lines). */
  readonly bundlings: number;
}

/** bench/synth-results.json. */
export interface SynthResults {
  readonly date: string;
  readonly machine: Machine;
  readonly node: string;
  readonly sizes: readonly SynthSize[];
}

/** The sizes, and the largest once more without CDK's built-in template validation (`cdk synth --no-validation`). */
const DEFAULT_RUNS: readonly (readonly [number, boolean])[] = [
  [1, true],
  [15, true],
  [100, true],
  [500, true],
  [500, false],
];

async function synthOnce(n: number, cdkValidation: boolean, dir: string): Promise<SynthSize> {
  const file = join(dir, `mappings-${n}.yaml`);
  writeFileSync(file, fleetYaml(n));
  const out = join(dir, `out-${n}`);
  const started = performance.now();
  const child = spawn(
    '/usr/bin/time',
    ['-f', 'maxrss=%M cpu=%U+%S', process.execPath, join(repoRoot, 'infra', 'app.ts')],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        CDK_OUTDIR: out,
        CDK_CONTEXT_JSON: JSON.stringify({ mappings: file }),
        ...(cdkValidation ? {} : { CDK_VALIDATION: 'false' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`synth of ${n} mappings failed (exit ${code}):\n${text.slice(-3000)}`);
  const templates = readdirSync(out).filter((f) => f.endsWith('.template.json'));
  let resources = 0;
  let outputsMax = 0;
  let keyPolicyBytesMax = 0;
  const sizes: number[] = [];
  for (const f of templates) {
    const path = join(out, f);
    sizes.push(statSync(path).size);
    const t = JSON.parse(readFileSync(path, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { KeyPolicy?: unknown } }>;
      Outputs?: object;
    };
    resources += Object.keys(t.Resources).length;
    outputsMax = Math.max(outputsMax, Object.keys(t.Outputs ?? {}).length);
    for (const r of Object.values(t.Resources))
      if (r.Type === 'AWS::KMS::Key')
        keyPolicyBytesMax = Math.max(keyPolicyBytesMax, JSON.stringify(r.Properties?.KeyPolicy).length);
  }
  rmSync(out, { recursive: true, force: true });
  return {
    mappings: n,
    cdkValidation,
    seconds: round(seconds, 1),
    cpuSeconds: round(cpuSeconds(text), 1),
    peakRssMb: Math.round(Number(/maxrss=(\d+)/.exec(text)?.[1] ?? 0) / 1024),
    stacks: templates.length,
    resources,
    resourcesPerMapping: round(resources / n, 1),
    outputsMax,
    templateBytesMax: Math.max(...sizes),
    templateBytesTotal: sizes.reduce((a, b) => a + b, 0),
    keyPolicyBytesMax,
    bundlings: (text.match(/Bundling asset/g) ?? []).length,
  };
}

/** User + system seconds from GNU time's `cpu=%U+%S`. */
function cpuSeconds(text: string): number {
  const m = /cpu=([\d.]+)\+([\d.]+)/.exec(text);
  return m ? Number(m[1]) + Number(m[2]) : Number.NaN;
}

/** The bench:synth block of docs/performance.md. */
export function synthMarkdown(r: SynthResults): string {
  const first = r.sizes[0]!;
  const kb = (b: number) => `${Math.round(b / 1024)} KiB`;
  const rows = r.sizes.map((s) =>
    [
      s.cdkValidation ? s.mappings : `${s.mappings}, no CDK validation`,
      `${s.seconds} s`,
      `${round(s.seconds / first.seconds, 1)}x`,
      `${s.cpuSeconds} s`,
      `${round(s.cpuSeconds / s.mappings, 2)} s`,
      s.stacks,
      s.resources,
      s.resourcesPerMapping,
      s.outputsMax,
      kb(s.templateBytesMax),
      kb(s.templateBytesTotal),
      `${s.keyPolicyBytesMax} B`,
      s.bundlings,
      `${s.peakRssMb} MiB`,
    ].join(' | '),
  );
  return [
    `Measured ${r.date} on ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ` +
      `${r.node}; plain mappings (test/support/fleet.ts), \`stack.mappingsPerStack\` at its default. Time is the ` +
      'app as `npx cdk synth` runs it (cdk-nag included, the CLI start-up not), one size after the other in a fresh ' +
      'process; ratio against 1 mapping measured in the same run. CPU is user + system time of that process: the ' +
      "machine is shared, and wall time grows with the others' load. The last row leaves out CDK's built-in " +
      'CloudFormation template validation (`cdk synth --no-validation` or `CDK_VALIDATION=false`), the largest part ' +
      'of the time.',
    '',
    '| mappings | synth (wall) | vs 1 | CPU | CPU per mapping | stacks | resources | per mapping | ' +
      'outputs (max/stack) | template (max) | templates (all) | key policy (max) | esbuild runs | peak RSS |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const env = process.env.BENCH_SYNTH_SIZES;
  const runs = env ? env.split(',').map((n) => [Number(n), true] as const) : DEFAULT_RUNS;
  const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-bench-synth-'));
  try {
    const results: SynthSize[] = [];
    for (const [n, validation] of runs) {
      process.stderr.write(`[bench:synth] ${n} mappings...\n`);
      const s = await synthOnce(n, validation, dir);
      process.stderr.write(
        `[bench:synth] ${n} mappings: ${s.seconds} s, ${s.stacks} stacks, ${s.resources} resources\n`,
      );
      results.push(s);
    }
    const r: SynthResults = {
      date: new Date().toISOString().slice(0, 10),
      machine: machine(),
      node: process.version,
      sizes: results,
    };
    const official = env === undefined;
    writeFileSync(
      join(repoRoot, 'bench', official ? 'synth-results.json' : 'synth-results.local.json'),
      `${JSON.stringify(r, null, 2)}\n`,
    );
    const md = synthMarkdown(r);
    if (official) replaceBlock(join(repoRoot, 'docs', 'performance.md'), 'bench:synth', md);
    process.stdout.write(`${md}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
