/**
 * OpenAPI response descriptions shared by the routes: every error answer has the same body
 * (`{"error": {"code", "message"}}`), and each operation lists every error status it can answer,
 * with the codes and causes that operation can give (docs/api.md).
 */
import type { RouteConfig, z } from '@hono/zod-openapi';
import { ErrorResponse } from '../schemas';

type Responses = RouteConfig['responses'];

export const jsonResponse = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

const retryAfter = {
  'Retry-After': { description: 'Whole seconds to wait before trying again.', schema: { type: 'integer' } },
} as const;

const error = (description: string, headers?: typeof retryAfter) => ({
  ...jsonResponse(description, ErrorResponse),
  ...(headers ? { headers } : {}),
});

const unauthorized = error(
  'Unauthorized: the local server runs with POSTBOX_TOKEN and the request lacks ' +
    '`Authorization: Bearer <token>` (never for GET /v1/health). Deployed, API Gateway itself ' +
    'answers a request without valid SigV4 with 403 and its own body.',
);

/** The error answers an operation gives beyond those every operation may give. */
export interface OperationErrors {
  /** The local token check lets this route through (GET /v1/health): no 401. */
  open?: boolean;
  /** What makes this operation's input invalid (the common causes are added). */
  400?: string;
  404?: string;
  409?: string;
  /** What else is too large (the 1 MiB request bound is added). */
  413?: string;
  /** QueueFull: added with a Retry-After header. */
  429?: string;
}

/**
 * The operation's own answers plus every error it can give: `400` (also for unknown query
 * parameters and malformed names in the path), `401` (local server with a token), `413` (a
 * request over 1 MiB, on every route), `500` and `503`, and those in `errors`.
 */
export function withErrors(responses: Responses, errors: OperationErrors = {}): Responses {
  const all: Responses = {
    ...responses,
    400: error(
      `${errors[400] ? `${errors[400]} ` : ''}` +
        'ValidationError for an unknown query parameter, or for a malformed name where the path ' +
        'has one (names: 1–80 of A–Z, a–z, 0–9, _ and -); the message names the field.',
    ),
    ...(errors.open ? {} : { 401: unauthorized }),
    413: error(`PayloadTooLarge: ${errors[413] ? `${errors[413]}, or ` : ''}the request is over 1 MiB.`),
    500: error('InternalError: a bug; the message says nothing internal.'),
    503: error('ServiceUnavailable: the store is throttling or unreachable after retries.', retryAfter),
  };
  if (errors[404]) all[404] = error(errors[404]);
  if (errors[409]) all[409] = error(errors[409]);
  if (errors[429]) all[429] = error(errors[429], retryAfter);
  return all;
}
