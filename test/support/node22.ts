/**
 * Node.js 22 for the installed-package test (test/infra/package.test.ts): the npm registry's `node` package, pinned
 * to one 22.x version, installed on first use into the project-local `.node22/` (git-ignored), the way the project
 * pins its own Node 24 (`node` in devDependencies).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';

/** The registry's `node` package, exact (its install script fetches `node-<os>-<arch>` of the same version). */
export const NODE22_VERSION = '22.23.3';
const NODE22_SPEC = `node@${NODE22_VERSION}`;

const DIR = join(REPO_ROOT, '.node22');

/** The path of the Node 22 binary, installed into `.node22/` when missing or of another version. */
export function ensureNode22(): string {
  const bin = join(DIR, 'node_modules', 'node', 'bin', 'node');
  const manifest = join(DIR, 'node_modules', 'node', 'package.json');
  const installed = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : undefined;
  if (!existsSync(bin) || installed !== NODE22_VERSION) {
    execFileSync(
      'npm',
      ['install', '--prefix', DIR, '--prefer-offline', '--no-audit', '--no-fund', '--no-save', NODE22_SPEC],
      {
        stdio: 'ignore',
        env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
      },
    );
  }
  return bin;
}
