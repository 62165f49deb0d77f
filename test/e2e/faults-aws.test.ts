// The fault matrix, AWS side: Secrets Manager and KMS failures at each step
// that calls them, with the outcome written down and asserted on the real
// apiserver. Each step's AWS endpoint carries its own tag through the moto
// proxy, so a KMS fault can be aimed at one step. ResourceNotFound and a
// secret scheduled for deletion are caused for real in moto; what moto does
// not enforce (IAM, key state, throttling) is injected in AWS's own format.
import { DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import type { ErrorName } from '../../functions/domain/errors.ts';
import { awsJsonError, type Fault } from '../../testbed/fault-proxy.ts';
import type { StepName } from '../../testbed/local-pipeline.ts';
import { attempts, mappingVia, runCell, TAG, useFaultMatrix } from '../support/fault-matrix.ts';
import { expectNoSecretMaterial } from '../support/canary.ts';

const CANARY = 'CANARY-91c7af-aws-faults';
const bed = useFaultMatrix(CANARY);

const SESSION = 'arn:aws:sts::123456789012:assumed-role/eks-secret-sync-testbed-sync/testbed';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const denied = (action: string, resource: string) =>
  awsJsonError(
    'AccessDeniedException',
    `User: ${SESSION} is not authorized to perform: ${action} on resource: ${resource} because no identity-based ` +
      `policy allows the ${action} action`,
  );

/** AWS's answers, as the JSON protocol carries them. */
const F = {
  throttled: awsJsonError('ThrottlingException', 'Rate exceeded'),
  kmsInternal: awsJsonError('KMSInternalException', 'An internal error occurred.', 500),
  keyUnavailable: awsJsonError('KeyUnavailableException', `${KEY} is unavailable.`, 500),
  dependencyTimeout: awsJsonError(
    'DependencyTimeoutException',
    'The system timed out while trying to fulfill the request.',
    503,
  ),
  disabled: awsJsonError('DisabledException', `${KEY} is disabled.`),
  pendingDeletion: awsJsonError('KMSInvalidStateException', `${KEY} is pending deletion.`),
  smDenied: denied('secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/config'),
  kmsDenied: (action: string) => denied(action, KEY),
  markedForDeletion: awsJsonError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  ),
  reset: { kind: 'reset' } as Fault,
};

const GET_SECRET = 'secretsmanager.GetSecretValue';
const GENERATE = 'TrentService.GenerateDataKey';
const DECRYPT = 'TrentService.Decrypt';

interface Cell {
  readonly step: StepName;
  readonly fault: string;
  /** The X-Amz-Target the fault is aimed at, from this step's client only. */
  readonly target: string;
  readonly rule: Fault;
  readonly times: number;
  /** Undefined: synced; else the error of the one DLQ message and its cause. */
  readonly error?: ErrorName;
  readonly cause?: RegExp;
  /**
   * Requests the rule saw: the SDK retries transient errors itself (3 attempts
   * per call). A range where two parallel calls race: the step fails as soon as
   * one call gives up, while the other may still be retrying.
   */
  readonly matched: number | readonly [number, number];
  /**
   * Times the step ran (the ASL retries TransientError: 5 attempts). A range
   * where the client's retry quota decides: like the SDK's, the KMS adapter's
   * StandardRetryStrategy stops retrying inside the call once a warm client's
   * retry capacity (500, 10 per transient retry) is spent by earlier failures,
   * so the same faults then cost more runs of the step and fewer requests each.
   */
  readonly runs: number | readonly [number, number];
}

const cell = (
  step: StepName,
  fault: string,
  target: string,
  rule: Fault,
  times: number,
  matched: Cell['matched'],
  runs: Cell['runs'],
  error?: ErrorName,
  cause?: RegExp,
): Cell => ({ step, fault, target, rule, times, matched, runs, error, cause });

