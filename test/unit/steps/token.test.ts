// The token step: the signer's token leaves it only sealed, for this mapping's Kubernetes steps.
import { describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../../../functions/domain/errors.ts';
import { openToken } from '../../../functions/steps/sealed.ts';
import { clusterOf, mintToken } from '../../../functions/steps/token.ts';
import { canaryValue, CountingSigner, expectNoValue, rejection, testSealer } from '../../support/ports.ts';

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
  });

  it.each([
    ['no target', {}, 'no target'],
    ['a target without cluster', { target: {} }, 'a target without cluster'],
    ['a cluster that is no string', { target: { cluster: 7 } }, 'a target whose cluster is of type number'],
    ['no input', undefined, 'no target'],
  ])('refuses %s with InvalidInputError naming the field and the definition that fills it', (_, input, found) => {
    const e = captured(() => clusterOf(input));

    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e.message).toContain('neither target.cluster nor clusterName');
    expect(e.message).toContain(`(it has ${found})`);
    expect(e.message).toContain("the target's spec from TargetsJson");
  });

  it('names no value of the input in the refusal', () => {
    const canary = canaryValue();
    const input = { clusterName: 5, target: { cluster: { name: canary }, name: canary, secretName: canary } };

    const e = captured(() => clusterOf(input as never));

    expect(e.name).toBe('InvalidInputError');
    expectNoValue(e.message, [canary]);
  });
});

describe('the MintToken handler', () => {
  it('refuses an input without a cluster by that message, before it signs (not as an empty cluster name)', async () => {
    vi.stubEnv('MAPPING_ID', 'db');
    vi.stubEnv('SEAL_KEY_ID', 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    try {
      const { handler } = await import('../../../functions/mint-token/handler.ts');

      const e = await rejection(handler({ target: { namespace: 'app' } } as never));

      expect(e.name).toBe('InvalidInputError');
      expect(e.message).toContain('neither target.cluster nor clusterName');
      expect(e.message).not.toContain('Invalid cluster name');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

/** The error `fn` throws (fails the test when it returns). */
function captured(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}
