// Rotation without downtime on the test bed: data entries on AWSCURRENT and AWSPREVIOUS written together at each
// move of AWSCURRENT (moto moves AWSPREVIOUS along, as Secrets Manager does), the first version's previous keys
// left out by name, and no value on any surface (the leak check is its own `it`).
import { afterAll, describe, expect, it } from 'vitest';
import type { DataShape } from '../../functions/domain/shape.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';
import { secretOf } from '../support/fault-matrix.ts';
import { TestMapping, type ExecutionRecord, type LocalMapping } from '../support/pipeline.ts';

const CANARY = 'CANARY-9a41c3-versions-do-not-log';
const passwords = [1, 2, 3].map((n) => `${CANARY}-${n}`);
const text = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
const mappings: LocalMapping[] = [];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const value = (n: number) => JSON.stringify({ username: 'app', password: passwords[n] });

const ROTATION: DataShape = {
  data: {
    DB_USER: { from: 'username' },
    DB_PASSWORD: { from: 'password' },
    DB_PASSWORD_PREVIOUS: { from: 'password', stage: 'AWSPREVIOUS' },
  },
  includeOtherKeys: false,
};

function fetchedOf(r: ExecutionRecord) {
  return r.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret').state.output.fetched;
}

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.close()));
});

describe('AWSCURRENT and AWSPREVIOUS on the test bed', () => {
  it('writes both versions at every move of AWSCURRENT, AWSPREVIOUS following', async () => {
    const m = await TestMapping.create({ secretString: value(0), dataShape: ROTATION });
    mappings.push(m);

    const first = await m.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });
    expect(first.status).toBe('SUCCEEDED');
    expect(fetchedOf(first).missingStages).toEqual(['AWSPREVIOUS']);
    let data = (await secretOf(m)).body.data;
    expect(Object.keys(data).sort()).toEqual(['DB_PASSWORD', 'DB_USER']);

    for (const n of [1, 2]) {
      await pause(1100); // Secrets Manager dates have one-second precision
      const version = await m.putSecret({ secretString: value(n) });
      const r = await m.run(m.labelEvent(version));

      expect(r.status).toBe('SUCCEEDED');
      expect(fetchedOf(r).missingStages).toBeUndefined();
      data = (await secretOf(m)).body.data;
      expect(text(data.DB_PASSWORD)).toBe(passwords[n]);
      expect(text(data.DB_PASSWORD_PREVIOUS)).toBe(passwords[n - 1]);
      expect(text(data.DB_USER)).toBe('app');
    }
    expect(await m.receiveDlq()).toEqual([]);
  });

  it('never lets a value of either version reach logs, state, DLQ messages or errors', () => {
    expect(mappings.length).toBeGreaterThan(0);
    expectNoSecretMaterial(mappings.map((m) => m.captured()).join('\n'), passwords, 500);
  });
});
