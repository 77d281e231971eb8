/**
 * `npm start`: the local server (docs/api.md, "Local server"). Wiring only: the environment becomes
 * parameters here (config.ts) and nowhere below; DynamoDB Local is started unless
 * DYNAMODB_ENDPOINT is given; the table is created if missing; the app is served on 127.0.0.1;
 * the timed work runs until SIGINT/SIGTERM/SIGHUP (or the parent process goes away), which stop
 * everything in reverse order and exit 0.
 */
import './sdk-node-warning';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { builtConsole, CONSOLE_PATH, consoleFiles } from '../../console/serve';
import { createApp } from '../api/app';
import { meteredEngine, RateMeter } from '../api/rates';
import { DynamoEngine } from '../core/dynamo-engine';
import { PartitionThrottleRetryStrategy } from '../core/retry-strategy';
import { ensureTable } from '../core/table';
import { settingsFor } from '../sqs/settings';
import { type LocalConfig, readConfig } from './config';
import { loadConsumers } from './consumer-config';
import { type LocalConsumers, startConsumers } from './consumers';
import { DueTracker } from './due-tracker';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { watchParent } from './parent-watch';
import { ScheduleTimer } from './schedule-timer';
import { checkPort, type LocalServer, startServer } from './server';
import { type DueWork, startDueWork } from './timers';
import { TrackedEngine } from './tracked-engine';

let dynamo: DynamoDbLocal | undefined;
let client: DynamoDBClient | undefined;
let server: LocalServer | undefined;
let dueWork: DueWork | undefined;
let scheduleWork: DueWork | undefined;
let consumers: LocalConsumers | undefined;
let stopping: Promise<void> | undefined;

/**
 * Everything that uses the store stops before the store: no new requests, sweeps or consumer
 * receives, the ones under way finished; only then DynamoDB Local. A sweep or a consumer that
 * outlived the store would log failures and retries that make a clean stop look like a crash.
 * Safe to call twice.
 */
function stop(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all([server?.close(), consumers?.stop(), dueWork?.stop(), scheduleWork?.stop()]);
    client?.destroy();
    await dynamo?.stop();
  })();
  return stopping;
}

