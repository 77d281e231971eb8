/**
 * What an SQS queue has that a Postbox queue's configuration has no field for: the attributes
 * SQS keeps but Postbox does not act on (ContentBasedDeduplication, ReceiveMessageWaitTimeSeconds,
 * MaximumMessageSize, RedriveAllowPolicy, Policy, KMS settings …) and the queue's tags.
 *
 *   pk = SQS#<queue>    sk = #SETTINGS    {createdAt, attributes, tags, lastModified}
 *
 * `createdAt` is the Postbox queue's: settings written for an earlier queue of the same name (one
 * deleted through /v1, which does not know this item) are ignored, never inherited.
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoEngine } from '../core/dynamo-engine';
import type { Engine } from '../core/engine';

export interface SqsQueueSettings {
  /** The Postbox queue's createdAt these settings belong to. */
  createdAt: number;
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
  put(queue: string, settings: SqsQueueSettings): Promise<void>;
  delete(queue: string): Promise<void>;
}

const settingsKey = (queue: string) => marshall({ pk: `SQS#${queue}`, sk: '#SETTINGS' });

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
    if (!Item) return undefined;
    const item = unmarshall(Item);
    if (item.createdAt !== createdAt) return undefined;
    // Stored as JSON text: tag keys and attribute names are the user's (see message-item.ts).
    return {
      createdAt,
      attributes: JSON.parse(item.attributes as string),
      tags: JSON.parse(item.tags as string),
      lastModified: item.lastModified as number,
      ...(item.moveTasks ? { moveTasks: JSON.parse(item.moveTasks as string) } : {}),
    };
  }

  async put(queue: string, settings: SqsQueueSettings): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...settingsKey(queue),
          ...marshall({
            createdAt: settings.createdAt,
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
