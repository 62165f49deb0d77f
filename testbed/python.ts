import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkovRequirementsFile,
  checkovVenvDir,
  lintRequirementsFile,
  lintVenvDir,
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

async function ensureVenvTool(
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
