/** A fresh table per test file on the run's DynamoDB Local, and an engine on it. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../functions/core/table';

export function testClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

export async function freshTable(
  client = testClient(),
): Promise<{ client: DynamoDBClient; tableName: string }> {
  const tableName = `t-${randomUUID()}`;
  await ensureTable(client, tableName);
  return { client, tableName };
}
