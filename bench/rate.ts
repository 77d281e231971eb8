/**
 * The rate phase: a queue limited to N messages/s (rateLimit, a token bucket in the store) and 16
 * competing consumers, 8 through each of two servers on one table (two processes), each a loop
 * of long-polling receives of up to 10 and batch acks, for a fixed wall-time window. What counts
 * is how many were delivered in the window against N × seconds (plus the one burst the bucket
 * starts with): the bar is N/s ± 10 %. Bounded in time and count; 127.0.0.1 only.
 */
import { startPhaseServer } from './harness';
import { expectCall, queueClient, tolerate } from './http';
import { deadline, inParallel, round } from './stats';

export interface RateResults {
  perSecond: number;
  burst: number;
  consumers: number;
  seconds: number;
  delivered: number;
  /** Deliveries a second over the window. */
  deliveredPerSecond: number;
  /** deliveredPerSecond ÷ perSecond. */
  ratio: number;
  /** Deliveries a second leaving out the initial burst (what the rate itself allows). */
  steadyPerSecond: number;
  /** Most deliveries in any one second of the window (the bucket allows burst + perSecond). */
  busiestSecond: number;
  /** Receives answered, and those of them that were empty. */
  receives: number;
  emptyReceives: number;
}

const body = (n: number) => ({ n, kind: 'bench-rate', payload: 'x'.repeat(160) });

export async function measureRate(
  endpoint: string,
  options: { perSecond: number; consumers: number; seconds: number },
): Promise<RateResults> {
  const { perSecond, consumers, seconds } = options;
  const burst = Math.max(1, Math.ceil(perSecond));
  const server = await startPhaseServer(endpoint);
  try {
    const peer = await server.startPeer();
    const queue = 'rate-limited';
    const clients = [queueClient(server.url, queue), queueClient(peer.url, queue)];
    const [first] = clients as [ReturnType<typeof queueClient>];
    // Created without the limit, filled, then limited: the backlog outlasts the window.
    await first.create();
    const backlog = Math.ceil(perSecond * seconds * 1.3) + burst + 50;
    for (let start = 0; start < backlog; start += 25) {
      const size = Math.min(25, backlog - start);
      await tolerate(() =>
        first.publishBatch(Array.from({ length: size }, (_, i) => ({ body: body(start + i) }))),
      );
    }
    await expectCall(`${server.url}/v1/queues/${queue}`, 'PUT', { rateLimit: { perSecond } }, 200);

    const started = performance.now();
    const window = deadline(seconds * 1000);
    const times: number[] = [];
    let receives = 0;
    let emptyReceives = 0;
    await inParallel(consumers, async (index) => {
      const client = clients[index % clients.length] as ReturnType<typeof queueClient>;
      while (!window.passed()) {
        const waitSeconds = Math.min(1, Math.floor(window.left() / 1000));
        const got = (await tolerate(() => client.receive({ maxMessages: 10, waitSeconds }))) ?? [];
        receives++;
        if (got.length === 0) {
          emptyReceives++;
          continue;
        }
        const at = performance.now() - started;
        if (at <= seconds * 1000) for (const _ of got) times.push(at);
        await tolerate(() => client.ackBatch(got.map((message) => message.receipt)));
      }
    });
    const delivered = times.length;
    const perSecondSeen = new Map<number, number>();
    for (const at of times)
      perSecondSeen.set(Math.floor(at / 1000), (perSecondSeen.get(Math.floor(at / 1000)) ?? 0) + 1);
    return {
      perSecond,
      burst,
      consumers,
      seconds,
      delivered,
      deliveredPerSecond: round(delivered / seconds, 2),
      ratio: round(delivered / seconds / perSecond, 3),
      steadyPerSecond: round(Math.max(0, delivered - burst) / seconds, 2),
      busiestSecond: Math.max(0, ...perSecondSeen.values()),
      receives,
      emptyReceives,
    };
  } finally {
    await server.close();
  }
}
