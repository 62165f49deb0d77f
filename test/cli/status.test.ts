// `status` as a child process against the test bed: AWSCURRENT (moto) against the
// version annotated on the Secret (apiserver), the DLQ depth (moto SQS), and the
// failed executions in the state machine's log group (moto CloudWatch Logs).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../support/kube.ts';
import { executionLogGroupPrefix, legacyExecutionLogGroupPrefix } from '../../bin/lib/stack.ts';
import { stateMachineName } from '../../infra/model/resource-names.ts';
import { parseSecretArn } from '../../infra/model/secret-arn.ts';
import {
  canary,
  cli,
  itPrintsNoSecret,
  motoConfig,
  motoJson,
  motoQuery,
  seedMapping,
  writeMappings,
  type CliRun,
  type TestMapping,
} from './support.ts';

const CANARY = canary();
const STACK = `CliStatus${Date.now().toString(36)}`;
const runs: CliRun[] = [];
let mapping: TestMapping;
let file: string;
let dlqUrl: string;
/** The same mapping in a stack whose execution log group exists (empty): status can see every part. */
let seenFile: string;

/** Whether an SDK client the CLI loads by name is installed (see bin/lib/aws.ts OPTIONAL_SDK). */
const installed = (pkg: string) => existsSync(join(import.meta.dirname, '../../node_modules', pkg, 'package.json'));

async function status(...args: string[]): Promise<CliRun> {
  return statusOf(file, ...args);
}

async function statusOf(mappingsFile: string, ...args: string[]): Promise<CliRun> {
  const r = await cli(['status', '--mappings', mappingsFile, ...args]);
  runs.push(r);
  return r;
}

beforeAll(async () => {
  mapping = await seedMapping({ value: JSON.stringify({ password: CANARY }) });
  file = writeMappings(STACK, [mapping]);
  seenFile = writeMappings(`${STACK}Seen`, [mapping]);
  const logGroupName = `${executionLogGroupPrefix(`${STACK}Seen`)}stack-uuid-0`;
  await motoJson('logs', 'Logs_20140328.CreateLogGroup', { logGroupName });
  const sqs = new SQSClient(motoConfig());
  dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cli-dlq') }))).QueueUrl!;
  sqs.destroy();
});

