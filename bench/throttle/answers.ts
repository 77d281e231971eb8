/**
 * DynamoDB's answers to a throttled write, as the service sends them (HTTP 400, JSON protocol
 * 1.0). The messages are the ones DynamoDB's API reference lists for an on-demand table whose
 * partition (table or index) is over its limit; `ThrottlingReasons` names the resource and the
 * reason (`<Table|Index>WriteKeyRangeThroughputExceeded`: a partition key over the
 * partition-level limit). A transaction is not answered with that exception but cancelled:
 * TransactionCanceledException, one reason per action in request order, `ThrottlingError` for
 * the actions on a throttled partition and `None` for the others.
 */
import type { Charge } from './write-plan';

export const TABLE_THROTTLED =
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.';
export const INDEX_THROTTLED =
  'Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.';

export type ThrottleException = 'ProvisionedThroughputExceededException' | 'ThrottlingException';

export interface Answer {
  status: number;
  body: string;
}

const PREFIX = 'com.amazonaws.dynamodb.v20120810#';
// DynamoDB Local's account and region in its ARNs.
const arn = (partition: string) => {
  const table = partition.slice(0, partition.indexOf(' '));
  return `arn:aws:dynamodb:ddblocal:000000000000:table/${table}`;
};

/** A single write (or a batch of which no item could be written) over a partition's limit. */
export function throttledWrite(short: Charge[], exception: ThrottleException): Answer {
  const tableShort = short.some((charge) => charge.resource === 'table');
  const reasons = [
    ...new Map(short.map((charge) => [`${charge.resource} ${arn(charge.partition)}`, charge])).values(),
  ];
  return {
    status: 400,
    body: JSON.stringify({
      __type: `${PREFIX}${exception}`,
      message: tableShort ? TABLE_THROTTLED : INDEX_THROTTLED,
      ThrottlingReasons: reasons.map((charge) => ({
        reason:
          charge.resource === 'table'
            ? 'TableWriteKeyRangeThroughputExceeded'
            : 'IndexWriteKeyRangeThroughputExceeded',
        resource: arn(charge.partition),
      })),
    }),
  };
}

/** A transaction with actions on throttled partitions: `shortByAction[i]` are action i's unpaid charges. */
export function throttledTransaction(shortByAction: Charge[][]): Answer {
  const reasons = shortByAction.map((short) =>
    short.length === 0
      ? { Code: 'None' }
      : {
          Code: 'ThrottlingError',
          Message: short.some((charge) => charge.resource === 'table') ? TABLE_THROTTLED : INDEX_THROTTLED,
        },
  );
  return {
    status: 400,
    body: JSON.stringify({
      __type: `${PREFIX}TransactionCanceledException`,
      CancellationReasons: reasons,
      Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`,
    }),
  };
}
