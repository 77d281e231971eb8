/**
 * A stand-in for the Lambda Node.js runtime, run as a child process with exactly the environment a
 * deployed function gets: it loads `$LAMBDA_TASK_ROOT/<file of $_HANDLER>` the way the runtime
 * does (CommonJS `require` of the bundle `cdk synth` wrote; no tsx, no TypeScript sources), then
 * serves invocations sent over IPC one at a time, as one execution environment does, with a
 * Lambda context whose remaining time counts down from the function's timeout.
 *
 * Plain JavaScript on purpose: nothing of the test toolchain may help the bundle load. Its own
 * settings come as arguments (the function's timeout in seconds, the account id), not as
 * environment variables the bundle would also see.
 *
 *   parent → child  { type: 'invoke', id, event }
 *   child → parent  { type: 'ready' } | { type: 'init-error', error }
 *                   { type: 'result', id, payload: <the JSON text Lambda would return> }
 *                   { type: 'result', id, error: { errorType, errorMessage } }
 */
const { randomUUID } = require('node:crypto');
const path = require('node:path');

const env = process.env;
const [file, exportName] = splitHandler(env._HANDLER);

function splitHandler(handler) {
  const dot = (handler ?? '').lastIndexOf('.');
  if (dot <= 0) throw new Error(`_HANDLER must be <file>.<export> (got ${handler})`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

function describe(error) {
  return {
    errorType: error instanceof Error ? error.name : typeof error,
    errorMessage: error instanceof Error ? error.message : String(error),
  };
}

function loadHandler() {
  try {
    // The runtime resolves `index` to index.js (CommonJS) in the task root.
    const loaded = require(path.join(env.LAMBDA_TASK_ROOT, file))[exportName];
    if (typeof loaded !== 'function') throw new Error(`${env._HANDLER} is not a function`);
    return loaded;
  } catch (error) {
    process.send({ type: 'init-error', error: describe(error) }, () => process.exit(1));
    return undefined;
  }
}

const handler = loadHandler();
const [timeoutSeconds, accountId] = process.argv.slice(2);
const timeoutMs = Number(timeoutSeconds) * 1000;
const functionArn = `arn:aws:lambda:${env.AWS_REGION}:${accountId}:function:${env.AWS_LAMBDA_FUNCTION_NAME}`;

function contextFor(deadline) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: functionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: randomUUID(),
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

// One invocation at a time, in arrival order: an execution environment never runs two at once.
let queue = Promise.resolve();
process.on('message', (message) => {
  if (!handler || message?.type !== 'invoke') return;
  queue = queue.then(async () => {
    try {
      const result = await handler(message.event, contextFor(Date.now() + timeoutMs));
      // The runtime answers with the JSON text of the result (`null` for undefined).
      process.send({ type: 'result', id: message.id, payload: JSON.stringify(result ?? null) });
    } catch (error) {
      process.send({ type: 'result', id: message.id, error: describe(error) });
    }
  });
});
if (handler) process.send({ type: 'ready' });
