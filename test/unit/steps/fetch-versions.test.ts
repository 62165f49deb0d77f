// Data entries that read another version (`stage: AWSPREVIOUS`): one GetSecretValue per label, the checks on the
// produced keys only, a label no version carries leaving its keys out by name, and no value in anything but
// the sealed data.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/domain/errors.ts';
import { dataShapeOf, otherStages, shapeProblems, shapeSecretVersions } from '../../../functions/domain/shape.ts';
import { fetchSecret, type FetchSettings } from '../../../functions/steps/fetch.ts';
import { openData } from '../../../functions/steps/sealed.ts';
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
const NOW = '2026-11-23T14:00:00.000Z';
const SCHEDULED = { event: { source: 'eks-secret-sync', 'detail-type': 'Scheduled sync' }, attempt: 1 };
const ROTATION = {
  data: {
    DB_USER: { from: 'username' },
    DB_PASSWORD: { from: 'password' },
    DB_PASSWORD_PREVIOUS: { from: 'password', stage: 'AWSPREVIOUS' },
  },
};
const SETTINGS: FetchSettings = { mappingId: 'db', secretArn: ARN, type: 'Opaque', shape: dataShapeOf(ROTATION) };

function setUp() {
  const source = new MemorySecretSource();
  const sealer = testSealer();
  return { source, sealer, ports: { source, sealer, clock: fixedClock(NOW) } };
}

describe('fetchSecret with data entries on AWSPREVIOUS', () => {
  it('writes AWSCURRENT and AWSPREVIOUS together, one GetSecretValue per version', async () => {
    const [older, newer] = [canaryValue(), canaryValue()];
    const { ports, source, sealer } = setUp();
    source.put('v1', JSON.stringify({ username: 'app', password: older }));
    source.put('v2', JSON.stringify({ username: 'app', password: newer }));

    const out = await fetchSecret(ports, SETTINGS, SCHEDULED);

    expect(source.calls).toStrictEqual(['GetSecretValue AWSCURRENT', 'GetSecretValue AWSPREVIOUS']);
    expect(out.source).toMatchObject({ versionId: 'v2', current: true });
    expect(out.keys.names).toStrictEqual(['DB_PASSWORD', 'DB_PASSWORD_PREVIOUS', 'DB_USER']);
    expect(out.missingStages).toBeUndefined();
    expect(await openData(sealer, 'db', out.sealedData)).toStrictEqual({
      DB_USER: b64('app'),
      DB_PASSWORD: b64(newer),
      DB_PASSWORD_PREVIOUS: b64(older),
    });
    expectNoValue(JSON.stringify({ ...out, sealedData: undefined }), [older, newer]);
  });

  it('leaves the AWSPREVIOUS keys out, by name, for a secret with one version', async () => {
    const { ports, source, sealer } = setUp();
    source.put('v1', JSON.stringify({ username: 'app', password: canaryValue() }));

    const out = await fetchSecret(ports, SETTINGS, SCHEDULED);

    expect(out.missingStages).toStrictEqual(['AWSPREVIOUS']);
    expect(out.keys.names).toStrictEqual(['DB_PASSWORD', 'DB_USER']);
    expect(Object.keys(await openData(sealer, 'db', out.sealedData)).sort()).toStrictEqual(['DB_PASSWORD', 'DB_USER']);
  });

  it('reads no other version when no entry names one', async () => {
    const { ports, source } = setUp();
    source.put('v1', JSON.stringify({ password: 'x' }));
    const settings = { ...SETTINGS, shape: dataShapeOf({ data: { P: { from: 'password', stage: 'AWSCURRENT' } } }) };

    await fetchSecret(ports, settings, SCHEDULED);

    expect(source.calls).toStrictEqual(['GetSecretValue AWSCURRENT']);
  });

  it('names the stage, not the value, when the previous version lacks the key', async () => {
    const canary = canaryValue();
    const { ports, source } = setUp();
    source.put('v1', JSON.stringify({ user: canary }));
    source.put('v2', JSON.stringify({ username: 'app', password: canary }));

    const e = await rejection(fetchSecret(ports, SETTINGS, SCHEDULED));

    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e.message).toContain('data key "DB_PASSWORD_PREVIOUS" (stage AWSPREVIOUS): from "password" resolves');
    expectNoValue(e.message, [canary]);
  });

  it('checks the size budget on the produced keys of both versions together', async () => {
    const { ports, source } = setUp();
    const half = 'x'.repeat(600 * 1024);
    source.put('v1', JSON.stringify({ username: 'app', password: half }));
    source.put('v2', JSON.stringify({ username: 'app', password: half }));
    const single = { ...SETTINGS, shape: dataShapeOf({ data: { DB_PASSWORD: { from: 'password' } } }) };

    await expect(fetchSecret(ports, single, SCHEDULED)).resolves.toBeDefined();
    expect((await rejection(fetchSecret(ports, SETTINGS, SCHEDULED))).name).toBe('InvalidInputError');
  });
});

describe('shapeSecretVersions', () => {
  it("copies only the primary version's other keys with includeOtherKeys", () => {
    const shape = dataShapeOf({ data: { OLD: { from: 'password', stage: 'AWSPREVIOUS' } }, includeOtherKeys: true });
    const out = shapeSecretVersions(
      {
        primary: { secretString: '{"password":"new","extra":"e"}' },
        others: { AWSPREVIOUS: { secretString: '{"password":"old","stale":"s"}' } },
      },
      shape,
      'here',
    );
    expect(Object.keys(out.data).sort()).toStrictEqual(['OLD', 'extra', 'password']);
    expect(Buffer.from(out.data.OLD!, 'base64').toString()).toBe('old');
  });

  it('lists each other label once, sorted', () => {
    const shape = dataShapeOf({
      data: {
        A: { from: 'a', stage: 'CANARY' },
        B: { from: 'b', stage: 'AWSPREVIOUS' },
        C: { from: 'c', stage: 'AWSPREVIOUS' },
        D: { from: 'd' },
      },
    });
    expect(otherStages(shape)).toStrictEqual(['AWSPREVIOUS', 'CANARY']);
  });

  it.each([
    ['', 'is not a staging label'],
    ['AWSPENDING', 'AWSPENDING is the version a rotation has not finished'],
    ['x'.repeat(257), 'is not a staging label'],
  ])('refuses stage %j at synth time', (stage, message) => {
    const problems = shapeProblems({ data: { K: { from: 'k', stage } }, includeOtherKeys: false }, 'Opaque');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toStrictEqual(['data', 'K', 'stage']);
    expect(problems[0]!.message).toContain(message);
  });
});
