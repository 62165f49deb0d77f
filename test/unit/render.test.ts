// `eks-secret-sync render`, driven in-process through the CLI's dispatcher (it needs no AWS and no cluster): the
// data a mapping would write, masked as plan masks it; --show-values with its warning; --json; exit 2 with the
// fetch step's own error text for a failed render; and no canary in any output unless --show-values asked.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../bin/eks-secret-sync.ts';
import { SHOW_VALUES_WARNING } from '../../bin/commands/render.ts';
import { secretDataFor } from '../../functions/steps/fetch.ts';
import { describeLeaks, scanForLeaks } from '../support/leak-scanner.ts';
import { canaryValue } from '../support/ports.ts';

const DIR = mkdtempSync(join(tmpdir(), 'eks-secret-sync-render-'));
const CANARY = canaryValue();
const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/db-AbCdEf';
const DATABASE_URL = 'postgresql://{{ username }}:{{ password | url_encode }}@{{ host }}:{{ port }}/{{ dbname }}';
const DOCKER =
  '{"auths":{"registry.example.com":{"username":{{ username | json }},"password":{{ password | json }},' +
  '"auth":{{ username | append: ":" | append: password | base64_encode | json }}}}}';

const base = { cluster: { name: 'prod' }, namespace: 'shop' };
const MAPPINGS = write(
  'mappings.yaml',
  stringify({
    mappings: [
      {
        ...base,
        id: 'db',
        secretArn: ARN,
        secretName: 'db',
        data: { DATABASE_URL: { template: DATABASE_URL }, DB_PASSWORD: { from: 'password' } },
      },
      {
        ...base,
        id: 'registry',
        secretArn: ARN.replace('shop/db', 'shop/reg'),
        secretName: 'reg',
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': { template: DOCKER } },
      },
      { ...base, id: 'plain', secretArn: ARN.replace('shop/db', 'shop/plain'), secretName: 'plain' },
      {
        ...base,
        id: 'rotating',
        secretArn: ARN.replace('shop/db', 'shop/rot'),
        secretName: 'rot',
        data: { DB_PASSWORD: { from: 'password' }, DB_PASSWORD_PREVIOUS: { from: 'password', stage: 'AWSPREVIOUS' } },
      },
    ],
  }),
);
const VALUE = write(
  'value.json',
  JSON.stringify({ username: 'app', password: CANARY, host: 'db.internal', port: 5432, dbname: 'shop' }),
);
const NO_DBNAME = write(
  'no-dbname.json',
  JSON.stringify({ username: 'app', password: CANARY, host: 'db.internal', port: 5432 }),
);
const PREVIOUS_CANARY = canaryValue();
const PREVIOUS = write('previous.json', JSON.stringify({ username: 'app', password: PREVIOUS_CANARY }));
const BROKEN = write('broken.json', `{"password": "${CANARY}",`);

function write(name: string, text: string): string {
  const path = join(DIR, name);
  writeFileSync(path, text);
  return path;
}

const everyRun: string[] = [];

async function render(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: (t: string) => {
      stderr += t;
    },
    env: {},
  };
  const code = await main(['render', '--mappings', MAPPINGS, ...args], io);
  if (!args.includes('--show-values')) everyRun.push(stdout, stderr);
  return { code, stdout, stderr };
}

