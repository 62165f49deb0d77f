// The in-memory sealer of the CLI, the bench baseline and these tests is real AES-256-GCM bound to its context,
// not a pass-through.
import { describe, expect, it } from 'vitest';
import { memorySealer } from '../../../functions/adapters/memory-sealer.ts';
import { b64, canaryValue, rejection } from '../../support/ports.ts';

const DATA = { mappingId: 'db', purpose: 'secret-data' } as const;

describe('memorySealer', () => {
  it('opens what it sealed, and each seal differs (fresh data key and IV)', async () => {
    const sealer = memorySealer();
    const plain = Buffer.from(canaryValue());

    const [a, b] = [await sealer.seal(DATA, plain), await sealer.seal(DATA, plain)];

    expect(Buffer.from(await sealer.open(DATA, a))).toStrictEqual(plain);
    expect(a.data).not.toBe(b.data);
    expect(a.key).not.toBe(b.key);
  });

  it('keeps the value out of the envelope', async () => {
    const canary = canaryValue();

    const sealed = JSON.stringify(await memorySealer().seal(DATA, Buffer.from(canary)));

    expect(sealed).not.toContain(canary);
    expect(sealed).not.toContain(b64(canary).slice(0, 16));
  });

  it('refuses to open under another mapping', async () => {
    const sealer = memorySealer();
    const sealed = await sealer.seal(DATA, Buffer.from('x'));

    expect((await rejection(sealer.open({ mappingId: 'other', purpose: 'secret-data' }, sealed))).name).toBe(
      'InvalidInputError',
    );
  });

  it('binds the purpose too: what was sealed for another purpose (the eks-token of old) does not open as data', async () => {
    const sealer = memorySealer();
    // SealContext has one purpose now; the context still binds it, so a sealed token of the release before, were one
    // put where data goes, does not open as secret data.
    const OLD = { mappingId: 'db', purpose: 'eks-token' } as unknown as typeof DATA;
    const sealed = await sealer.seal(OLD, Buffer.from('x'));

    expect((await rejection(sealer.open(DATA, sealed))).name).toBe('InvalidInputError');
    // Control: under the purpose it was sealed for, it opens.
    expect(Buffer.from(await sealer.open(OLD, sealed)).toString()).toBe('x');
  });

  it("refuses a tampered envelope and one sealed by another process's key", async () => {
    const sealer = memorySealer();
    const sealed = await sealer.seal(DATA, Buffer.from('value'));
    const flipped = Buffer.from(sealed.data, 'base64');
    flipped[0] = flipped[0]! ^ 1;

    const tampered = await rejection(sealer.open(DATA, { ...sealed, data: flipped.toString('base64') }));
    const foreign = await rejection(memorySealer().open(DATA, sealed));

    expect([tampered.name, foreign.name]).toStrictEqual(['InvalidInputError', 'InvalidInputError']);
  });
});
