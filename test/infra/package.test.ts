/**
 * The package as a user gets it: `npm pack` (which builds dist/ first; kept per distinct input, see packedTarball),
 * then in an empty folder outside the repository a real `npm install ./<tarball>` (the registry's dependencies and
 * the peers aws-cdk-lib and constructs, from the user's npm cache, `--prefer-offline`), a separate CDK app in plain
 * JavaScript that imports the construct by name and synthesizes it (esbuild bundles the functions from the sources
 * the package carries), `npx eks-secret-sync --help` from the installed bin, and a kubeconfig holding the exec
 * snippet `token --help` prints, read by @kubernetes/client-node. On Node 24 (the project's) and Node 22 (the
 * registry's `node` package, test/support/node22.ts). One pack and one install serve both Nodes.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECONFIG_EXEC_USER } from '../../bin/commands/token.ts';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';
import { ensureNode22 } from '../support/node22.ts';
import { inputsHash } from '../support/synth-cache.ts';

const PACKAGE = '@eks-secret-sync/cdk';
const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/db-AbCdEf';
const work = mkdtempSync(join(tmpdir(), 'eks-secret-sync-packed-'));
const app = join(work, 'app');
let tarball: string;

/** The user's app: one mapping, synthesized into CDK_OUTDIR. */
const APP = `import { App, Stack } from 'aws-cdk-lib';
import { EksSecretSync } from '${PACKAGE}';
const app = new App();
const stack = new Stack(app, 'UserStack', { env: { region: 'us-east-1' } });
new EksSecretSync(stack, 'SecretSync', {
  mappings: [{ id: 'db', secretArn: '${ARN}', cluster: { name: 'shop' }, namespace: 'shop', secretName: 'db' }],
});
app.synth();
`;

/** Reads the token the kubeconfig's exec plugin gives, as kubectl would get it. */
const EXEC = `import { KubeConfig } from '@kubernetes/client-node';
const kc = new KubeConfig();
kc.loadFromFile(process.argv[2]);
const opts = { headers: {} };
await kc.applyToHTTPSOptions(opts);
process.stdout.write(String(opts.headers.Authorization ?? opts.headers.authorization).slice(0, 18));
`;

/** A kubeconfig whose user is `snippet` (a kubeconfig `users` entry with the placeholders NAME and REGION), filled. */
function kubeconfig(snippet: string): string {
  return `apiVersion: v1
kind: Config
current-context: shop
clusters: [{ name: shop, cluster: { server: 'https://127.0.0.1:9' } }]
contexts: [{ name: shop, context: { cluster: shop, user: eks } }]
${snippet.replace('NAME', 'shop').replace('REGION', 'us-east-1')}`;
}

/** The kubeconfig snippet a `token --help` text prints under "kubeconfig example:", unindented. */
function printedSnippet(help: string): string {
  const block = help.split('\nkubeconfig example:\n')[1]?.split('\n\n')[0] ?? '';
  return `${block
    .split('\n')
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n')}\n`;
}

/** The AWS documentation's example keys: the token is signed but never sent anywhere. */
const EXAMPLE_KEYS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/EXAMPLEKEY' };

/** The environment of a command run in the user's app on this Node. */
function shEnv(node: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    // The chosen Node first, then the app's bins (eks-secret-sync), as npm exec and a shell with it on PATH see.
    PATH: `${dirname(node)}:${join(app, 'node_modules', '.bin')}:/usr/bin:/bin`,
    HOME: work,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...env,
  };
}

function sh(file: string, args: string[], cwd: string, node: string, env: Record<string, string> = {}) {
  return spawnSync(file, args, { cwd, encoding: 'utf8', timeout: 300_000, env: shEnv(node, env) });
}

/**
 * A real `npm install ./<tarball>` into the empty app, as README.md#operate tells users: from the user's npm cache
 * and npm configuration (registry, proxy), `--prefer-offline` so a warm cache makes no registry round trip.
 */
