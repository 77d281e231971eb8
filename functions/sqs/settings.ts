/**
 * What an SQS queue has that a Postbox queue's configuration has no field for: whether it is an
 * SQS FIFO queue (`fifo`: the SQS queue `orders.fifo` is the Postbox queue `orders`, see
 * queue-url.ts), the attributes SQS keeps but Postbox does not act on (ContentBasedDeduplication,
 * ReceiveMessageWaitTimeSeconds, MaximumMessageSize, RedriveAllowPolicy, Policy, KMS settings …)
 * and the queue's tags.
 *
 *   pk = SQS#<Postbox queue>    sk = #SETTINGS    {createdAt, fifo?, attributes, tags, lastModified}
 *
 * `createdAt` is the Postbox queue's: settings written for an earlier queue of the same name (one
 * deleted through /v1, which does not know this item) are ignored, never inherited.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoEngine } from '../core/dynamo-engine';
import type { Engine } from '../core/engine';
import { ServiceUnavailableError } from '../core/errors';

export interface SqsQueueSettings {
  /** The Postbox queue's createdAt these settings belong to. */
  createdAt: number;
  /** True for an SQS FIFO queue: SQS names it `<queue>.fifo`. */
  fifo?: boolean;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** Epoch ms of the last SetQueueAttributes (or the creation). */
  lastModified: number;
  /** The latest message move tasks out of this queue, newest first (actions/move-tasks.ts). */
  moveTasks?: MoveTask[];
}

export interface MoveTask {
  TaskHandle: string;
  Status: 'COMPLETED';
  SourceArn: string;
  DestinationArn?: string;
  MaxNumberOfMessagesPerSecond?: number;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  StartedTimestamp: number;
}

export interface SqsSettingsStore {
  /** The settings of the queue created at `createdAt`, or undefined (none, or an older queue's). */
  get(queue: string, createdAt: number): Promise<SqsQueueSettings | undefined>;
  /** The settings of each queue (by name) that has current ones. */
  getMany(queues: { name: string; createdAt: number }[]): Promise<Map<string, SqsQueueSettings>>;
  put(queue: string, settings: SqsQueueSettings): Promise<void>;
  delete(queue: string): Promise<void>;
}

const settingsKey = (queue: string) => marshall({ pk: `SQS#${queue}`, sk: '#SETTINGS' });
// BatchGetItem's most keys a request.
const BATCH_GET_KEYS = 100;

/** The settings an item holds, when they belong to the queue created at `createdAt`. */
function fromItem(item: Record<string, unknown>, createdAt: number): SqsQueueSettings | undefined {
  if (item.createdAt !== createdAt) return undefined;
  // Stored as JSON text: tag keys and attribute names are the user's (see message-item.ts).
  return {
    createdAt,
    ...(item.fifo === true ? { fifo: true } : {}),
    attributes: JSON.parse(item.attributes as string),
    tags: JSON.parse(item.tags as string),
    lastModified: item.lastModified as number,
    ...(item.moveTasks ? { moveTasks: JSON.parse(item.moveTasks as string) } : {}),
  };
}

/** The settings in the Postbox table, beside the queue's own items. */
export class DynamoSqsSettings implements SqsSettingsStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(queue: string, createdAt: number): Promise<SqsQueueSettings | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: settingsKey(queue), ConsistentRead: true }),
    );
    return Item ? fromItem(unmarshall(Item), createdAt) : undefined;
  }

  async getMany(queues: { name: string; createdAt: number }[]): Promise<Map<string, SqsQueueSettings>> {
    const found = new Map<string, SqsQueueSettings>();
    const createdAt = new Map(queues.map((queue) => [queue.name, queue.createdAt]));
    const names = [...createdAt.keys()];
    for (let start = 0; start < names.length; start += BATCH_GET_KEYS) {
      let pending: Record<string, AttributeValue>[] = names
        .slice(start, start + BATCH_GET_KEYS)
        .map((name) => settingsKey(name));
      for (let round = 0; pending.length > 0; round++) {
        if (round === 10) throw new ServiceUnavailableError('The store did not answer every read.');
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
        const output = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const raw of output.Responses?.[this.tableName] ?? []) {
          const item = unmarshall(raw);
          const name = String(item.pk).slice('SQS#'.length);
          const settings = fromItem(item, createdAt.get(name) ?? -1);
          if (settings) found.set(name, settings);
        }
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  async put(queue: string, settings: SqsQueueSettings): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...settingsKey(queue),
          ...marshall({
            createdAt: settings.createdAt,
            ...(settings.fifo ? { fifo: true } : {}),
            attributes: JSON.stringify(settings.attributes),
            tags: JSON.stringify(settings.tags),
            lastModified: settings.lastModified,
            ...(settings.moveTasks ? { moveTasks: JSON.stringify(settings.moveTasks) } : {}),
          }),
        },
      }),
    );
  }

  async delete(queue: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: settingsKey(queue) }));
  }
}

/** Settings in this process only: for an app built without a table (they do not survive a restart). */
export class MemorySqsSettings implements SqsSettingsStore {
  private readonly byQueue = new Map<string, SqsQueueSettings>();

  async get(queue: string, createdAt: number) {
    const settings = this.byQueue.get(queue);
    return settings?.createdAt === createdAt ? structuredClone(settings) : undefined;
  }

  async getMany(queues: { name: string; createdAt: number }[]) {
    const found = new Map<string, SqsQueueSettings>();
    for (const queue of queues) {
      const settings = await this.get(queue.name, queue.createdAt);
      if (settings) found.set(queue.name, settings);
    }
    return found;
  }

  async put(queue: string, settings: SqsQueueSettings) {
    this.byQueue.set(queue, structuredClone(settings));
  }

  async delete(queue: string) {
    this.byQueue.delete(queue);
  }
}

/**
 * The settings store for an app given only an engine: in the engine's table when it is the
 * DynamoDB engine itself, else in this process (pass `sqsSettings` to the app to keep them).
 */
export function settingsFor(engine: Engine): SqsSettingsStore {
  return engine instanceof DynamoEngine
    ? new DynamoSqsSettings(engine.store.client, engine.store.tableName)
    : new MemorySqsSettings();
}