const CELLS: Cell[] = [
  // FetchSecret: Secrets Manager
  cell('FetchSecret', 'SM ThrottlingException', GET_SECRET, F.throttled, 2, 3, 1),
  cell(
    'FetchSecret',
    'SM ThrottlingException',
    GET_SECRET,
    F.throttled,
    Infinity,
    15,
    5,
    'TransientError',
    /secretsmanager:GetSecretValue on .* failed: ThrottlingException: Rate exceeded/,
  ),
  cell('FetchSecret', 'SM connection reset', GET_SECRET, F.reset, 2, 3, 1),
  cell(
    'FetchSecret',
    'SM AccessDeniedException',
    GET_SECRET,
    F.smDenied,
    Infinity,
    1,
    1,
    'PermissionDeniedError',
    /secretsmanager:GetSecretValue on .* was denied: AccessDeniedException: User: .* is not authorized/,
  ),
  cell(
    'FetchSecret',
    'SM marked for deletion (AWS wording)',
    GET_SECRET,
    F.markedForDeletion,
    Infinity,
    1,
    1,
    'NotFoundError',
    /scheduled for deletion .*restore it with RestoreSecret/,
  ),
  // FetchSecret: KMS seals the data
  cell(
    'FetchSecret',
    'KMS KMSInternalException',
    GENERATE,
    F.kmsInternal,
    Infinity,
    15,
    5,
    'TransientError',
    /kms:GenerateDataKey on .* failed: KMSInternalException/,
  ),
  cell(
    'FetchSecret',
    'KMS DisabledException',
    GENERATE,
    F.disabled,
    Infinity,
    1,
    1,
    'InvalidInputError',
    /kms:GenerateDataKey on .* failed: DisabledException: .* is disabled/,
  ),
  cell(
    'FetchSecret',
    'KMS AccessDeniedException',
    GENERATE,
    F.kmsDenied('kms:GenerateDataKey'),
    Infinity,
    1,
    1,
    'PermissionDeniedError',
    /kms:GenerateDataKey on .* was denied/,
  ),
  // No MintToken: each Kubernetes step signs its own token locally (SigV4), no KMS or STS call to fault.
];

// ReadSecret and ApplySecret open one envelope (the data; no token travels): one Decrypt call per run, whose
// own attempts (three) outlast two throttles.
for (const step of ['ReadSecret', 'ApplySecret'] as const) {
  CELLS.push(
    cell(step, 'KMS ThrottlingException', DECRYPT, F.throttled, 2, 3, 1),
    cell(
      step,
      'KMS DisabledException',
      DECRYPT,
      F.disabled,
      Infinity,
      1,
      1,
      'InvalidInputError',
      /kms:Decrypt on .* failed: DisabledException/,
    ),
    cell(
      step,
      'KMS AccessDeniedException',
      DECRYPT,
      F.kmsDenied('kms:Decrypt'),
      Infinity,
      1,
      1,
      'PermissionDeniedError',
      /kms:Decrypt on .* was denied/,
    ),
  );
}

/**
 * The KMS exceptions AWS documents for GenerateDataKey and Decrypt that a key
 * or the service can raise whatever the caller does, at every step that calls
 * KMS: three are transient (the SDK-style retry in the call, then the ASL's
 * Retry), a key pending deletion is permanent.
 */
const KMS_EXCEPTIONS: readonly [string, Fault, ErrorName | undefined][] = [
  ['KMSInternalException', F.kmsInternal, undefined],
  ['KeyUnavailableException', F.keyUnavailable, undefined],
  ['DependencyTimeoutException', F.dependencyTimeout, undefined],
  ['KMSInvalidStateException (key pending deletion)', F.pendingDeletion, 'InvalidInputError'],
];
for (const [step, target, calls] of [
  ['FetchSecret', GENERATE, 1],
  ['ReadSecret', DECRYPT, 1],
  ['ApplySecret', DECRYPT, 1],
] as const) {
  const action = target === GENERATE ? 'kms:GenerateDataKey' : 'kms:Decrypt';
  for (const [name, rule, permanent] of KMS_EXCEPTIONS) {
    const exception = name.split(' ')[0]!;
    if (permanent) {
      CELLS.push(
        cell(
          step,
          `KMS ${name}`,
          target,
          rule,
          Infinity,
          calls,
          1,
          permanent,
          new RegExp(`${action} on .* failed: ${exception}`),
        ),
      );
    } else if (calls === 1) {
      // Three faults outlast the call's own attempts: the step fails as TransientError and a retry by the ASL
      // succeeds (the second run, or a later one once the retry quota is spent). A permanent error class would
      // go to the DLQ instead, so a synced outcome after more than one run proves the class.
      CELLS.push(cell(step, `KMS ${name}`, target, rule, 3, 4, [2, 4]));
    } else {
      // Two parallel calls share the rule: only "always" gives a deterministic outcome.
      const pattern = new RegExp(`${action} on .* failed: ${exception}`);
      CELLS.push(cell(step, `KMS ${name}`, target, rule, Infinity, [10, 30], 5, 'TransientError', pattern));
    }
  }
}

