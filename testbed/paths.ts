import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in <root>/testbed). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Go module of the test bed's one binary. */
export const serverModuleDir = join(repoRoot, 'testbed', 'server');

/** Project-local Python virtual environment holding the pinned moto. */
export const venvDir = join(repoRoot, '.venv');

/** Pinned Python requirements of the test bed. */
export const requirementsFile = join(repoRoot, 'testbed', 'requirements.txt');

/**
 * A second virtual environment for cfn-lint: the template lint runs in the
 * unit project, at the same time as the test bed's setup may (re)build .venv.
 */
export const lintVenvDir = join(repoRoot, '.venv-lint');

/** Pinned Python requirements of the template lint (cfn-lint). */
export const lintRequirementsFile = join(repoRoot, 'testbed', 'requirements-lint.txt');

/** A third virtual environment for checkov (many pinned dependencies of its own; about 300 MB). */
export const checkovVenvDir = join(repoRoot, '.venv-checkov');

/** Pinned Python requirements of the template scan (checkov). */
export const checkovRequirementsFile = join(repoRoot, 'testbed', 'requirements-checkov.txt');

/** A third virtual environment for the test-only reference tools: the AWS CLI and libfaketime. */
export const referenceVenvDir = join(repoRoot, '.venv-reference');

/** Pinned Python requirements of the reference tools (test/support/reference-tools.ts). */
export const referenceRequirementsFile = join(repoRoot, 'testbed', 'requirements-reference.txt');

/**
 * Per-machine build cache, outside the repository so a fresh clone reuses it.
 * Override with EKS_SECRET_SYNC_CACHE.
 */
export function cacheDir(): string {
  return (
    process.env.EKS_SECRET_SYNC_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'eks-secret-sync')
  );
}

/** Where server logs of failed runs are kept (ignored by git). */
export const keptLogsDir = join(repoRoot, '.testbed', 'logs');

/** Go module of the test bed's kubectl (a second cached binary, testbed/build.ts). */
export const kubectlModuleDir = join(repoRoot, 'testbed', 'kubectl');

/** Go module of the test bed's controllers: kube-controller-manager and the node stand-in (testbed/build.ts). */
export const controllersModuleDir = join(repoRoot, 'testbed', 'controllers');
