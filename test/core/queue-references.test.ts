/** The exact requests that make a reference to a queue and that delete a queue (queue-references.ts). */
import { describe, expect, it } from 'vitest';
import { deleteQueueParams, referenceParams } from '../../functions/core/queue-references';

describe('queue reference requests', () => {
  it('a reference bumps the target’s refs version and requires the target to exist', () => {
    expect(referenceParams('t', 'dlq')).toEqual({
      Update: {
        TableName: 't',
        Key: { pk: { S: 'Q#dlq' }, sk: { S: '#META' } },
        UpdateExpression: 'ADD #refs :one',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk', '#refs': 'refs' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      },
    });
  });

  it('a delete requires the refs version its referrer check saw', () => {
    expect(deleteQueueParams('t', { name: 'q', refs: 3 }).TransactItems).toEqual([
      {
        Delete: {
          TableName: 't',
          Key: { pk: { S: 'Q#q' }, sk: { S: '#META' } },
          ConditionExpression: 'attribute_exists(#pk) AND #refs = :refs',
          ExpressionAttributeNames: { '#pk': 'pk', '#refs': 'refs' },
          ExpressionAttributeValues: { ':refs': { N: '3' } },
        },
      },
      { Delete: { TableName: 't', Key: { pk: { S: 'QUEUES' }, sk: { S: 'q' } } } },
    ]);
    expect(deleteQueueParams('t', { name: 'q' }).TransactItems?.[0]?.Delete?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND attribute_not_exists(#refs)',
    );
  });
});
