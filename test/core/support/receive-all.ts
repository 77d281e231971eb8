/**
 * Receives through two engines (two processes on one table), four receives of up to 10 at once,
 * a few rounds, until nothing more comes: what a group-limited queue lets start right now.
 */
import type { DynamoEngine } from '../../../functions/core/dynamo-engine';
import type { DeliveredMessage } from '../../../functions/core/types';

export async function drainReceivable(
  [engine, other]: [DynamoEngine, DynamoEngine],
  queue: string,
): Promise<DeliveredMessage[]> {
  const got: DeliveredMessage[] = [];
  for (let round = 0; round < 4; round++) {
    const results = await Promise.all([
      engine.receive(queue, { maxMessages: 10 }),
      other.receive(queue, { maxMessages: 10 }),
      engine.receive(queue, { maxMessages: 10 }),
      other.receive(queue, { maxMessages: 10 }),
    ]);
    const batch = results.flat();
    if (batch.length === 0) break;
    got.push(...batch);
  }
  return got;
}
