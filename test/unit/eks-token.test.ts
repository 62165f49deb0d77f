/**
 * The EKS token is checked against the reference, not against our reading of it:
 * the AWS CLI (awscli 1.46.2 from PyPI, in .venv-reference: test/support/reference-tools.ts)
 * runs offline under a frozen libfaketime clock (the library the PyPI package libfaketime
 * ships) with fixed fake credentials, and its token must equal ours byte for byte.
 *
 * Clock notes, checked by hand: libfaketime reads the timestamp in the local zone, so
 * TZ=UTC. `FAKETIME='@2026-11-23 14:00:00'` STARTS a running clock (the CLI sometimes
 * signed at 14:00:01); `FAKETIME='2026-11-23 14:00:00'` freezes it. A frozen clock also
 * freezes CLOCK_MONOTONIC, which hangs Node's timers, hence
 * FAKETIME_DONT_FAKE_MONOTONIC=1 (the wall clock stays frozen). So our own CLI runs
 * under libfaketime too, with no test-only switch in product code.
 *
 * The printed text: AWS CLI v1 prints the ExecCredential through its JSON formatter (indent 4), v2 2.9.19 (the
 * Debian package this test used before) printed Python's `json.dumps` of the same object on one line, which is
 * what ours prints. So the token, the expiry and the whole object with its key order are compared with v1's
 * output, and the exact text with Python's `json.dumps` of v1's object (what v2 2.9.19 printed).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { mintEksToken, type AwsCredentials } from '../../functions/adapters/eks-token.ts';
import { referenceRequirementsFile, referenceVenvDir } from '../../testbed/paths.ts';
import { fakeClockEnv, referenceTools } from '../support/reference-tools.ts';

const AWS_CLI_VERSION = readFileSync(referenceRequirementsFile, 'utf8').match(/^awscli==(\S+)$/m)?.[1];
let AWS: string;
let LIBFAKETIME: string;
const CLI = join(import.meta.dirname, '../../bin/eks-secret-sync.ts');
const HOME = mkdtempSync(join(tmpdir(), 'eks-token-test-'));

const PLAIN: AwsCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
// Long, like a real STS session token, and full of characters that need percent-encoding.
const SESSION: AwsCredentials = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  sessionToken: `IQoJb3JpZ2luX2VjE+/=${'AbC+dEf/GhI='.repeat(70)}//8=`,
};

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, [...args], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Nothing from the developer's environment (AWS_PROFILE, ~/.aws, IMDS) may leak in. */
function isolatedEnv(credentials: AwsCredentials | undefined, extra: Record<string, string> = {}) {
  return {
    PATH: '/usr/bin:/bin',
    HOME,
    TZ: 'UTC',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    // 2.9.19 signs for sts.<region> with or without this (even with `legacy`); set it so
    // that a CLI defaulting to the global host fails loudly instead of silently differing.
    AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    ...(credentials && {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken && { AWS_SESSION_TOKEN: credentials.sessionToken }),
    }),
    ...extra,
  };
}

/** `2026-11-23 14:00:00` (what faketime reads) -> the same instant as a Date. */
const dateOf = (clock: string) => new Date(`${clock.replace(' ', 'T')}Z`);

async function underFrozenClock(clock: string, argv: readonly string[], env: Record<string, string>) {
  const [file, ...args] = argv;
  return run(file!, args, { ...env, ...fakeClockEnv(LIBFAKETIME, clock) });
}

