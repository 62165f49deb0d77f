// The fetch step against an in-memory secret source and sealer: which version it reads, what it refuses, what a
// deletion event turns into, and that only sealed data leaves it.
import { describe, expect, it } from 'vitest';
import { MAX_KEYS } from '../../../functions/domain/secret-data.ts';
import { fetchSecret, type FetchSettings } from '../../../functions/steps/fetch.ts';
import { openData } from '../../../functions/steps/sealed.ts';
import { cloudTrailEvent } from '../../fixtures/cloudtrail.ts';
import {
  b64,
  canaryValue,
  expectNoValue,
  fixedClock,
  MemorySecretSource,
  rejection,
  testSealer,
} from '../../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf';
const SETTINGS: FetchSettings = { mappingId: 'db', secretArn: ARN, type: 'Opaque' };
const NOW = '2026-11-23T14:00:00.000Z';
const SCHEDULED = { event: { source: 'eks-secret-sync', 'detail-type': 'Scheduled sync' }, attempt: 1 };
const labelUpdated = (versionId: string) => ({
  event: {
    source: 'aws.secretsmanager',
    'detail-type': 'Secret Label Updated',
    resources: [ARN],
    detail: { labelUpdated: 'AWSCURRENT', versionId },
  },
  attempt: 1,
});

function setUp(value: string) {
  const source = new MemorySecretSource().put('v1', JSON.stringify({ username: 'app', password: value }));
  const sealer = testSealer();
  return { source, sealer, ports: { source, sealer, clock: fixedClock(NOW) } };
}

