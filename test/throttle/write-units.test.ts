/** DynamoDB's item size and index arithmetic as the throttle simulator computes it (no store needed). */
import { describe, expect, it } from 'vitest';
import { itemSize, writeUnits } from '../../bench/throttle/item-size';
import { applyUpdate, shapeOf } from '../../bench/throttle/update-expression';
import { planWrite, type Schema } from '../../bench/throttle/write-plan';

const schema: Schema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  index: {
    name: 'avail',
    partitionKey: 'apk',
    sortKey: 'ask',
    projected: ['state', 'retainUntil', 'receiveCount'],
  },
};

describe('write units', () => {
  it('sizes items as DynamoDB documents it', () => {
    // names + values: "pk"+"ab" 4, "n"+12345 (5 digits: 3 + 1) 5, "b"+true 2, "l"+[1, "x"] (3 + 2 + 2 + 1) 9
    expect(
      itemSize({ pk: { S: 'ab' }, n: { N: '12345' }, b: { BOOL: true }, l: { L: [{ N: '1' }, { S: 'x' }] } }),
    ).toBe(4 + 5 + 2 + 9);
    expect(itemSize({ m: { M: { a: { S: 'é' } } } })).toBe(1 + 3 + 1 + 1 + 2);
    expect([writeUnits(0), writeUnits(1024), writeUnits(1025), writeUnits(2049)]).toEqual([1, 1, 2, 3]);
  });

  it('follows an update expression: SET, ADD, REMOVE and the index keys it sets', () => {
    const before = shapeOf(
      { pk: { S: 'p' }, sk: { S: 's' }, lease: { S: 'tok' }, receiveCount: { N: '1' } },
      ['pk', 'sk', 'apk', 'ask'],
    );
    const after = applyUpdate(
      before,
      'SET #ask = :ask, #apk = :apk ADD #receiveCount :one REMOVE #lease',
      { '#ask': 'ask', '#apk': 'apk', '#receiveCount': 'receiveCount', '#lease': 'lease' },
      { ':ask': { S: 'T123' }, ':apk': { S: 'p' }, ':one': { N: '1' } },
    );
    expect(after.values.ask).toEqual({ S: 'T123' });
    expect(after.sizes.lease).toBeUndefined();
    expect(after.sizes.ask).toBe(3 + 4);
    expect(after.sizes.receiveCount).toBe('receiveCount'.length + 2);
  });

  it('charges a transactional put twice on the table, and an index entry once on its apk', () => {
    const plan = planWrite(
      {
        table: 't',
        kind: 'put',
        key: { pk: { S: 'p' }, sk: { S: 's' } },
        item: { pk: { S: 'p' }, sk: { S: 's' }, apk: { S: 'p' }, ask: { S: 'R1' } },
      },
      undefined,
      schema,
      true,
    );
    expect(plan.charges).toEqual([
      { resource: 'table', partition: 't p', units: 2 },
      { resource: 'index', partition: 't/index/avail p', units: 1 },
    ]);
  });

  it('charges a delete of an indexed item on the table and the index, by the size it had', () => {
    const before = shapeOf(
      { pk: { S: 'p' }, sk: { S: 's' }, apk: { S: 'p' }, ask: { S: 'R1' }, body: { S: 'x'.repeat(1500) } },
      ['pk', 'sk', 'apk', 'ask'],
    );
    const plan = planWrite(
      { table: 't', kind: 'delete', key: { pk: { S: 'p' }, sk: { S: 's' } } },
      before,
      schema,
      false,
    );
    expect(plan.charges).toEqual([
      { resource: 'table', partition: 't p', units: 2 },
      { resource: 'index', partition: 't/index/avail p', units: 1 },
    ]);
    expect(plan.after).toBeUndefined();
  });
});
