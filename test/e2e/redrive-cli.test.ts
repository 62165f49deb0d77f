// `eks-secret-sync redrive` as a child process against moto, with real DLQ
// messages from failed runs of the pipeline on the test bed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/eks-secret-sync.ts';
import { TestMapping, type LocalMapping } from '../support/pipeline.ts';
import { RedriveBed } from '../support/redrive.ts';

const CLI = fileURLToPath(new URL('../../bin/eks-secret-sync.ts', import.meta.url));
const CANARY = 'CANARY-redrive-cli-do-not-print';
const OTHER = 'other-map';
const OTHER_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:other-map-never-started';

let m: LocalMapping;
let bed: RedriveBed;
let dir: string;
let mappingsFile: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with the test bed's AWS endpoint and credentials; `env` adds or overrides variables. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const tb = m.details;
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_ENDPOINT_URL: tb.moto.url,
      AWS_REGION: tb.moto.region,
      AWS_ACCESS_KEY_ID: tb.moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: tb.moto.credentials.secretAccessKey,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The command line every test uses: the mappings file and the queues and state machines of the test bed. */
const base = () => [
  'redrive',
  '--mappings',
  mappingsFile,
  '--dlq-url',
  bed.dlqUrl,
  '--parked-url',
  bed.parkedUrl,
  '--state-machine',
  `${m.id}=${bed.stateMachineArn}`,
  '--state-machine',
  `${OTHER}=${OTHER_MACHINE}`,
];

/** A SendToDlq message of the other mapping, over the attempt limit. */
async function sendOtherFailure(attempt = 3): Promise<void> {
  const tb = m.details;
  const sqs = new SQSClient({ region: tb.moto.region, endpoint: tb.moto.url, credentials: tb.moto.credentials });
  const body = {
    mappingId: OTHER,
    failedStep: 'ApplySecret',
    error: 'InvalidInputError',
    cause: '{"errorType":"InvalidInputError","errorMessage":"422 Invalid\\nmore","trace":["at secret"]}',
    event: { source: 'test' },
    executionId: `exec-other-${attempt}`,
    attempt,
  };
  await sqs.send(new SendMessageCommand({ QueueUrl: bed.dlqUrl, MessageBody: JSON.stringify(body) }));
  sqs.destroy();
}

const dlqBodies = async () =>
  (await bed.peek(bed.dlqUrl)).map((x) => JSON.parse(x.body) as { mappingId: string; attempt: number });

beforeAll(async () => {
  m = await TestMapping.create({ id: 'redrive-cli', secretString: JSON.stringify({ password: CANARY }), noRbac: true });
  bed = await RedriveBed.create(m, { maxAttempts: 3 });
  dir = mkdtempSync(join(tmpdir(), 'redrive-cli-'));
  mappingsFile = join(dir, 'mappings.yaml');
  writeFileSync(
    mappingsFile,
    [
      'stack:',
      '  name: RedriveCliTest',
      '  redriveMaxAttempts: 3',
      'mappings:',
      ...[m.id, OTHER].flatMap((id) => [
        `  - id: ${id}`,
        `    secretArn: ${m.secretArn}`,
        `    cluster: { name: ${m.details.cluster.name} }`,
        `    namespace: ${id === m.id ? m.namespace : 'elsewhere'}`,
        `    secretName: ${m.secretName}`,
      ]),
      '',
    ].join('\n'),
  );
  // A real failure: the Role is missing, so ReadSecret is denied (attempt 1), and one of the other mapping (attempt 3).
  expect(
    (await m.run(m.labelEvent(await m.putSecret({ secretString: JSON.stringify({ password: `${CANARY}-2` }) }))))
      .status,
  ).toBe('FAILED');
  await sendOtherFailure();
}, 120_000);

