/**
 * The local server as users run it (`npm start`'s command, a child process) on the test run's
 * DynamoDB Local, with a bearer token; and a fresh queue name per test.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { PostboxClient, type PostboxClientOptions } from '../../client/src';
import { freePort } from '../../functions/local/dynamodb-local';
import { exitWithin, killEverything, type RunningServer, startServer } from '../e2e/local-server-process';

export interface LocalPostbox {
  url: string;
  token: string;
  server: RunningServer;
  client(options?: PostboxClientOptions): PostboxClient;
  stop(): Promise<void>;
}

/** Starts a server on a table of its own; `stop()` in afterAll. */
export async function startPostbox(): Promise<LocalPostbox> {
  const token = `token-${randomUUID()}`;
  const server = await startServer({
    PORT: String(await freePort()),
    DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
    POSTBOX_TABLE: `client-${randomUUID()}`,
    POSTBOX_TOKEN: token,
  });
  return {
    url: server.url,
    token,
    server,
    client: (options = {}) => new PostboxClient({ url: server.url, token, ...options }),
    async stop() {
      process.kill(server.serverPid, 'SIGTERM');
      await exitWithin(server, 15_000).catch(() => undefined);
      killEverything();
    },
  };
}

/** A queue name no other test uses. */
export const queueName = (prefix = 'q') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Polls `check` until it returns true, for at most `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
