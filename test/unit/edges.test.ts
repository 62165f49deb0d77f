// The thin edges' pure parts: which version an event asks for, and how
// Kubernetes and AWS answers become the error contract.
import { describe, expect, it } from 'vitest';
import { awsError } from '../../functions/adapters/aws-errors.ts';
import { statusError } from '../../functions/adapters/kube.ts';
import { requestedVersion } from '../../functions/sources/secrets-manager/event-reading.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config-AbCdEf';

describe('requestedVersion', () => {
  it.each([
    [
      'the native label event for this secret',
      {
        source: 'aws.secretsmanager',
        'detail-type': 'Secret Label Updated',
        resources: [ARN],
        detail: { labelUpdated: 'AWSCURRENT', versionId: 'v-2' },
      },
      'v-2',
    ],
    [
      'a CloudTrail event',
      { source: 'aws.secretsmanager', 'detail-type': 'AWS API Call via CloudTrail', detail: {} },
      undefined,
    ],
    ['a scheduled or redriven sync', { source: 'eks-secret-sync', 'detail-type': 'Scheduled sync' }, undefined],
    [
      'a redrive whose original event named a version (a redrive syncs AWSCURRENT)',
      {
        source: 'eks-secret-sync',
        'detail-type': 'Redrive',
        detail: {
          original: {
            source: 'aws.secretsmanager',
            'detail-type': 'Secret Label Updated',
            resources: [ARN],
            detail: { versionId: 'v-1' },
          },
        },
      },
      undefined,
    ],
    ['an empty event', {}, undefined],
  ])('returns the version for %s', (_what, event, want) => {
    expect(requestedVersion(event, ARN)).toBe(want);
  });

  it('refuses a label event for another secret, naming both', () => {
    const other = ARN.replace('app/config', 'other');
    const event = {
      source: 'aws.secretsmanager',
      'detail-type': 'Secret Label Updated',
      resources: [other],
      detail: { labelUpdated: 'AWSCURRENT', versionId: 'v' },
    };
    expect(() => requestedVersion(event, ARN)).toThrow(
      expect.objectContaining({ name: 'InvalidInputError', message: expect.stringContaining(other) }),
    );
  });

  it('refuses a missing event with the input shape to use', () => {
    expect(() => requestedVersion(undefined, ARN)).toThrow(/\{"event": \{\.\.\.\}, "attempt": 1\}/);
  });
});

