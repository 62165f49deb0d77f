// The CLI's in-process pipeline (bin/lib/pipeline.ts) with in-memory ports, no test bed: what it records of a
// target's run for `plan` and `sync`'s plan view. The Secret the key table shows as NOW is the one ReadSecret read
// (the plan was made from it), not whatever a later GET of the run found: it once was the last GET's, and a
// read-back after the write put the written Secret in the NOW column.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mask } from '../../bin/lib/keys.ts';
import { recordTarget, runSettings, type PipelineRun, type Step } from '../../bin/lib/pipeline.ts';
import { rowsOf } from '../../bin/lib/plan-view.ts';
import type { KubeSecret, SecretStore } from '../../functions/domain/ports.ts';
import { PermissionDeniedError } from '../../functions/domain/errors.ts';
import { STEP_STATE } from '../../functions/domain/sync-steps.ts';
import { fetchSecret } from '../../functions/steps/fetch.ts';
import type { TargetPorts } from '../../functions/steps/orchestration.ts';
import { openData } from '../../functions/steps/sealed.ts';
import { parseMappings } from '../../infra/model/config.ts';
import {
  b64,
  canaryValue,
  CountingSigner,
  expectNoValue,
  fixedClock,
  MemoryCluster,
  MemorySecretSource,
  testSealer,
} from '../support/ports.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/db-AbCdEf';
const REVEAL = { lengths: true, hashes: true } as const;
/** The values of one file's runs: AWS's, the Secret's as ReadSecret reads it, and another writer's. */
const AWS = canaryValue();
const READ = canaryValue();
const OTHER = canaryValue();
const traces: string[] = [];

/** The mapping `db` (one target, cluster `prod`), `adopt` as given. */
function mappingOf(adopt: boolean) {
  const file = {
    mappings: [{ id: 'db', secretArn: ARN, cluster: { name: 'prod' }, namespace: 'shop', secretName: 'db', adopt }],
  };
  const m = parseMappings(JSON.stringify(file), 'mappings.yaml').mappings[0]!;
  return { m, target: m.targets[0]! };
}

/** The Secret External Secrets Operator wrote (its owner and field manager), holding `password`. */
function esoSecret(password: string, resourceVersion: string): KubeSecret {
  return {
    metadata: {
      resourceVersion,
      ownerReferences: [
        { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'db', uid: 'u', controller: true },
      ],
      managedFields: [{ manager: 'external-secrets', fieldsV1: { 'f:data': { 'f:password': {} } } }],
    },
    type: 'Opaque',
    data: { password: b64(password) },
  };
}

/**
 * Runs the target of mapping `db` through {@link recordTarget} with the in-memory `secrets`, AWS holding
 * `{password: AWS}`, as `sync` does (write on): the run, and its trace lines (also kept in {@link traces}).
 */
async function runWith(adopt: boolean, secrets: TargetPorts['secrets']) {
  const { m, target } = mappingOf(adopt);
  const sealer = testSealer();
  const source = new MemorySecretSource().put('v1', JSON.stringify({ password: AWS }));
  const input = { event: { source: 'eks-secret-sync', 'detail-type': 'CLI sync', detail: {} }, attempt: 1 };
  const fetched = await fetchSecret(
    { source, sealer, clock: fixedClock() },
    { mappingId: m.id, secretArn: ARN, type: m.type },
    input,
  );
  const run: PipelineRun = {
    trace: [],
    source: fetched.source,
    desired: await openData(sealer, m.id, fetched.sealedData),
    // What each step's signer sets in the CLI (the server and CA it resolved).
    target: { server: 'https://memory.invalid', caPem: '', identity: 'test', source: 'memory', expiresAt: 'soon' },
  };
  const ports: TargetPorts = {
    sealer,
    signer: new CountingSigner(),
    secrets,
    workloads: () => {
      throw new Error('no workload is restarted in these runs');
    },
    clock: fixedClock(),
    sleep: async () => {},
    randomBytes,
  };
  const trace: string[] = [];
  const step: Step = async (state, fn, outcome) => {
    const out = await fn();
    trace.push(`${state} ${outcome(out)}`);
    return out;
  };
  const failure = await recordTarget(ports, runSettings(m, target, true), fetched, target, run, step).then(
    () => undefined,
    (e: Error) => e,
  );
  traces.push(...trace);
  return { run, trace, failure };
}

