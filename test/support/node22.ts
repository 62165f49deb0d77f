/**
 * Node.js 22 for the installed-package test (test/infra/package.test.ts): the npm registry's `node` package, pinned
 * to major 22, installed on first use into the project-local `.node22/` (git-ignored), the way the project pins its
 * own Node 24 (`node` in devDependencies).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';

/** The registry's `node` package at major 22 (its install script fetches `node-<os>-<arch>` of the same version). */
export const NODE22_SPEC = 'node@22';

const DIR = join(REPO_ROOT, '.node22');

/** The path of a Node 22 binary, installed into `.node22/` when missing. */
export function ensureNode22(): string {
  const bin = join(DIR, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) {
    execFileSync('npm', ['install', '--prefix', DIR, '--no-audit', '--no-fund', '--no-save', NODE22_SPEC], {
      stdio: 'ignore',
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
    });
  }
  return bin;
}
