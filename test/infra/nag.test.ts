import { rulePrefix } from '../../infra/model/resource-names.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { SYNC_CONSTRUCT_ID } from '../../infra/constructs/stack.ts';
import { EXAMPLE_FILE } from '../support/infra.ts';

interface Report {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** Every finding of a validation report as `<construct path> <rule>`. */
function findings(dir: string): string[] {
  const file = join(dir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  return report.pluginReports
    .flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${c.constructPath} ${v.ruleName}`)))
    .sort();
}

type SyncStack = ReturnType<typeof createApp>['stack'];

/** Synthesizes into a fresh directory; returns the stack, the directory and what synth threw, if anything. */
function synthInto(build: (stack: SyncStack) => void = () => {}): { stack: SyncStack; dir: string; error?: Error } {
  const dir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-nag-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const { app, stack } = createApp(loadMappings(EXAMPLE_FILE), { outdir: dir, stackTraces: false });
  build(stack);
  try {
    app.synth();
    return { stack, dir };
  } catch (e) {
    return { stack, dir, error: e as Error };
  }
}

const IAM4_PROVIDER =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

/** The stack's EksSecretSync construct, which holds everything but CDK's custom resource provider. */
const SYNC = `EksSecretSync/${SYNC_CONSTRUCT_ID}`;

/** Every acknowledgment in the app, and the finding each one answers. */
const ACKNOWLEDGED = [
  [
    'EksSecretSync/AWS679f53fac002430cb0da5b7982bd2287',
    IAM4_PROVIDER,
    'EksSecretSync/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource',
  ],
  [`${SYNC}/Redrive/Parked`, 'AwsSolutions-SQS3', `${SYNC}/Redrive/Parked/Resource`],
  // The redrive consumer may start the app's state machines of every stack, by the app's name prefix.
  [
    `${SYNC}/Redrive/RedriveSync/Role`,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:us-east-1:<AWS::AccountId>:stateMachine:${rulePrefix(
      'EksSecretSync',
    )}*]`,
    `${SYNC}/Redrive/RedriveSync/Role/DefaultPolicy/Resource`,
  ],
  // The lost-event sweep: the same prefix; ListSecrets authorizes on * only; the ledger has nothing to recover.
  [
    `${SYNC}/Sweep/SweepSecrets/Role`,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:us-east-1:<AWS::AccountId>:stateMachine:${rulePrefix(
      'EksSecretSync',
    )}*]`,
    `${SYNC}/Sweep/SweepSecrets/Role/DefaultPolicy/Resource`,
  ],
  [
    `${SYNC}/Sweep/SweepSecrets/Role`,
    'AwsSolutions-IAM5[Resource::*]',
    `${SYNC}/Sweep/SweepSecrets/Role/DefaultPolicy/Resource`,
  ],
  [`${SYNC}/Sweep/Ledger`, 'AwsSolutions-DDB3', `${SYNC}/Sweep/Ledger/Resource`],
  ...['app-config', 'web-tls'].map((id) => [
    `${SYNC}/Mapping-${id}/StateMachine/Role/DefaultPolicy`,
    'AwsSolutions-IAM5[Resource::*]',
    `${SYNC}/Mapping-${id}/StateMachine/Role/DefaultPolicy/Resource`,
  ]),
] as const;

function acknowledgments(stack: SyncStack): { path: string; id: string; reason: string }[] {
  return stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((m) => [c.node.path, m.data] as const),
    )
    .flatMap(([path, data]) =>
      Object.entries(data as Record<string, string>).map(([id, reason]) => ({
        path,
        id: id.replace(/^Annotation::/, ''),
        reason,
      })),
    );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cdk-nag AwsSolutionsChecks', () => {
  let clean: ReturnType<typeof synthInto>;

  beforeAll(() => {
    clean = synthInto();
  }, 120_000);

  // Every other synth of the infra tests (e.g. with the alarm topic) also fails on any unacknowledged finding.
  it('finds nothing unacknowledged in the example app (synth succeeds with an empty report)', () => {
    expect(clean.error).toBeUndefined();
    expect(findings(clean.dir)).toStrictEqual([]);
  });

  it('is active: a queue without SSL enforcement or DLQ fails the synth', () => {
    const { dir, error } = synthInto((stack) => new Queue(stack, 'Careless'));
    expect(error?.message).toContain('A copy of this report can be found in');
    expect(findings(dir)).toStrictEqual([
      'EksSecretSync/Careless/Resource AwsSolutions-SQS3',
      'EksSecretSync/Careless/Resource AwsSolutions-SQS4',
    ]);
  });

  it('acknowledges exactly the expected findings, each with a specific reason', () => {
    const acks = acknowledgments(clean.stack);
    expect(acks.map(({ path, id }) => [path, id]).sort()).toStrictEqual(
      ACKNOWLEDGED.map(([path, id]) => [path, id]).sort(),
    );
    for (const { reason } of acks) expect(reason.length).toBeGreaterThan(80);
  });

  it('would report each acknowledged finding without its acknowledgment (none is stale)', () => {
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {});
    const { dir, error } = synthInto();
    expect(error?.message).toContain('A copy of this report can be found in');
    expect(findings(dir)).toStrictEqual(ACKNOWLEDGED.map(([, id, resource]) => `${resource} ${id}`).sort());
  });
}, 120_000);
