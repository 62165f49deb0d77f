/**
 * `@cloud-copilot/iam-simulate` (npm), the IAM evaluator of the suite, with one documented patch
 * (docs/testing.md#iam-evaluator). 0.1.173, the latest release, drops request context keys whose name has a variable
 * after a colon (`kms:EncryptionContext:<key>`, listed as `kms:EncryptionContext:${EncryptionContextKey}`): its
 * variable-key matching knows only `prefix/<variable>` keys such as `aws:PrincipalTag/<key>`. A dropped key makes
 * every `kms:EncryptionContext:mappingId` condition fail, so a KMS request could never be judged.
 *
 * The patch: on first use this module copies the package's ESM build into `node_modules/.cache/eks-secret-sync/`,
 * replaces the two functions that do the matching (each must be found exactly as released, else it throws: a new
 * release must be checked again) so that a `${...}` variable after a colon matches as the slash form does, and
 * imports the copy. The package in node_modules is never changed. test/infra/iam-evaluator.test.ts proves the patch is
 * needed (the released build drops the key) and works.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';

/** The release the patch was written for. */
export const PATCHED_VERSION = '0.1.173';

/** The two functions, as released, and their replacements. */
const PATCHES: readonly { file: string; from: string; to: string }[] = [
  {
    file: 'simulation_engine/simulationEngine.js',
    from: `    const prefix = lowerCaseKey.slice(0, firstSlashIndex + 1);
    for (const variable of contextVariables) {
        if (variable.startsWith(prefix)) {
            return true;
        }
    }
    return false;
}`,
    to: `    const prefix = lowerCaseKey.slice(0, firstSlashIndex + 1);
    for (const variable of contextVariables) {
        if (variable.startsWith(prefix)) {
            return true;
        }
    }
    return false;
}
/* eks-secret-sync patch: a variable after a colon, kms:EncryptionContext:\${EncryptionContextKey}. */
function listHasColonVariableKeyMatch(lowerCaseKey, contextVariables) {
    for (const variable of contextVariables) {
        const at = variable.indexOf(':\${');
        if (at !== -1 && !variable.includes('/') && lowerCaseKey.length > at + 1 &&
            lowerCaseKey.startsWith(variable.slice(0, at + 1))) {
            return true;
        }
    }
    return false;
}`,
  },
  {
    file: 'simulation_engine/simulationEngine.js',
    from: `            listHasVariableKeyMatch(lowerCaseKey, contextVariablesForAction)) {`,
    to: `            listHasVariableKeyMatch(lowerCaseKey, contextVariablesForAction) ||
            listHasColonVariableKeyMatch(lowerCaseKey, contextVariablesForAction)) {`,
  },
  {
    file: 'context_keys/contextKeys.js',
    from: `    const slashIndex = specKey.indexOf('/');
    if (slashIndex === -1) {
        return specKey;
    }`,
    to: `    const slashIndex = specKey.indexOf('/');
    const colonVariable = specKey.indexOf(':\${');
    if (slashIndex === -1 && colonVariable !== -1) {
        /* eks-secret-sync patch: keep the request's own key after the colon. */
        return specKey.slice(0, colonVariable + 1) + actualKey.slice(colonVariable + 1);
    }
    if (slashIndex === -1) {
        return specKey;
    }`,
  },
];

/** The package's exports. */
export type IamSimulate = typeof import('@cloud-copilot/iam-simulate');

let patched: Promise<IamSimulate> | undefined;

/** The package's folder in node_modules (from its ESM entry, `<package>/dist/esm/index.js`). */
function packageDir(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('@cloud-copilot/iam-simulate'))), '..', '..');
}

/**
 * The released build, unpatched (the positive control of the patch).
 */
export function releasedIamSimulate(): Promise<IamSimulate> {
  return import('@cloud-copilot/iam-simulate');
}

/**
 * The patched build: copied and patched on first use (safe when several test files do it at once: each writes its
 * own folder and renames it into place).
 *
 * @throws Error when the installed version is not {@link PATCHED_VERSION} or a function is not as released.
 */
export function iamSimulate(): Promise<IamSimulate> {
  patched ??= load();
  return patched;
}

async function load(): Promise<IamSimulate> {
  const pkg = packageDir();
  const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== PATCHED_VERSION) {
    throw new Error(
      `@cloud-copilot/iam-simulate is ${version}, the patch in test/support/iam-simulate.ts was written for ` +
        `${PATCHED_VERSION}: check whether the new release still drops kms:EncryptionContext:<key> and update ` +
        'the patch',
    );
  }
  const cache = join(REPO_ROOT, 'node_modules', '.cache', 'eks-secret-sync');
  const target = join(cache, `iam-simulate-${version}-patched`);
  if (!existsSync(join(target, 'index.js'))) {
    mkdirSync(cache, { recursive: true });
    const work = `${target}.${process.pid}.tmp`;
    rmSync(work, { recursive: true, force: true });
    cpSync(join(pkg, 'dist', 'esm'), work, { recursive: true });
    for (const { file, from, to } of PATCHES) {
      const path = join(work, file);
      const text = readFileSync(path, 'utf8');
      if (text.split(from).length !== 2) throw new Error(`iam-simulate ${version}: ${file} is not as released`);
      writeFileSync(path, text.replace(from, to));
    }
    writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
    try {
      renameSync(work, target);
    } catch {
      rmSync(work, { recursive: true, force: true }); // another process was first
    }
  }
  return (await import(pathToFileURL(join(target, 'index.js')).href)) as IamSimulate;
}
