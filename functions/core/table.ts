/**
 * The one DynamoDB table Postbox uses, described once: the local runtime and the tests create it
 * from here, and the CDK construct (infra/) reads the same attribute and index names, so the
 * deployed table and the local one cannot drift apart. See docs/data-model.md.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { adoptedKey } from './keys';

/** Attribute and index names shared by the engine and infra/. */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes the item some time after (clean-up only, never a timer). */
  ttlAttribute: 'ttl',
  /** Sparse index of live messages: ready ones in delivery order, then timers by due time. */
  availabilityIndex: {
    name: 'avail',
    partitionKey: 'apk',
    sortKey: 'ask',
    projected: ['state', 'retainUntil', 'receiveCount'],
  },
} as const;

export function tableDefinition(tableName: string): CreateTableCommandInput {
  const { availabilityIndex: avail } = TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE.sortKey, AttributeType: 'S' },
      { AttributeName: avail.partitionKey, AttributeType: 'S' },
      { AttributeName: avail.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: avail.name,
        KeySchema: [
          { AttributeName: avail.partitionKey, KeyType: 'HASH' },
          { AttributeName: avail.sortKey, KeyType: 'RANGE' },
        ],
        // Keys plus what counting needs: a receive only needs the candidate's key and position
        // (the claim returns the whole item from the base table), and exact counts filter on
        // state and retention without reading message bodies.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE.availabilityIndex.projected] },
      },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/** Creates the table when it is missing and waits until it is active. Idempotent. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  let created = false;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(tableDefinition(tableName)));
      created = true;
    } catch (createError) {
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A new table has no queues from before the active-queue markers: nothing to adopt (active-queues.ts).
  if (created) {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { [TABLE.partitionKey]: { S: adoptedKey.pk }, [TABLE.sortKey]: { S: adoptedKey.sk } },
      }),
    );
  }
  // TTL is deliberately not enabled here: on DynamoDB Local an expired item that lacks an index's
  // key attributes is never deleted and blocks every other TTL deletion of the table, and Postbox
  // never relies on TTL; the deployed table enables it for clean-up only (infra/).
}
