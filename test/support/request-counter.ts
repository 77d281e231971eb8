/**
 * Counts the DynamoDB requests a client sends, by command, and the items they read
 * (ScannedCount for queries, returned items for gets), through the SDK's middleware stack.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface RequestCounts {
  requests: Record<string, number>;
  total: number;
  itemsRead: number;
}

export function countRequests(client: DynamoDBClient) {
  let counts: RequestCounts = { requests: {}, total: 0, itemsRead: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts.requests[command] = (counts.requests[command] ?? 0) + 1;
      counts.total++;
      const result = await next(args);
      const output = result.output as {
        ScannedCount?: number;
        Item?: unknown;
        Responses?: Record<string, unknown[]>;
      };
      if (typeof output.ScannedCount === 'number') counts.itemsRead += output.ScannedCount;
      if (output.Item) counts.itemsRead += 1;
      for (const items of Object.values(output.Responses ?? {})) counts.itemsRead += items.length;
      return result;
    },
    { step: 'initialize', name: 'postboxRequestCounter' },
  );
  return {
    /** Counts since the last reset, then starts again from zero. */
    take(): RequestCounts {
      const taken = counts;
      counts = { requests: {}, total: 0, itemsRead: 0 };
      return taken;
    },
  };
}
