/**
 * The AWS invoker: a synchronous Lambda Invoke of the consumer's function, as Lambda's own SQS
 * poller does it. A FunctionError (the handler threw, timed out or ran out of memory) fails the
 * whole batch; otherwise the handler's answer is read for batchItemFailures (dispatch.ts).
 *
 * And the hand-over of a queue held back by its rate limit (dispatcher.ts): an asynchronous
 * Invoke (`Event`) of the dispatcher itself, `{ postbox: 'drain', queue }`.
 */
import { InvokeCommand, type InvokeCommandInput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSEvent } from 'aws-lambda';
import type { Consumer } from './consumer';
import type { Invoker } from './dispatch';

/** The handler failed as a whole: what Lambda reported (errorType, errorMessage), never the event. */
export class HandlerFailedError extends Error {
  override name = 'HandlerFailedError';
  constructor(
    readonly functionError: string,
    detail: string,
  ) {
    super(`${functionError}: ${detail}`);
  }
}

export function invokeParams(consumer: Consumer, event: SQSEvent): InvokeCommandInput {
  return {
    FunctionName: consumer.handler,
    InvocationType: 'RequestResponse',
    Payload: new TextEncoder().encode(JSON.stringify(event)),
  };
}

/** Starts a drain invocation for the queue; resolves once Lambda has queued it. */
export type HandOver = (queue: string) => Promise<void>;

export function handOverParams(dispatcherFunction: string, queue: string): InvokeCommandInput {
  return {
    FunctionName: dispatcherFunction,
    InvocationType: 'Event',
    Payload: new TextEncoder().encode(JSON.stringify({ postbox: 'drain', queue })),
  };
}

/** `dispatcherFunction`: the function's own name (AWS_LAMBDA_FUNCTION_NAME), as its self-invoke grant names it. */
export function lambdaHandOver(client: LambdaClient, dispatcherFunction: string): HandOver {
  return async (queue) => {
    await client.send(new InvokeCommand(handOverParams(dispatcherFunction, queue)));
  };
}

export function lambdaInvoker(client: LambdaClient): Invoker {
  return async (consumer, event) => {
    const output = await client.send(new InvokeCommand(invokeParams(consumer, event)));
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    if (output.FunctionError) throw new HandlerFailedError(output.FunctionError, errorSummary(text));
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Lambda itself refuses such an answer for SQS: the whole batch counts as failed.
      throw new HandlerFailedError('InvalidResponse', 'the handler did not answer with JSON');
    }
  };
}

/**
 * The `errorType` of Lambda's error payload only: its `errorMessage` may quote the message being
 * handled, and the dispatcher's logs never hold a body (the consumer's own log has the details).
 */
function errorSummary(text: string): string {
  try {
    const { errorType } = JSON.parse(text) as { errorType?: unknown };
    return typeof errorType === 'string' ? errorType.slice(0, 100) : 'Error';
  } catch {
    return 'no error details';
  }
}