afterAll(async () => {
  await Promise.all([m?.close(), bed?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('eks-secret-sync redrive', () => {
  it('--dry-run --json shows what would happen and leaves the queues as they were', async () => {
    const run = await cli([...base(), '--dry-run', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      dryRun: true,
      dlqUrl: bed.dlqUrl,
      maxAttempts: 3,
      summary: { redriven: 1, parked: 1, duplicates: 0, skipped: 0, failed: 0 },
    });
    const byMapping = Object.fromEntries(out.messages.map((x: { mappingId: string }) => [x.mappingId, x]));
    expect(byMapping[m.id]).toMatchObject({
      outcome: 'would-redrive',
      failedAttempt: 1,
      attempt: 2,
      failedStep: 'ReadSecret',
      error: 'PermissionDeniedError',
    });
    expect(byMapping[OTHER]).toMatchObject({
      outcome: 'would-park',
      failedAttempt: 3,
      reason: expect.stringMatching(/^max-attempts: attempt 3 of 3/),
      cause: '422 Invalid',
    });
    // Unchanged: both messages visible again at once, nothing started, nothing parked.
    expect((await dlqBodies()).map((b) => b.mappingId).sort()).toStrictEqual([OTHER, m.id].sort());
    expect(await bed.executions()).toHaveLength(0);
    expect(await bed.depth(bed.parkedUrl)).toBe(0);
  });

  it('finds the queues and state machines in the stack outputs when no option names them', async () => {
    const tb = m.details;
    const cfn = new CloudFormationClient({
      region: tb.moto.region,
      endpoint: tb.moto.url,
      credentials: tb.moto.credentials,
    });
    const outputs = {
      DeadLetterQueueUrl: bed.dlqUrl,
      ParkedQueueUrl: bed.parkedUrl,
      StateMachines: JSON.stringify({ [m.id]: bed.stateMachineArn, [OTHER]: OTHER_MACHINE }),
    };
    const template = {
      Resources: { Placeholder: { Type: 'AWS::SQS::Queue' } },
      Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
    };
    await cfn.send(new CreateStackCommand({ StackName: 'RedriveCliTest', TemplateBody: JSON.stringify(template) }));
    expect(
      (await cfn.send(new DescribeStacksCommand({ StackName: 'RedriveCliTest' }))).Stacks?.[0]?.Outputs,
    ).toHaveLength(3);
    cfn.destroy();

    const run = await cli(['redrive', '--mappings', mappingsFile, '--dry-run', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      dlqUrl: bed.dlqUrl,
      parkedQueueUrl: bed.parkedUrl,
      summary: { redriven: 1, parked: 1, duplicates: 0, skipped: 0, failed: 0 },
    });
  });

  it('exits 1 and keeps the message when StartExecution fails', async () => {
    const run = await cli([...base(), '--mapping', m.id, '--json'], {
      AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.summary).toStrictEqual({ redriven: 0, parked: 0, duplicates: 0, skipped: 1, failed: 1 });
    expect(out.messages.find((x: { outcome: string }) => x.outcome === 'failed')).toMatchObject({
      mappingId: m.id,
      reason: expect.any(String),
    });
    expect((await dlqBodies()).map((b) => b.mappingId).sort()).toStrictEqual([OTHER, m.id].sort());
    expect(await bed.executions()).toHaveLength(0);
  });

  it('--mapping starts the same execution the redrive-sync function would, deletes only that message, and skips the others', async () => {
    const run = await cli([...base(), '--mapping', m.id, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).summary).toStrictEqual({
      redriven: 1,
      parked: 0,
      duplicates: 0,
      skipped: 1,
      failed: 0,
    });
    expect((await dlqBodies()).map((b) => b.mappingId)).toStrictEqual([OTHER]);

    const [started, ...more] = await bed.executions();
    expect(more).toHaveLength(0);
    expect(started!.name).toMatch(/^redrive-2-[0-9a-f]{32}$/);
    expect(started!.input).toMatchObject({
      attempt: 2,
      event: {
        source: 'eks-secret-sync',
        'detail-type': 'Redrive',
        detail: { failedStep: 'ReadSecret', failedAttempt: 1, original: { source: 'aws.secretsmanager' } },
      },
    });
    // Still no Role: the rerun fails again and comes back as attempt 2.
    expect((await m.run(started!.input.event, started!.input.attempt)).status).toBe('FAILED');
    expect((await dlqBodies()).map((b) => [b.mappingId, b.attempt]).sort()).toStrictEqual(
      [
        [OTHER, 3],
        [m.id, 2],
      ].sort(),
    );
  });

  it('prints a table and a summary, parks what reached the attempt limit, and never prints a value or a trace', async () => {
    const run = await cli(base());
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(''); // no progress line: stderr is not a terminal
    expect(run.stdout).toContain(`Redrive of ${bed.dlqUrl} (at most 3 attempts per sync)`);
    expect(run.stdout).toMatch(
      new RegExp(
        // A target's failure shows the target after the mapping: it is redriven alone.
        `${m.id} ${m.details.cluster.name}/${m.namespace}/${m.secretName}\\s+2\\s+` +
          'ReadSecret\\s+redriven as attempt 3\\s+' +
          // Piped: the cause as the DLQ message holds it (its first line, at most 200 characters), not cut to the
          // 90 characters of a terminal's column.
          `PermissionDeniedError: arn:aws:iam::123456789012:role/[^\\n]{150,}\\n`,
      ),
    );
    expect(run.stdout).toMatch(
      new RegExp(`${OTHER}\\s+3\\s+ApplySecret\\s+parked \\(max-attempts\\)\\s+InvalidInputError: 422 Invalid\\n`),
    );
    expect(run.stdout).toContain('Summary: 1 redriven, 1 parked, 0 duplicates deleted, 0 skipped, 0 failed\n');
    expect(run.stdout).not.toContain('\x1b[');
    expect(run.stdout).not.toContain(CANARY);
    expect(run.stdout).not.toContain('trace');

    const parked = await bed.peek(bed.parkedUrl);
    expect(parked.map((p) => p.attributes)).toMatchObject([{ reason: 'max-attempts', mappingId: OTHER, attempt: '3' }]);
    expect(await bed.depth(bed.dlqUrl)).toBe(0);
    expect((await bed.executions()).map((e) => e.input.attempt)).toStrictEqual([2, 3]);
  });

  it('reports an empty dead-letter queue and exits 0', async () => {
    const run = await cli(base());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The dead-letter queue has no messages.');
    expect(run.stdout).toContain('Summary: 0 redriven, 0 parked, 0 duplicates deleted, 0 skipped, 0 failed');
  });

  it('shows progress on stderr only when stderr is a terminal, and clears it before the summary', async () => {
    await sendOtherFailure();
    const tb = m.details;
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: tb.moto.url,
      AWS_ACCESS_KEY_ID: tb.moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: tb.moto.credentials.secretAccessKey,
    });
    let stdout = '';
    let stderr = '';
    try {
      const code = await main(base(), {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        env: {},
        isTTY: { stdout: false, stderr: true },
      });
      expect(code).toBe(0);
    } finally {
      process.env = saved;
    }
    expect(stderr).toContain(`redriving message 1 (${OTHER})`);
    expect(stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(stdout).toContain('Summary: 0 redriven, 1 parked, 0 duplicates deleted, 0 skipped, 0 failed');
    expect(stdout).not.toContain('\r');
  });

  it.each([
    [['--max', '0'], '--max "0" is not a whole number >= 1'],
    [['--mapping', 'nope'], 'no mapping "nope"'],
    [['--state-machine', 'x'], '--state-machine "x" is not ID=ARN'],
  ])('exits 2 on a usage error (%j)', async (extra, message) => {
    const run = await cli([...base(), ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });
  it('asks only for the state machines its messages need, and a message of a mapping without one fails and stays', async () => {
    // The file has two mappings; the queue holds a failure of one: its state machine alone is enough.
    const failed = await m.run(m.labelEvent(await m.putSecret({ secretString: JSON.stringify({ password: 'x' }) })));
    expect(failed.status).toBe('FAILED');
    const machines = ['--state-machine', `${m.id}=${bed.stateMachineArn}`];
    const queues = ['--dlq-url', bed.dlqUrl, '--parked-url', bed.parkedUrl];
    const started = await bed.executions();

    const one = await cli(['redrive', '--mappings', mappingsFile, ...queues, ...machines]);

    expect(one.code, one.stdout + one.stderr).toBe(0);
    expect(one.stdout).toContain('Summary: 1 redriven, 0 parked, 0 duplicates deleted, 0 skipped, 0 failed\n');
    expect(await bed.executions()).toHaveLength(started.length + 1);

    // A message of the other mapping, which would start: without its state machine it fails (exit 1) and stays.
    await sendOtherFailure(1);
    const other = await cli(['redrive', '--mappings', mappingsFile, ...queues, ...machines, '--json']);

    expect(other.code, other.stderr).toBe(1);
    expect(JSON.parse(other.stdout).messages).toMatchObject([
      {
        mappingId: OTHER,
        outcome: 'failed',
        reason:
          `no state machine for mapping ${OTHER}: pass --state-machine ${OTHER}=ARN, or deploy the stack that ` +
          'holds it',
      },
    ]);
    expect((await dlqBodies()).map((b) => b.mappingId)).toStrictEqual([OTHER]);
    // Out of attempts, the same mapping's message is parked without a state machine.
    const sqs = new SQSClient({
      region: m.details.moto.region,
      endpoint: m.details.moto.url,
      credentials: m.details.moto.credentials,
    });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: bed.dlqUrl }));
    sqs.destroy();
    await sendOtherFailure();
    const parked = await cli(['redrive', '--mappings', mappingsFile, ...queues, ...machines]);
    expect(parked.code, parked.stdout + parked.stderr).toBe(0);
    expect(parked.stdout).toContain('Summary: 0 redriven, 1 parked, 0 duplicates deleted, 0 skipped, 0 failed\n');
  });
});
