/**
 * The redrive wiring of the stack, rebuilt on the test bed around one
 * {@link LocalMapping}: its DLQ, a sync-requests queue whose RedrivePolicy
 * dead-letters into it, a parked queue, the mapping's state machine created in
 * moto from the rendered ASL, and the redrive-sync BUNDLE as a local Lambda.
 *
 * moto 5.2.5 implements neither StartMessageMoveTask nor Lambda event source
 * mappings, so two small stand-ins play them: {@link RedriveBed.moveDlq}
 * (receive from the DLQ, send the same body and attributes to sync-requests,
 * delete) and {@link RedriveBed.deliver} (receive up to 10, invoke, delete what
 * the function did not report as failed, release the rest).
 */
import { ENV } from '../../functions/runtime/env-contract.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import type { SyncInput } from '../../functions/domain/contract.ts';
import { DEFINITION_FILE, renderDefinition } from '../../infra/constructs/state-machine.ts';
import { LocalFunction } from '../../testbed/lambda-runtime.ts';
import type { LocalMapping } from '../../testbed/local-pipeline.ts';
import type { TestbedDetails } from '../../testbed/testbed.ts';
import type { Bundles } from './bundles.ts';

/** A queue message as tests read it back. */
export interface PeekedMessage {
  readonly body: string;
  readonly attributes: Record<string, string>;
}

/** Options of {@link RedriveBed.create}. */
export interface RedriveBedOptions {
  /** stack.redriveMaxAttempts. */
  readonly maxAttempts: number;
  /** Overrides of the consumer's environment (e.g. an unreachable Step Functions endpoint). */
  readonly env?: Record<string, string>;
}

const awsConfig = (tb: TestbedDetails) => ({
  region: tb.moto.region,
  endpoint: tb.moto.url,
  credentials: tb.moto.credentials,
});

/** The mapping's redrive wiring on moto, and the consumer bundle. */
export class RedriveBed {
  readonly mapping: LocalMapping;
  readonly dlqUrl: string;
  readonly syncRequestsUrl: string;
  readonly syncRequestsArn: string;
  readonly parkedUrl: string;
  readonly stateMachineArn: string;
  readonly consumer: LocalFunction;
  readonly consumerEnv: Record<string, string>;
  private readonly sqs: SQSClient;
  private readonly sfn: SFNClient;

  private constructor(
    m: LocalMapping,
    urls: { syncRequests: string; syncRequestsArn: string; parked: string },
    stateMachineArn: string,
    opts: RedriveBedOptions,
  ) {
    const tb = m.details;
    this.mapping = m;
    this.dlqUrl = m.dlqUrl;
    this.syncRequestsUrl = urls.syncRequests;
    this.syncRequestsArn = urls.syncRequestsArn;
    this.parkedUrl = urls.parked;
    this.stateMachineArn = stateMachineArn;
    this.sqs = new SQSClient(awsConfig(tb));
    this.sfn = new SFNClient(awsConfig(tb));
    this.consumerEnv = {
      AWS_REGION: tb.moto.region,
      AWS_ENDPOINT_URL: tb.moto.url,
      AWS_ACCESS_KEY_ID: tb.moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: tb.moto.credentials.secretAccessKey,
      POWERTOOLS_SERVICE_NAME: 'eks-secret-sync',
      [ENV.stateMachineArnPrefix]: stateMachineArn.slice(0, stateMachineArn.length - m.id.length),
      [ENV.parkedQueueUrl]: urls.parked,
      [ENV.redriveMaxAttempts]: String(opts.maxAttempts),
      ...opts.env,
    };
    this.consumer = new LocalFunction(
      `${m.id}-redrive-sync`,
      (inject('bundles') as Bundles)['redrive-sync'],
      this.consumerEnv,
    );
  }

