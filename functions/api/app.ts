/**
 * The Postbox HTTP app (docs/api.md). The same app is served by the local server and, through
 * lambda.ts, by API Gateway. Checks run in the contract's order: auth, route (404/405), names in
 * the path, query and body (400/413), then the engine (resources).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import type { BlankEnv } from 'hono/types';
import type { Clock, Engine } from '../core/engine';
import { mountSqs } from '../sqs/endpoint';
import { registerSqsOpenApi } from '../sqs/openapi';
import { type SqsSettingsStore, settingsFor } from '../sqs/settings';
import { bearerAuth } from './auth';
import type { Endpoint } from './endpoint';
import { errorBody, HttpError, logUnexpected, toErrorAnswer } from './errors';
import { json } from './present';
import { meteredEngine, RateMeter } from './rates';
import { mountEndpoints } from './router';
import type { RouteDeps } from './routes/deps';
import { leaseEndpoints } from './routes/leases';
import { messageEndpoints } from './routes/messages';
import { type ConsumerSource, operationEndpoints } from './routes/operations';
import { queueEndpoints } from './routes/queues';
import { scheduleEndpoints } from './routes/schedules';
import { healthEndpoint, openApiEndpoint } from './routes/service';
import { topicEndpoints } from './routes/topics';

export interface AppOptions {
  engine: Engine;
  /**
   * When set and not empty (local server, POSTBOX_TOKEN), every request but `GET /v1/health`
   * needs `Authorization: Bearer <token>`. @default none (deployed, API Gateway does IAM auth)
   */
  token?: string;
  /** Epoch ms. @default Date.now */
  clock?: Clock;
  /**
   * Counts publishes, deliveries and acks for `GET /v1/queues/{q}/rates`. Pass one to share it
   * with other users of the engine in this process (the local consumers). @default a new one
   */
  rates?: RateMeter;
  /** The consumers this process runs, for `GET /v1/consumers`. @default none */
  consumers?: ConsumerSource;
  /**
   * Where the SQS endpoint keeps what a Postbox queue has no field for (tags, SQS-only
   * attributes). @default the engine's table when `engine` is a DynamoEngine, else this process
   */
  sqsSettings?: SqsSettingsStore;
}

export function createApp(options: AppOptions): Hono {
  const clock = options.clock ?? Date.now;
  const rates = options.rates ?? new RateMeter(clock);
  const deps: RouteDeps = { engine: meteredEngine(options.engine, rates), clock };
  const app = new OpenAPIHono<BlankEnv>();

  app.onError((error, c) => {
    const answer = toErrorAnswer(error);
    if (answer.unexpected) logUnexpected(error, { method: c.req.method, path: c.req.path });
    return json(c, answer.status, errorBody(answer.code, answer.message), answer.headers);
  });
  // Reached only if the route guard let a request through that Hono's router does not know.
  app.notFound((c) => {
    throw new HttpError(404, 'NotFound', `There is no route ${c.req.method} ${c.req.path}.`);
  });

  // The SQS endpoint (POST /) answers before the bearer check: it authenticates by SigV4 key id.
  mountSqs(app, {
    engine: deps.engine,
    clock,
    settings: options.sqsSettings ?? settingsFor(options.engine),
    ...(options.token ? { token: options.token } : {}),
  });
  registerSqsOpenApi(app);
  if (options.token) app.use('*', bearerAuth(options.token));

  let document: unknown;
  const endpoints: Endpoint[] = [
    ...queueEndpoints(deps),
    ...messageEndpoints(deps),
    ...leaseEndpoints(deps),
    ...topicEndpoints(deps),
    ...scheduleEndpoints(deps),
    ...operationEndpoints(deps, { rates, consumers: options.consumers ?? (() => []) }),
    healthEndpoint(deps),
    // Built on first use, after every route is registered, then kept.
    openApiEndpoint(() => {
      document ??= app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Postbox',
          version: '1',
          description:
            'A serverless message queue over HTTP. The contract in words is docs/api.md in the ' +
            'Postbox repository. Every error answer has the body {"error": {"code", "message"}}. ' +
            'Beyond the answers each operation lists: an unknown path answers 404 NotFound, and a ' +
            'known path with another method 405 MethodNotAllowed with an Allow header. Deployed, ' +
            'every route needs AWS SigV4 (service execute-api) and API Gateway answers a request ' +
            'without it with 403; locally, POSTBOX_TOKEN makes every route but GET /v1/health ' +
            'need a bearer token (401 Unauthorized).',
        },
      });
      return document;
    }),
  ];
  mountEndpoints(app, endpoints);
  return app;
}