/** The one-line text Python's `json.dumps` makes of `text`'s JSON, keys in their order (what CLI v2 printed). */
async function pythonJsonDumps(text: string): Promise<string> {
  const python = join(referenceVenvDir, 'bin', 'python');
  const script = 'import json, sys; print(json.dumps(json.loads(sys.stdin.read())))';
  return new Promise((resolve, reject) => {
    const child = execFile(python, ['-c', script], { timeout: 20_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(text);
  });
}

async function awsGetToken(clock: string, cluster: string, region: string, credentials: AwsCredentials, extra = {}) {
  const result = await underFrozenClock(
    clock,
    [AWS, 'eks', 'get-token', '--cluster-name', cluster, '--region', region, '--output', 'json'],
    isolatedEnv(credentials, extra),
  );
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
  return result;
}

function decodeToken(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
}

beforeAll(async () => {
  ({ aws: AWS, libfaketime: LIBFAKETIME } = await referenceTools());
  // The project's own copies, never an `aws` on PATH or a libfaketime in /usr.
  expect(AWS).toBe(join(referenceVenvDir, 'bin', 'aws'));
  expect(LIBFAKETIME.startsWith(`${referenceVenvDir}/`)).toBe(true);
  // A different CLI would make every comparison fail for a reason unrelated to our code.
  const version = await run(AWS, ['--version'], isolatedEnv(undefined));
  expect(version.stdout.startsWith(`aws-cli/${AWS_CLI_VERSION} `), version.stdout + version.stderr).toBe(true);
}, 300_000);

afterAll(() => rmSync(HOME, { recursive: true, force: true }));

const CASES = [
  ['a plain key in eu-west-1', '2026-11-23 14:00:00', 'my-cluster', 'eu-west-1', PLAIN, 'sts.eu-west-1.amazonaws.com'],
  [
    'a session token in us-east-1',
    '2026-11-23 14:00:00',
    'prod_cluster-01',
    'us-east-1',
    SESSION,
    'sts.us-east-1.amazonaws.com',
  ],
  [
    'a 100-char name over midnight',
    '2027-02-28 23:50:59',
    `c${'x-_9'.repeat(24)}abc`,
    'ap-southeast-2',
    SESSION,
    'sts.ap-southeast-2.amazonaws.com',
  ],
  ['the China partition', '2026-12-31 23:59:59', 'cn-cluster', 'cn-north-1', PLAIN, 'sts.cn-north-1.amazonaws.com.cn'],
  [
    'GovCloud and an Outposts cluster id',
    '2026-06-01 08:30:15',
    '0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
    'us-gov-west-1',
    SESSION,
    'sts.us-gov-west-1.amazonaws.com',
  ],
  ['the ISO partition', '2026-11-23 14:00:00', 'iso', 'us-iso-east-1', SESSION, 'sts.us-iso-east-1.c2s.ic.gov'],
  ['the ISO-B partition', '2026-11-23 14:00:00', 'isob', 'us-isob-east-1', PLAIN, 'sts.us-isob-east-1.sc2s.sgov.gov'],
] as const;

describe('mintEksToken', () => {
  it.each(CASES)(
    'mints the AWS CLI token byte for byte with %s',
    async (_what, clock, cluster, region, credentials) => {
      const reference = await awsGetToken(clock, cluster, region, credentials);
      const { status } = JSON.parse(reference.stdout) as { status: { token: string; expirationTimestamp: string } };

      const minted = await mintEksToken({ clusterName: cluster, region, credentials, now: dateOf(clock) });

      expect(minted.token).toBe(status.token);
      expect(minted.expiresAt).toBe(status.expirationTimestamp);
    },
  );

  it.each(CASES)(
    'follows the authenticator rules with %s',
    async (_what, clock, cluster, region, credentials, host) => {
      const { token, expiresAt } = await mintEksToken({
        clusterName: cluster,
        region,
        credentials,
        now: dateOf(clock),
      });
      const url = decodeToken(token);
      const keys = [...url.searchParams.keys()];

      expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/); // base64url, no padding
      expect(token.length).toBeLessThanOrEqual(4096);
      expect(url.origin).toBe(`https://${host}`); // regional, never the global sts.amazonaws.com
      expect(url.pathname).toBe('/');
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys).toStrictEqual([
        'Action',
        'Version',
        'X-Amz-Algorithm',
        'X-Amz-Credential',
        'X-Amz-Date',
        'X-Amz-Expires',
        'X-Amz-SignedHeaders',
        ...(credentials.sessionToken ? ['X-Amz-Security-Token'] : []),
        'X-Amz-Signature',
      ]);
      const q = Object.fromEntries(url.searchParams);
      expect(q).toMatchObject({ Action: 'GetCallerIdentity', Version: '2011-06-15', 'X-Amz-Expires': '60' });
      expect(q['X-Amz-SignedHeaders']?.split(';')).toStrictEqual(['host', 'x-k8s-aws-id']);
      expect(q['X-Amz-Credential']).toBe(
        `${credentials.accessKeyId}/${clock.slice(0, 10).replaceAll('-', '')}/${region}/sts/aws4_request`,
      );
      expect(q['X-Amz-Security-Token']).toBe(credentials.sessionToken);
      expect(Date.parse(expiresAt) - dateOf(clock).getTime()).toBe(14 * 60_000);
    },
  );

  it('signs whole seconds and formats the expiry without a fraction when now has milliseconds', async () => {
    const { token, expiresAt } = await mintEksToken({
      clusterName: 'c',
      region: 'eu-west-1',
      credentials: PLAIN,
      now: new Date('2026-11-23T14:00:00.999Z'),
    });
    expect(decodeToken(token).searchParams.get('X-Amz-Date')).toBe('20261123T140000Z');
    expect(expiresAt).toBe('2026-11-23T14:14:00Z');
  });

  it.each([
    ['an empty cluster name', { clusterName: '' }, /Invalid cluster name ""/],
    ['a cluster name with a space', { clusterName: 'my cluster' }, /Invalid cluster name "my cluster"/],
    ['a cluster name starting with a hyphen', { clusterName: '-c' }, /Invalid cluster name/],
    ['a 101-char cluster name', { clusterName: 'c'.repeat(101) }, /Invalid cluster name/],
    ['an upper-case region', { region: 'EU-WEST-1' }, /Invalid region "EU-WEST-1"/],
    ['an availability zone', { region: 'eu-west-1a' }, /Invalid region "eu-west-1a"/],
    ['a host name as region', { region: 'sts.amazonaws.com' }, /Invalid region/],
    ['an unknown isolated partition', { region: 'eu-isoe-west-1' }, /Unsupported region eu-isoe-west-1/],
    [
      'no secret key',
      { credentials: { accessKeyId: PLAIN.accessKeyId, secretAccessKey: '' } },
      /secretAccessKey is missing/,
    ],
    ['an invalid clock', { now: new Date(Number.NaN) }, /now must be a valid Date/],
  ])('throws InvalidInputError without credentials in it when given %s', async (_what, override, message) => {
    const input = { clusterName: 'c', region: 'eu-west-1', credentials: SESSION, ...override };
    const error = await mintEksToken(input).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).name).toBe('InvalidInputError');
    expect((error as Error).message).toMatch(message);
    for (const secret of [SESSION.accessKeyId, SESSION.secretAccessKey, SESSION.sessionToken, PLAIN.accessKeyId]) {
      expect((error as Error).message).not.toContain(secret);
    }
  });
});

