/**
 * "Raw DynamoDB Local calls of the same count": the requests the queue made during a measured
 * phase, recorded by counter.ts, sent again directly with the SDK at the same concurrency, with
 * no HTTP, no app and no engine in between.
 *
 * Same number, same commands, same order, same expressions, same item sizes, same index and
 * query limits. What changes: keys point at a separate partition of the same table (a queue's
 * message partition becomes `RAW#<run>#p`, its #META item `RAW#<run>`), each update, delete or get
 * of a message gets its own pre-seeded copy of a real message item, each put writes a new key, and
 * conditions are left out (a raw call has no state to check, so it always succeeds where the queue
 * may have lost a race; evaluating a condition costs DynamoDB Local next to nothing).
 * The seeding happens before the clock starts.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { RecordedRequest } from './counter';
import { round, type Summary, summarize } from './stats';

type Attrs = Record<string, AttributeValue>;
// biome-ignore lint/suspicious/noExplicitAny: recorded SDK inputs of several shapes
type Input = Record<string, any>;

// biome-ignore lint/suspicious/noExplicitAny: the SDK's command classes differ only in their input type
const COMMANDS: Record<string, new (input: any) => any> = {
  PutItem: PutItemCommand,
  UpdateItem: UpdateItemCommand,
  DeleteItem: DeleteItemCommand,
  GetItem: GetItemCommand,
  Query: QueryCommand,
  Scan: ScanCommand,
  BatchWriteItem: BatchWriteItemCommand,
  BatchGetItem: BatchGetItemCommand,
  TransactWriteItems: TransactWriteItemsCommand,
  TransactGetItems: TransactGetItemsCommand,
};

export interface ReplayResult {
  /** Sent: all of `recorded` unless the deadline came first. */
  requests: number;
  recorded: number;
  byCommand: Record<string, number>;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: Summary;
  errors: Record<string, number>;
}

class Rewriter {
  readonly metaPk: string;
  readonly partition: string;
  private pool = 0;
  private fresh = 0;

  constructor(readonly tableName: string) {
    const run = randomUUID().slice(0, 8);
    this.metaPk = `RAW#${run}`;
    this.partition = `RAW#${run}#p`;
  }

  get poolSize() {
    return this.pool;
  }

  /** A queue's keys mapped to the raw ones: `Q#<queue>` → meta pk, `Q#<queue>#<inc>` → partition. */
  mapString(value: string): string {
    if (value === 'QUEUES' || value === 'TOPICS') return `${this.metaPk}#${value}`;
    if (!value.startsWith('Q#')) return value;
    return value.split('#').length === 2 ? this.metaPk : this.partition;
  }

  mapValues(values: Attrs | undefined): Attrs | undefined {
    if (!values) return values;
    return Object.fromEntries(
      Object.entries(values).map(([name, value]) => [
        name,
        value.S !== undefined ? { S: this.mapString(value.S) } : value,
      ]),
    );
  }

  /** A key of the recorded request → the key the raw call uses. */
  key(key: Attrs): Attrs {
    const pk = key.pk?.S ?? '';
    const sk = key.sk?.S ?? '';
    if (sk.startsWith('M#') && pk.startsWith('Q#')) return this.poolKey(this.pool++);
    return { pk: { S: this.mapString(pk) }, sk: { S: sk } };
  }

  poolKey(index: number): Attrs {
    return { pk: { S: this.partition }, sk: { S: `M#pool-${index}` } };
  }

  /** An item to put: a new key in the raw partition, everything else as recorded. */
  item(item: Attrs): Attrs {
    const copy: Attrs = { ...item };
    const pk = item.pk?.S ?? '';
    const sk = item.sk?.S ?? '';
    copy.pk = { S: this.mapString(pk) };
    if (sk.startsWith('M#')) copy.sk = { S: `M#raw-${this.fresh++}` };
    if (item.apk?.S !== undefined) copy.apk = { S: this.mapString(item.apk.S) };
    return copy;
  }

  /** Conditions dropped; names and values no remaining expression uses are dropped with them. */
  expressions(input: Input): Input {
    const { ConditionExpression: _c, ReturnValuesOnConditionCheckFailure: _r, ...rest } = input;
    const text = [
      rest.UpdateExpression,
      rest.KeyConditionExpression,
      rest.FilterExpression,
      rest.ProjectionExpression,
    ]
      .filter((part): part is string => typeof part === 'string')
      .join(' ');
    const names = Object.fromEntries(
      Object.entries((rest.ExpressionAttributeNames ?? {}) as Record<string, string>).filter(([name]) =>
        new RegExp(`${name}\\b`).test(text),
      ),
    );
    const values = Object.fromEntries(
      Object.entries((this.mapValues(rest.ExpressionAttributeValues) ?? {}) as Attrs).filter(([name]) =>
        new RegExp(`${name}\\b`).test(text),
      ),
    );
    delete rest.ExpressionAttributeNames;
    delete rest.ExpressionAttributeValues;
    if (Object.keys(names).length > 0) rest.ExpressionAttributeNames = names;
    if (Object.keys(values).length > 0) rest.ExpressionAttributeValues = values;
    return rest;
  }

