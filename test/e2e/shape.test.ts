// Shaping end to end: a mapping's data spec reaches FetchSecret as the construct passes it (DATA_SHAPE), and only
// the produced keys travel on: into the plan (names only), the Secret on the apiserver, and the error of a sync
// whose input is missing. Canary values everywhere; the leak check is its own `it`.
import { afterAll, describe, expect, it } from 'vitest';
import type { DataShape } from '../../functions/domain/shape.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { secretOf } from '../support/fault-matrix.ts';
import { stepResults, TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-5e1d7b-shape-do-not-log';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const text = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const mappings: LocalMapping[] = [];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RDS = {
  username: 'app',
  password: `${CANARY}/1@x`,
  host: 'db.internal',
  port: 5432,
  dbname: 'shop',
  engine: 'postgres',
};
const DATABASE_URL: DataShape = {
  data: {
    DATABASE_URL: {
      template: 'postgresql://{{ username }}:{{ password | url_encode }}@{{ host }}:{{ port }}/{{ dbname }}',
    },
    DB_PASSWORD: { from: 'password' },
  },
  includeOtherKeys: false,
};
const DOCKER: DataShape = {
  data: {
    '.dockerconfigjson': {
      template:
        '{"auths":{"registry.example.com":{"username":{{ username | json }},"password":{{ password | json }},' +
        '"auth":{{ username | append: ":" | append: password | base64_encode | json }}}}}',
    },
  },
  includeOtherKeys: false,
};

async function mapping(opts: Parameters<typeof TestMapping.create>[0]) {
  const m = await TestMapping.create(opts);
  mappings.push(m);
  return m;
}

function planOf(r: ExecutionRecord) {
  return stepResults(r, 'ReadSecret')[0];
}

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('shaping on the test bed', () => {
  it('writes a DATABASE_URL built from an RDS secret, and only the produced keys', async () => {
    const m = await mapping({ secretString: JSON.stringify(RDS), dataShape: DATABASE_URL });

    const r = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });

    expect(r.status).toBe('SUCCEEDED');
    const s = await secretOf(m);
    expect(s.body.data).toEqual({
      DATABASE_URL: b64(`postgresql://app:${encodeURIComponent(RDS.password)}@db.internal:5432/shop`),
      DB_PASSWORD: b64(RDS.password),
    });
    expect(planOf(r)).toMatchObject({ action: 'create', added: ['DATABASE_URL', 'DB_PASSWORD'] });
    const fetched = r.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret').state.output
      .fetched;
    expect(fetched.keys).toEqual({ count: 2, names: ['DATABASE_URL', 'DB_PASSWORD'], truncated: false });
  });

  it('shows which produced keys a rotation changes, by name, and updates them', async () => {
    const m = await mapping({ secretString: JSON.stringify(RDS), dataShape: DATABASE_URL });
    expect((await m.run({})).status).toBe('SUCCEEDED');
    await pause(1100); // Secrets Manager dates have one-second precision
    const v2 = await m.putSecret({ secretString: JSON.stringify({ ...RDS, host: 'db2.internal' }) });

    const r = await m.run(m.labelEvent(v2));

    expect(r.status).toBe('SUCCEEDED');
    expect(planOf(r)).toMatchObject({
      action: 'update',
      updated: ['DATABASE_URL'],
      unchanged: ['DB_PASSWORD'],
      added: [],
    });
    expect(text((await secretOf(m)).body.data.DATABASE_URL)).toContain('@db2.internal:5432/');
  });

  it('writes a kubernetes.io/dockerconfigjson Secret built from a user and a password', async () => {
    const m = await mapping({
      secretString: JSON.stringify({ username: 'robot', password: `${CANARY}"2` }),
      type: 'kubernetes.io/dockerconfigjson',
      dataShape: DOCKER,
    });

    const r = await m.run({});

    expect(r.status).toBe('SUCCEEDED');
    const s = await secretOf(m);
    expect(s.body.type).toBe('kubernetes.io/dockerconfigjson');
    expect(Object.keys(s.body.data)).toEqual(['.dockerconfigjson']);
    expect(JSON.parse(text(s.body.data['.dockerconfigjson']))).toEqual({
      auths: { 'registry.example.com': { username: 'robot', password: `${CANARY}"2`, auth: b64(`robot:${CANARY}"2`) } },
    });
  });

  it('sends a sync whose template input is missing to the DLQ, naming mapping, key and input, and writes nothing', async () => {
    const { dbname: _dropped, ...withoutDbname } = RDS;
    const m = await mapping({ secretString: JSON.stringify(withoutDbname), dataShape: DATABASE_URL });

    const r = await m.run({ source: 'test' });

    expect(r.status).toBe('FAILED');
    expect(r.error?.name).toBe('InvalidInputError');
    const [msg, ...rest] = await m.receiveDlq();
    expect(rest).toHaveLength(0);
    expect(msg).toMatchObject({ mappingId: m.id, failedStep: 'FetchSecret', error: 'InvalidInputError' });
    const message = JSON.parse(msg.cause).errorMessage as string;
    expect(message).toContain(`mapping "${m.id}"`);
    expect(message).toContain('data key "DATABASE_URL": the template reads "dbname", which resolves to nothing');
    expect((await secretOf(m)).status).toBe(404);
  });

  it('sends a sync whose path reads through the prototype to the DLQ and writes nothing', async () => {
    const m = await mapping({
      secretString: JSON.stringify({ ...RDS, connection: { host: 'h' } }),
      dataShape: {
        data: { PROTO: { path: 'connection.__proto__' }, DB_PASSWORD: { from: 'password' } },
        includeOtherKeys: true,
      },
    });

    const r = await m.run({ source: 'test' });

    expect(r.status).toBe('FAILED');
    expect(r.error?.name).toBe('InvalidInputError');
    const [msg] = await m.receiveDlq();
    expect(JSON.parse(msg.cause).errorMessage).toContain(
      'data key "PROTO": path "connection.__proto__" resolves to nothing',
    );
    expect((await secretOf(m)).status).toBe(404);
  });

  it('never lets a value reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), [CANARY, encodeURIComponent(CANARY)], 1000);
  });
});