describe('fetchSecret', () => {
  it('returns AWSCURRENT as sealed data with its key names, current since the fetch started', async () => {
    const canary = canaryValue();
    const { ports, sealer } = setUp(canary);

    const out = await fetchSecret(ports, SETTINGS, SCHEDULED);

    expect(out.source).toStrictEqual({
      arn: ARN,
      versionId: 'v1',
      createdDate: out.source.createdDate,
      current: true,
      currentAt: NOW,
    });
    expect(out.keys).toStrictEqual({ count: 2, names: ['password', 'username'], truncated: false });
    expect(await openData(sealer, 'db', out.sealedData)).toStrictEqual({ username: b64('app'), password: b64(canary) });
    expectNoValue(JSON.stringify(out), [canary]);
  });

  it('reads the version a label event names, and says when it is no longer AWSCURRENT', async () => {
    const { ports, source } = setUp(canaryValue());
    source.put('v2', '{"password":"newer"}');

    const out = await fetchSecret(ports, SETTINGS, labelUpdated('v1'));

    expect(out.source).toMatchObject({ versionId: 'v1', current: false });
    expect(out.source.currentAt).toBeUndefined();
    expect(source.calls).toStrictEqual(['GetSecretValue v1']);
  });

  it('turns a DeleteSecret event of a secret still scheduled for deletion into a deletion with no keys', async () => {
    const { ports, source, sealer } = setUp(canaryValue());
    source.deletionState = { deletedDate: '2026-11-23T13:30:00.000Z', currentVersionId: 'v1' };

    const out = await fetchSecret(ports, SETTINGS, { event: cloudTrailEvent('DeleteSecret', ARN), attempt: 1 });

    expect(out.source).toStrictEqual({
      arn: ARN,
      versionId: 'v1',
      createdDate: '2026-11-23T13:30:00.000Z',
      deleted: true,
      currentAt: NOW,
    });
    expect(out.keys.count).toBe(0);
    expect(await openData(sealer, 'db', out.sealedData)).toStrictEqual({});
    expect(source.calls).toStrictEqual(['DescribeSecret']);
  });

  it('syncs AWSCURRENT for a DeleteSecret event when the secret was restored since', async () => {
    const { ports, source } = setUp(canaryValue());

    const out = await fetchSecret(ports, SETTINGS, { event: cloudTrailEvent('DeleteSecret', ARN), attempt: 1 });

    expect(out.source).toMatchObject({ versionId: 'v1', current: true });
    expect(out.source.deleted).toBeUndefined();
    expect(source.calls).toStrictEqual(['DescribeSecret', 'GetSecretValue AWSCURRENT']);
  });

  it.each([
    [
      'more keys than the key budget',
      () => JSON.stringify(Object.fromEntries([...Array(MAX_KEYS + 1).keys()].map((i) => [`k${i}`, 'v']))),
      /keys/,
    ],
    ['a key Kubernetes refuses', () => JSON.stringify({ 'bad key': 'v' }), /bad key/],
  ])('refuses %s with an InvalidInputError that names no value', async (_what, secret, message) => {
    const canary = canaryValue();
    const { ports, source } = setUp(canary);
    source.put('v2', secret().replace(/"v"/g, JSON.stringify(canary)));

    const e = await rejection(fetchSecret(ports, SETTINGS, SCHEDULED));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`secret ${ARN} version v2`);
    expectNoValue(e.message, [canary]);
  });

  it('refuses a docker config that is not a JSON object with auths, quoting no value', async () => {
    const canary = canaryValue();
    const { ports, source } = setUp(canary);
    source.put('v2', JSON.stringify({ '.dockerconfigjson': `{"auth": "${canary}"` }));

    const e = await rejection(fetchSecret(ports, { ...SETTINGS, type: 'kubernetes.io/dockerconfigjson' }, SCHEDULED));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toContain('.dockerconfigjson');
    expectNoValue(e.message, [canary]);
  });

  it("passes the source's NotFoundError through for a version that does not exist", async () => {
    const { ports } = setUp(canaryValue());

    const e = await rejection(fetchSecret(ports, SETTINGS, labelUpdated('v9')));

    expect(e.name).toBe('NotFoundError');
  });

  it('refuses an input without an event, saying what to start executions with', async () => {
    const { ports } = setUp(canaryValue());

    const e = await rejection(fetchSecret(ports, SETTINGS, {} as never));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toContain('{"event": {...}, "attempt": 1}');
  });

  it('seals for this mapping only: another mapping cannot open the data', async () => {
    const { ports, sealer } = setUp(canaryValue());
    const out = await fetchSecret(ports, SETTINGS, SCHEDULED);

    const e = await rejection(openData(sealer, 'other', out.sealedData));

    expect(e.name).toBe('InvalidInputError');
  });

  it('shapes before the key checks and sealing: only produced keys leave the step', async () => {
    const canary = canaryValue();
    const { ports, sealer } = setUp(canary);
    const shape = {
      data: {
        DB_PASSWORD: { from: 'password' },
        DATABASE_URL: { template: 'postgresql://{{ username }}:{{ password }}@db' },
      },
      includeOtherKeys: false,
    };

    const out = await fetchSecret(ports, { ...SETTINGS, shape }, SCHEDULED);

    expect(out.keys).toStrictEqual({ count: 2, names: ['DATABASE_URL', 'DB_PASSWORD'], truncated: false });
    expect(await openData(sealer, 'db', out.sealedData)).toStrictEqual({
      DB_PASSWORD: b64(canary),
      DATABASE_URL: b64(`postgresql://app:${canary}@db`),
    });
    expectNoValue(JSON.stringify(out), [canary]);
  });

  it('refuses a shape whose input is missing, naming mapping, key and input, before sealing anything', async () => {
    const canary = canaryValue();
    const { ports, sealer } = setUp(canary);
    let seals = 0;
    const counting = {
      ...ports,
      sealer: {
        ...sealer,
        seal: (...a: Parameters<typeof sealer.seal>) => {
          seals++;
          return sealer.seal(...a);
        },
      },
    };
    const shape = {
      data: { DATABASE_URL: { template: '{{ username }}:{{ password }}@{{ host }}' } },
      includeOtherKeys: false,
    };

    const e = await rejection(fetchSecret(counting, { ...SETTINGS, shape }, SCHEDULED));

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toContain('mapping "db"');
    expect(e.message).toContain('data key "DATABASE_URL": the template reads "host"');
    expectNoValue(e.message, [canary]);
    expect(seals).toBe(0);
  });

  it('checks the produced keys against the type: a shaped docker config must hold auths', async () => {
    const { ports } = setUp(canaryValue());
    const shape = {
      data: { '.dockerconfigjson': { template: '{"auths":{{ username | json }}}' } },
      includeOtherKeys: false,
    };

    const e = await rejection(
      fetchSecret(ports, { ...SETTINGS, type: 'kubernetes.io/dockerconfigjson', shape }, SCHEDULED),
    );

    expect(e.name).toBe('InvalidInputError');
    expect(e.message).toContain('"auths" is missing or not an object');
  });
});
