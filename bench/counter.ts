/**
 * Counts what a DynamoDB client sends, through the SDK's middleware stack: requests by command,
 * write and read requests, items read (ScannedCount of queries, returned items of gets), the
 * capacity units DynamoDB Local reports (ReturnConsumedCapacity INDEXES is added to every data
 * request, so base table and index units are both counted), conditional-check failures, and errors.
 *
 * Requests are attributed to a tag taken from AsyncLocalStorage: the bench runs each HTTP route
 * and the timed work under their own tag, so one engine (as in the local server) can be measured
 * per route. While recording, each request's input is kept for the raw replay (replay.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const WRITE_COMMANDS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
const READ_COMMANDS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const DATA_COMMANDS = new Set([...WRITE_COMMANDS, ...READ_COMMANDS]);

export interface Tally {
  requests: Record<string, number>;
  total: number;
  writes: number;
  reads: number;
  itemsRead: number;
  /** Capacity units as DynamoDB Local reports them (table + indexes); it does not double transactions. */
  writeUnits: number;
  readUnits: number;
  /** Writes refused by their condition (lost claims, stale receipts): requests that changed nothing. */
  conditionFailures: number;
  /** Other errors by name (throttling, timeouts, …). */
  errors: Record<string, number>;
}

export interface RecordedRequest {
  command: string;
  input: Record<string, unknown>;
}

const tags = new AsyncLocalStorage<string>();

/** Runs `fn` with every DynamoDB request it causes attributed to `tag`. */
export const withTag = <T>(tag: string, fn: () => T): T => tags.run(tag, fn);

export const emptyTally = (): Tally => ({
  requests: {},
  total: 0,
  writes: 0,
  reads: 0,
  itemsRead: 0,
  writeUnits: 0,
  readUnits: 0,
  conditionFailures: 0,
  errors: {},
});

export function addTallies(...tallies: Tally[]): Tally {
  const sum = emptyTally();
  for (const tally of tallies) {
    for (const [command, n] of Object.entries(tally.requests))
      sum.requests[command] = (sum.requests[command] ?? 0) + n;
    for (const [name, n] of Object.entries(tally.errors)) sum.errors[name] = (sum.errors[name] ?? 0) + n;
    sum.total += tally.total;
    sum.writes += tally.writes;
    sum.reads += tally.reads;
    sum.itemsRead += tally.itemsRead;
    sum.writeUnits += tally.writeUnits;
    sum.readUnits += tally.readUnits;
    sum.conditionFailures += tally.conditionFailures;
  }
  return sum;
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export interface Counter {
  /** Counts per tag since the last take, then starts again from zero. */
  take(): Record<string, Tally>;
  /** Keeps the input of every data request of the given tags from now on (for the raw replay). */
  record(tagsToRecord: string[]): void;
  /** The recorded requests in the order they were sent; stops recording. */
  takeRecording(): RecordedRequest[];
}

export function countRequests(client: DynamoDBClient): Counter {
  let byTag = new Map<string, Tally>();
  let recording: Set<string> | undefined;
  let recorded: RecordedRequest[] = [];
  const tallyOf = (tag: string) => {
    let tally = byTag.get(tag);
    if (!tally) {
      tally = emptyTally();
      byTag.set(tag, tally);
    }
    return tally;
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const tag = tags.getStore() ?? 'untagged';
      const input = args.input as Record<string, unknown>;
      const isData = DATA_COMMANDS.has(command);
      if (isData) input.ReturnConsumedCapacity ??= 'INDEXES';
      if (recording?.has(tag) && isData) recorded.push({ command, input: structuredClone(input) });
      const tally = tallyOf(tag);
      tally.requests[command] = (tally.requests[command] ?? 0) + 1;
      tally.total++;
      if (WRITE_COMMANDS.has(command)) tally.writes++;
      if (READ_COMMANDS.has(command)) tally.reads++;
      try {
        const result = await next(args);
        const output = result.output as {
          ScannedCount?: number;
          Item?: unknown;
          Responses?: Record<string, unknown[]> | unknown[];
          ConsumedCapacity?: Capacity | Capacity[];
        };
        if (typeof output.ScannedCount === 'number') tally.itemsRead += output.ScannedCount;
        if (output.Item) tally.itemsRead += 1;
        const responses = output.Responses;
        if (Array.isArray(responses)) tally.itemsRead += responses.length;
        else for (const items of Object.values(responses ?? {})) tally.itemsRead += items.length;
        const capacities = output.ConsumedCapacity;
        for (const capacity of Array.isArray(capacities) ? capacities : capacities ? [capacities] : []) {
          const units = capacity.CapacityUnits ?? 0;
          if (WRITE_COMMANDS.has(command)) tally.writeUnits += units;
          else tally.readUnits += units;
        }
        return result;
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'ConditionalCheckFailedException') tally.conditionFailures++;
        else if (name === 'TransactionCanceledException') {
          const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
          if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) tally.conditionFailures++;
          else tally.errors[name] = (tally.errors[name] ?? 0) + 1;
        } else tally.errors[name] = (tally.errors[name] ?? 0) + 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );

  return {
    take() {
      const taken = Object.fromEntries(byTag);
      byTag = new Map();
      return taken;
    },
    record(tagsToRecord) {
      recording = new Set(tagsToRecord);
      recorded = [];
    },
    takeRecording() {
      const taken = recorded;
      recording = undefined;
      recorded = [];
      return taken;
    },
  };
}

/** The sum of the given tags' tallies (all tags when none are named). */
export function tallyOf(byTag: Record<string, Tally>, only?: string[]): Tally {
  return addTallies(
    ...Object.entries(byTag)
      .filter(([tag]) => only === undefined || only.includes(tag))
      .map(([, tally]) => tally),
  );
}