describe('status', () => {
  it('says not-synced and exits 3 before the first sync', async () => {
    const r = await status('--dlq-url', dlqUrl);

    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain(`Mapping ${mapping.id}: not-synced: the Secret does not exist yet`);
    expect(r.stdout).toMatch(/AWS {7}AWSCURRENT \S+ created \d{4}-/);
    expect(r.stdout).toContain(`Secret    ${mapping.namespace}/${mapping.secretName}: does not exist`);
    expect(r.stdout).toContain(`Dead-letter queue: 0 waiting, 0 in flight (${dlqUrl}, from --dlq-url)`);
  });

  it('says in-sync with the last sync time and exits 0 after a sync', async () => {
    expect((await cli(['sync', '--mappings', file, '--mapping', mapping.id])).code).toBe(0);

    const r = await statusOf(seenFile, '--dlq-url', dlqUrl);
    const json = await statusOf(seenFile, '--dlq-url', dlqUrl, '--json');

    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Mapping ${mapping.id}: in-sync: the Secret holds AWSCURRENT \\((\\S+)\\)`));
    expect(r.stdout).toMatch(/holds \S+; last sync \d{4}-\d\d-\d\dT\S+Z \(\d+s ago\)/);
    const out = JSON.parse(json.stdout);
    expect(json.code).toBe(0);
    expect(out.mappings[0]).toMatchObject({ id: mapping.id, state: 'in-sync', secret: { exists: true } });
    expect(out.mappings[0].secret.versionId).toBe(out.mappings[0].aws.currentVersionId);
    expect(out.deadLetterQueue).toEqual({
      url: dlqUrl,
      from: '--dlq-url',
      visible: 0,
      inFlight: 0,
      failures: { messages: 0, failures: 0, duplicates: 0, truncated: false, items: [] },
    });
  });

  it('exits 3 when in sync but a part it was asked to check cannot be read (no execution logs, no DLQ)', async () => {
    // A cron check must not stay green on seeing nothing: the same in-sync mapping, without its stack's log group.
    const noLogs = await status('--dlq-url', dlqUrl);
    const noDlq = await statusOf(seenFile);

    expect(noLogs.stdout).toContain(`Mapping ${mapping.id}: in-sync`);
    expect(noLogs.stdout).toMatch(/Failures {2}could not read failed executions: /);
    expect(noLogs.code, noLogs.stdout + noLogs.stderr).toBe(3);
    expect(noDlq.stdout).toMatch(/Dead-letter queue: could not find the dead-letter queue .*; pass --dlq-url/);
    expect(noDlq.code, noDlq.stdout + noDlq.stderr).toBe(3);
  });

  it('says out-of-sync and exits 3 when AWSCURRENT moved on', async () => {
    const sm = new SecretsManagerClient(motoConfig());
    const next = await sm.send(
      new PutSecretValueCommand({
        SecretId: mapping.secretArn,
        SecretString: JSON.stringify({ password: `${CANARY}-2` }),
      }),
    );
    sm.destroy();

    const r = await status('--dlq-url', dlqUrl);

    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`out-of-sync: the Secret holds version`);
    expect(r.stdout).toContain(`but AWSCURRENT is ${next.VersionId}`);
    expect((await cli(['sync', '--mappings', file, '--mapping', mapping.id])).code).toBe(0);
  });

  it('counts DLQ messages and exits 3 even when every mapping is in sync', async () => {
    const sqs = new SQSClient(motoConfig());
    for (const n of [1, 2])
      await sqs.send(
        new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify({ mappingId: mapping.id, n }) }),
      );
    sqs.destroy();

    const r = await status('--dlq-url', dlqUrl, '--json');

    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.mappings[0].state).toBe('in-sync');
    expect(out.deadLetterQueue).toMatchObject({ visible: 2, inFlight: 0, failures: { messages: 2, failures: 2 } });
  });

  it('names the mapping, target and step of each failure in the DLQ, each once, with its full cause', async () => {
    const sqs = new SQSClient(motoConfig());
    const queue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cli-dlq-owners') }))).QueueUrl!;
    const target = `testbed/${mapping.namespace}/${mapping.secretName}`;
    const cause = `${'a long cause that a fixed-width table would cut '.repeat(3)}end`;
    const failure = (step: string, error: string, attempt: number) =>
      JSON.stringify({
        mappingId: mapping.id,
        event: { id: `e-${step}`, source: 'aws.secretsmanager', 'detail-type': 'Secret Label Updated', detail: {} },
        attempt,
        failedStep: step,
        error,
        cause,
        executionId: `arn:aws:states:us-east-1:123456789012:express:x:run-${step}:y`,
        target,
      });
    // SendToDlq stored the ReadSecret failure twice (a lost answer): one failure, two copies.
    for (const body of [
      failure('ReadSecret', 'PermissionDeniedError', 1),
      failure('ReadSecret', 'PermissionDeniedError', 1),
    ])
      await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body }));
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queue, MessageBody: failure('FetchSecret', 'NotFoundError', 2) }),
    );
    sqs.destroy();

    const r = await statusOf(seenFile, '--dlq-url', queue);
    const json = await statusOf(seenFile, '--dlq-url', queue, '--json');

    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain('  2 failures in 3 messages (1 duplicate copy):\n');
    expect(r.stdout).toContain(
      `    ${mapping.id} ${target} at ReadSecret, attempt 1, 2 copies: PermissionDeniedError: ${cause}\n`,
    );
    expect(r.stdout).toContain(`    ${mapping.id} ${target} at FetchSecret, attempt 2: NotFoundError: ${cause}\n`);
    expect(JSON.parse(json.stdout).deadLetterQueue.failures.items).toEqual(
      expect.arrayContaining([
        { mappingId: mapping.id, target, step: 'FetchSecret', error: 'NotFoundError', cause, attempt: 2, copies: 1 },
      ]),
    );
  });

  it('finds the DLQ through the stack output, or says how to pass it', async () => {
    await motoQuery('cloudformation', {
      Action: 'CreateStack',
      Version: '2010-05-15',
      StackName: STACK,
      TemplateBody: JSON.stringify({
        Resources: {
          DeadLetterQueue1234: { Type: 'AWS::SQS::Queue', Properties: { QueueName: uniqueName('cli-stack-dlq') } },
        },
        Outputs: { DeadLetterQueueUrl: { Value: { Ref: 'DeadLetterQueue1234' } } },
      }),
    });

    const r = await status('--json');

    const dlq = JSON.parse(r.stdout).deadLetterQueue;
    if (installed('@aws-sdk/client-cloudformation')) {
      expect(dlq).toMatchObject({ from: `stack ${STACK}`, visible: 0, inFlight: 0 });
      expect(dlq.url).toMatch(/cli-stack-dlq/);
    } else {
      expect(dlq.unavailable).toBe(
        'could not find the dead-letter queue (the package @aws-sdk/client-cloudformation is not installed (npm ' +
          'install @aws-sdk/client-cloudformation)); pass --dlq-url',
      );
    }
  });

  it("lists failed executions from a mapping's own log group (stacks before the shared one), or notes why not", async () => {
    // An older group of the same mapping (removed and added again) is passed over for the newest one.
    await motoJson('logs', 'Logs_20140328.CreateLogGroup', {
      logGroupName: `${legacyExecutionLogGroupPrefix(STACK, mapping.id)}AROAOLDROLE`,
    });
    await new Promise((r) => setTimeout(r, 20));
    const logGroupName = `${legacyExecutionLogGroupPrefix(STACK, mapping.id)}AROANEWROLE`;
    const arn = `arn:aws:states:us-east-1:123456789012:express:${STACK}-${mapping.id}:exec-1:run-1`;
    await motoJson('logs', 'Logs_20140328.CreateLogGroup', { logGroupName });
    await motoJson('logs', 'Logs_20140328.CreateLogStream', { logGroupName, logStreamName: 'states/1' });
    const event = (type: string, details: object) => ({
      timestamp: Date.now(),
      message: JSON.stringify({
        id: '9',
        type,
        details,
        previous_event_id: '8',
        event_timestamp: String(Date.now()),
        execution_arn: arn,
      }),
    });
    const cause = JSON.stringify({
      errorType: 'PermissionDeniedError',
      errorMessage: 'role may not get Secret ns/app-config',
      trace: [],
    });
    await motoJson('logs', 'Logs_20140328.PutLogEvents', {
      logGroupName,
      logStreamName: 'states/1',
      logEvents: [
        event('ExecutionStarted', { input: '{}' }),
        event('ExecutionFailed', { error: 'PermissionDeniedError', cause }),
      ],
    });

    const r = await status('--dlq-url', dlqUrl);

    if (installed('@aws-sdk/client-cloudwatch-logs')) {
      expect(r.stdout).toContain('Failures  1 since');
      expect(r.stdout).toMatch(/\d{4}-\S+Z {2}PermissionDeniedError: role may not get Secret ns\/app-config/);
      expect(r.stdout).toContain(arn);
      expect(r.stdout).toContain(`(${logGroupName})`);
      expect(r.code).toBe(3);
    } else {
      expect(r.stdout).toContain(
        'Failures  could not read failed executions: the package @aws-sdk/client-cloudwatch-logs is not installed ' +
          '(npm install @aws-sdk/client-cloudwatch-logs)',
      );
    }
  });

  it("lists only the mapping's failures from the stack's shared execution log group", async () => {
    // The shared group wins over the mapping's own group of the test above; another mapping's failure is left out.
    const logGroupName = `${executionLogGroupPrefix(STACK)}stack-uuid-1`;
    const { partition, region, account } = parseSecretArn(mapping.secretArn)!;
    const arnOf = (id: string, run: string) =>
      `arn:${partition}:states:${region}:${account}:express:${stateMachineName(STACK, id)}:${run}:x`;
    await motoJson('logs', 'Logs_20140328.CreateLogGroup', { logGroupName });
    await motoJson('logs', 'Logs_20140328.CreateLogStream', { logGroupName, logStreamName: 'states/1' });
    const failed = (arn: string, error: string) => ({
      timestamp: Date.now(),
      message: JSON.stringify({
        id: '9',
        type: 'ExecutionFailed',
        details: { error, cause: JSON.stringify({ errorType: error, errorMessage: `${error} happened` }) },
        event_timestamp: String(Date.now()),
        execution_arn: arn,
      }),
    });
    await motoJson('logs', 'Logs_20140328.PutLogEvents', {
      logGroupName,
      logStreamName: 'states/1',
      logEvents: [
        failed(arnOf(mapping.id, 'ours'), 'NotFoundError'),
        failed(arnOf(`${mapping.id}-other`, 'theirs'), 'ConflictError'),
      ],
    });

    const r = await status('--dlq-url', dlqUrl);

    if (installed('@aws-sdk/client-cloudwatch-logs')) {
      expect(r.stdout).toContain(`Failures  1 since`);
      expect(r.stdout).toContain(`(${logGroupName})`);
      expect(r.stdout).toContain('NotFoundError: NotFoundError happened');
      expect(r.stdout).toContain(arnOf(mapping.id, 'ours'));
      expect(r.stdout).not.toContain('ConflictError');
    }
  });

  it('says unknown and exits 1 when the AWS secret cannot be read', async () => {
    const gone = await seedMapping({ value: JSON.stringify({ password: CANARY }) });
    const sm = new SecretsManagerClient(motoConfig());
    await sm.send(new DeleteSecretCommand({ SecretId: gone.secretArn, ForceDeleteWithoutRecovery: true }));
    sm.destroy();
    file = writeMappings(STACK, [mapping, gone]);

    const r = await status('--dlq-url', dlqUrl, '--mapping', gone.id);

    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Mapping ${gone.id}: unknown`);
    expect(r.stdout).toMatch(/AWS {7}secretsmanager:DescribeSecret on \S+ failed: ResourceNotFoundException/);
  });

  it('refuses a malformed --since with exit 2', async () => {
    const r = await status('--since', 'yesterday');

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--since "yesterday" is not a duration; expected a number and m, h or d, e.g. 24h');
  });
});

itPrintsNoSecret(() => [CANARY]);
