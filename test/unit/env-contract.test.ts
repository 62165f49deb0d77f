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
  [ENV.kubeIdentity]: 'arn:aws:iam::111122223333:role/identity',
  [ENV.kubeTimeoutMs]: '1000',
  [ENV.clusterEndpoints]: '["https://ABC.gr7.us-east-1.eks.amazonaws.com"]',
  [ENV.clusterRegions]: '{"dr":"us-west-2"}',
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
    expect(env.envReads(kind)).toStrictEqual(contract.sort());
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

describe('the Kubernetes steps (token-free: each signs its own token with the identity role)', () => {
  const KUBE_KINDS = ['read-secret', 'apply-secret', 'restart-workloads'] as const;

  it('have no mint-token or plan-merge function any more', () => {
    expect(KINDS).not.toContain('mint-token');
    expect(KINDS).not.toContain('plan-merge');
    expect(readdirSync(join(ROOT, 'functions')).filter((d) => d === 'mint-token' || d === 'plan-merge')).toEqual([]);
  });

  it.each(KUBE_KINDS)(
    '%s reads the mapping, the endpoints and, optionally, the identity, timeout and regions',
    (kind) => {
      const c = FUNCTION_ENV[kind];
      expect(c.required.slice(0, 2)).toStrictEqual([ENV.mappingId, ENV.clusterEndpoints]);
      expect(c.optional.slice(0, 3)).toStrictEqual([ENV.kubeIdentity, ENV.kubeTimeoutMs, ENV.clusterRegions]);
    },
  );

  it('needs the seal key only where the sealed data is opened: read-secret and apply-secret, not the restart', () => {
    const withKey = KUBE_KINDS.filter((k) => (FUNCTION_ENV[k].required as readonly string[]).includes(ENV.sealKeyId));
    expect(withKey).toStrictEqual(['read-secret', 'apply-secret']);
    const withEndpoint = KUBE_KINDS.filter((k) =>
      (FUNCTION_ENV[k].optional as readonly string[]).includes(ENV.kmsEndpointUrl),
    );
    expect(withEndpoint).toStrictEqual(['read-secret', 'apply-secret']);
  });

  it("read-secret takes plan-merge's merge options (it plans)", () => {
    const options = [ENV.prune, ENV.secretType, ENV.labels, ENV.annotations, ENV.restartTargets, ENV.deletionPolicy];
    expect(FUNCTION_ENV['read-secret'].optional).toEqual(expect.arrayContaining([...options, ENV.adopt]));
  });
});

describe('readEnv', () => {
  it('records only the names the code reads (the check above can see a name left unread)', () => {
    const env = readEnv('read-secret', { ...VALUES, PRUNE: 'true' });

    expect(env[ENV.mappingId]).toBe('app-config');

    expect(envReads('read-secret')).toStrictEqual([ENV.mappingId]);
    expect(Object.keys(env)).toContain(ENV.prune);
    expect(Object.keys(env)).toContain(ENV.sealKeyId);
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
