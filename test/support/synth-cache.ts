/**
 * One bundled synth per distinct input, shared by the test processes of a run and by later runs on the machine:
 * `synth()` of test/support/infra.ts bundles every function with esbuild (20 to 45 s each on the 2-core machine),
 * and about a dozen test files synthesize the same example file, each in its own process.
 *
 * The cloud assembly is kept in `<tmpdir>/eks-secret-sync-synth/<key>/` (`EKS_SECRET_SYNC_SYNTH_CACHE` overrides
 * the folder; `off` turns the cache off). The key is a SHA-256 of everything the synth reads: every file under
 * infra/, functions/, statemachine/ and bin/ (path and content), package.json, package-lock.json, tsconfig.json,
 * cdk.json, the installed versions of aws-cdk-lib, constructs, esbuild and cdk-nag, the Node version, the
 * repository's path, and the config and app options of the synth. A changed input is a new key, so a stale assembly
 * is never read. Only a synth that succeeded is stored (a cdk-nag finding throws, and is thrown again on the next
 * call); concurrent processes asking for one key wait for the first one's synth (a lock folder with its pid).
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';

const INPUT_DIRS = ['infra', 'functions', 'statemachine', 'bin'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'cdk.json'];
const TOOL_PACKAGES = ['aws-cdk-lib', 'constructs', 'esbuild', 'cdk-nag'];
/** How long a waiting process gives the lock holder before building on its own. */
const WAIT_MS = 15 * 60_000;

function cacheRoot(): string | undefined {
  const set = process.env.EKS_SECRET_SYNC_SYNTH_CACHE;
  if (set === 'off') return undefined;
  return set || join(tmpdir(), 'eks-secret-sync-synth');
}

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/**
 * A SHA-256 of the repository's files under these folders and of these files (each path and its content), of the
 * installed versions of these packages, the Node version and the repository's path.
 */
export function inputsHash(dirs: readonly string[], files: readonly string[], packages: readonly string[]): string {
  const h = createHash('sha256');
  const found: string[] = [];
  for (const d of dirs) walk(join(REPO_ROOT, d), found);
  for (const f of files) if (existsSync(join(REPO_ROOT, f))) found.push(join(REPO_ROOT, f));
  for (const f of found)
    h.update(`${relative(REPO_ROOT, f)}\0`)
      .update(readFileSync(f))
      .update('\0');
  for (const p of packages) {
    const manifest = join(REPO_ROOT, 'node_modules', p, 'package.json');
    h.update(`${p}@${existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : 'none'}\0`);
  }
  h.update(`${process.version}\0${REPO_ROOT}\0`);
  return h.digest('hex');
}

let sources: string | undefined;

/** The hash of the repository's and the tools' inputs to a synth (once per process). */
function sourcesHash(): string {
  sources ??= inputsHash(INPUT_DIRS, INPUT_FILES, TOOL_PACKAGES);
  return sources;
}

/** A plain-JSON text of a value, or undefined when it holds anything else (a construct, a function): not cached. */
function plainJson(value: unknown): string | undefined {
  let plain = true;
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') plain = false;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) plain = false;
    }
    return v;
  });
  return plain ? text : undefined;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock folder's holder is gone (its pid dead, or past the wait). */
function stale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) return true;
    return Date.now() - statSync(lock).mtimeMs > WAIT_MS;
  } catch {
    // The pid file is written just after the folder: give a young lock its moment.
    return existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 10_000;
  }
}

/**
 * The cloud assembly `build` writes into its outdir for these inputs, from the cache when a synth of the same
 * inputs is there, else built now (after waiting for another process building the same key) and stored.
 * `build` runs at most once per call; when the cache is off or the inputs are not plain JSON it builds into a
 * fresh temporary folder removed at exit, as before.
 *
 * @returns the assembly, and whether `build` ran in this call.
 */
export function cachedAssembly(
  inputs: unknown,
  build: (outdir: string) => void,
): { assembly: CloudAssembly; built: boolean } {
  const root = cacheRoot();
  const text = plainJson(inputs);
  if (root === undefined || text === undefined) {
    const outdir = join(
      tmpdir(),
      `eks-secret-sync-cdk-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    );
    mkdirSync(outdir, { recursive: true });
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    build(outdir);
    return { assembly: new CloudAssembly(outdir), built: true };
  }
  const key = createHash('sha256').update(sourcesHash()).update(text).digest('hex').slice(0, 32);
  const dir = join(root, key);
  const lock = `${dir}.lock`;
  mkdirSync(root, { recursive: true });
  const until = Date.now() + WAIT_MS;
  for (;;) {
    if (existsSync(join(dir, 'manifest.json'))) {
      const now = new Date();
      utimesSync(dir, now, now); // in use: kept by prune
      return { assembly: new CloudAssembly(dir), built: false };
    }
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (stale(lock) || Date.now() > until) rmSync(lock, { recursive: true, force: true });
      else sleep(500);
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  const outdir = `${dir}.tmp-${process.pid}`;
  try {
    rmSync(outdir, { recursive: true, force: true });
    build(outdir);
    rmSync(dir, { recursive: true, force: true });
    renameSync(outdir, dir);
  } catch (e) {
    rmSync(outdir, { recursive: true, force: true });
    throw e;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  prune(root, dir);
  return { assembly: new CloudAssembly(dir), built: true };
}

/**
 * Entries not written or read for this long are removed when a new one is stored (the cache grows by about 10 MB
 * each).
 */
const KEEP_MS = 3 * 24 * 3600_000;

function prune(root: string, keep: string): void {
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (path === keep || name.includes('.lock') || name.includes('.tmp-')) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it
    }
  }
}
