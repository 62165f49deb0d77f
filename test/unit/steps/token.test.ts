// The token step: the signer's token leaves it only sealed, for this mapping's Kubernetes steps.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/domain/errors.ts';
import { openToken } from '../../../functions/steps/sealed.ts';
import { clusterOf, mintToken } from '../../../functions/steps/token.ts';
import { CountingSigner, expectNoValue, rejection, testSealer } from '../../support/ports.ts';

describe('mintToken', () => {
  it("seals the signer's token for the mapping and returns its expiry, never the token", async () => {
    const sealer = testSealer();
    const signer = new CountingSigner();

    const out = await mintToken({ signer, sealer }, { mappingId: 'db' });

    expect(out.expiresAt).toBe('2026-11-23T14:14:00Z');
    expect(await openToken(sealer, 'db', out.sealedToken)).toBe('k8s-aws-v1.canary-token-1');
    expectNoValue(JSON.stringify(out), []);
  });

  it('seals a token that opens neither as secret data nor for another mapping', async () => {
    const sealer = testSealer();
    const out = await mintToken({ signer: new CountingSigner(), sealer }, { mappingId: 'db' });

    const asData = await rejection(sealer.open({ mappingId: 'db', purpose: 'secret-data' }, out.sealedToken));
    const otherMapping = await rejection(openToken(sealer, 'other', out.sealedToken));

    expect([asData.name, otherMapping.name]).toStrictEqual(['InvalidInputError', 'InvalidInputError']);
  });

  it("passes the signer's InvalidInputError through (a bad cluster name or region)", async () => {
    const signer = { mint: async () => Promise.reject(new InvalidInputError('Invalid cluster name "-x"')) };

    const e = await rejection(mintToken({ signer, sealer: testSealer() }, { mappingId: 'db' }));

    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e.message).toContain('Invalid cluster name');
  });
});

describe('clusterOf', () => {
  it("takes the cluster from the target's spec, or from clusterName (the definition before), clusterName first", () => {
    const spec = { name: 'prod/app/db', cluster: 'prod', namespace: 'app', secretName: 'db' };
    expect(clusterOf({ target: spec })).toBe('prod');
    expect(clusterOf({ clusterName: 'old' })).toBe('old');
    expect(clusterOf({ clusterName: 'old', target: spec })).toBe('old');
    // Neither: the signer's validation refuses the empty name the handler then passes (InvalidInputError).
    expect([clusterOf({}), clusterOf({ target: { cluster: 7 } }), clusterOf(undefined)]).toStrictEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
