import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, serverModuleDir } from './paths.ts';
import { requireTool, run } from './toolchain.ts';

const GO_INSTALL =
  'apt-get update && apt-get install -y golang-go ' +
  '(go.mod then fetches its pinned toolchain through the Go module proxy)';

/**
 * Returns the path of the test bed binary (kube-apiserver, etcd, the token
 * webhook and the certificate tool in one), building it first when the cache
 * has none for the current pin. The cache key hashes go.mod, go.sum, the Go
 * sources and the Go version, so it rebuilds only when one of them changes.
 *
 * @throws MissingToolError when Go is not installed (the message says how to install it).
 */
export async function ensureServerBinary(log: (msg: string) => void): Promise<string> {
  const goVersion = requireTool('go', ['env', 'GOVERSION'], GO_INSTALL);
  const hash = createHash('sha256').update(goVersion);
  for (const f of readdirSync(serverModuleDir).sort()) {
    if (f.endsWith('.go') || f === 'go.mod' || f === 'go.sum') {
      hash.update(f).update(readFileSync(join(serverModuleDir, f)));
    }
  }
  const key = hash.digest('hex').slice(0, 16);
  const dir = join(cacheDir(), 'bin');
  const binary = join(dir, `testbed-server-${key}`);
  if (existsSync(binary)) return binary;

  mkdirSync(dir, { recursive: true });
  log(`building the test bed (kube-apiserver, etcd, authn webhook) into ${dir}; the first build takes several minutes`);
  const total = countPackages();
  let built = 0;
  let lastReport = 0;
  const started = Date.now();
  const tmp = `${binary}.tmp-${process.pid}`;
  await run('go', ['build', '-v', '-trimpath', '-o', tmp, '.'], {
    cwd: serverModuleDir,
    onLine: (line) => {
      if (!/^[\w.-]+(\/[\w.~-]+)*$/.test(line)) return; // -v prints one package path per line
      built += 1;
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        log(`  compiled ${built}/${total} packages (${Math.round((Date.now() - started) / 1000)}s) ${line}`);
      }
    },
  });
  renameSync(tmp, binary);
  for (const old of readdirSync(dir)) {
    if (old.startsWith('testbed-server-') && join(dir, old) !== binary) rmSync(join(dir, old), { force: true });
  }
  log(`built ${binary} in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}

/** Number of packages the binary links, for the progress display (downloads modules if needed). */
function countPackages(): number {
  const out = requireTool('go', ['list', '-deps', '.'], GO_INSTALL, serverModuleDir);
  return out.split('\n').filter(Boolean).length;
}