describe('render', () => {
  it('prints the produced keys with masked values, and exits 0', async () => {
    const run = await render('--mapping', 'db', '--secret-file', VALUE);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `Mapping db: 2 keys of type Opaque from ${VALUE}\n\n  KEY           VALUE\n  DATABASE_URL  ******\n  ` +
        `DB_PASSWORD   ******\n`,
    );
    expect(run.stderr).toBe('');
  });

  it('prints lengths and hash prefixes as plan does, and JSON for scripts', async () => {
    const run = await render('--mapping', 'db', '--secret-file', VALUE, '--json', '--show-lengths', '--show-hashes');

    const out = JSON.parse(run.stdout);
    expect(out.keys.map((k: { key: string }) => k.key)).toStrictEqual(['DATABASE_URL', 'DB_PASSWORD']);
    expect(out.keys[1]).toStrictEqual({
      key: 'DB_PASSWORD',
      bytes: Buffer.byteLength(CANARY),
      sha256: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
  });

  it('prints the values with --show-values, with a warning on stderr', async () => {
    const run = await render('--mapping', 'db', '--secret-file', VALUE, '--show-values');

    expect(run.code).toBe(0);
    expect(run.stderr).toBe(SHOW_VALUES_WARNING);
    expect(run.stdout).toContain(`DATABASE_URL  postgresql://app:${encodeURIComponent(CANARY)}@db.internal:5432/shop`);
    expect(run.stdout).toContain(`DB_PASSWORD   ${CANARY}`);
  });

  it('renders a valid .dockerconfigjson from a user and a password', async () => {
    const run = await render('--mapping', 'registry', '--secret-file', VALUE, '--show-values', '--json');

    const data = JSON.parse(run.stdout).keys[0].data as string;
    const config = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    expect(config.auths['registry.example.com'].auth).toBe(Buffer.from(`app:${CANARY}`).toString('base64'));
  });

  it('previews AWSPREVIOUS entries from --previous-file', async () => {
    const run = await render('--mapping', 'rotating', '--secret-file', VALUE, '--previous-file', PREVIOUS, '--json');

    const keys = JSON.parse(run.stdout).keys as { key: string; bytes?: number }[];
    expect(keys.map((k) => k.key)).toStrictEqual(['DB_PASSWORD', 'DB_PASSWORD_PREVIOUS']);
    expect(run.stderr).toBe('');
    const shown = await render(
      '--mapping',
      'rotating',
      '--secret-file',
      VALUE,
      '--previous-file',
      PREVIOUS,
      '--show-values',
    );
    expect(shown.stdout).toContain(`DB_PASSWORD_PREVIOUS  ${PREVIOUS_CANARY}`);
  });

  it('leaves AWSPREVIOUS entries out, named on stderr, without --previous-file', async () => {
    const run = await render('--mapping', 'rotating', '--secret-file', VALUE);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 key of type Opaque');
    expect(run.stderr).toBe(
      'eks-secret-sync render: no version given for stage AWSPREVIOUS: left out DB_PASSWORD_PREVIOUS\n',
    );
  });

  it('renders every key as it is for a mapping without data', async () => {
    const run = await render('--mapping', 'plain', '--secret-file', VALUE);
    expect(run.stdout).toContain('5 keys of type Opaque');
  });

  it('fails a render with exit 2 and the error text FetchSecret raises', async () => {
    const run = await render('--mapping', 'db', '--secret-file', NO_DBNAME);

    expect(run.code).toBe(2);
    let lambda = '';
    try {
      secretDataFor(
        { secretString: JSON.stringify({ username: 'app', password: 'x', host: 'h', port: 1 }) },
        {
          mappingId: 'db',
          type: 'Opaque',
          shape: { data: { DATABASE_URL: { template: DATABASE_URL } }, includeOtherKeys: false },
        },
        `secret file ${NO_DBNAME}`,
      );
    } catch (e) {
      lambda = `${(e as Error).name}: ${(e as Error).message}`;
    }
    expect(lambda).toContain('data key "DATABASE_URL": the template reads "dbname"');
    expect(run.stderr).toBe(`eks-secret-sync render: ${lambda}\n`);
    expect(run.stdout).toBe('');
  });

  it.each([
    ['a file that does not exist', [join(DIR, 'nope.json')], 'cannot read --secret-file'],
    ['a .json file that is not JSON', [BROKEN], 'is not valid JSON'],
  ])('exits 2 for %s', async (_what, [file], message) => {
    const run = await render('--mapping', 'db', '--secret-file', file!);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('exits 2 without --secret-file or --mapping', async () => {
    expect((await render('--mapping', 'db')).code).toBe(2);
    expect((await render('--secret-file', VALUE)).code).toBe(2);
  });

  it('prints no canary in any output without --show-values', () => {
    const everything = everyRun.join('\n');
    expect(everything.length).toBeGreaterThan(500);
    const leaks = scanForLeaks(everything, [
      { label: 'canary', value: CANARY },
      { label: 'previous canary', value: PREVIOUS_CANARY },
    ]);
    expect(leaks, describeLeaks(leaks)).toEqual([]);
  });

  it('the leak check finds a canary printed with --show-values (positive control)', async () => {
    const run = await render('--mapping', 'db', '--secret-file', VALUE, '--show-values');
    expect(scanForLeaks(run.stdout, [{ label: 'canary', value: CANARY }])).not.toEqual([]);
  });
});
