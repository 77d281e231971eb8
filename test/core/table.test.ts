import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { TABLE } from '../../functions/core/table';
import { freshTable } from '../support/dynamo';

describe('ensureTable', () => {
  it('creates the table with the availability index, and is idempotent', async () => {
    const { client, tableName } = await freshTable();
    const { ensureTable } = await import('../../functions/core/table');
    await ensureTable(client, tableName);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      TABLE.availabilityIndex.name,
    ]);
  });
});
