/**
 * Service routes: health, and the OpenAPI document (served by app.ts, which owns the registry).
 */
import { ServiceUnavailableError } from '../../core/errors';
import { defineEndpoint, type Endpoint } from '../endpoint';
import { isStoreUnavailable, logUnexpected } from '../errors';
import { json } from '../present';
import { HealthResponse } from '../schemas';
import type { RouteDeps } from './deps';
import { jsonResponse, withErrors } from './responses';

export function healthEndpoint({ engine }: RouteDeps): Endpoint {
  return defineEndpoint({
    method: 'get',
    path: '/v1/health',
    summary: 'Whether the store answers',
    description:
      '200 {status: ok} when the store answers, 503 ServiceUnavailable otherwise. On the local ' +
      'server it never needs the token; deployed, it needs SigV4 like every route.',
    responses: withErrors({ 200: jsonResponse('The store answers.', HealthResponse) }, { open: true }),
    handle: async (c) => {
      try {
        await engine.health();
      } catch (error) {
        // Whatever went wrong, the answer is "not healthy"; only the unexplained is logged.
        if (!(error instanceof ServiceUnavailableError) && !isStoreUnavailable(error)) {
          logUnexpected(error, { method: c.req.method, path: c.req.path });
        }
        throw new ServiceUnavailableError('The store does not answer.', { cause: error });
      }
      return json(c, 200, { status: 'ok' });
    },
  });
}

export function openApiEndpoint(document: () => unknown): Endpoint {
  return defineEndpoint({
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    description:
      'This document: OpenAPI 3.1, generated from the same schemas the server validates ' +
      'requests with. The contract in words is docs/api.md in the repository.',
    responses: withErrors({ 200: { description: 'The OpenAPI 3.1 document.' } }),
    handle: async (c) => json(c, 200, document()),
  });
}
