/**
 * A partition-throttle simulator: an HTTP proxy on 127.0.0.1 in front of DynamoDB Local that
 * holds every partition to DynamoDB's per-partition write limit (1,000 write units a second by
 * default; tests and the bench scale it down, e.g. to 40, so that the limit shows on this
 * machine) and answers as DynamoDB does above it. Point an SDK client's `endpoint` (or
 * DYNAMODB_ENDPOINT) at `url`.
 *
 * Every write request (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems) is
 * sized item by item (write-plan.ts: 1 KB units, ×2 in a transaction, the `avail` index's writes
 * charged to the index partition of the item's `apk`), and each partition it writes must have the
 * units in its bucket (buckets.ts). If one does not:
 *
 *   PutItem / UpdateItem / DeleteItem   400 ProvisionedThroughputExceededException (or
 *                                       ThrottlingException, as configured) with ThrottlingReasons
 *   TransactWriteItems                  400 TransactionCanceledException, ThrottlingError reasons
 *   BatchWriteItem                      the items that fit are written, the others come back in
 *                                       UnprocessedItems; none fits: ProvisionedThroughputExceeded
 *
 * and nothing of the refused request or item reaches DynamoDB Local: nothing half-done. Reads and
 * every other operation pass through unthrottled (Postbox's reads are far below the 3,000 read
 * units of a partition) and are counted.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../../functions/core/table';
import { type Answer, type ThrottleException, throttledTransaction, throttledWrite } from './answers';
import { PartitionBuckets } from './buckets';
import { ItemBook } from './item-book';
import type { WireItem } from './item-size';
import {
  type Charge,
  type ItemWrite,
  intentsOf,
  planWrite,
  type Schema,
  WRITE_OPERATIONS,
} from './write-plan';

export interface ThrottleProxyOptions {
  /** Write units a second per partition (table and index alike). @default 1000 */
  writeUnitsPerSecond?: number;
  /** What a throttled single write is answered with. @default 'ProvisionedThroughputExceededException' */
  exception?: ThrottleException;
  /** Milliseconds; tests pass a manual clock. @default performance.now */
  clock?: () => number;
  /** Key and index attribute names. @default Postbox's table (functions/core/table.ts) */
  schema?: Schema;
}

export interface ThrottleCounts {
  /** Requests that reached DynamoDB Local, by operation. */
  forwarded: Record<string, number>;
  /** Write requests answered as throttled (nothing of them forwarded), by operation. */
  throttled: Record<string, number>;
  /** BatchWriteItem items handed back in UnprocessedItems. */
  unprocessedItems: number;
  /** Write units let through, by partition (`<table> <pk>` or `<table>/index/avail <apk>`). */
  units: Record<string, number>;
}

export interface ThrottleProxy {
  url: string;
  /** Counts since the last take, then starts again from zero. */
  take(): ThrottleCounts;
  /** Changes the limit from now on. */
  setLimit(writeUnitsPerSecond: number): void;
  close(): Promise<void>;
}

const POSTBOX_SCHEMA: Schema = {
  partitionKey: TABLE.partitionKey,
  sortKey: TABLE.sortKey,
  index: {
    name: TABLE.availabilityIndex.name,
    partitionKey: TABLE.availabilityIndex.partitionKey,
    sortKey: TABLE.availabilityIndex.sortKey,
    projected: TABLE.availabilityIndex.projected,
  },
};

