/**
 * Cold start: module init of each Lambda bundle in a fresh Node process per
 * sample, against a Python seed (boto3 + kubernetes) and a bundle of
 * @kubernetes/client-node's KubeConfig, all in the same run, interleaved so
 * machine noise falls on every subject alike.
 *
 * Method: inside the child, performance.now() (Python: time.perf_counter())
 * around the import itself, so runtime start-up is not counted; as a cross
 * check, the parent also measures each process's wall time, reported minus
 * the median wall time of an empty process of the same runtime.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { repoRoot } from '../testbed/paths.ts';
import { median, round, summarize, type Summary } from './stats.ts';

/**
 * What Lambda itself sets (dummy credentials), and a fallback for every
 * variable the sync functions read at init, for a function whose template
 * environment is not known. The template's environment (with dummy values for
 * its references, see synth-child.ts) is laid over it. Nothing is reachable.
 */
export const DUMMY_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLDSTART00',
  AWS_SECRET_ACCESS_KEY: 'bench-cold-start-dummy-secret',
  AWS_SESSION_TOKEN: 'bench-cold-start-dummy-session',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_LAMBDA_FUNCTION_NAME: 'bench-cold-start',
  POWERTOOLS_SERVICE_NAME: 'eks-secret-sync',
  MAPPING_ID: 'bench',
  SEAL_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
  SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/app-AbCdEf',
  SECRET_TYPE: 'Opaque',
  CLUSTER_NAME: 'bench',
  CLUSTER_ENDPOINT: 'https://192.0.2.1',
  CLUSTER_ENDPOINTS: '["https://192.0.2.1"]',
  CLUSTER_CA: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64'),
  NAMESPACE: 'bench',
  SECRET_NAME: 'app-config',
  PRUNE: 'false',
  LABELS: '{}',
  ANNOTATIONS: '{}',
  KUBE_IDENTITY: 'arn:aws:iam::123456789012:role/bench',
  RESTART_TARGETS: '["deployment/app"]',
  STATE_MACHINE_ARN_PREFIX: 'arn:aws:states:us-east-1:123456789012:stateMachine:bench-',
  PARKED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-parked',
  REDRIVE_MAX_ATTEMPTS: '5',
  // The sweep's ledger (on by default): fetch-secret writes it, sweep-secrets reads it.
  SYNC_LEDGER_TABLE: 'bench-sync-ledger',
  METRIC_NAMESPACE: 'EksSecretSync',
  TZ: 'UTC',
};

/** A data spec with the templates the docs show (a DATABASE_URL and a docker config), for the fetch-secret variant. */
export const BENCH_SHAPE = {
  data: {
    DATABASE_URL: {
      template: 'postgresql://{{ username }}:{{ password | url_encode }}@{{ host }}:{{ port }}/{{ dbname }}',
    },
    DB_PASSWORD: { from: 'password' },
    '.dockerconfigjson': {
      template:
        '{"auths":{"registry.example.com":{"username":{{ username | json }},"password":{{ password | json }},' +
        '"auth":{{ username | append: ":" | append: password | base64_encode | json }}}}}',
    },
  },
  includeOtherKeys: false,
};

/** The fetch-secret bundle with {@link BENCH_SHAPE} in DATA_SHAPE: init parses and checks the templates. */
export const FETCH_WITH_DATA = 'fetch-secret with data (DATA_SHAPE: DATABASE_URL and .dockerconfigjson templates)';

/** One subject's numbers. */
export interface SubjectResult {
  /** Bundle size in bytes (Node subjects). */
  readonly bytes?: number;
  /** Median init time measured inside the child (ms). */
  readonly initMs: number;
  readonly init: Summary;
  /** Median process wall time minus the median empty-process wall time of the same runtime (ms). */
  readonly wallMinusEmptyMs: number;
  /** TCP connects and DNS look-ups the import started (Node subjects; must be 0). */
  readonly networkCallsAtInit?: number;
}

/** The coldStart block of results.json. */
export interface ColdStartResult {
  readonly method: string;
  readonly samples: number;
  readonly bundles: Record<string, SubjectResult>;
  /** The functions every sync runs, whose init times {@link sumInitMs} adds up. */
  readonly sumOf: string[];
  readonly sumInitMs: number;
  readonly pythonSeedImportMs: number;
  readonly pythonSeedImport: SubjectResult & { readonly statement: string };
  readonly clientNodeKubeConfigInitMs: number;
  readonly clientNodeKubeConfig: SubjectResult;
  /** Single dependencies bundled alone the way the functions are, for attribution. */
  readonly components: Record<string, SubjectResult>;
  readonly emptyProcessWallMs: { readonly node: number; readonly python: number };
  readonly ratio: number;
  readonly ratioByWall: number;
  readonly goal: number;
  readonly met: boolean;
}

interface Subject {
  readonly name: string;
  readonly runtime: 'node' | 'python';
  readonly args: string[];
  readonly bytes?: number;
  readonly guardArgs?: string[];
  /** Environment over {@link DUMMY_ENV}. */
  readonly env?: Record<string, string>;
}