async function start(config: LocalConfig): Promise<void> {
  // A taken port should fail in milliseconds, not after Java has started.
  await checkPort(config.port);
  // Consumers from postbox.config.*, POSTBOX_CONSUMERS and --consumer: a bad one fails before Java starts.
  const consumerList = await loadConsumers({
    cwd: process.cwd(),
    env: process.env.POSTBOX_CONSUMERS,
    args: process.argv.slice(2),
  });

  let endpoint = config.dynamoEndpoint;
  let storeNote = `DynamoDB at ${endpoint}, table ${config.tableName}`;
  if (endpoint === undefined) {
    dynamo = await startDynamoDbLocal({ inMemory: config.inMemory, dataDir: config.dataDir });
    if (dynamo.staleStopped !== undefined) {
      console.log(`Stopped DynamoDB Local (pid ${dynamo.staleStopped}) left running by an earlier Postbox`);
    }
    endpoint = dynamo.endpoint;
    storeNote = `DynamoDB Local on port ${dynamo.port}, ${dynamo.dataDir ? `data in ${dynamo.dataDir}` : 'in memory'}`;
    void dynamo.exited.then(({ code, signal }) => {
      if (stopping) return;
      console.error(`DynamoDB Local exited unexpectedly (${signal ?? `code ${code}`}); stopping Postbox`);
      void stop().then(() => process.exit(1));
    });
  }

  client = new DynamoDBClient({
    endpoint,
    // Explicit region and dummy keys: the SDK's default chain would otherwise probe the network
    // (EC2 metadata) for credentials. DynamoDB Local accepts any letters-and-digits key.
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    retryStrategy: new PartitionThrottleRetryStrategy(),
  });
  await ensureTable(client, config.tableName).catch((error: Error) => {
    throw new Error(`table ${config.tableName} at ${endpoint}: ${error.message}`, { cause: error });
  });

  // The timed work wakes at due times learned from this engine's own answers (due-tracker.ts).
  const dynamoEngine = new DynamoEngine({ client, tableName: config.tableName });
  const dueTracker = new DueTracker({ engine: dynamoEngine });
  const engine = new TrackedEngine(dynamoEngine, dueTracker);
  // Recurring schedules fire on their own timer, at each schedule's next firing (schedule-timer.ts).
  const scheduleTimer = new ScheduleTimer({ engine });
  engine.onScheduleDefined = (at) => scheduleTimer.noteFiring(at);
  // One meter for the API and the consumers; the app answers their state (GET /v1/consumers).
  const rates = new RateMeter();
  const app = createApp({
    engine,
    token: config.token,
    rates,
    consumers: () => consumers?.status() ?? [],
    // The SQS endpoint keeps tags and SQS-only attributes in the table, beside the queue.
    sqsSettings: settingsFor(dynamoEngine),
  });
  // Building the console is a build step (npm start's prestart), not the server's job; the API
  // works without the console, so a missing build is reported, not fatal.
  const built = builtConsole();
  server = await startServer({
    fetch: (request) => app.fetch(request),
    port: config.port,
    consoleFiles: 'dir' in built ? consoleFiles({ dir: built.dir }) : undefined,
  });
  consumers = await startConsumers({ engine: meteredEngine(engine, rates), consumers: consumerList });
  console.log(`Postbox listening on ${server.url} (${storeNote})`);
  if ('dir' in built) console.log(`Web console: ${server.url}${CONSOLE_PATH}`);
  else console.error(`No web console at ${CONSOLE_PATH}: ${built.problem}`);
  for (const consumer of consumerList) {
    const { queue, handler, batchSize, concurrency, visibilityTimeoutSeconds } = consumer;
    console.log(
      `Consumer of ${queue}: ${handler} (batchSize ${batchSize}, concurrency ${concurrency}, visibilityTimeoutSeconds ${visibilityTimeoutSeconds})`,
    );
  }
  // After the ready line, so that it stays the first thing a person reads (the start-up pass
  // logs a line of its own). Receives see due messages by time meanwhile; nothing waits on this.
  dueWork = startDueWork({ due: dueTracker });
  scheduleWork = startDueWork({ due: scheduleTimer });
}

let firstSignalAt = 0;
function onSignal(signal: NodeJS.Signals | 'Parent process gone'): void {
  if (stopping) {
    // A second Ctrl-C: stop waiting (the exit hook still takes DynamoDB Local along). One within a
    // second is the same Ctrl-C again: npm relays to us what the terminal also sent us.
    if (Date.now() - firstSignalAt > 1_000) process.exit(1);
    return;
  }
  firstSignalAt = Date.now();
  console.log(`${signal}: stopping Postbox`);
  stop().then(
    () => process.exit(0),
    (error) => {
      console.error(`Postbox did not stop cleanly: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}

// Before anything starts, so a Ctrl-C during start-up also stops DynamoDB Local.
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A closed terminal: stop as cleanly as for Ctrl-C rather than die with DynamoDB Local running.
process.on('SIGHUP', onSignal);
// A parent that died without passing a signal on (a wrapper shell, a SIGKILLed npm): stop too,
// rather than keep serving the port as an orphan (parent-watch.ts).
watchParent(() => onSignal('Parent process gone'));

try {
  const config = readConfig(process.env, process.cwd());
  start(config).catch(async (error: Error) => {
    if (stopping) return;
    console.error(`Postbox could not start: ${error.message}`);
    await stop().catch(() => undefined);
    process.exit(1);
  });
} catch (error) {
  console.error(`Postbox could not start: ${(error as Error).message}`);
  process.exit(1);
}
