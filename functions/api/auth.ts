/**
 * The local server's bearer token (POSTBOX_TOKEN). Deployed, API Gateway does IAM auth and the app
 * runs without a token. `GET /v1/health` never needs it, whatever is sent, so probes keep working.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './errors';

// Hashing first makes both sides 32 bytes, so the comparison takes the same time whatever the
// lengths, and timingSafeEqual never throws on a length mismatch.
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

const isHealthCheck = (method: string, path: string) =>
  (method === 'GET' || method === 'HEAD') && path === '/v1/health';

export function bearerAuth(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    if (!isHealthCheck(c.req.method, c.req.path)) {
      const header = c.req.header('authorization') ?? '';
      // The scheme is case-insensitive (RFC 9110); the token itself is compared exactly.
      const match = /^Bearer +(.*)$/i.exec(header);
      const given = match?.[1] ?? '';
      if (!match || !timingSafeEqual(digest(given), expected)) {
        throw new HttpError(401, 'Unauthorized', 'Missing or wrong bearer token.', {
          'WWW-Authenticate': 'Bearer realm="postbox"',
        });
      }
    }
    await next();
  };
}