const PYTHON_STATEMENT = 'import boto3, botocore.auth, kubernetes';

function nodeImportArgs(file: string): string[] {
  const url = JSON.stringify(pathToFileURL(file).href);
  return [
    '--input-type=module',
    '-e',
    `const t = performance.now(); await import(${url}); ` +
      'process.stdout.write(String(performance.now() - t)); process.exit(0);',
  ];
}

/** Counts connects and look-ups started during the import and 300 ms after it. */
function nodeGuardArgs(file: string): string[] {
  const url = JSON.stringify(pathToFileURL(file).href);
  const code = `
import net from 'node:net'; import dns from 'node:dns'; import { syncBuiltinESMExports } from 'node:module';
const calls = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...a) { calls.push('connect'); return connect.apply(this, a); };
for (const f of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) {
  const o = dns[f]; dns[f] = function (...a) { calls.push('dns.' + f); return o.apply(this, a); };
}
syncBuiltinESMExports();
const fetch0 = globalThis.fetch; globalThis.fetch = (...a) => { calls.push('fetch'); return fetch0(...a); };
await import(${url});
await new Promise((r) => setTimeout(r, 300));
process.stdout.write(JSON.stringify(calls)); process.exit(0);`;
  return ['--input-type=module', '-e', code];
}

/** Bundles `contents` (resolved from the repository) the way the functions are bundled. */
async function bundleEntry(contents: string, outfile: string, needsRequire: boolean): Promise<string> {
  await build({
    stdin: { contents, resolveDir: repoRoot, loader: 'ts', sourcefile: 'bench-entry.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'error',
    // @kubernetes/client-node's CommonJS dependencies require() Node built-ins at run time.
    banner: needsRequire
      ? {
          js:
            'import { createRequire as __benchCreateRequire } from "node:module"; ' +
            'const require = __benchCreateRequire(import.meta.url);',
        }
      : undefined,
  });
  return outfile;
}

/** The reference and attribution bundles, built into `dir`. */
async function referenceBundles(dir: string): Promise<Record<string, string>> {
  const entries: [string, string, boolean][] = [
    [
      '@kubernetes/client-node KubeConfig',
      "import { KubeConfig } from '@kubernetes/client-node';\nexport const kubeConfig = new KubeConfig();\n",
      true,
    ],
    // What the functions used for KMS until the measured switch to functions/adapters/kms.ts.
    [
      '@aws-sdk/client-kms KMSClient',
      "import { KMSClient } from '@aws-sdk/client-kms';\nexport const client = new KMSClient({});\n",
      false,
    ],
    [
      'functions/adapters/kms.ts kmsKeyService',
      "import { kmsKeyService } from './functions/adapters/kms.ts';\nexport const keys = kmsKeyService('bench');\n",
      false,
    ],
    [
      '@aws-sdk/client-secrets-manager SecretsManagerClient',
      "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\n" +
        'export const client = new SecretsManagerClient({});\n',
      false,
    ],
    [
      '@aws-lambda-powertools/logger Logger',
      "import { Logger } from '@aws-lambda-powertools/logger';\nexport const logger = new Logger({ serviceName: " +
        "'bench' });\n",
      false,
    ],
    // The shaping code (docs/decisions.md#templates-a-small-engine-of-our-own): module init plus one render.
    [
      'functions/domain/shape.ts shapeSecretData (one DATABASE_URL render)',
      "import { shapeSecretData } from './functions/domain/shape.ts';\n" +
        `export const out = shapeSecretData({ secretString: '{"username":"u","password":"p","host":"h","port":5432,` +
        `"dbname":"d"}' }, ${JSON.stringify(BENCH_SHAPE)}, 'bench');\n`,
      false,
    ],
  ];
  const out: Record<string, string> = {};
  for (const [i, [name, contents, needsRequire]] of entries.entries()) {
    out[name] = await bundleEntry(contents, join(dir, `ref-${i}`, 'index.mjs'), needsRequire);
  }
  return out;
}

function runOnce(s: Subject, python: string): { initMs: number; wallMs: number } {
  const cmd = s.runtime === 'node' ? process.execPath : python;
  const t = performance.now();
  const r = spawnSync(cmd, s.args, {
    env: { PATH: process.env.PATH ?? '', ...DUMMY_ENV, ...s.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const wallMs = performance.now() - t;
  const initMs = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isFinite(initMs)) {
    throw new Error(`cold-start sample of ${s.name} failed (exit ${r.status}): ${(r.stderr || r.stdout).slice(-800)}`);
  }
  return { initMs, wallMs };
}

function networkCalls(s: Subject): number {
  const r = spawnSync(process.execPath, s.guardArgs!, {
    env: { PATH: process.env.PATH ?? '', ...DUMMY_ENV, ...s.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`network check of ${s.name} failed: ${r.stderr.slice(-800)}`);
  return (JSON.parse(r.stdout) as string[]).length;
}

/**
 * Measures every subject `samples` times (after one discarded warm-up round
 * that fills the page cache and Python's bytecode cache). `core` names the
 * bundles every sync runs: their init times make up `sumInitMs`.
 *
 * @throws Error when a child fails or prints no number.
 */
export async function measureColdStart(
  bundles: Record<string, string>,
  core: readonly string[],
  python: string,
  opts: { samples: number; log: (msg: string) => void; env?: Record<string, Record<string, string>> },
): Promise<ColdStartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-bench-'));
  try {
    const refs = await referenceBundles(dir);
    const node = (name: string, file: string, env?: Record<string, string>): Subject => ({
      name,
      runtime: 'node',
      args: nodeImportArgs(file),
      bytes: statSync(file).size,
      guardArgs: nodeGuardArgs(file),
      env,
    });
    const fetch = bundles['fetch-secret'];
    const variants = fetch
      ? {
          [FETCH_WITH_DATA]: node(FETCH_WITH_DATA, fetch, {
            ...opts.env?.['fetch-secret'],
            DATA_SHAPE: JSON.stringify(BENCH_SHAPE),
          }),
        }
      : {};
    const subjects: Subject[] = [
      ...Object.entries(bundles).map(([n, f]) => node(n, f, opts.env?.[n])),
      ...Object.entries(refs).map(([n, f]) => node(n, f)),
      ...Object.values(variants),
      {
        name: 'python',
        runtime: 'python',
        args: [
          '-c',
          `import time\nt = time.perf_counter()\n${PYTHON_STATEMENT}\nprint((time.perf_counter() - t) * 1000)`,
        ],
      },
      {
        name: 'empty-node',
        runtime: 'node',
        args: [
          '--input-type=module',
          '-e',
          'const t = performance.now(); process.stdout.write(String(performance.now() - t)); process.exit(0);',
        ],
      },
      {
        name: 'empty-python',
        runtime: 'python',
        args: ['-c', 'import time\nt = time.perf_counter()\nprint((time.perf_counter() - t) * 1000)'],
      },
    ];
    const init = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    const wall = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    for (let round_ = 0; round_ <= opts.samples; round_++) {
      for (const s of subjects) {
        const r = runOnce(s, python);
        if (round_ === 0) continue; // warm-up
        init.get(s.name)!.push(r.initMs);
        wall.get(s.name)!.push(r.wallMs);
      }
      if (round_ > 0 && round_ % 5 === 0) opts.log(`cold start: ${round_}/${opts.samples} rounds`);
    }
    const emptyWall = { node: median(wall.get('empty-node')!), python: median(wall.get('empty-python')!) };
    const result = (s: Subject): SubjectResult => ({
      ...(s.bytes === undefined ? {} : { bytes: s.bytes }),
      initMs: round(median(init.get(s.name)!)),
      init: summarize(init.get(s.name)!),
      wallMinusEmptyMs: round(median(wall.get(s.name)!) - emptyWall[s.runtime]),
      ...(s.guardArgs ? { networkCallsAtInit: networkCalls(s) } : {}),
    });
    const bySubject = Object.fromEntries(subjects.map((s) => [s.name, s]));
    const bundleResults = Object.fromEntries(Object.keys(bundles).map((n) => [n, result(bySubject[n]!)]));
    const [kubeConfigName, ...componentNames] = Object.keys(refs);
    const kubeConfig = result(bySubject[kubeConfigName!]!);
    const py = result(bySubject.python!);
    const sumInitMs = round(core.reduce((s, n) => s + bundleResults[n]!.initMs, 0));
    const sumWall = core.reduce((s, n) => s + bundleResults[n]!.wallMinusEmptyMs, 0);
    const ratio = round(sumInitMs / py.initMs, 2);
    return {
      method:
        'initMs: performance.now() around `await import(bundle)` inside a fresh `node` process per sample ' +
        '(Python: time.perf_counter() around the import statement inside a fresh `python` process), with the ' +
        'environment the template gives the function, every reference in it replaced by a dummy value; median of the ' +
        'samples after one discarded ' +
        'warm-up round, subjects interleaved. wallMinusEmptyMs: process wall time seen by the parent minus the ' +
        'median wall time of an empty process of the same runtime (a cross check that also counts exit).',
      samples: opts.samples,
      bundles: bundleResults,
      sumOf: [...core],
      sumInitMs,
      pythonSeedImportMs: py.initMs,
      pythonSeedImport: { ...py, statement: PYTHON_STATEMENT },
      clientNodeKubeConfigInitMs: kubeConfig.initMs,
      clientNodeKubeConfig: kubeConfig,
      components: Object.fromEntries(
        [...componentNames, ...Object.keys(variants)].map((n) => [n, result(bySubject[n]!)]),
      ),
      emptyProcessWallMs: { node: round(emptyWall.node), python: round(emptyWall.python) },
      ratio,
      ratioByWall: round(sumWall / py.wallMinusEmptyMs, 2),
      goal: 0.5,
      met: ratio <= 0.5,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