/** The NOW column of the plan view's `password` row. */
const nowOf = (run: PipelineRun) => rowsOf(run, REVEAL).find((r) => r.key === 'password')?.now;

describe("the CLI pipeline's plan view", () => {
  it("shows ReadSecret's read as NOW when a later GET of the run finds another Secret", async () => {
    // The adopting write GETs the Secret again (its managedFields). This fake answers that GET with a Secret
    // another writer changed since the read and, unlike the apiserver, takes the conditional write anyway: the
    // run has a later GET that differs from ReadSecret's read, which is all this checks.
    const reads = [esoSecret(READ, '5'), esoSecret(OTHER, '6')];
    const gets: string[] = [];
    const store: SecretStore = {
      get: async () => {
        gets.push('get');
        return structuredClone(reads.length > 1 ? reads.shift()! : reads[0]!);
      },
      apply: async (manifest) => ({ ...manifest, metadata: { ...manifest.metadata, resourceVersion: '8' } }),
      mergePatch: async () => ({ metadata: { resourceVersion: '7' } }),
      delete: async () => {},
    };

    const { run, failure } = await runWith(true, () => store);

    expect(failure).toBeUndefined();
    // The premise: ReadSecret's GET and the adopting write's, which differ.
    expect(gets).toHaveLength(2);
    expect(run.plan?.adopt?.takeKeys).toStrictEqual(['password']);
    expect(run.applied).toStrictEqual({ action: 'update', resourceVersion: '8' });
    expect(run.existing?.resourceVersion).toBe('5');
    expect(nowOf(run)).toStrictEqual(mask(b64(READ), REVEAL));
    expect(nowOf(run)).not.toStrictEqual(mask(b64(OTHER), REVEAL));
  });

  it("shows the last ReadSecret's read after a conflict sent the run back to the read", async () => {
    const cluster = new MemoryCluster();
    cluster.setSecret({ type: 'Opaque', data: { password: b64(READ) } });
    // Another writer changes the Secret just before the first write: 409, read again, write.
    let raced = false;
    cluster.beforeWrite = () => {
      if (raced) return;
      raced = true;
      cluster.setSecret({ type: 'Opaque', data: { password: b64(OTHER) } });
    };

    const { run, trace, failure } = await runWith(false, cluster.connect);

    expect(failure).toBeUndefined();
    expect(trace.filter((t) => t.startsWith(`${STEP_STATE['read-secret']} `))).toHaveLength(2);
    expect(run.applied?.action).toBe('update');
    expect(nowOf(run)).toStrictEqual(mask(b64(OTHER), REVEAL));
  });

  it("shows the plan on ReadSecret's line (the step reads and plans), kept when the write then fails", async () => {
    const cluster = new MemoryCluster();
    cluster.setSecret({ type: 'Opaque', data: { password: b64(READ) } });
    const denied = (token: string): SecretStore => ({
      ...cluster.connect(token),
      apply: async () => {
        throw new PermissionDeniedError('the test denies the write');
      },
      mergePatch: async () => {
        throw new PermissionDeniedError('the test denies the write');
      },
    });

    const { run, trace, failure } = await runWith(false, denied);

    expect(failure?.name).toBe('PermissionDeniedError');
    expect(trace).toStrictEqual([
      expect.stringMatching(/^ReadSecret exists at resourceVersion \S+, plan: update; updated \[password\]$/),
    ]);
    expect(run.plan?.action).toBe('update');
    expect(run.plan?.updated).toStrictEqual(['password']);
    expect(rowsOf(run, REVEAL).map((r) => [r.key, r.change])).toStrictEqual([['password', 'updated']]);
  });

  it('prints no value in its trace lines (leak check)', () => {
    expect(traces.length).toBeGreaterThan(0);
    expectNoValue(traces.join('\n'), [AWS, READ, OTHER]);
  });
});
