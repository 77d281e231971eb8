/**
 * What the bench runs against: one DynamoDB Local (in memory, on a free port) and, per phase, a
 * fresh table with a local server on it wired as functions/local/main.ts wires it: a
 * DynamoEngine wrapped by the due tracker, the HTTP app served on 127.0.0.1 by the local server's
 * own node:http adapter, and the timed work woken at due times. The engine's client counts its requests (counter.ts); each
 * HTTP route and the timed work are counted under their own tag.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createApp } from '../functions/api/app';
import { DynamoEngine } from '../functions/core/dynamo-engine';
import { ensureTable } from '../functions/core/table';
import { DueTracker } from '../functions/local/due-tracker';
import { type DynamoDbLocal, startDynamoDbLocal } from '../functions/local/dynamodb-local';
import { startServer } from '../functions/local/server';
import { startDueWork } from '../functions/local/timers';
import { TrackedEngine } from '../functions/local/tracked-engine';
import { type Counter, countRequests, withTag } from './counter';

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

export async function startStore(): Promise<DynamoDbLocal> {
  return startDynamoDbLocal({ inMemory: true });
}

/** The route a request is counted under. */
export function routeTag(method: string, path: string): string {
  if (method === 'POST' && /^\/v1\/queues\/[^/]+\/messages$/.test(path)) return 'publish';
  if (method === 'POST' && /\/messages\/batch$/.test(path)) return 'publishBatch';
  if (method === 'POST' && /\/receive$/.test(path)) return 'receive';
  if (method === 'POST' && /\/ack$/.test(path)) return 'ack';
  return 'other';
}

export interface PhaseServer {
  url: string;
  tableName: string;
  /** The engine as the local server wires it (main.ts): due times noted for the timed work. */
  engine: TrackedEngine;
  client: DynamoDBClient;
  counter: Counter;
  /** A second server on the same table with its own engine, as another process would be. */
  startPeer(): Promise<{ url: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startPhaseServer(
  endpoint: string,
  options: { timedWork?: boolean } = {},
): Promise<PhaseServer> {
  const client = dynamoClient(endpoint);
  const counter = countRequests(client);
  const tableName = `bench-${randomUUID()}`;
  await withTag('setup', () => ensureTable(client, tableName));
  const dynamoEngine = new DynamoEngine({ client, tableName });
  const tracker = new DueTracker({ engine: dynamoEngine, log: () => {} });
  const engine = new TrackedEngine(dynamoEngine, tracker);
  const app = createApp({ engine });
  const server = await startServer({
    fetch: (request) => {
      const { pathname } = new URL(request.url);
      return withTag(routeTag(request.method, pathname), () => app.fetch(request));
    },
    port: 0,
  });
  const dueWork =
    options.timedWork === false
      ? undefined
      : startDueWork({
          due: {
            nextWakeAt: () => tracker.nextWakeAt(),
            runDue: () => withTag('timed', () => tracker.runDue()),
            onEarlier: (listener) => tracker.onEarlier(listener),
          },
        });
  const peers: { close(): Promise<void> }[] = [];
  return {
    url: server.url,
    tableName,
    engine,
    client,
    counter,
    async startPeer() {
      const peerClient = dynamoClient(endpoint);
      const peerEngine = new DynamoEngine({ client: peerClient, tableName });
      const peerApp = createApp({ engine: peerEngine });
      const peer = await startServer({ fetch: (request) => peerApp.fetch(request), port: 0 });
      const handle = {
        url: peer.url,
        close: async () => {
          await peer.close(500);
          peerClient.destroy();
        },
      };
      peers.push(handle);
      return handle;
    },
    async close() {
      for (const peer of peers) await peer.close();
      await server.close(500);
      await dueWork?.stop();
      client.destroy();
    },
  };
}
