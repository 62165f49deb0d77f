// Two adapter details the fault matrix relies on: the Kubernetes request
// timeout setting, and moto's wording for a secret scheduled for deletion.
import { describe, expect, it } from 'vitest';
import { awsError } from '../../functions/adapters/aws-errors.ts';
import { ConfigError, NotFoundError } from '../../functions/domain/errors.ts';
import { kubeTimeoutFrom } from '../../functions/runtime/options.ts';

describe('kubeTimeoutFrom', () => {
  it.each([
    [undefined, 10_000],
    ['', 10_000],
    ['300', 300],
    ['25000', 25_000],
  ])('reads %j as %i ms', (value, ms) => {
    expect(kubeTimeoutFrom(value)).toBe(ms);
  });

  it.each(['99', '25001', '1.5', '10s', '-1'])('refuses %j naming the variable and the range', (value) => {
    expect(() => kubeTimeoutFrom(value)).toThrow(ConfigError);
    expect(() => kubeTimeoutFrom(value)).toThrow(
      /KUBE_TIMEOUT_MS must be an integer number of milliseconds from 100 to 25000/,
    );
  });
});

describe('awsError: a secret scheduled for deletion', () => {
  const invalid = (message: string) =>
    Object.assign(new Error(message), { name: 'InvalidRequestException', $metadata: { httpStatusCode: 400 } });

  it.each([
    ['AWS', "You can't perform this operation on the secret because it was marked for deletion."],
    [
      'moto',
      'An error occurred (InvalidRequestException) when calling the GetSecretValue operation: You tried to perform ' +
        "the operation on a secret that's currently marked deleted.",
    ],
  ])('is NotFoundError naming RestoreSecret in %s wording', (_who, message) => {
    const e = awsError(invalid(message), 'secretsmanager:GetSecretValue on x');
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toMatch(/scheduled for deletion .*restore it with RestoreSecret/);
  });

  it('keeps other InvalidRequestExceptions as input errors', () => {
    expect(
      awsError(invalid('You provided a parameter value that is not valid for the current state of the resource.'), 'a')
        .name,
    ).toBe('InvalidInputError');
  });
});