  rewrite(command: string, input: Input): Input {
    switch (command) {
      case 'PutItem':
        return { ...this.expressions(input), Item: this.item(input.Item) };
      case 'UpdateItem':
      case 'DeleteItem':
      case 'GetItem':
        return { ...this.expressions(input), Key: this.key(input.Key) };
      case 'Query':
      case 'Scan': {
        const { ExclusiveStartKey: _start, ...rest } = this.expressions(input);
        return rest;
      }
      case 'BatchWriteItem':
        return {
          ...input,
          RequestItems: Object.fromEntries(
            Object.entries(input.RequestItems as Record<string, Input[]>).map(([table, writes]) => [
              table,
              writes.map((write) =>
                write.PutRequest
                  ? { PutRequest: { Item: this.item(write.PutRequest.Item) } }
                  : { DeleteRequest: { Key: this.key(write.DeleteRequest.Key) } },
              ),
            ]),
          ),
        };
      case 'BatchGetItem':
        return {
          ...input,
          RequestItems: Object.fromEntries(
            Object.entries(input.RequestItems as Record<string, Input>).map(([table, request]) => [
              table,
              { ...request, Keys: (request.Keys as Attrs[]).map((key) => this.key(key)) },
            ]),
          ),
        };
      case 'TransactWriteItems':
        return {
          ...input,
          TransactItems: (input.TransactItems as Input[]).map((action) => {
            if (action.Put)
              return { Put: { ...this.expressions(action.Put), Item: this.item(action.Put.Item) } };
            if (action.Update)
              return { Update: { ...this.expressions(action.Update), Key: this.key(action.Update.Key) } };
            if (action.Delete)
              return { Delete: { ...this.expressions(action.Delete), Key: this.key(action.Delete.Key) } };
            // A condition check must keep a condition: one that holds on a seeded item.
            return {
              ConditionCheck: {
                TableName: action.ConditionCheck.TableName,
                Key: this.poolKey(this.pool++),
                ConditionExpression: 'attribute_exists(#pk)',
                ExpressionAttributeNames: { '#pk': 'pk' },
              },
            };
          }),
        };
      case 'TransactGetItems':
        return {
          ...input,
          TransactItems: (input.TransactItems as Input[]).map((action) => ({
            Get: { ...action.Get, Key: this.key(action.Get.Key) },
          })),
        };
      default:
        throw new Error(`the replay does not know ${command}`);
    }
  }
}

/** The first message item the queue put, as the template of the seeded pool. */
function templateItem(recorded: RecordedRequest[]): Attrs | undefined {
  for (const { command, input } of recorded) {
    if (command === 'PutItem' && String(input.Item && (input.Item as Attrs).sk?.S).startsWith('M#'))
      return input.Item as Attrs;
    if (command === 'BatchWriteItem') {
      for (const writes of Object.values(input.RequestItems as Record<string, Input[]>)) {
        const put = writes.find((write) => write.PutRequest);
        if (put) return put.PutRequest.Item as Attrs;
      }
    }
    if (command === 'TransactWriteItems') {
      const put = (input.TransactItems as Input[]).find((action) =>
        String(action.Put?.Item?.sk?.S).startsWith('M#'),
      );
      if (put) return put.Put.Item as Attrs;
    }
  }
  return undefined;
}

async function seed(client: DynamoDBClient, tableName: string, items: Attrs[]): Promise<void> {
  const chunks: Attrs[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < chunks.length) {
        let pending = (chunks[next++] as Attrs[]).map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const output = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
          );
          pending = (output.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        }
      }
    }),
  );
}

/**
 * Sends `recorded` again against `tableName` with `concurrency` requests in flight at most, and
 * times it, stopping at `ms`. `metaItem` is the queue's #META item, copied to the raw meta key.
 */
export async function replayRaw(
  client: DynamoDBClient,
  tableName: string,
  recorded: RecordedRequest[],
  concurrency: number,
  metaItem: Attrs | undefined,
  ms: number,
): Promise<ReplayResult> {
  const rewriter = new Rewriter(tableName);
  // Rewrite first (this allocates the pool), then seed, then time only the sends.
  const commands = recorded.map(({ command, input }) => {
    const Command = COMMANDS[command];
    if (!Command) throw new Error(`the replay does not know ${command}`);
    return { command, request: new Command({ ...rewriter.rewrite(command, input), TableName: tableName }) };
  });
  const template = templateItem(recorded) ?? { body: { S: '"x"' } };
  const pool: Attrs[] = Array.from({ length: rewriter.poolSize }, (_, i) => ({
    ...template,
    ...rewriter.poolKey(i),
    apk: { S: rewriter.partition },
    ask: { S: `R9${String(i).padStart(15, '0')}` },
    state: { S: 'ready' },
  }));
  if (metaItem) pool.push({ ...metaItem, pk: { S: rewriter.metaPk } });
  await seed(client, tableName, pool);

  const byCommand: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < commands.length && performance.now() < end) {
        const { command, request } = commands[next++] as (typeof commands)[number];
        byCommand[command] = (byCommand[command] ?? 0) + 1;
        const sent = performance.now();
        try {
          await client.send(request);
        } catch (error) {
          const name = (error as Error).name;
          errors[name] = (errors[name] ?? 0) + 1;
        }
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: next,
    recorded: commands.length,
    byCommand,
    seconds: round(seconds, 3),
    requestsPerSecond: round(next / seconds),
    latencyMs: summarize(latencies),
    errors,
  };
}
