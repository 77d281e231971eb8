/**
 * Exact counts of a sharded queue: the sum of every shard's. Each shard is read with one range
 * query over its whole index ([R, W~], keys and the projected state only), classified here the way
 * browse.ts's four range queries classify a queue of one shard: a due timer or a due waiting group
 * member counts as ready, a not-yet-due waiting member as delayed, anything past retention not at
 * all (except a held lease, whose message stays until the lease ends).
 */
import { dueTimersUpTo, READY_FROM, WAITING_TO, waitingDueUpTo } from './keys';
import { availabilityQuery, queryAll } from './query';
import type { Store } from './store';
import type { MessageState, QueueCounts } from './types';

/** Shards counted at the same time (each is its own request stream). */
const PARALLEL = 8;

export async function countShards(store: Store, partitions: string[], now: number): Promise<QueueCounts> {
  const total: Record<MessageState, number> = { ready: 0, delayed: 0, inFlight: 0 };
  let next = 0;
  const worker = async () => {
    while (next < partitions.length) {
      const partition = partitions[next++] as string;
      for await (const state of statesIn(store, partition, now)) total[state]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, partitions.length) }, worker));
  const { ready, delayed, inFlight } = total;
  return { ready, delayed, inFlight, total: ready + delayed + inFlight };
}

async function* statesIn(store: Store, partition: string, now: number): AsyncGenerator<MessageState> {
  const due = dueTimersUpTo(now);
  const waitingDue = waitingDueUpTo(now);
  const entries = queryAll(store, {
    ...availabilityQuery(
      partition,
      { from: READY_FROM, to: WAITING_TO },
      {
        names: { '#state': 'state', '#retainUntil': 'retainUntil' },
      },
    ),
    ProjectionExpression: '#ask, #state, #retainUntil',
  });
  for await (const entry of entries) {
    const ask = String(entry.ask);
    const retained = Number(entry.retainUntil) > now;
    if (ask.startsWith('R') || (ask.startsWith('T') && ask <= due)) {
      if (retained) yield 'ready';
    } else if (ask.startsWith('T')) {
      yield (entry.state as MessageState | undefined) ?? 'delayed';
    } else if (ask.startsWith('W') && retained) {
      yield ask <= waitingDue ? 'ready' : 'delayed';
    }
  }
}
