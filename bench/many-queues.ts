/**
 * `npm run bench -- --many-queues [--queues 10000] [--create-minutes 20]`: many queues in one
 * table. Creates them (32 at a time, bounded by `--create-minutes`, default and cap 20: the run's
 * `--minutes` is not this phase's budget, so a short run still creates every queue), lists them all, publishes to, receives from and acks on
 * a random few, then measures the timed work's minute sweep (`runDueWork`) in DynamoDB requests:
 * once the creations' markers are stale (the sweep settles them: the one-off cost of a burst of
 * creations), and then idle. The engine's clock is
 * moved forward by hand past the markers' 3 minutes; its requests are counted by SDK middleware.
 */
import { randomUUID } from 'node:crypto';
import { STALE_MS } from '../functions/core/active-queues';
import { DynamoEngine } from '../functions/core/dynamo-engine';
import { ensureTable } from '../functions/core/table';
import { countRequests } from '../test/support/request-counter';
import { dynamoClient, startStore } from './harness';

/** Creations in flight at once: DynamoDB Local on two cores is busy from about this many. */
const CREATE_CONCURRENCY = 32;
const CREATE_MINUTES_CAP = 20;

const option = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};

export async function runManyQueuesBench(): Promise<void> {
  const target = Number(option('queues') ?? 10_000);
  const budgetMs =
    Math.min(CREATE_MINUTES_CAP, Number(option('create-minutes') ?? CREATE_MINUTES_CAP)) * 60_000;
  const store = await startStore();
  const client = dynamoClient(store.endpoint);
  const lines: string[] = [];
  const line = (text: string) => {
    lines.push(text);
    process.stderr.write(`[bench many-queues] ${text}\n`);
  };
  try {
    const tableName = `many-${randomUUID()}`;
    await ensureTable(client, tableName);
    let offset = 0;
    const engine = new DynamoEngine({ client, tableName, clock: () => Date.now() + offset });
    const counter = countRequests(client);
    const started = performance.now();
    let created = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (created < target && performance.now() - started < budgetMs) {
          await engine.putQueue(`many-${String(created++).padStart(5, '0')}`, {});
          // Counted when done: `created` is taken before the put, so each name goes to one creator.
          if (++done % 1_000 === 0) process.stderr.write(`[bench many-queues] ${done} created\n`);
        }
      }),
    );
    const createSeconds = (performance.now() - started) / 1000;
    const creates = counter.take();
    line(
      `created ${created} of ${target} queues in ${createSeconds.toFixed(0)} s, ${CREATE_CONCURRENCY} at a time (${(creates.total / created).toFixed(2)} requests a queue)`,
    );

    let listed = 0;
    let cursor: string | undefined;
    do {
      const page = await engine.listQueues({ limit: 100, ...(cursor ? { cursor } : {}) });
      listed += page.items.length;
      cursor = page.cursor ?? undefined;
    } while (cursor);
    line(`listed ${listed} queues in ${counter.take().total} requests (pages of 100)`);

    const picks = Array.from(
      { length: 5 },
      () => `many-${String(Math.floor(Math.random() * created)).padStart(5, '0')}`,
    );
    for (const queue of picks) {
      const { id } = await engine.publish(queue, { body: { queue } });
      const [message] = await engine.receive(queue, { maxMessages: 1 });
      if (message?.id !== id) throw new Error(`${queue}: received ${message?.id}, published ${id}`);
      await engine.ack(queue, message.receipt as string);
    }
    line(
      `publish → receive → ack on 5 random queues (${picks.join(', ')}): ${(counter.take().total / 5).toFixed(1)} requests each`,
    );

    const sweep = async (what: string) => {
      counter.take();
      const from = performance.now();
      await engine.runDueWork();
      const counts = counter.take();
      line(
        `minute sweep, ${what}: ${counts.total} requests (${Object.entries(counts.requests)
          .map(([command, n]) => `${command} ${n}`)
          .join(', ')}) in ${((performance.now() - from) / 1000).toFixed(1)} s`,
      );
    };
    // Every new queue is marked; 3 minutes on, the first sweep settles them all (one-off).
    offset += STALE_MS + 1_000;
    await sweep('markers stale: settles them (one-off)');
    offset += 60_000;
    await sweep(`idle, ${created} queues`);
    console.log(
      [
        'Many queues in one table (engine on DynamoDB Local, requests counted by SDK middleware)',
        ...lines.map((l) => `  ${l}`),
      ].join('\n'),
    );
  } finally {
    client.destroy();
    await store.stop();
  }
}
