/**
 * A DynamoDB client whose availability index lags: after `freeze()`, every query of the `avail`
 * index answers from a snapshot of that index partition taken at its first query after the
 * freeze, however the table changes meanwhile, until `thaw()`. That is the eventually consistent
 * index at its worst (AWS only; DynamoDB Local's index is always current): candidates that were
 * claimed, acked or moved are still proposed, and new or moved messages are not seen yet.
 * Queries with a FilterExpression (retention sweeps) are answered live.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Items = Record<string, AttributeValue>[];

export function lagIndex(client: DynamoDBClient, indexName = 'avail') {
  let frozen = false;
  const snapshots = new Map<string, Items>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const lagged =
        frozen &&
        context.commandName === 'QueryCommand' &&
        input.IndexName === indexName &&
        input.FilterExpression === undefined;
      if (!lagged) return next(args);
      const values = input.ExpressionAttributeValues as Record<string, AttributeValue>;
      const apk = values[':apk']?.S as string;
      let snapshot = snapshots.get(apk);
      if (!snapshot) {
        const whole = await next({
          ...args,
          input: {
            TableName: input.TableName,
            IndexName: indexName,
            KeyConditionExpression: '#apk = :apk',
            ExpressionAttributeNames: { '#apk': 'apk' },
            ExpressionAttributeValues: { ':apk': { S: apk } },
          },
        });
        snapshot = ((whole.output as { Items?: Items }).Items ?? []) as Items;
        snapshots.set(apk, snapshot);
      }
      const from = values[':from']?.S ?? '';
      const to = values[':to']?.S ?? '~';
      const after = (input.ExclusiveStartKey as Record<string, AttributeValue> | undefined)?.ask?.S;
      const inRange = snapshot.filter((item) => {
        const ask = item.ask?.S ?? '';
        return ask >= from && ask <= to && (after === undefined || ask > after);
      });
      const limit = typeof input.Limit === 'number' ? input.Limit : inRange.length;
      const items = inRange.slice(0, limit);
      const last = items.at(-1);
      const truncated = inRange.length > items.length && last !== undefined;
      return {
        response: {},
        output: {
          $metadata: {},
          Items: items,
          Count: items.length,
          ScannedCount: items.length,
          ...(truncated
            ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk, apk: last.apk, ask: last.ask } }
            : {}),
        },
      } as never;
    },
    { step: 'initialize', name: 'postboxLaggingIndex' },
  );
  return {
    /** From now on the index answers as it is at each partition's next query. */
    freeze() {
      frozen = true;
      snapshots.clear();
    },
    /** The index is current again. */
    thaw() {
      frozen = false;
      snapshots.clear();
    },
  };
}
