/**
 * DynamoDB faults injected into a client through the SDK's middleware stack, innermost (below the
 * deserializer, inside the SDK's retry loop), so the SDK retries them exactly as it retries the
 * real thing:
 *
 *   throttling      400 ThrottlingException                      (fake answer; nothing reaches DynamoDB)
 *   provisioned     400 ProvisionedThroughputExceededException   (fake answer)
 *   internal        500 InternalServerError                      (fake answer)
 *   unavailable     503 ServiceUnavailable                       (fake answer)
 *   invalid         400 ValidationException: not retried, and no fault the engine expects (a bug's 500)
 *   timeout         the socket times out before an answer: a TimeoutError, request not sent
 *   lostResponse    the request IS applied by DynamoDB, then the answer is lost (TimeoutError):
 *                   the SDK sends it again, and the second attempt meets the first one's effect
 *
 * Each fault is armed for requests of one command (optionally matching a predicate on the input),
 * for the first `attempts` attempts of each such request (Infinity: every attempt, so the SDK
 * gives up), and for at most `requests` distinct requests.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type FaultKind =
  | 'throttling'
  | 'provisioned'
  | 'internal'
  | 'unavailable'
  | 'invalid'
  | 'timeout'
  | 'lostResponse';

export const ANSWERED_FAULTS: FaultKind[] = ['throttling', 'provisioned', 'internal', 'unavailable'];
export const ALL_FAULTS: FaultKind[] = [...ANSWERED_FAULTS, 'timeout', 'lostResponse'];

export interface Fault {
  kind: FaultKind;
  /** The SDK command without `Command`, e.g. 'PutItem'; '*' for any. */
  command: string;
  // biome-ignore lint/suspicious/noExplicitAny: SDK inputs of every shape
  when?: (input: any) => boolean;
  /** Attempts of one request that fail. @default 1 */
  attempts?: number;
  /** Distinct requests hit. @default Infinity */
  requests?: number;
}

const ERROR_ANSWERS: Record<string, { status: number; type: string; message: string }> = {
  throttling: {
    status: 400,
    type: 'ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  provisioned: {
    status: 400,
    type: 'ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  },
  internal: { status: 500, type: 'InternalServerError', message: 'Internal server error' },
  unavailable: { status: 503, type: 'ServiceUnavailable', message: 'Service unavailable' },
  invalid: { status: 400, type: 'ValidationException', message: 'One or more parameter values were invalid' },
};

/** An HTTP answer as DynamoDB gives it (the SDK recognises responses by their shape). */
function errorAnswer(kind: FaultKind) {
  const answer = ERROR_ANSWERS[kind];
  if (!answer) throw new Error(`${kind} is not an answered fault`);
  const body = JSON.stringify({
    __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`,
    message: answer.message,
  });
  return {
    statusCode: answer.status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'injected-fault' },
    body: new TextEncoder().encode(body),
  };
}

const timeoutError = () =>
  Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError', code: 'ETIMEDOUT' });

export interface FaultInjector {
  arm(...faults: Fault[]): void;
  disarm(): void;
  /** Attempts that were failed on purpose, by command. */
  injected: Record<string, number>;
  /** Every attempt that went through the stack, by command (retries included). */
  attempts: Record<string, number>;
  reset(): void;
}

export function injectFaults(client: DynamoDBClient): FaultInjector {
  let armed: { fault: Fault; hits: WeakMap<object, number>; requests: number }[] = [];
  const injector: FaultInjector = {
    arm(...faults) {
      armed = faults.map((fault) => ({ fault, hits: new WeakMap(), requests: 0 }));
    },
    disarm() {
      armed = [];
    },
    injected: {},
    attempts: {},
    reset() {
      injector.injected = {};
      injector.attempts = {};
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      injector.attempts[command] = (injector.attempts[command] ?? 0) + 1;
      const input = args.input as object;
      for (const entry of armed) {
        const { fault } = entry;
        if (fault.command !== '*' && fault.command !== command) continue;
        if (fault.when && !fault.when(input)) continue;
        const seen = entry.hits.get(input);
        if (seen === undefined && entry.requests >= (fault.requests ?? Number.POSITIVE_INFINITY)) continue;
        if (seen === undefined) entry.requests++;
        const count = seen ?? 0;
        if (count >= (fault.attempts ?? 1)) continue;
        entry.hits.set(input, count + 1);
        injector.injected[command] = (injector.injected[command] ?? 0) + 1;
        if (fault.kind === 'timeout') throw timeoutError();
        if (fault.kind === 'lostResponse') {
          const result = await next(args);
          // Drop the answer: drain its body so the socket goes back to the pool.
          const body = (result.response as { body?: { resume?: () => void } }).body;
          body?.resume?.();
          throw timeoutError();
        }
        return { response: errorAnswer(fault.kind), output: undefined as never };
      }
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'injectedFaults' },
  );
  return injector;
}
