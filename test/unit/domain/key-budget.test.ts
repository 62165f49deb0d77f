import { describe, expect, it } from 'vitest';
import { assertWithinKeyBudget, MAX_KEY_NAME_BYTES, MAX_KEYS } from '../../../functions/domain/secret-data.ts';

const keys = (n: number, len = 8) => Array.from({ length: n }, (_, i) => `k${String(i).padStart(len - 1, '0')}`);

describe('assertWithinKeyBudget', () => {
  it.each([
    ['no keys', [] as string[]],
    ['the most keys allowed', keys(MAX_KEYS, 8)],
    ['names adding up to the byte limit', keys(MAX_KEY_NAME_BYTES / 64, 64)],
  ])('accepts %s', (_what, k) => {
    expect(() => assertWithinKeyBudget(k, 'secret x')).not.toThrow();
  });

  it.each([
    ['one key too many', keys(MAX_KEYS + 1, 8), `${MAX_KEYS + 1} keys`],
    [
      'names one byte over',
      [...keys(MAX_KEY_NAME_BYTES / 64, 64), 'z'],
      `${MAX_KEY_NAME_BYTES + 1} bytes of key names`,
    ],
  ])('refuses %s, naming the count and how to fix it', (_what, k, fragment) => {
    expect(() => assertWithinKeyBudget(k, 'secret x')).toThrow(
      expect.objectContaining({ name: 'InvalidInputError', message: expect.stringContaining(fragment) }),
    );
    expect(() => assertWithinKeyBudget(k, 'secret x')).toThrow(/Split the secret across several secrets and mappings/);
  });
});
