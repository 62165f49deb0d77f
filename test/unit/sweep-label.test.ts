// The sweep's AWS edges for a mapping following a label (functions/adapters/ledger.ts, sweep-io.ts): FetchSecret's
// ledger item
// names the label only when it is not AWSCURRENT (every other mapping's item stays as it was), the ledger reads
// it back, and the listing carries the version each other label is on.
import { describe, expect, it } from 'vitest';
import { fetchRecordItem } from '../../functions/adapters/ledger.ts';
import { listSecrets, readLedger } from '../../functions/adapters/sweep-io.ts';
import { planSweep } from '../../functions/domain/sweep.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf';
const NOW = new Date('2026-12-03T22:00:00.000Z');

/** A client that records each command's input and answers with `reply`. */
function fake(reply: unknown = {}) {
  const inputs: any[] = [];
  return { inputs, send: async (c: any) => (inputs.push(c.input), reply) } as any;
}

describe("FetchSecret's ledger item", () => {
  it('writes the label of a mapping following CANARY', () => {
    const put = fetchRecordItem('t', { mappingId: 'db', secretArn: ARN, versionId: 'v2', label: 'CANARY' }, NOW);
    expect(put.Item.label).toStrictEqual({ S: 'CANARY' });
  });

  it.each([['AWSCURRENT'], [undefined]])('writes the item as before the option for label %s', (label) => {
    const put = fetchRecordItem('t', { mappingId: 'db', secretArn: ARN, versionId: 'v2', label }, NOW);
    expect(Object.keys(put.Item).sort()).toStrictEqual(['fetchedAt', 'fetchedVersion', 'mappingId', 'secretArn']);
  });
});

describe('the sweep reading a label', () => {
  it('finds a CANARY mapping behind when CANARY moved, and in step when only AWSCURRENT did', async () => {
    const item = { mappingId: { S: 'db' }, secretArn: { S: ARN }, fetchedVersion: { S: 'v2' }, label: { S: 'CANARY' } };
    const ledger = await readLedger(fake({ Items: [item] }), 't');
    expect(ledger[0]!.label).toBe('CANARY');
    const listed = (stages: Record<string, string[]>) =>
      listSecrets(fake({ SecretList: [{ ARN, SecretVersionsToStages: stages }] }));
    const currentMoved = await listed({ v3: ['AWSCURRENT'], v2: ['CANARY'], v1: ['AWSPREVIOUS'] });
    expect(planSweep(ledger, currentMoved)).toStrictEqual([{ mappingId: 'db', action: 'in-step' }]);
    const canaryMoved = await listed({ v3: ['AWSCURRENT', 'CANARY'], v1: ['AWSPREVIOUS'] });
    expect(planSweep(ledger, canaryMoved)[0]).toMatchObject({ action: 'behind', versionId: 'v3' });
  });
});