describe('statusError', () => {
  const ctx = { verb: 'get', what: 'Secret ns/app', identity: 'arn:aws:iam::1:role/sync' };
  const body = (code: number, reason: string, message = 'm', extra = {}) =>
    JSON.stringify({ kind: 'Status', code, reason, message, ...extra });
  it.each([
    [401, 'Unauthorized', 'UnauthorizedError'],
    [403, 'Forbidden', 'PermissionDeniedError'],
    [404, 'NotFound', 'NotFoundError'],
    [409, 'Conflict', 'ConflictError'],
    [422, 'Invalid', 'InvalidInputError'],
    [429, 'TooManyRequests', 'TransientError'],
    [500, 'InternalError', 'TransientError'],
    [503, 'ServiceUnavailable', 'TransientError'],
    [400, 'BadRequest', 'InvalidInputError'],
  ])('maps %i %s to %s', (code, reason, name) => {
    expect(statusError(code, body(code, reason), '3', ctx).name).toBe(name);
  });

  it("names identity, verb and Secret on 403, rebuilding RBAC's denial from its identifiers", () => {
    const e = statusError(
      403,
      body(403, 'Forbidden', 'secrets "app" is forbidden: User "u" cannot get resource "secrets"'),
      undefined,
      ctx,
    );
    expect(e.message).toBe(
      'arn:aws:iam::1:role/sync may not get Secret ns/app: ' +
        'secrets "app" is forbidden: User "u" cannot get resource "secrets"',
    );
  });

  it('keeps the API group and namespace of a real RBAC denial, and nothing after them', () => {
    const message =
      'secrets "app" is forbidden: User "arn:aws:sts::1:assumed-role/r/s" cannot patch resource "secrets" in API ' +
      'group "" ' +
      'in the namespace "ns": RBAC: CANARY-FOREIGN-TEXT-0001';
    const e = statusError(403, body(403, 'Forbidden', message), undefined, ctx);
    expect(e.message).toMatch(/cannot patch resource "secrets" in API group "" in the namespace "ns"$/);
    expect(e.message).not.toContain('CANARY');
  });

  it.each([
    ['an admission webhook', 'admission webhook "x.example.com" denied the request: CANARY-FOREIGN-TEXT-0002'],
    [
      'a ValidatingAdmissionPolicy',
      'deployments.apps "api" is forbidden: ValidatingAdmissionPolicy \'p\' denied request: CANARY-FOREIGN-TEXT-0003',
    ],
    ['text shaped almost like RBAC', 'secrets "app" is forbidden CANARY-FOREIGN-TEXT-0004'],
  ])('copies nothing of a 403 from %s: the code and reason, and where it came from', (_what, message) => {
    const e = statusError(403, body(403, 'Forbidden', message), undefined, ctx);
    expect(e.name).toBe('PermissionDeniedError');
    expect(e.message).toContain('403 Forbidden, refused by admission control or another authorizer');
    expect(e.message).not.toContain('CANARY');
  });

  it('names the missing object of a 404 from the Status details, not its message', () => {
    const details = { details: { kind: 'namespaces', name: 'gone' } };
    const e = statusError(
      404,
      body(404, 'NotFound', 'namespaces "gone" not found CANARY-FOREIGN-TEXT-0005', details),
      undefined,
      ctx,
    );
    expect(e.message).toBe('cannot get Secret ns/app: namespaces "gone" not found');
    const grouped = { details: { kind: 'deployments', group: 'apps', name: 'api' } };
    const workload = statusError(404, body(404, 'NotFound', 'CANARY-FOREIGN-TEXT-0007', grouped), undefined, ctx);
    expect(workload.message).toBe('cannot get Secret ns/app: deployments.apps "api" not found');
    const bare = statusError(404, body(404, 'NotFound', 'CANARY-FOREIGN-TEXT-0006'), undefined, ctx);
    expect(bare.message).toBe('cannot get Secret ns/app: 404 NotFound');
  });

  it("keeps only field paths of a 422, never the causes' messages", () => {
    const e = statusError(
      422,
      body(422, 'Invalid', 'Secret "app" is invalid: data[x]: Invalid value: "SECRET"', {
        details: { causes: [{ field: 'data[bad key]', message: 'Invalid value: "SECRET"' }] },
      }),
      undefined,
      ctx,
    );
    expect(e.message).toContain('data[bad key]');
    expect(e.message).not.toContain('SECRET');
  });

  it('survives a body that is not a Status', () => {
    expect(statusError(502, '<html>bad gateway</html>', undefined, ctx).name).toBe('TransientError');
  });
});

describe('awsError', () => {
  const err = (name: string, status?: number, message = 'msg') =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  it.each([
    ['ResourceNotFoundException', 400, 'NotFoundError'],
    ['AccessDeniedException', 400, 'PermissionDeniedError'],
    ['ThrottlingException', 400, 'TransientError'],
    ['InternalServiceError', 500, 'TransientError'],
    ['KMSInternalException', 500, 'TransientError'],
    ['InvalidCiphertextException', 400, 'InvalidInputError'],
    ['TimeoutError', undefined, 'TransientError'],
  ])('maps %s (%s) to %s', (name, status, want) => {
    expect(awsError(err(name, status), 'secretsmanager:GetSecretValue on x').name).toBe(want);
  });

  it('says how to recover a secret scheduled for deletion', () => {
    const e = awsError(
      err(
        'InvalidRequestException',
        400,
        "You can't perform this operation on the secret because it was marked for deletion.",
      ),
      'a',
    );
    expect(e.name).toBe('NotFoundError');
    expect(e.message).toContain('RestoreSecret');
  });
});
