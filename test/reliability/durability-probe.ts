/**
 * Does DynamoDB Local lose a write it acknowledged when its JVM is SIGKILLed?
 *
 *   npx tsx test/reliability/durability-probe.ts [--runs 40] [--writers 16] [--op put|transact]
 *
 * DynamoDB Local is started exactly as the local server starts it (crash-store.ts: the command
 * line of functions/local/java.ts, the bundled jar, -sharedDb, on disk, a free port) and given a
 * table. Each run has `writers` loops
 * send writes straight to it (no Postbox code in between): PutItem of a new item (`put`), or a
 * TransactWriteItems of two new items (`transact`, the shape of a bounded publish). Once 50 writes
 * are acknowledged it SIGKILLs the JVM at a random moment (0–1.5 s later) while writes are in
 * flight, starts DynamoDB Local again on the same data directory (the next run's instance) and
 * reads the whole table back with a consistent Scan: every write answered 200 in this run or an
 * earlier one must be there. A write whose answer never came (in flight at the kill) may be
 * there or not, and is only counted.
 *
 * Prints one line per run and a total; exits 1 if any acknowledged write was missing.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { type CrashStore, startCrashStore } from './crash-store';

const TABLE = 'probe';

interface RunResult {
  acked: number;
  /** Acknowledged in this run or an earlier one, and missing after this restart. */
  missing: string[];
  inFlight: number;
  inFlightFound: number;
  killAfterMs: number;
}

function clientFor(dynamo: CrashStore): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // One attempt: an answer is the answer to this very request, never to a retry of it.
    maxAttempts: 1,
  });
}

const item = (pk: string) => ({ pk: { S: pk }, body: { S: 'x'.repeat(200) } });

/** The keys each operation writes; all of them must be there once it was acknowledged. */
function write(client: DynamoDBClient, op: string, key: string): { keys: string[]; send: Promise<unknown> } {
  if (op === 'transact') {
    const keys = [`${key}a`, `${key}b`];
    const TransactItems = keys.map((pk) => ({ Put: { TableName: TABLE, Item: item(pk) } }));
    return { keys, send: client.send(new TransactWriteItemsCommand({ TransactItems })) };
  }
  return { keys: [key], send: client.send(new PutItemCommand({ TableName: TABLE, Item: item(key) })) };
}

async function storedKeys(client: DynamoDBClient): Promise<Set<string>> {
  const keys = new Set<string>();
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page: ScanCommandOutput = await client.send(
      new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const row of page.Items ?? []) if (row.pk?.S) keys.add(row.pk.S);
    start = page.LastEvaluatedKey;
  } while (start);
  return keys;
}

/** How long each start took to answer (s): the machine's load, reported with the counts. */
const startSeconds: number[] = [];

async function start(dataDir: string): Promise<CrashStore> {
  const store = await startCrashStore(dataDir);
  startSeconds.push(store.startMs / 1000);
  return store;
}

/**
 * One run on a DynamoDB Local that is up: load, SIGKILL at a random moment, start again on the
 * same directory (the next run's instance), and check every write acknowledged so far.
 */
async function runOnce(
  dynamo: CrashStore,
  run: number,
  writers: number,
  op: string,
  ackedSoFar: string[],
): Promise<{ result: RunResult; restarted: CrashStore }> {
  const client = clientFor(dynamo);
  const acked: string[] = [];
  const inFlight = new Set<string>();
  let killed = false;
  let next = 0;
  const writer = async () => {
    while (!killed) {
      const { keys, send } = write(client, op, `r${run}-${next++}`);
      for (const key of keys) inFlight.add(key);
      try {
        await send;
      } catch {
        return; // the kill: this write's keys stay in flight (ambiguous)
      }
      // Answered 200 (whether before or after the kill was noticed here): durable, or lost.
      for (const key of keys) {
        inFlight.delete(key);
        acked.push(key);
      }
    }
  };
  const load = Promise.all(Array.from({ length: writers }, writer));
  while (acked.length < 50) await new Promise((r) => setTimeout(r, 5));
  const killAfterMs = Math.floor(Math.random() * 1_500);
  await new Promise((r) => setTimeout(r, killAfterMs));
  process.kill(dynamo.pid, 'SIGKILL');
  killed = true;
  await dynamo.exited;
  await load;
  client.destroy();

  const restarted = await start(dynamo.dataDir);
  const reader = clientFor(restarted);
  try {
    const stored = await storedKeys(reader);
    ackedSoFar.push(...acked);
    return {
      result: {
        acked: acked.length,
        missing: ackedSoFar.filter((key) => !stored.has(key)),
        inFlight: inFlight.size,
        inFlightFound: [...inFlight].filter((key) => stored.has(key)).length,
        killAfterMs,
      },
      restarted,
    };
  } finally {
    reader.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '40' },
      writers: { type: 'string', default: '16' },
      op: { type: 'string', default: 'put' },
    },
  });
  const runs = Number(values.runs);
  const writers = Number(values.writers);
  const op = values.op as string;
  if (op !== 'put' && op !== 'transact') throw new Error(`--op must be put or transact, not ${op}`);
  let acked = 0;
  let missing = 0;
  let inFlight = 0;
  let inFlightFound = 0;
  let runsLosing = 0;
  // One data directory for every run: each restart also re-checks the earlier runs' writes.
  const dataDir = realpathSync(mkdtempSync(join(tmpdir(), 'postbox-probe-')));
  let dynamo = await start(dataDir);
  const setup = clientFor(dynamo);
  await setup.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  setup.destroy();
  const ackedSoFar: string[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const { result, restarted } = await runOnce(dynamo, run, writers, op, ackedSoFar);
      dynamo = restarted;
      acked += result.acked;
      missing = result.missing.length;
      inFlight += result.inFlight;
      inFlightFound += result.inFlightFound;
      if (result.missing.length > 0) runsLosing++;
      console.log(
        `run ${run}: kill ${result.killAfterMs} ms into the load, ${result.acked} acknowledged, ` +
          `${result.missing.length} of ${ackedSoFar.length} acknowledged so far missing` +
          `${result.missing.length ? ` (${result.missing.join(' ')})` : ''}, ` +
          `${result.inFlight} in flight at the kill (${result.inFlightFound} of them stored)`,
      );
    }
  } finally {
    await dynamo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    `${op}: ${runs} runs, ${acked} acknowledged writes, ${missing} missing after restart ` +
      `(${runsLosing} restarts found any missing); ${inFlight} in flight at the kill, ${inFlightFound} of them stored; ` +
      `starts answered in ${Math.min(...startSeconds).toFixed(1)}–${Math.max(...startSeconds).toFixed(1)} s`,
  );
  process.exitCode = missing > 0 ? 1 : 0;
}

void main().catch((error) => {
  console.error(error);
  process.exit(2);
});
