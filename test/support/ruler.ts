/**
 * AWS Event Ruler, the open-source engine behind EventBridge patterns, as the
 * tests' judge of which events a rule pattern matches. Maven fetches
 * `software.amazon.event.ruler:event-ruler` and its runtime dependencies
 * (test/support/ruler/pom.xml) into the per-machine cache, javac compiles the
 * tiny matcher test/support/ruler/Match.java next to them, and
 * {@link matchEvents} sends every job of a test file to ONE JVM (a JVM starts
 * in about half a second).
 *
 * `.ci/run` fetches it before the tests (`node test/support/ruler.ts`); a test
 * fetches it itself when the cache lacks it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir } from '../../testbed/paths.ts';

const HERE = join(import.meta.dirname, 'ruler');
const POM = join(HERE, 'pom.xml');
const MATCHER = join(HERE, 'Match.java');

/** Patterns by rule name, and the events to match against all of them. */
export interface RulerJob {
  readonly rules: Readonly<Record<string, unknown>>;
  readonly events: readonly unknown[];
}

/** Per job, per event: the sorted names of the job's rules that match the event. */
export type RulerResult = string[][][];

/** Where the jars and the compiled matcher live: keyed by the pom's and the matcher's content. */
export function rulerDir(): string {
  const key = createHash('sha256').update(readFileSync(POM)).update(readFileSync(MATCHER)).digest('hex').slice(0, 12);
  return join(cacheDir(), 'ruler', key);
}

/**
 * Fetches Event Ruler with Maven and compiles the matcher, unless the cache
 * has them. Safe when several test files call it at once (each builds into
 * its own folder and the first rename wins).
 *
 * @returns The Java class path of the matcher and the jars.
 * @throws Error naming what to install when `java`, `javac` or `mvn` is missing, or Maven's or javac's output.
 */
export function ensureRuler(): string {
  const dir = rulerDir();
  const classpath = `${join(dir, 'classes')}:${join(dir, 'lib', '*')}`;
  if (existsSync(join(dir, 'classes', 'Match.class'))) return classpath;
  for (const tool of ['java', 'javac', 'mvn']) {
    if (spawnSync(tool, ['-version'], { stdio: 'ignore' }).error) throw missingTool(tool);
  }
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const lib = join(work, 'lib');
  const copy = ['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`];
  run('mvn', ['-q', '-B', '-f', POM, ...copy]);
  run('javac', ['-nowarn', '-d', join(work, 'classes'), '-cp', join(lib, '*'), MATCHER]);
  try {
    renameSync(work, dir);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    if (!existsSync(join(dir, 'classes', 'Match.class'))) throw e;
  }
  return classpath;
}

function missingTool(tool: string): Error {
  const install = 'apt-get install -y default-jdk-headless maven';
  return new Error(`AWS Event Ruler needs ${tool} (a Java 11+ JDK and Maven) on PATH: ${install}`);
}

function run(tool: string, args: string[]): void {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = r.status ?? r.signal ?? r.error?.message;
    throw new Error(`${tool} ${args.join(' ')} failed (${why}):\n${r.stdout}${r.stderr}`);
  }
}

/** How long the last {@link matchEvents} call took, for the tests' reports. */
export const lastRun = { events: 0, ms: 0 };

/**
 * Matches every job's events against the job's rules, all jobs in one JVM.
 *
 * @throws Error with the matcher's message when a pattern is invalid or the JVM fails.
 */
export function matchEvents(jobs: readonly RulerJob[]): RulerResult {
  const classpath = ensureRuler();
  const started = performance.now();
  const r = spawnSync('java', ['-Xshare:auto', '-XX:TieredStopAtLevel=1', '-cp', classpath, 'Match'], {
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw missingTool('java');
  if (r.status !== 0) throw new Error(`Event Ruler failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  lastRun.events = jobs.reduce((n, j) => n + j.events.length, 0);
  lastRun.ms = Math.round(performance.now() - started);
  const result = JSON.parse(r.stdout) as RulerResult;
  if (result.length !== jobs.length) throw new Error(`Event Ruler answered ${result.length} jobs for ${jobs.length}`);
  return result;
}

if (import.meta.main) {
  const started = performance.now();
  const classpath = ensureRuler();
  const probe = { rules: { r: { source: ['aws.secretsmanager'] } }, events: [{ source: 'aws.secretsmanager' }] };
  const matched = matchEvents([probe])[0]?.[0];
  if (matched?.[0] !== 'r') throw new Error(`Event Ruler self-check failed: ${JSON.stringify(matched)}`);
  process.stdout.write(`Event Ruler ready in ${Math.round(performance.now() - started)} ms: ${classpath}\n`);
}
