/**
 * Routing on top of Hono's router, with the contract's answers for what does not route:
 * `404 NotFound` for an unknown path, `405 MethodNotAllowed` with an `Allow` header for a known
 * path and another method. The route table is the endpoint list, so the OpenAPI document, the
 * router and the 405 check all come from the same definitions.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Endpoint } from './endpoint';
import { runEndpoint } from './endpoint';
import { HttpError } from './errors';

interface PathTemplate {
  /** `null` for a parameter segment. */
  segments: (string | null)[];
  methods: Set<string>;
}

const splitPath = (path: string) => path.split('/').slice(1);

function templatesOf(endpoints: readonly Endpoint[]): PathTemplate[] {
  const byPath = new Map<string, PathTemplate>();
  for (const { path, method } of endpoints) {
    let template = byPath.get(path);
    if (!template) {
      const segments = splitPath(path).map((segment) => (segment.startsWith('{') ? null : segment));
      template = { segments, methods: new Set() };
      byPath.set(path, template);
    }
    template.methods.add(method.toUpperCase());
    // Hono answers HEAD with the GET handler (and no body).
    if (method === 'get') template.methods.add('HEAD');
  }
  return [...byPath.values()];
}

function matches(template: PathTemplate, segments: string[]): boolean {
  return (
    template.segments.length === segments.length &&
    template.segments.every((part, i) => (part === null ? segments[i] !== '' : part === segments[i]))
  );
}

/** Literal segments win over parameters, left to right: `/messages/batch` beats `/messages/{id}`. */
function moreSpecific(a: PathTemplate, b: PathTemplate): PathTemplate {
  for (let i = 0; i < a.segments.length; i++) {
    if (a.segments[i] !== null && b.segments[i] === null) return a;
    if (a.segments[i] === null && b.segments[i] !== null) return b;
  }
  return a;
}

/** The 404/405 gate, run after authentication and before any validation. */
export function routeGuard(endpoints: readonly Endpoint[]): MiddlewareHandler {
  const templates = templatesOf(endpoints);
  const order = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];
  return async (c, next) => {
    const segments = splitPath(c.req.path);
    const candidates = templates.filter((template) => matches(template, segments));
    if (candidates.length === 0) {
      throw new HttpError(404, 'NotFound', `There is no route ${c.req.method} ${c.req.path}.`);
    }
    const template = candidates.reduce(moreSpecific);
    if (!template.methods.has(c.req.method)) {
      const allow = order.filter((method) => template.methods.has(method)).join(', ');
      throw new HttpError(405, 'MethodNotAllowed', `${c.req.method} is not allowed here; use ${allow}.`, {
        Allow: allow,
      });
    }
    await next();
  };
}

const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** Registers every endpoint with Hono's router and with the OpenAPI registry. */
export function mountEndpoints(app: OpenAPIHono, endpoints: readonly Endpoint[]): void {
  app.use('*', routeGuard(endpoints));
  for (const endpoint of endpoints) {
    const { method, path, summary, description, params, query, body, responses } = endpoint;
    app.openAPIRegistry.registerPath(
      createRoute({
        method,
        path,
        summary,
        description,
        request: {
          ...(params ? { params } : {}),
          ...(query ? { query } : {}),
          ...(body
            ? {
                body: {
                  required: !body.emptyIsObject,
                  content: { 'application/json': { schema: body.schema } },
                },
              }
            : {}),
        },
        responses,
      }),
    );
    app.on(method.toUpperCase(), honoPath(path), (c) => runEndpoint(endpoint, c));
  }
}
