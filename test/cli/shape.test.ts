// `plan` and `sync` of a mapping with a data spec, as child processes against the test bed: the rows are the
// produced keys (names and masked values only), a rotation shows which produced keys change, and the Secret on
// the apiserver holds exactly them.
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, kube } from '../support/kube.ts';
import { canary, cli, itPrintsNoSecret, motoConfig, seedMapping, writeMappings, type TestMapping } from './support.ts';

const CANARY = canary();
const RDS = { username: 'app', password: CANARY, host: 'db.internal', port: 5432, dbname: 'shop', engine: 'postgres' };
const data = {
  DATABASE_URL: {
    template: 'postgresql://{{ username }}:{{ password | url_encode }}@{{ host }}:{{ port }}/{{ dbname }}',
  },
  DB_PASSWORD: { from: 'password' },
};
let mapping: TestMapping;
let file: string;

beforeAll(async () => {
  mapping = { ...(await seedMapping({ value: JSON.stringify(RDS) })), data };
  file = writeMappings('CliShape', [mapping]);
});

describe('plan and sync of a shaped mapping', () => {
  it('plans the produced keys only, masked', async () => {
    const r = await cli(['plan', '--mappings', file, '--mapping', mapping.id]);

    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/\n {2}DATABASE_URL\s+added\s+-\s+\*{6}\n {2}DB_PASSWORD\s+added\s+-\s+\*{6}\n/);
    expect(r.stdout).not.toMatch(/\n {2}(username|host|engine)\s/);
  });

  it('syncs them, and a rotation shows which produced keys change', async () => {
    expect((await cli(['sync', '--mappings', file, '--mapping', mapping.id])).code).toBe(0);
    const secret = await kube(
      adminToken(),
      'GET',
      `/api/v1/namespaces/${mapping.namespace}/secrets/${mapping.secretName}`,
    );
    expect(Object.keys(secret.body.data).sort()).toEqual(['DATABASE_URL', 'DB_PASSWORD']);
    const sm = new SecretsManagerClient(motoConfig());
    await sm.send(
      new PutSecretValueCommand({
        SecretId: mapping.secretArn,
        SecretString: JSON.stringify({ ...RDS, dbname: 'orders' }),
      }),
    );
    sm.destroy();

    const r = await cli(['plan', '--mappings', file, '--mapping', mapping.id, '--json']);

    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout).keys.map((k: { key: string; change: string }) => [k.key, k.change])).toEqual([
      ['DATABASE_URL', 'updated'],
      ['DB_PASSWORD', 'unchanged'],
    ]);
  });
});

itPrintsNoSecret(() => [CANARY, encodeURIComponent(CANARY)]);