describe('AWS faults: injected in front of moto', () => {
  const rows = CELLS.map((c) => ({
    ...c,
    when: c.times === Infinity ? 'always' : `first ${c.times}`,
    outcome: c.error ? `DLQ ${c.error}` : 'synced',
  }));
  it.each(rows)(
    '$step × $fault ($when) → $outcome',
    async ({ step, target, rule, times, error, cause, matched, runs }) => {
      const outcome = error ? { dlq: error, step, cause: cause! } : ({ synced: true } as const);
      const { run, rules } = await runCell(bed.shared, bed.p, bed.next(), outcome, async () =>
        bed.p.moto.add({ client: TAG[step], target, times, fault: rule }),
      );
      const [fewest, most] = typeof runs === 'number' ? [runs, runs] : runs;
      expect(attempts(run, step)).toBeGreaterThanOrEqual(fewest);
      expect(attempts(run, step)).toBeLessThanOrEqual(most);
      const [min, max] = typeof matched === 'number' ? [matched, matched] : matched;
      expect(rules[0]!.matched).toBeGreaterThanOrEqual(min);
      expect(rules[0]!.matched).toBeLessThanOrEqual(max);
      expect(rules[0]!.faulted).toBe(Math.min(times, rules[0]!.matched));
    },
  );
});

describe('AWS faults: caused for real in moto', () => {
  it('FetchSecret × ResourceNotFoundException (the mapped secret does not exist) → DLQ NotFoundError', async () => {
    const missing = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/deleted-long-ago-AbCdEf';
    const m = await mappingVia(bed.p, { secretString: JSON.stringify(bed.next()), env: { SECRET_ARN: missing } });
    bed.mappings.push(m);
    const { run } = await runCell(
      m,
      bed.p,
      {},
      {
        dlq: 'NotFoundError',
        step: 'FetchSecret',
        cause: /GetSecretValue on .*app\/deleted-long-ago-AbCdEf failed: ResourceNotFoundException/,
      },
      undefined,
      { initial: true },
    );
    expect(attempts(run, 'FetchSecret')).toBe(1);
  });

  it('FetchSecret × InvalidRequestException (scheduled for deletion, moto) → DLQ NotFoundError naming RestoreSecret', async () => {
    const m = await mappingVia(bed.p, { secretString: JSON.stringify(bed.next()) });
    bed.mappings.push(m);
    expect((await m.run({ source: 'setup' })).status).toBe('SUCCEEDED');
    const tb = inject('testbed');
    const sm = new SecretsManagerClient({
      region: tb.moto.region,
      endpoint: tb.moto.url,
      credentials: tb.moto.credentials,
    });
    await sm.send(new DeleteSecretCommand({ SecretId: m.secretArn, RecoveryWindowInDays: 7 }));
    sm.destroy();
    const { run } = await runCell(
      m,
      bed.p,
      {},
      {
        dlq: 'NotFoundError',
        step: 'FetchSecret',
        cause: /scheduled for deletion \(InvalidRequestException: .*\); restore it with RestoreSecret/s,
      },
      undefined,
      { initial: true },
    );
    expect(attempts(run, 'FetchSecret')).toBe(1);
    expect(bed.p.moto.requests.filter((q) => q.target === GET_SECRET).map((q) => q.status)).toEqual([400]);
  });
});

describe('AWS faults', () => {
  it('never let a value or a token reach logs, state, DLQ messages or errors', () => {
    expectNoSecretMaterial(bed.mappings.map((m) => m.captured()).join('\n'), [CANARY], 1000);
  });
});
