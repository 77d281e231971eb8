/**
 * OpenAPI response descriptions shared by the routes: every error answer has the same body.
 */
import type { RouteConfig, z } from '@hono/zod-openapi';
import { ErrorResponse } from '../schemas';

type Responses = RouteConfig['responses'];

export const jsonResponse = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

const error = (description: string) => jsonResponse(description, ErrorResponse);

/** The error answers any route may give, plus the ones named. */
export function withErrors(responses: Responses, ...statuses: (409 | 429)[]): Responses {
  const all: Responses = {
    ...responses,
    400: error('InvalidJson, ValidationError or InvalidReceipt.'),
    401: error('Unauthorized (local server with a token).'),
    404: error('NotFound, QueueNotFound, TopicNotFound or MessageNotFound.'),
    405: error('MethodNotAllowed, with an Allow header.'),
    413: error('PayloadTooLarge: a request over 1 MiB.'),
    500: error('InternalError.'),
    503: error('ServiceUnavailable, with a Retry-After header.'),
  };
  if (statuses.includes(409)) all[409] = error('ReceiptExpired or Conflict.');
  if (statuses.includes(429)) all[429] = error('QueueFull, with a Retry-After header.');
  return all;
}