const emptyCounts = (): ThrottleCounts => ({ forwarded: {}, throttled: {}, unprocessedItems: 0, units: {} });
const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startThrottleProxy(
  target: string,
  options: ThrottleProxyOptions = {},
): Promise<ThrottleProxy> {
  const upstream = new URL(target);
  const schema = options.schema ?? POSTBOX_SCHEMA;
  const exception = options.exception ?? 'ProvisionedThroughputExceededException';
  let limit = options.writeUnitsPerSecond ?? 1_000;
  const buckets = new PartitionBuckets(() => limit, options.clock ?? (() => performance.now()));
  const bookClient = new DynamoDBClient({
    endpoint: target,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const book = new ItemBook(bookClient, schema);
  let counts = emptyCounts();

  /** Sends a request body on to DynamoDB Local; answers its status, headers and body. */
  function forward(incoming: IncomingMessage, body: Buffer) {
    return new Promise<{
      status: number;
      headers: Record<string, string | string[] | undefined>;
      body: Buffer;
    }>((resolve, reject) => {
      const request = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host, 'content-length': String(body.length) },
        },
        (answer) => {
          readBody(answer).then(
            (answerBody) =>
              resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: answerBody }),
            reject,
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  function answerWith(outgoing: ServerResponse, answer: Answer): void {
    const body = Buffer.from(answer.body);
    outgoing.writeHead(answer.status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': `throttle-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
      'content-length': String(body.length),
    });
    outgoing.end(body);
  }

  function pass(
    outgoing: ServerResponse,
    status: number,
    headers: Record<string, unknown>,
    body: Buffer,
  ): void {
    outgoing.writeHead(status, headers as Record<string, string>);
    outgoing.end(body);
  }

  function recordAdmitted(plans: ItemWrite[]): void {
    for (const plan of plans)
      for (const charge of plan.charges) bump(counts.units, charge.partition, charge.units);
  }

  const indexCharges = (plans: ItemWrite[]) =>
    plans.flatMap((plan) => plan.charges.filter((charge) => charge.resource === 'index'));

  async function handleWrite(
    operation: string,
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    raw: Buffer,
  ): Promise<void> {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const intents = intentsOf(operation, body, schema);
    const befores = await Promise.all(intents.map((intent) => book.before(intent)));
    const transactional = operation === 'TransactWriteItems';
    const plans = intents.map((intent, i) => planWrite(intent, befores[i], schema, transactional));

    if (operation === 'BatchWriteItem') return handleBatch(incoming, outgoing, body, plans);

    const all = plans.flatMap((plan) => plan.charges);
    const short = buckets.shortOf(all);
    if (short.length > 0) {
      bump(counts.throttled, operation);
      const shortSet = new Set(short.map((charge) => charge.partition));
      return answerWith(
        outgoing,
        transactional
          ? throttledTransaction(
              plans.map((plan) => plan.charges.filter((charge) => shortSet.has(charge.partition))),
            )
          : throttledWrite(short, exception),
      );
    }
    buckets.pay(all);
    recordAdmitted(plans);
    bump(counts.forwarded, operation);
    const answer = await forward(incoming, raw);
    if (answer.status === 200) {
      const attributes = (JSON.parse(answer.body.toString('utf8') || '{}') as { Attributes?: WireItem })
        .Attributes;
      for (const plan of plans) {
        if (plan.kind === 'check') continue;
        const allNew = operation === 'UpdateItem' && body.ReturnValues === 'ALL_NEW' && attributes;
        if (allNew) book.setItem(plan.id, attributes);
        else book.set(plan.id, plan.after);
      }
    } else {
      // A condition failed or the transaction was cancelled: nothing changed, so the index was
      // not written (the table's units stay spent, as DynamoDB charges a failed conditional write).
      buckets.refund(indexCharges(plans));
    }
    pass(outgoing, answer.status, answer.headers, answer.body);
  }

  async function handleBatch(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    body: Record<string, unknown>,
    plans: ItemWrite[],
  ): Promise<void> {
    // biome-ignore lint/suspicious/noExplicitAny: DynamoDB's JSON request shapes
    const requests = Object.entries(body.RequestItems as Record<string, any[]>).flatMap(([table, list]) =>
      list.map((request) => ({ table, request })),
    );
    const admitted: number[] = [];
    const refused: number[] = [];
    let firstShort: Charge[] = [];
    plans.forEach((plan, i) => {
      const short = buckets.shortOf(plan.charges);
      if (short.length === 0) {
        buckets.pay(plan.charges);
        admitted.push(i);
      } else {
        if (firstShort.length === 0) firstShort = short;
        refused.push(i);
      }
    });
    if (admitted.length === 0) {
      bump(counts.throttled, 'BatchWriteItem');
      return answerWith(outgoing, throttledWrite(firstShort, exception));
    }
    recordAdmitted(admitted.map((i) => plans[i] as ItemWrite));
    counts.unprocessedItems += refused.length;
    bump(counts.forwarded, 'BatchWriteItem');
    const group = (indexes: number[]) => {
      const grouped: Record<string, unknown[]> = {};
      for (const i of indexes) {
        const entry = requests[i];
        if (!entry) continue;
        grouped[entry.table] ??= [];
        grouped[entry.table]?.push(entry.request);
      }
      return grouped;
    };
    const sent = Buffer.from(JSON.stringify({ ...body, RequestItems: group(admitted) }));
    const answer = await forward(incoming, sent);
    if (answer.status !== 200) return pass(outgoing, answer.status, answer.headers, answer.body);
    const output = JSON.parse(answer.body.toString('utf8')) as {
      UnprocessedItems?: Record<string, unknown[]>;
    };
    const upstreamUnprocessed = new Set(
      Object.values(output.UnprocessedItems ?? {})
        .flat()
        .map((request) => JSON.stringify(request)),
    );
    for (const i of admitted) {
      const plan = plans[i] as ItemWrite;
      if (!upstreamUnprocessed.has(JSON.stringify(requests[i]?.request))) book.set(plan.id, plan.after);
    }
    const unprocessed = group(refused);
    for (const [table, list] of Object.entries(output.UnprocessedItems ?? {})) {
      unprocessed[table] = [...(unprocessed[table] ?? []), ...list];
    }
    const merged = Buffer.from(JSON.stringify({ ...output, UnprocessedItems: unprocessed }));
    // The SDK checks the body against x-amz-crc32 when the header is there.
    pass(
      outgoing,
      200,
      { ...answer.headers, 'content-length': String(merged.length), 'x-amz-crc32': String(crc32(merged)) },
      merged,
    );
  }

  const server = createServer((incoming, outgoing) => {
    const header = incoming.headers['x-amz-target'];
    const operation = String(Array.isArray(header) ? header[0] : (header ?? 'unknown')).replace(/^.*\./, '');
    void (async () => {
      const raw = await readBody(incoming);
      if (WRITE_OPERATIONS.has(operation)) return handleWrite(operation, incoming, outgoing, raw);
      bump(counts.forwarded, operation);
      const answer = await forward(incoming, raw);
      pass(outgoing, answer.status, answer.headers, answer.body);
    })().catch((error: Error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`throttle proxy: ${error.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    take() {
      const taken = counts;
      counts = emptyCounts();
      return taken;
    },
    setLimit(writeUnitsPerSecond) {
      limit = writeUnitsPerSecond;
    },
    close: () =>
      new Promise<void>((resolve) => {
        bookClient.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