describe('eks-secret-sync token', () => {
  const cli = (clock: string, args: readonly string[], env: Record<string, string>) =>
    underFrozenClock(clock, [process.execPath, CLI, ...args], env);

  it.each([
    ['a plain key and --json', PLAIN, 'eu-west-1', ['--region', 'eu-west-1', '--json'], {}],
    ['a session token and the region from AWS_REGION', SESSION, 'us-east-2', [], { AWS_REGION: 'us-east-2' }],
    [
      'a v1 request in KUBERNETES_EXEC_INFO',
      SESSION,
      'eu-central-1',
      ['--region', 'eu-central-1'],
      {
        KUBERNETES_EXEC_INFO:
          '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}',
      },
    ],
  ] as const)(
    'prints exactly what aws eks get-token prints with %s',
    async (_what, credentials, region, args, extra) => {
      const clock = '2026-11-23 14:00:00';
      const reference = await awsGetToken(clock, 'my-cluster', region, credentials, extra);

      const ours = await cli(
        clock,
        ['token', '--cluster-name', 'my-cluster', ...args],
        isolatedEnv(credentials, extra),
      );

      expect(ours).toMatchObject({ code: 0, stderr: '' });
      const parsed = JSON.parse(ours.stdout) as { status: { token: string } };
      expect(parsed).toStrictEqual(JSON.parse(reference.stdout));
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(JSON.parse(reference.stdout))); // key order too
      expect(ours.stdout).toBe(await pythonJsonDumps(reference.stdout)); // separators and newline too
      // Proves the frozen clock reached Node: equal output at a real time would prove less.
      expect(decodeToken(parsed.status.token).searchParams.get('X-Amz-Date')).toBe('20261123T140000Z');
    },
  );

  it('reads the region from the AWS config file as aws eks get-token does, byte for byte', async () => {
    const clock = '2026-11-23 14:00:00';
    const config = join(HOME, 'aws-config');
    writeFileSync(config, '[default]\nregion = ap-southeast-2\n');
    const env = isolatedEnv(SESSION, { AWS_CONFIG_FILE: config });
    const reference = await underFrozenClock(
      clock,
      [AWS, 'eks', 'get-token', '--cluster-name', 'my-cluster', '--output', 'json'],
      env,
    );
    expect(reference, reference.stderr).toMatchObject({ code: 0, stderr: '' });

    const ours = await cli(clock, ['token', '--cluster-name', 'my-cluster'], env);

    expect(ours).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(ours.stdout)).toStrictEqual(JSON.parse(reference.stdout));
    expect(ours.stdout).toBe(await pythonJsonDumps(reference.stdout)); // CLI v1 indents: see the file's comment
    const token = JSON.parse(ours.stdout).status.token as string;
    expect(decodeToken(token).host).toBe('sts.ap-southeast-2.amazonaws.com');
  });

  it('prints its help and exit code 0 when given --help', async () => {
    const top = await run(process.execPath, [CLI, '--help'], isolatedEnv(undefined));
    const token = await run(process.execPath, [CLI, 'token', '--help'], isolatedEnv(undefined));

    expect(top).toMatchObject({ code: 0, stderr: '' });
    expect(top.stdout).toMatch(/^Usage: eks-secret-sync <command>/);
    expect(top.stdout).toMatch(/^ {2}token +Print an EKS bearer token/m);
    expect(token).toMatchObject({ code: 0, stderr: '' });
    expect(token.stdout).toMatch(/^Usage: eks-secret-sync token --cluster-name NAME/);
    expect(token.stdout).toContain('Exit codes: 0 token printed, 2 usage error, 1 failure');
  });

  it.each([
    [
      'no --cluster-name',
      ['token', '--region', 'eu-west-1'],
      /^eks-secret-sync token: missing required option --cluster-name NAME/,
    ],
    [
      'no region anywhere',
      ['token', '--cluster-name', 'c'],
      /missing region: pass --region REGION, set AWS_REGION, or set region in profile default of the AWS config file/,
    ],
    [
      'a bad region',
      ['token', '--cluster-name', 'c', '--region', 'Europe'],
      /Invalid region "Europe".*\(from --region\)/,
    ],
    ['an unknown option', ['token', '--cluster', 'c'], /Unknown option '--cluster'/],
    [
      'an unknown command',
      ['tokens'],
      /^eks-secret-sync: unknown command "tokens" \(commands: ([a-z]+, )*token(, [a-z]+)*\)/,
    ],
  ])('exits 2 with one line naming the problem when given %s', async (_what, args, message) => {
    const result = await run(process.execPath, [CLI, ...args], isolatedEnv(SESSION));

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 1 with one line saying how to provide credentials when the default chain finds none', async () => {
    const result = await run(
      process.execPath,
      [CLI, 'token', '--cluster-name', 'c', '--region', 'eu-west-1'],
      isolatedEnv(undefined),
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^eks-secret-sync token: could not load AWS credentials .*AWS_PROFILE/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
