/**
 * The SQS endpoint (docs/api.md, "Local server"): `POST /` speaks AWS JSON 1.0 when `X-Amz-Target:
 * AmazonSQS.<Action>` is present, and the Query protocol when the form (or the query string)
 * has `Action=`; `POST /<account>/<queue>` is the Query protocol's queue-URL form. Anything else
 * is not SQS and goes on to the rest of the app (a browser's `GET /` never reaches here locally).
 *
 * Auth: SigV4 signatures are not verified (as ElasticMQ); with a token (POSTBOX_TOKEN) the
 * SigV4 access key id must equal it. Deployed, API Gateway has checked the IAM signature already
 * (signed for `execute-api`, see docs/sqs.md), and queue URLs and ARNs name the account of the
 * HTTP API, which the payload-v2 event carries in `requestContext.accountId`.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { logUnexpected } from '../api/errors';
import type { Clock, Engine } from '../core/engine';
import { ACTIONS } from './actions';
import type { SqsContext } from './context';
import { invalidAction, invalidClientTokenId, SqsError } from './errors';
import type { Input } from './params';
import { readQueryInput } from './query-input';
import { ACCOUNT_ID } from './queue-url';
import type { SqsSettingsStore } from './settings';
import { accessKeyOf, regionOf, tokenMatches } from './signature';
import { queryAnswer, queryError } from './xml';

export interface SqsEndpointOptions {
  engine: Engine;
  settings: SqsSettingsStore;
  clock: Clock;
  /** When set, the SigV4 access key id must equal it. @default none */
  token?: string;
  /** For ARNs when the request's signature names none. @default 'us-east-1' */
  region?: string;
}

type Protocol = 'json' | 'query';

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AmazonSQS.';
// SQS takes requests of up to 1 MiB; the rest of the app has its own limit.
const MAX_REQUEST_BYTES = 1_048_576;

const serializationError = (message: string) =>
  new SqsError('SerializationException', 'SerializationException', 400, message);

interface SqsRequest {
  protocol: Protocol;
  action: string;
  input: Input;
}

/** The SQS request this is, or undefined when it is none (then the app answers it). */
async function readRequest(c: Context): Promise<SqsRequest | undefined> {
  const target = c.req.header('x-amz-target');
  if (target?.startsWith(TARGET_PREFIX)) {
    const text = await c.req.text();
    let input: unknown = {};
    if (text.trim() !== '') {
      try {
        input = JSON.parse(text);
      } catch {
        return { protocol: 'json', action: target.slice(TARGET_PREFIX.length), input: { $invalid: 'json' } };
      }
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) input = { $invalid: 'object' };
    return { protocol: 'json', action: target.slice(TARGET_PREFIX.length), input: input as Input };
  }
  const params = new URL(c.req.url).searchParams;
  const type = c.req.header('content-type') ?? '';
  if (c.req.method === 'POST' && type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(await c.req.text())) params.append(key, value);
  }
  if (!params.has('Action')) return undefined;
  return { protocol: 'query', ...readQueryInput(params) };
}

function answer(
  c: Context,
  protocol: Protocol,
  action: string,
  output: Record<string, unknown>,
  requestId: string,
) {
  if (protocol === 'json') {
    return c.body(JSON.stringify(output), 200, {
      'Content-Type': JSON_CONTENT_TYPE,
      'x-amzn-RequestId': requestId,
    });
  }
  return c.body(queryAnswer(action, output, requestId), 200, {
    'Content-Type': 'text/xml',
    'x-amzn-RequestId': requestId,
  });
}

function errorAnswer(c: Context, protocol: Protocol, error: SqsError, requestId: string) {
  const status = error.status as 400;
  if (protocol === 'json') {
    return c.body(
      JSON.stringify({ __type: `com.amazonaws.sqs#${error.shape}`, message: error.message }),
      status,
      {
        'Content-Type': JSON_CONTENT_TYPE,
        'x-amzn-RequestId': requestId,
        // The JS SDK (query-compatible mode) names the error from this header.
        'x-amzn-query-error': `${error.queryCode};${error.fault}`,
      },
    );
  }
  return c.body(queryError(error, requestId), status, {
    'Content-Type': 'text/xml',
    'x-amzn-RequestId': requestId,
  });
}

/** The AWS account of the HTTP API a Lambda event came through, or undefined (not deployed). */
function deployedAccountOf(c: Context): string | undefined {
  const env = c.env as { event?: { requestContext?: { accountId?: unknown } } } | undefined;
  const account = env?.event?.requestContext?.accountId;
  return typeof account === 'string' && /^\d{12}$/.test(account) ? account : undefined;
}

function sqsHandler(options: SqsEndpointOptions): MiddlewareHandler {
  return async (c, next) => {
    const request = await readRequest(c);
    if (!request) return next();
    const { protocol, action, input } = request;
    const requestId = randomUUID();
    try {
      if (input.$invalid) throw serializationError('The request body is not a JSON object.');
      if (options.token !== undefined && !tokenMatches(accessKeyOf(c.req.raw), options.token)) {
        throw invalidClientTokenId();
      }
      const run = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
      if (!run) throw invalidAction(action);
      // The Query protocol's queue-URL form: the path names the queue.
      const queue = c.req.param('queue');
      const account = deployedAccountOf(c) ?? ACCOUNT_ID;
      if (queue !== undefined && input.QueueUrl === undefined) input.QueueUrl = `/${account}/${queue}`;
      const context: SqsContext = {
        engine: options.engine,
        settings: options.settings,
        clock: options.clock,
        region: regionOf(c.req.raw) ?? options.region ?? 'us-east-1',
        account,
        origin: new URL(c.req.url).origin,
        signal: c.req.raw.signal,
      };
      return answer(c, protocol, action, await run(context, input), requestId);
    } catch (error) {
      if (error instanceof SqsError) return errorAnswer(c, protocol, error, requestId);
      if (error instanceof Error && error.name === 'ServiceUnavailableError') {
        return errorAnswer(
          c,
          protocol,
          new SqsError('ServiceUnavailable', 'ServiceUnavailable', 503, 'Retry later.', 'Receiver'),
          requestId,
        );
      }
      logUnexpected(error, { method: c.req.method, path: c.req.path });
      const internal = new SqsError(
        'InternalFailure',
        'InternalFailure',
        500,
        'An internal error occurred.',
        'Receiver',
      );
      return errorAnswer(c, protocol, internal, requestId);
    }
  };
}

/**
 * Mounts the endpoint on `app`: call before any middleware that would refuse an SQS request
 * (the bearer token check, the route guard), so SQS requests are answered here first.
 */
export function mountSqs(app: Hono, options: SqsEndpointOptions): void {
  const limit = bodyLimit({
    maxSize: MAX_REQUEST_BYTES,
    onError: (c) => errorAnswer(c, 'query', serializationError('The request is over 1 MiB.'), randomUUID()),
  });
  const handler = sqsHandler(options);
  app.on(['GET', 'POST'], '/', limit, handler);
  app.on(['GET', 'POST'], '/:account{[0-9]{12}}/:queue', limit, handler);
}