function npmInstall(): void {
  const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    cwd: app,
    encoding: 'utf8',
    timeout: 600_000,
    env: {
      ...process.env,
      HOME: process.env.HOME ?? homedir(),
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    },
  });
  expect(r.status, `npm install ./${tarball}: ${r.stderr}`).toBe(0);
  const installed = JSON.parse(readFileSync(join(app, 'node_modules', ...PACKAGE.split('/'), 'package.json'), 'utf8'));
  expect(installed.name).toBe(PACKAGE);
  // npm installs the peers (a CDK app has them anyway) and the package's bin link.
  for (const dep of ['aws-cdk-lib', 'constructs', 'esbuild', '.bin/eks-secret-sync'])
    expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true);
}

/**
 * The tarball `npm pack` makes of the repository as it is: packed once per distinct input and kept in
 * `<tmpdir>/eks-secret-sync-pack/<key>/` (`EKS_SECRET_SYNC_PACK_CACHE=off` packs every time). The key hashes what
 * the pack reads: bin/, functions/, infra/, statemachine/ (paths and contents), package.json, package-lock.json (the
 * TypeScript that builds dist/), both tsconfig files, README.md, the Node and npm versions. A cached tarball is the
 * output of a real `npm pack` (prepack's build included) of the same inputs. Started asynchronously: Node 22 is made
 * ready meanwhile.
 */
function packedTarball(node24: string): Promise<string> {
  const env = { ...process.env, PATH: `${dirname(node24)}:${process.env.PATH}` };
  const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8', env }).trim();
  const key = createHash('sha256')
    .update(PACK_INPUTS_VERSION)
    .update(inputsHash(PACK_DIRS, PACK_FILES, ['typescript']))
    .update(`npm@${npmVersion}`)
    .digest('hex')
    .slice(0, 32);
  const off = process.env.EKS_SECRET_SYNC_PACK_CACHE === 'off';
  const cacheDir = join(tmpdir(), 'eks-secret-sync-pack', key);
  const cached = !off && existsSync(cacheDir) ? readdirSync(cacheDir).find((f) => f.endsWith('.tgz')) : undefined;
  if (cached !== undefined) {
    copyFileSync(join(cacheDir, cached), join(work, cached));
    return Promise.resolve(join(work, cached));
  }
  // npm pack runs prepack (the build into dist/) with the project's Node 24 first on PATH.
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['pack', '--json', '--pack-destination', work],
      { cwd: REPO_ROOT, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`npm pack: ${error.message}\n${stderr}`));
        const [info] = JSON.parse(stdout) as { filename: string }[];
        const file = join(work, info!.filename);
        if (!off) {
          const tmp = `${cacheDir}.tmp-${process.pid}`;
          mkdirSync(tmp, { recursive: true });
          copyFileSync(file, join(tmp, info!.filename));
          rmSync(cacheDir, { recursive: true, force: true });
          renameSync(tmp, cacheDir);
        }
        resolve(file);
      },
    );
  });
}

const PACK_DIRS = ['bin', 'functions', 'infra', 'statemachine'];
const PACK_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md'];
/** Bump when what the pack reads changes in a way the inputs above do not show (a new packed folder). */
const PACK_INPUTS_VERSION = '1';

beforeAll(async () => {
  const node24 = process.execPath;
  const packing = packedTarball(node24);
  ensureNode22(); // while npm pack builds (the Node 22 tests below ask again: a version check)
  tarball = await packing;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  npmInstall();
  writeFileSync(join(app, 'app.mjs'), APP);
  writeFileSync(join(app, 'exec.mjs'), EXEC);
}, 900_000);

// The app's node_modules holds aws-cdk-lib and the SDK (about 350 MB): removing it takes more than the default 10 s,
// and more than 2 minutes on the shared 2-core machine at a load of 25.
afterAll(() => rm(work, { recursive: true, force: true }), 600_000);

