import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./lambda-worker.ts', import.meta.url));

/** The error a failed invocation raises: `name` is the Lambda errorType, `message` the Step Functions Cause. */
export class LambdaFunctionError extends Error {
  readonly errorMessage: string;
  constructor(errorType: string, errorMessage: string, trace: string[]) {
    // Step Functions puts this JSON in the Cause of a Lambda task failure.
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
    this.errorMessage = errorMessage;
  }
}

/**
 * A Lambda function run locally from its bundle: one warm worker process with
 * the function's environment, everything it writes kept as its "log group".
 */
export class LocalFunction {
  readonly logs: string[] = [];
  private child: ChildProcess | undefined;
  private next = 0;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private queue: Promise<unknown> = Promise.resolve();

  readonly name: string;
  readonly bundle: string;
  readonly env: Record<string, string>;

  constructor(name: string, bundle: string, env: Record<string, string>) {
    this.name = name;
    this.bundle = bundle;
    this.env = env;
  }

  /** Invokes the function; invocations are serialized, like one execution environment. */
  invoke(event: unknown): Promise<unknown> {
    const run = this.queue.then(() => this.send(event));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private send(event: unknown): Promise<unknown> {
    const child = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, event, requestId: randomUUID() });
    });
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(WORKER, [], {
      env: {
        PATH: process.env.PATH ?? '',
        TZ: 'UTC',
        AWS_LAMBDA_FUNCTION_NAME: this.name,
        TEST_LAMBDA_ARN: `arn:aws:lambda:us-east-1:123456789012:function:${this.name}`,
        TEST_LAMBDA_BUNDLE: this.bundle,
        ...this.env,
      },
      execPath: process.execPath,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (chunk: Buffer) => this.logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on(
      'message',
      (msg: { id: number; result?: unknown; error?: { errorType: string; errorMessage: string; trace: string[] } }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new LambdaFunctionError(msg.error.errorType, msg.error.errorMessage, msg.error.trace));
        else p.resolve(msg.result);
      },
    );
    child.on('exit', (code) => {
      for (const p of this.pending.values())
        p.reject(new LambdaFunctionError('Runtime.ExitError', `exited with ${code}`, []));
      this.pending.clear();
      this.child = undefined;
    });
    this.child = child;
    return child;
  }

  /** Ends the worker (a cold start follows on the next invocation). */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill();
    });
  }
}
