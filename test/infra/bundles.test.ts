import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_FUNCTION_NAMES as FUNCTION_NAMES } from '../../infra/constructs/lambda-defaults.ts';
import { synthBundles, type Bundles } from '../support/bundles.ts';

const BUILTIN = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

/** What the stack sets for the functions (values only need to be well-formed for module init). */
const ENV = {
  AWS_REGION: 'us-east-1',
  MAPPING_ID: 'app-config',
  SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/app-config-AbCdEf',
  SEAL_KEY_ID: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  CLUSTER_NAME: 'prod',
  CLUSTER_ENDPOINT: 'https://example.invalid',
  CLUSTER_ENDPOINTS: '["https://example.invalid"]',
  CLUSTER_CA: CA,
  NAMESPACE: 'app',
  SECRET_NAME: 'app-config',
  RESTART_TARGETS: '["deployment/api"]',
  STATE_MACHINE_ARN_PREFIX: 'arn:aws:states:us-east-1:111122223333:stateMachine:EksSecretS-28de36-',
  PARKED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/parked',
  REDRIVE_MAX_ATTEMPTS: '5',
  SYNC_LEDGER_TABLE: 'EksSecretSync-SyncLedger',
  METRIC_NAMESPACE: 'EksSecretSync',
};

let bundles: Bundles;

beforeAll(async () => {
  bundles = await synthBundles();
}, 120_000);

describe('synthBundles', () => {
  it('finds one index.mjs per step in the asset folders of the cloud assembly', () => {
    expect(Object.keys(bundles)).toStrictEqual([...FUNCTION_NAMES]);
    for (const path of Object.values(bundles)) {
      expect(basename(path)).toBe('index.mjs');
      expect(basename(dirname(path))).toMatch(/^asset\.[0-9a-f]{64}$/);
      expect(existsSync(join(dirname(dirname(path)), 'manifest.json'))).toBe(true);
    }
    expect(new Set(Object.values(bundles)).size).toBe(FUNCTION_NAMES.length);
  });

  it('synthesizes once per process', async () => {
    expect(await synthBundles()).toBe(bundles);
  });
});

describe('each bundle', () => {
  it.each(FUNCTION_NAMES)('of %s imports nothing but Node built-ins (the AWS SDK is inside)', async (name) => {
    // esbuild parses the bundle and lists its imports (static and literal dynamic ones) without following them.
    const { metafile } = await build({
      entryPoints: [bundles[name]],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((path) => !BUILTIN.has(path))).toStrictEqual([]);
  });

  it.each(FUNCTION_NAMES)(
    'of %s needs no require() shim (else add a createRequire banner in lambda-defaults.ts)',
    (name) => {
      expect(readFileSync(bundles[name], 'utf8')).not.toContain('Dynamic require of');
    },
  );

  it('loads in Node 24 with the environment the stack sets and exports handler', () => {
    const script =
      `for (const p of JSON.parse(process.argv[1])) { const m = await import(p); console.log(typeof ` + `m.handler); }`;
    const run = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(Object.values(bundles))],
      {
        env: { PATH: process.env.PATH, ...ENV },
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toStrictEqual(FUNCTION_NAMES.map(() => 'function'));
  });
});