describe('the packed package', () => {
  it('is named in a scope, carries compiled JavaScript and declarations, and no bin/ or infra/ sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(tarball).toMatch(/eks-secret-sync-cdk-\d+\.\d+\.\d+\.tgz$/);
    expect(files).toContain('package/dist/infra/index.js');
    expect(files).toContain('package/dist/infra/index.d.ts');
    expect(files).toContain('package/dist/bin/eks-secret-sync.js');
    expect(files).toContain('package/bin/cli.js');
    expect(files).toContain('package/functions/fetch-secret/handler.ts'); // bundled by esbuild at synth
    expect(files).toContain('package/statemachine/sync.asl.json');
    expect(files.filter((f) => /^package\/(infra|bin)\/.*\.ts$/.test(f))).toStrictEqual([]);
    expect(files.filter((f) => f.includes('/test/') || f.includes('testbed'))).toStrictEqual([]);
  });

  describe.each([
    ['Node 24', () => process.execPath],
    ['Node 22', ensureNode22],
  ])('installed in an empty folder, on %s', (name, nodeBin) => {
    let node: string;
    beforeAll(() => {
      node = nodeBin();
    }, 300_000);

    it('runs the version asked for', { timeout: 60_000 }, () => {
      const v = sh(node, ['--version'], app, node);
      expect(v.stdout).toMatch(name === 'Node 22' ? /^v22\./ : /^v24\./);
    });

    it('synthesizes a separate CDK app that imports the construct by name, bundling its functions', {
      timeout: 300_000,
    }, () => {
      const outdir = mkdtempSync(join(work, 'cdk.out-'));
      const r = sh(node, ['app.mjs'], app, node, { CDK_OUTDIR: outdir });
      expect(r.status, r.stderr).toBe(0);
      const template = JSON.parse(readFileSync(join(outdir, 'UserStack.template.json'), 'utf8'));
      const functions = Object.values(template.Resources as Record<string, { Type: string }>).filter(
        (x) => x.Type === 'AWS::Lambda::Function',
      );
      expect(functions.length).toBeGreaterThanOrEqual(5);
      const bundles = readdirSync(outdir).filter(
        (d) => d.startsWith('asset.') && statSync(join(outdir, d)).isDirectory(),
      );
      expect(bundles.some((d) => readdirSync(join(outdir, d)).includes('index.mjs'))).toBe(true);
    });

    it('puts eks-secret-sync on PATH: npx eks-secret-sync --help', { timeout: 120_000 }, () => {
      const r = sh('npx', ['--no-install', 'eks-secret-sync', '--help'], app, node);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: eks-secret-sync <command> \[options\]/);
    });

    it('serves as the exec plugin of a kubeconfig holding the snippet its token --help prints', {
      timeout: 120_000,
    }, () => {
      const help = sh('npx', ['--no-install', 'eks-secret-sync', 'token', '--help'], app, node);
      expect(help.status, help.stderr).toBe(0);
      const snippet = printedSnippet(help.stdout);
      expect(snippet).toBe(KUBECONFIG_EXEC_USER);
      const file = join(work, `kubeconfig-${name.replace(' ', '')}.yaml`);
      writeFileSync(file, kubeconfig(snippet));
      const r = sh(node, ['exec.mjs', file], app, node, EXAMPLE_KEYS);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('Bearer k8s-aws-v1.');
    });

    it('fails with a snippet whose command is not on PATH (positive control of the test above)', {
      timeout: 120_000,
    }, () => {
      const file = join(work, `kubeconfig-broken-${name.replace(' ', '')}.yaml`);
      writeFileSync(
        file,
        kubeconfig(KUBECONFIG_EXEC_USER.replace('command: eks-secret-sync', 'command: eks-secret-syn')),
      );
      const r = sh(node, ['exec.mjs', file], app, node, EXAMPLE_KEYS);
      expect(r.status).not.toBe(0);
      expect(r.stdout).not.toContain('k8s-aws-v1.');
    });
  });
});
