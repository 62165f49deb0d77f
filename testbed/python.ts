import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirementsFile, venvDir } from './paths.ts';
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
  const want = createHash('sha256').update(readFileSync(requirementsFile)).digest('hex');
  const stamp = join(venvDir, '.requirements.sha256');
  const server = join(venvDir, 'bin', 'moto_server');
  if (existsSync(server) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return server;

  requireTool('python3', ['-c', 'import venv, ensurepip'], PYTHON_INSTALL);
  log(`installing ${readFileSync(requirementsFile, 'utf8').match(/^moto\S*/m)?.[0]} into ${venvDir}`);
  rmSync(venvDir, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', venvDir]);
  await run(join(venvDir, 'bin', 'pip'), ['install', '--quiet', '-r', requirementsFile], {
    onLine: (line) => log(`  pip: ${line}`),
  });
  writeFileSync(stamp, want);
  return server;
}
