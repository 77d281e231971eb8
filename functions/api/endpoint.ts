/**
 * One endpoint = one route of the contract, described once: its method and path, the schemas of
 * its path, query and body (which both validate requests and document them in OpenAPI), and a
 * handler that only ever sees valid input. `runEndpoint` applies the contract's check order
 * after routing: names in the path, then query and body, then the handler (and so the engine).
 */
import { type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { checkDeclaredLength, readJsonObject, readQuery } from './request';
import { parseOrThrow } from './validation';

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

type AnyZod = z.ZodType;
type AnyObject = z.ZodObject;
type Out<S> = S extends AnyZod ? z.output<S> : undefined;
/** The body a handler sees: what `validate` returns, or else the schema's output. */
type BodyOut<S, V> = [unknown] extends [V] ? Out<S> : V;

export interface EndpointInput<P, Q, S, V> {
  params: Out<P>;
  query: Out<Q>;
  body: BodyOut<S, V>;
}

export interface EndpointDefinition<P, Q, S, V> {
  method: Method;
  /** OpenAPI template, e.g. `/v1/queues/{queue}`. */
  path: string;
  summary: string;
  /** OpenAPI: what the operation does, in the contract's words (docs/api.md). */
  description: string;
  params?: P;
  query?: Q;
  body?: {
    /** Documents the body; also validates it unless `validate` is given. */
    schema: S;
    /** Every field optional: an empty body means `{}`. */
    emptyIsObject?: boolean;
    /** For bodies checked in parts (a batch validates each entry on its own). */
    validate?: (raw: Record<string, unknown>) => V;
  };
  responses: RouteConfig['responses'];
  handle: (c: Context, input: EndpointInput<P, Q, S, V>) => Promise<Response>;
}

/** An endpoint with its types erased, as the router keeps it. */
export type Endpoint = EndpointDefinition<AnyObject, AnyObject, AnyZod, unknown>;

export function defineEndpoint<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  S extends AnyZod | undefined = undefined,
  V = unknown,
>(definition: EndpointDefinition<P, Q, S, V>): Endpoint {
  return definition as unknown as Endpoint;
}

const emptyQuery = z.object({}).strict();

/** Validates the request in the contract's order, then hands it to the endpoint's handler. */
export async function runEndpoint(endpoint: Endpoint, c: Context): Promise<Response> {
  const params = endpoint.params ? parseOrThrow(endpoint.params, c.req.param()) : undefined;
  // A route without a query schema takes no query parameters at all.
  const query = parseOrThrow(endpoint.query ?? emptyQuery, readQuery(c.req.url), { what: 'query parameter' });
  let body: unknown;
  if (endpoint.body) {
    const raw = await readJsonObject(c.req.raw, { emptyIsObject: endpoint.body.emptyIsObject ?? false });
    body = endpoint.body.validate ? endpoint.body.validate(raw) : parseOrThrow(endpoint.body.schema, raw);
  } else {
    // A route without a body ignores one, but not one over 1 MiB.
    checkDeclaredLength(c.req.raw);
  }
  return endpoint.handle(c, { params, query, body } as EndpointInput<AnyObject, AnyObject, AnyZod, unknown>);
}
