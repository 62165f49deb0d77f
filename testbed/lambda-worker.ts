// One Lambda "execution environment" for the tests: a Node 24 process with the
// function's environment that imports the bundle on the first invocation (init
// errors surface on that invocation, as on Lambda) and then serves
// invocations sent over IPC, warm, one at a time.
import { pathToFileURL } from 'node:url';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handler: Promise<Handler> | undefined;

function toLambdaError(e: unknown) {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    errorType: err.name || 'Error',
    errorMessage: err.message,
    trace: (err.stack ?? '').split('\n'),
  };
}

process.on('message', async (msg: { id: number; event: unknown; requestId: string }) => {
  try {
    handler ??= import(pathToFileURL(process.env.TEST_LAMBDA_BUNDLE!).href).then((m) => m.handler as Handler);
    const fn = await handler;
    const started = Date.now();
    const timeoutMs = Number(process.env.TEST_LAMBDA_TIMEOUT_MS ?? 30_000);
    const context = {
      awsRequestId: msg.requestId,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: '$LATEST',
      invokedFunctionArn: process.env.TEST_LAMBDA_ARN,
      memoryLimitInMB: '256',
      // Counts down from the function's timeout, as Lambda's does (TEST_LAMBDA_TIMEOUT_MS, default the stack's 30 s).
      getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
    };
    const result = await fn(msg.event, context);
    process.send!({ id: msg.id, result: result === undefined ? null : result });
  } catch (e) {
    process.send!({ id: msg.id, error: toLambdaError(e) });
  }
});
