// Each function reads exactly the environment its contract lists (functions/runtime/env-contract.ts), through
// readEnv, and no environment variable name is written anywhere else in functions/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV, FUNCTION_ENV, PLATFORM_ENV, type FunctionKind } from '../../functions/runtime/env-contract.ts';
import { envReads, readEnv } from '../../functions/runtime/env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Well-formed values for every name, enough for each handler's module init. */
const VALUES: Record<string, string> = {
  [ENV.mappingId]: 'app-config',
  [ENV.secretArn]: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:app-AbCdEf',
  [ENV.sealKeyId]: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  [ENV.secretType]: 'Opaque',
  [ENV.dataShape]: '{"data":{"DB_PASSWORD":{"from":"password"}},"includeOtherKeys":false}',
  [ENV.kubeIdentity]: 'arn:aws:iam::111122223333:role/mint',
  [ENV.kubeTimeoutMs]: '1000',
  [ENV.clusterEndpoints]: '["https://ABC.gr7.us-east-1.eks.amazonaws.com"]',
  [ENV.prune]: 'true',
  [ENV.labels]: '{}',
  [ENV.annotations]: '{}',
  [ENV.restartTargets]: '["deployment/api"]',
  [ENV.deletionPolicy]: 'retain',
  [ENV.stateMachines]: '{"app-config":"arn:aws:states:us-east-1:111122223333:stateMachine:sync"}',
  [ENV.stateMachineArnPrefix]: 'arn:aws:states:us-east-1:111122223333:stateMachine:EksSecretS-28de36-',
  [ENV.parkedQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/parked',
  [ENV.redriveMaxAttempts]: '5',
  [ENV.syncLedgerTable]: 'EksSecretSync-SweepLedger-1A2B3C',
  [ENV.metricNamespace]: 'EksSecretSync/EksSecretSync',
  [PLATFORM_ENV.region]: 'us-east-1',
};

/**
 * Names a construct sets that the function does not read. read-secret gets the same target environment as
 * apply-secret from infra/constructs/mapping.ts, SECRET_TYPE included; it has no use for it. Drop the name from the
 * contract once the construct stops setting it.
 */
const SET_BUT_UNREAD: Partial<Record<FunctionKind, readonly string[]>> = { 'read-secret': [ENV.secretType] };

const KINDS = Object.keys(FUNCTION_ENV) as FunctionKind[];

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('each function', () => {
  it.each(KINDS)('%s reads exactly the names of its contract, at module init', async (kind) => {
    for (const [name, value] of Object.entries(VALUES)) vi.stubEnv(name, value);
    vi.resetModules();

    await import(`../../functions/${kind}/handler.ts`);
    const env = await import('../../functions/runtime/env.ts');

    const contract = [...FUNCTION_ENV[kind].required, ...FUNCTION_ENV[kind].optional] as string[];
    const unread = SET_BUT_UNREAD[kind] ?? [];
    expect(env.envReads(kind)).toStrictEqual(contract.filter((n) => !unread.includes(n)).sort());
  });

  // seal-grants (a custom resource handler) needs no variable: its request carries the key.
  const WITH_REQUIRED = KINDS.filter((k) => FUNCTION_ENV[k].required.length > 0);

  it.each(WITH_REQUIRED)('%s fails at init naming the first required variable that is missing', async (kind) => {
    const [first] = FUNCTION_ENV[kind].required;
    for (const [name, value] of Object.entries(VALUES)) vi.stubEnv(name, name === first ? '' : value);
    vi.resetModules();

    await expect(import(`../../functions/${kind}/handler.ts`)).rejects.toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(`${first} is not set`) }),
    );
  });
});

describe('readEnv', () => {
  it('records only the names the code reads (the check above can see a name left unread)', () => {
    const env = readEnv('plan-merge', { MAPPING_ID: 'm', PRUNE: 'true' });

    expect(env[ENV.mappingId]).toBe('m');

    expect(envReads('plan-merge')).toStrictEqual([ENV.mappingId]);
    expect(Object.keys(env).sort()).toStrictEqual([ENV.mappingId, ENV.prune]);
  });

  it('leaves out optional names that are empty, and never holds a name outside the contract', () => {
    const env = readEnv('fetch-secret', { ...VALUES, SECRET_TYPE: '', DATA_SHAPE: '', SYNC_LEDGER_TABLE: '' });

    expect(Object.keys(env).sort()).toStrictEqual([ENV.mappingId, ENV.sealKeyId, ENV.secretArn]);
  });
});

/** Every .ts file under functions/, relative to the repository. */
const FILES = readdirSync(join(ROOT, 'functions'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join('functions', f));

/** The code lines of a file (comments dropped: they may name what they explain). */
const code = (file: string) =>
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line));

describe('names once', () => {
  it('no file of functions/ but the contract writes a variable name as a string literal', () => {
    const names = Object.values(ENV) as string[];
    const quoted = (n: string) => new RegExp(`['"\`]${n}['"\`]`);
    const offenders = FILES.filter((f) => !f.endsWith('env-contract.ts')).flatMap((f) =>
      names.filter((n) => code(f).some((line) => quoted(n).test(line))).map((n) => `${f}: ${n}`),
    );
    expect(offenders).toStrictEqual([]);
    expect(quoted(ENV.mappingId).test(`requireEnv('${ENV.mappingId}')`)).toBe(true); // the check sees a literal
  });

  it('reads process.env only in runtime/env.ts, the logger (Powertools) and the signed AWS JSON client (SDK settings)', () => {
    const readers = FILES.filter((f) => code(f).some((line) => /\bprocess\.env\b/.test(line)));
    const allowed = ['functions/adapters/aws-json.ts', 'functions/runtime/env.ts', 'functions/runtime/logger.ts'];
    expect(readers.sort()).toStrictEqual(allowed);
  });
});
