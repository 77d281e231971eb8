/**
 * The dispatcher under partition throttling (the throttle simulator, no SDK retries): a drain
 * whose claims or acks are refused backs off and goes on, and delivers the whole backlog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { toConsumer } from '../../functions/dispatcher/consumer';
import type { Invoker } from '../../functions/dispatcher/dispatch';
import { drain } from '../../functions/dispatcher/drain';
import { InProcessSlots } from '../../functions/dispatcher/slots';
import { freshTable, testClient } from '../support/dynamo';
import { queueName } from '../support/engine';
import { startTestThrottle, type ThrottleProxy, throttledClient } from '../support/throttle';

let proxy: ThrottleProxy;
let engine: DynamoEngine;
const direct = testClient();
let client: ReturnType<typeof throttledClient>;

beforeAll(async () => {
  const { tableName } = await freshTable(direct);
  proxy = await startTestThrottle({ writeUnitsPerSecond: 1_000 });
  client = throttledClient(proxy, 1);
  engine = new DynamoEngine({ client, tableName });
});

afterAll(async () => {
  client.destroy();
  direct.destroy();
  await proxy.close();
});

describe('the dispatcher under throttling', () => {
  it('backs off and drains the whole backlog when the store answers 503, and acks each message once', async () => {
    const queue = queueName('drain');
    await engine.putQueue(queue, {});
    const total = 20;
    await engine.publishBatch(
      queue,
      Array.from({ length: total }, (_, n) => ({ body: n })),
    );
    proxy.setLimit(10);
    proxy.take();
    const handled = new Map<string, number>();
    const invoke: Invoker = async (_consumer, event) => {
      for (const record of event.Records)
        handled.set(record.messageId, (handled.get(record.messageId) ?? 0) + 1);
    };
    const consumer = toConsumer(queue, 'fn', { batchSize: 2, concurrency: 3, visibilityTimeoutSeconds: 30 });
    const result = await drain({ engine, invoke, source: { region: 'local', account: '0' } }, consumer, {
      limiter: new InProcessSlots(),
      hasTimeFor: () => true,
    });
    expect(proxy.take().throttled).not.toEqual({});
    expect(result.messages).toBe(total);
    expect(handled.size).toBe(total);
    // Throttled acks were tried again while the leases held: no handler ran a message twice.
    expect([...handled.values()].every((times) => times === 1)).toBe(true);
    proxy.setLimit(1_000);
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
  });
});
