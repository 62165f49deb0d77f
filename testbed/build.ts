import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, controllersModuleDir, kubectlModuleDir, serverModuleDir } from './paths.ts';
import { requireTool, run } from './toolchain.ts';

const GO_INSTALL =
  'apt-get update && apt-get install -y golang-go ' +
  '(go.mod then fetches its pinned toolchain through the Go module proxy)';

/** One Go program the test bed builds into the machine-wide cache. */
interface GoBinary {
  /** The Go module (its own go.mod and go.sum) with the main package at its root. */
  readonly moduleDir: string;
  /** Cache file name before the key: `<name>-<key>`. */
  readonly name: string;
  /** The module whose version the binary reports as the Kubernetes version ({@link versionLdflags}). */
  readonly versionModule: string;
  /** What is built, for the progress log. */
  readonly what: string;
}

const SERVER: GoBinary = {
  moduleDir: serverModuleDir,
  name: 'testbed-server',
  versionModule: 'k8s.io/kubernetes',
  what: 'the test bed (kube-apiserver, etcd, authn webhook)',
};

const KUBECTL: GoBinary = {
  moduleDir: kubectlModuleDir,
  name: 'testbed-kubectl',
  versionModule: 'k8s.io/kubectl',
  what: 'kubectl',
};

const CONTROLLERS: GoBinary = {
  moduleDir: controllersModuleDir,
  name: 'testbed-controllers',
  versionModule: 'k8s.io/kubernetes',
  what: 'the test bed controllers (kube-controller-manager, node stand-in)',
};

/**
 * Returns the path of the test bed binary (kube-apiserver, etcd, the token
 * webhook and the certificate tool in one), building it first when the cache
 * has none for the current pin. The cache key hashes go.mod, go.sum, the Go
 * sources, the Go version and the version linker flags, so it rebuilds only when one of them changes.
 *
 * @throws MissingToolError when Go is not installed (the message says how to install it).
 */
export function ensureServerBinary(log: (msg: string) => void): Promise<string> {
  return ensureGoBinary(SERVER, log);
}

/**
 * Returns the path of the test bed's kubectl (testbed/kubectl: the pinned k8s.io/kubectl module), building it
 * first as {@link ensureServerBinary} does. A second cached binary rather than a command of the server binary, so
 * that it does not change the server's cache key. Tests use it instead of whatever kubectl the machine has.
 *
 * @throws MissingToolError when Go is not installed (the message says how to install it).
 */
export function ensureKubectlBinary(log: (msg: string) => void): Promise<string> {
  return ensureGoBinary(KUBECTL, log);
}

/**
 * Returns the path of the test bed's controllers binary (testbed/controllers: kube-controller-manager from the
 * pinned k8s.io/kubernetes module and the node stand-in), building it first as {@link ensureServerBinary} does.
 * A module of its own so that it did not change the server's cache key.
 *
 * @throws MissingToolError when Go is not installed (the message says how to install it).
 */
export function ensureControllersBinary(log: (msg: string) => void): Promise<string> {
  return ensureGoBinary(CONTROLLERS, log);
}

async function ensureGoBinary(spec: GoBinary, log: (msg: string) => void): Promise<string> {
  const goVersion = requireTool('go', ['env', 'GOVERSION'], GO_INSTALL);
  const ldflags = versionLdflags(readFileSync(join(spec.moduleDir, 'go.mod'), 'utf8'), spec.versionModule);
  const hash = createHash('sha256').update(goVersion).update(ldflags);
  for (const f of readdirSync(spec.moduleDir).sort()) {
    if (f.endsWith('.go') || f === 'go.mod' || f === 'go.sum') {
      hash.update(f).update(readFileSync(join(spec.moduleDir, f)));
    }
  }
  const key = hash.digest('hex').slice(0, 16);
  const dir = join(cacheDir(), 'bin');
  const binary = join(dir, `${spec.name}-${key}`);
  if (existsSync(binary)) return binary;

  mkdirSync(dir, { recursive: true });
  log(`building ${spec.what} into ${dir}; the first build takes several minutes`);
  const total = countPackages(spec.moduleDir);
  let built = 0;
  let lastReport = 0;
  const started = Date.now();
  const tmp = `${binary}.tmp-${process.pid}`;
  await run('go', ['build', '-v', '-trimpath', '-ldflags', ldflags, '-o', tmp, '.'], {
    cwd: spec.moduleDir,
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
  pruneStale(dir, spec.name, binary);
  log(`built ${binary} in ${Math.round((Date.now() - started) / 1000)}s`);
  return binary;
}

/** A cached binary unused for this long is removed; younger ones may belong to another clone's pin. */
const STALE_MS = 14 * 24 * 3600_000;

/**
 * Removes cached binaries of other pins that have not been used for two weeks. Several clones on one machine
 * share the cache with different keys: removing every other binary made each clone rebuild the other's.
 */
function pruneStale(dir: string, name: string, keep: string): void {
  for (const old of readdirSync(dir)) {
    const path = join(dir, old);
    if (!old.startsWith(`${name}-`) || path === keep) continue;
    if (Date.now() - statSync(path).atimeMs > STALE_MS) rmSync(path, { force: true });
  }
}

const VERSION_PKG = 'k8s.io/component-base/version';

/**
 * The `-X` linker flags that stamp the pinned Kubernetes version into the binary, as Kubernetes' own
 * `hack/lib/version.sh` does. A plain `go build` leaves `gitVersion` at `v0.0.0-master+$Format:%H$`, so
 * `/version` (and every client's server-version check) would not see the v1.35.x that actually runs.
 * The build date is fixed so the build stays reproducible.
 *
 * Kubernetes' staging modules (`k8s.io/kubectl v0.35.4`) carry the Kubernetes version with major 0: they report
 * v1.35.4, as the kubectl released with that Kubernetes does.
 *
 * @param goMod the text of the module's go.mod (testbed/server or testbed/kubectl)
 * @param module the required module to take the version from
 * @throws Error when go.mod does not require `module` at a vMAJOR.MINOR.PATCH version
 */
export function versionLdflags(goMod: string, module = 'k8s.io/kubernetes'): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*${escaped}\\s+v(\\d+)\\.(\\d+)\\.(\\d+)\\s*$`, 'm').exec(goMod);
  if (!m) throw new Error(`go.mod: no "${module} vX.Y.Z" requirement to take the version from`);
  const [, rawMajor, minor, patch] = m;
  const major = rawMajor === '0' ? '1' : rawMajor;
  const version = `v${major}.${minor}.${patch}`;
  return [
    `-X ${VERSION_PKG}.gitVersion=${version}`,
    `-X ${VERSION_PKG}.gitMajor=${major}`,
    `-X ${VERSION_PKG}.gitMinor=${minor}`,
    `-X ${VERSION_PKG}.gitTreeState=clean`,
    `-X ${VERSION_PKG}.buildDate=1970-01-01T00:00:00Z`,
  ].join(' ');
}

/** Number of packages the binary links, for the progress display (downloads modules if needed). */
function countPackages(moduleDir: string): number {
  const out = requireTool('go', ['list', '-deps', '.'], GO_INSTALL, moduleDir);
  return out.split('\n').filter(Boolean).length;
}
