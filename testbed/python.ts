import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkovRequirementsFile,
  checkovVenvDir,
  lintRequirementsFile,
  lintVenvDir,
  referenceRequirementsFile,
  referenceVenvDir,
  requirementsFile,
  venvDir,
} from './paths.ts';
import { requireTool, run } from './toolchain.ts';

const PYTHON_INSTALL = 'apt-get update && apt-get install -y python3 python3-venv';

/**
 * Returns the path of `moto_server` in the project-local virtual environment,
 * creating the venv and installing the pinned requirements first when they
 * are missing or the pin changed.
 *
 * @throws MissingToolError when python3 (with venv) is not installed.
 */
export async function ensureMotoServer(log: (msg: string) => void): Promise<string> {
  return ensureVenvTool(venvDir, requirementsFile, 'moto_server', log);
}

/**
 * Returns the path of `cfn-lint` in its own virtual environment (.venv-lint),
 * installed from testbed/requirements-lint.txt as {@link ensureMotoServer} does.
 *
 * @throws MissingToolError when python3 (with venv) is not installed.
 */
export async function ensureCfnLint(log: (msg: string) => void): Promise<string> {
  return ensureVenvTool(lintVenvDir, lintRequirementsFile, 'cfn-lint', log);
}

/**
 * Returns the path of `checkov` in its own virtual environment (.venv-checkov), installed from
 * testbed/requirements-checkov.txt as {@link ensureMotoServer} does (about 3 minutes the first time).
 *
 * @throws MissingToolError when python3 (with venv) is not installed.
 */
export async function ensureCheckov(log: (msg: string) => void): Promise<string> {
  return ensureVenvTool(checkovVenvDir, checkovRequirementsFile, 'checkov', log);
}

/** The test-only reference tools of {@link ensureReferenceTools}. */
export interface ReferenceTools {
  /** The AWS CLI (v1, from PyPI): `aws eks get-token` is the judge of our EKS token. */
  readonly aws: string;
  /** The compiled libfaketime the PyPI package ships, for `LD_PRELOAD` (see test/support/reference-tools.ts). */
  readonly libfaketime: string;
}

/**
 * Returns the paths of the AWS CLI and of libfaketime in their own virtual environment (.venv-reference),
 * installed from testbed/requirements-reference.txt as {@link ensureMotoServer} does. Nothing on PATH or in
 * /usr is used: the tests that need them call these paths.
 *
 * @throws MissingToolError when python3 (with venv) is not installed.
 */
export async function ensureReferenceTools(log: (msg: string) => void): Promise<ReferenceTools> {
  const aws = await ensureVenvTool(referenceVenvDir, referenceRequirementsFile, 'aws', log);
  const lib = join(referenceVenvDir, 'lib');
  const [python] = readdirSync(lib).filter((d) => d.startsWith('python'));
  const libfaketime = join(
    lib,
    python ?? 'python3',
    'site-packages/libfaketime/vendor/libfaketime/src/libfaketime.so.1',
  );
  if (!existsSync(libfaketime)) {
    throw new Error(`${libfaketime} is missing: the libfaketime wheel changed its layout; fix ensureReferenceTools`);
  }
  return { aws, libfaketime };
}

/** A lock older than this is left over from a killed install and is taken over. */
const STALE_LOCK_MS = 15 * 60_000;

/** Whether the lock `dir` was left by a process that is gone (killed mid-install) or is older than any install. */
function staleLock(dir: string): boolean {
  const age = Date.now() - (statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
  const owner = Number(existsSync(join(dir, 'pid')) ? readFileSync(join(dir, 'pid'), 'utf8') : Number.NaN);
  if (age > STALE_LOCK_MS) return true;
  if (!Number.isInteger(owner)) return age > 5_000; // a lock without its pid file after 5 s: its owner died
  try {
    process.kill(owner, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Installs (if needed) under a lock directory, so that test files of both vitest projects, each in its own
 * process, asking for the same venv at once build it once instead of deleting each other's half-built venv.
 */
async function ensureVenvTool(
  dir: string,
  requirements: string,
  tool: string,
  log: (msg: string) => void,
): Promise<string> {
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (staleLock(lock)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await installVenvTool(dir, requirements, tool, log);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function installVenvTool(
  dir: string,
  requirements: string,
  tool: string,
  log: (msg: string) => void,
): Promise<string> {
  const want = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const stamp = join(dir, '.requirements.sha256');
  const bin = join(dir, 'bin', tool);
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return bin;

  requireTool('python3', ['-c', 'import venv, ensurepip'], PYTHON_INSTALL);
  log(`installing ${readFileSync(requirements, 'utf8').match(/^[a-z][^\s#]*/m)?.[0]} into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', dir]);
  await run(join(dir, 'bin', 'pip'), ['install', '--quiet', '-r', requirements], {
    onLine: (line) => log(`  pip: ${line}`),
  });
  writeFileSync(stamp, want);
  return bin;
}