  /** Creates the queues and the state machine for the mapping. */
  static async create(m: LocalMapping, opts: RedriveBedOptions): Promise<RedriveBed> {
    const sqs = new SQSClient(awsConfig(m.details));
    const sfn = new SFNClient(awsConfig(m.details));
    try {
      const arnOf = async (url: string) =>
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!
          .QueueArn!;
      const suffix = randomUUID().slice(0, 8);
      // As infra/constructs/redrive.ts: sync-requests dead-letters into the DLQ after 5 receives.
      const syncRequests = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: `sync-requests-${suffix}`,
            Attributes: {
              VisibilityTimeout: '180',
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(m.dlqUrl), maxReceiveCount: 5 }),
            },
          }),
        )
      ).QueueUrl!;
      const parked = (await sqs.send(new CreateQueueCommand({ QueueName: `parked-${suffix}` }))).QueueUrl!;
      const machine = await sfn.send(
        new CreateStateMachineCommand({
          // `<prefix><mapping id>`, as the app names its state machines: the consumer knows the prefix only.
          name: `sync-${suffix}-${m.id}`,
          type: 'EXPRESS',
          roleArn: 'arn:aws:iam::123456789012:role/eks-secret-sync-state-machine',
          definition: renderDefinition(substitutions(m)),
        }),
      );
      return new RedriveBed(
        m,
        { syncRequests, syncRequestsArn: await arnOf(syncRequests), parked },
        machine.stateMachineArn!,
        opts,
      );
    } finally {
      sqs.destroy();
      sfn.destroy();
    }
  }

  /** What StartMessageMoveTask would do from the DLQ to sync-requests: every message, body and attributes unchanged. */
  async moveDlq(): Promise<number> {
    let moved = 0;
    for (const m of await this.receiveAll(this.dlqUrl)) {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.syncRequestsUrl,
          MessageBody: m.Body!,
          MessageAttributes: m.MessageAttributes,
        }),
      );
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      moved++;
    }
    return moved;
  }

  /** Puts a message on sync-requests directly (e.g. an EventBridge dead letter, or garbage). */
  async sendToSyncRequests(body: string, attributes: Record<string, string> = {}): Promise<void> {
    const MessageAttributes = Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
    );
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.syncRequestsUrl, MessageBody: body, MessageAttributes }),
    );
  }

  /**
   * One poll of the event source mapping: up to 10 messages from sync-requests
   * to the consumer; the ones it did not report as failed are deleted, the
   * failed ones made visible again at once (standing for the visibility timeout). `batchSize` as the event
   * source mapping's (the stack's is 10).
   */
  async deliver(batchSize = 10): Promise<{ received: number; failed: string[] }> {
    const got = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.syncRequestsUrl,
        MaxNumberOfMessages: batchSize,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) return { received: 0, failed: [] };
    const out = (await this.consumer.invoke({ Records: messages.map((msg) => this.record(msg)) })) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    const failed = out.batchItemFailures.map((f) => f.itemIdentifier);
    for (const msg of messages) {
      const handle = { QueueUrl: this.syncRequestsUrl, ReceiptHandle: msg.ReceiptHandle! };
      if (failed.includes(msg.MessageId!))
        await this.sqs.send(new ChangeMessageVisibilityCommand({ ...handle, VisibilityTimeout: 0 }));
      else await this.sqs.send(new DeleteMessageCommand(handle));
    }
    return { received: messages.length, failed };
  }

  /** Every execution moto recorded for the state machine, oldest first, with its input. */
  async executions(): Promise<{ name: string; input: SyncInput }[]> {
    const list = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn }));
    const found = await Promise.all(
      (list.executions ?? []).map(async (e) => {
        const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        return { name: d.name!, start: d.startDate!.getTime(), input: JSON.parse(d.input!) as SyncInput };
      }),
    );
    return found.sort((a, b) => a.start - b.start).map(({ name, input }) => ({ name, input }));
  }

  /** Messages in a queue without a redrive policy (DLQ, parked), left in place. */
  async peek(url: string): Promise<PeekedMessage[]> {
    const got = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    return (got.Messages ?? []).map((m) => ({
      body: m.Body!,
      attributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
      ),
    }));
  }

  /** Messages in a queue, visible or in flight. */
  async depth(url: string): Promise<number> {
    const a = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(a.Attributes!.ApproximateNumberOfMessages) + Number(a.Attributes!.ApproximateNumberOfMessagesNotVisible)
    );
  }

  /** The consumer's log lines, parsed (Powertools JSON). */
  consumerLogs(): Record<string, unknown>[] {
    return this.consumer.logs.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** Stops the consumer and the clients. */
  async close(): Promise<void> {
    await this.consumer.stop();
    this.sqs.destroy();
    this.sfn.destroy();
  }

  private async receiveAll(url: string): Promise<Message[]> {
    const all: Message[] = [];
    for (;;) {
      const got = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      );
      if (!got.Messages?.length) return all;
      all.push(...got.Messages);
    }
  }

  /** Lambda's SQS record for a received message. */
  private record(m: Message) {
    return {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: m.Attributes ?? {},
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          { stringValue: v.StringValue, stringListValues: [], binaryListValues: [], dataType: v.DataType },
        ]),
      ),
      md5OfBody: m.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.syncRequestsArn,
      awsRegion: this.mapping.details.moto.region,
    };
  }
}

/** The ASL placeholders of a local mapping: its DLQ and id, and a Lambda ARN for every `...FunctionArn`. */
function substitutions(m: LocalMapping): Record<string, string> {
  const names = [...readFileSync(DEFINITION_FILE, 'utf8').matchAll(/\$\{(\w+)\}/g)].map((x) => x[1]!);
  return Object.fromEntries(
    names.map((name) => {
      if (name === 'MappingId') return [name, m.id];
      if (name === 'DeadLetterQueueUrl') return [name, m.dlqUrl];
      if (name === 'TargetsJson' || name === 'TargetItemsJson' || name === 'ClustersJson') {
        return [name, m.substitutions[name]!];
      }
      if (name.endsWith('FunctionArn'))
        return [name, `arn:aws:lambda:us-east-1:123456789012:function:${m.id}-${name.replace(/FunctionArn$/, '')}`];
      throw new Error(`no test value for the ASL placeholder \${${name}}`);
    }),
  );
}
