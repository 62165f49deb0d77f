/**
 * The Python reference's packages (bench/requirements.txt: boto3 and
 * kubernetes from PyPI) in the project's .venv, the one the test bed creates
 * for moto. Installed on first use, or again when a pin changed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureMotoServer } from '../testbed/python.ts';
import { repoRoot, venvDir } from '../testbed/paths.ts';
import { run } from '../testbed/toolchain.ts';

/** The bench's pinned Python requirements. */
export const benchRequirements = join(repoRoot, 'bench', 'requirements.txt');

/** The venv's interpreter. */
export const venvPython = join(venvDir, 'bin', 'python');

function pins(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(benchRequirements, 'utf8').split('\n')) {
    const m = line.match(/^([A-Za-z0-9_.-]+)==(\S+)/);
    if (m) out[m[1]!.toLowerCase()] = m[2]!;
  }
  return out;
}

function installed(names: string[]): Record<string, string | null> {
  const code = `import importlib.metadata as m, json, sys
out = {}
for n in sys.argv[1:]:
    try: out[n] = m.version(n)
    except m.PackageNotFoundError: out[n] = None
print(json.dumps(out))`;
  try {
    return JSON.parse(execFileSync(venvPython, ['-c', code, ...names], { encoding: 'utf8' })) as Record<
      string,
      string | null
    >;
  } catch {
    return Object.fromEntries(names.map((n) => [n, null]));
  }
}

/**
 * Makes sure the venv exists (moto first: it recreates the venv when its pin
 * changes) and holds exactly the pinned boto3 and kubernetes; returns the
 * interpreter's path.
 *
 * @throws MissingToolError when python3 is missing; Error when pip fails.
 */
export async function ensureBenchPython(log: (msg: string) => void): Promise<string> {
  await ensureMotoServer(log);
  const want = pins();
  const have = installed(Object.keys(want));
  const stale = Object.entries(want).filter(([n, v]) => have[n] !== v);
  if (stale.length === 0) return venvPython;
  log(
    `installing ${stale.map(([n, v]) => `${n}==${v}`).join(', ')} into ${venvDir} (Python reference of the ` +
      `cold-start benchmark)`,
  );
  await run(
    join(venvDir, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', '-r', benchRequirements],
    {
      onLine: (line) => log(`  pip: ${line}`),
    },
  );
  const after = installed(Object.keys(want));
  const still = Object.entries(want).filter(([n, v]) => after[n] !== v);
  if (still.length) throw new Error(`pip did not install ${still.map(([n, v]) => `${n}==${v}`).join(', ')}`);
  return venvPython;
}
