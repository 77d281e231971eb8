/**
 * Looking without receiving: browse by state, get or cancel one message, and exact counts.
 * All of it reads the availability index by ranges of its sort key (ready: R…, then timers due
 * by now; delayed and in flight: timers not yet due, told apart by the projected `state`), then
 * fetches the listed messages with one consistent BatchGetItem.
 */
import { type AttributeValue, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { fetchMessages } from './batch-get';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor';
import type { Clock } from './engine';
import { MessageNotFoundError } from './errors';
import { groupRule } from './group-rate';
import {
  dueTimersUpTo,
  messageKey,
  messagePartition,
  READY_FROM,
  READY_TO,
  TIMERS_TO,
  WAITING_FROM,
  WAITING_TO,
  waitingDueUpTo,
} from './keys';
import { isExpired, toView } from './message-item';
import { availabilityQuery, queryAll } from './query';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { removeMessage } from './remove';
import { countShards } from './shard-counts';
import { findMessage } from './shard-lookup';
import { isSharded, partitionsOf } from './shards';
import { fromAttributes, type Store, toAttributes } from './store';
import type { BrowseState, MessageState, MessageView, Page, QueueCounts } from './types';

interface Segment {
  from: string;
  to: string;
  /** Only items in this state (the timer range holds delayed and in-flight messages). */
  state?: MessageState;
}

function segmentsFor(state: BrowseState, now: number): Segment[] {
  const due = dueTimersUpTo(now);
  const waitingDue = waitingDueUpTo(now);
  // Group members waiting behind their head are listed after the deliverable ones.
  const ready: Segment[] = [
    { from: READY_FROM, to: READY_TO },
    { from: 'T', to: due },
    { from: WAITING_FROM, to: waitingDue },
  ];
  const delayed: Segment[] = [
    { from: due, to: TIMERS_TO, state: 'delayed' },
    { from: waitingDue, to: WAITING_TO },
  ];
  const inFlight: Segment[] = [{ from: due, to: TIMERS_TO, state: 'inFlight' }];
  return { ready, delayed, inFlight, all: [...ready, ...delayed, ...inFlight] }[state];
}

export class Browser {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
  ) {}

  async browse(
    queue: string,
    options: { state: BrowseState; limit: number; cursor?: string },
  ): Promise<Page<MessageView>> {
    const meta = await this.metas.get(queue);
    // A sharded queue is browsed shard after shard (order across shards is best-effort anyway).
    const partitions = partitionsOf(meta);
    const now = this.clock();
    const segments = segmentsFor(options.state, now);
    let { shard, segment, startKey } = options.cursor
      ? parseBrowseCursor(options.cursor, options.state, partitions, segments.length)
      : { shard: 0, segment: 0, startKey: undefined as Record<string, AttributeValue> | undefined };
    const keys: { pk: string; sk: string }[] = [];
    while (shard < partitions.length && keys.length < options.limit) {
      const page = await this.queryIndex(
        partitions[shard] as string,
        segments[segment] as Segment,
        now,
        options.limit - keys.length,
        startKey,
      );
      // A message that changed state between two segments' queries is listed once.
      for (const key of page.keys)
        if (!keys.some((seen) => seen.sk === key.sk && seen.pk === key.pk)) keys.push(key);
      startKey = page.lastKey;
      if (!startKey && ++segment === segments.length && ++shard < partitions.length) segment = 0;
    }
    const messages = await fetchMessages(this.store, keys);
    const more = shard < partitions.length && segment < segments.length;
    const last = keys.at(-1);
    const cursor =
      more && (startKey || last)
        ? encodeCursor('messages', {
            state: options.state,
            ...(shard > 0 ? { shard } : {}),
            segment,
            key: startKey ? fromAttributes(startKey) : null,
          })
        : null;
    return { items: messages.map((item) => toView(item, now)), cursor };
  }

  private async queryIndex(
    partition: string,
    segment: Segment,
    now: number,
    limit: number,
    startKey?: Record<string, AttributeValue>,
  ) {
    const filter: { filter: string; names: Record<string, string>; values: Record<string, unknown> } =
      segment.state
        ? { filter: '#state = :state', names: { '#state': 'state' }, values: { ':state': segment.state } }
        : {
            filter: '#retainUntil > :now',
            names: { '#retainUntil': 'retainUntil' },
            values: { ':now': now },
          };
    const output = await this.store.send<QueryCommandOutput>(
      new QueryCommand({
        ...availabilityQuery(partition, segment, { ...filter, limit }),
        TableName: this.store.tableName,
        ExclusiveStartKey: startKey,
      }),
    );
    const keys = (output.Items ?? []).map((raw) => {
      const { pk, sk } = fromAttributes(raw) as { pk: string; sk: string };
      return { pk, sk };
    });
    return { keys, lastKey: output.LastEvaluatedKey };
  }

  async get(queue: string, id: string): Promise<MessageView> {
    const meta = await this.metas.get(queue);
    const now = this.clock();
    const item = await findMessage(this.store, meta, id);
    if (!item || isExpired(item, now)) throw new MessageNotFoundError(queue, id);
    return toView(item, now);
  }

  /** Cancel: the message is gone in any state; an in-flight one's receipt stops holding. */
  async delete(queue: string, id: string): Promise<void> {
    const meta = await this.metas.get(queue);
    const now = this.clock();
    // In a sharded queue, the shard that holds it is read first.
    const key = isSharded(meta) ? await findMessage(this.store, meta, id) : messageKey(queue, meta.inc, id);
    if (!key) throw new MessageNotFoundError(queue, id);
    const removal = await removeMessage(
      this.store,
      { pk: key.pk, sk: key.sk },
      {
        expression:
          'attribute_exists(#pk) AND (#retainUntil > :now OR (#state = :inFlight AND #leaseExpiresAt > :now))',
        names: {
          '#pk': 'pk',
          '#retainUntil': 'retainUntil',
          '#state': 'state',
          '#leaseExpiresAt': 'leaseExpiresAt',
        },
        values: { ':now': now, ':inFlight': 'inFlight' },
      },
      { now, rule: groupRule(meta) },
    );
    if (!removal.removed) throw new MessageNotFoundError(queue, id);
  }

  /**
   * Exact counts at `now`: a due delayed message or an expired lease counts as ready, and so does
   * a group member that is due but waits behind its head.
   */
  async counts(meta: QueueMeta): Promise<QueueCounts> {
    if (isSharded(meta)) return countShards(this.store, partitionsOf(meta), this.clock());
    const partition = messagePartition(meta.name, meta.inc);
    const now = this.clock();
    const due = dueTimersUpTo(now);
    const waitingDue = waitingDueUpTo(now);
    const ranges = await Promise.all([
      this.countRange(partition, { from: READY_FROM, to: due, as: 'ready' }, now),
      this.countRange(partition, { from: due, to: TIMERS_TO }, now),
      this.countRange(partition, { from: WAITING_FROM, to: waitingDue, as: 'ready' }, now),
      this.countRange(partition, { from: waitingDue, to: WAITING_TO, as: 'delayed' }, now),
    ]);
    const sum = (state: MessageState) =>
      ranges.reduce((total, counts) => total + (counts.get(state) ?? 0), 0);
    const [ready, delayed, inFlight] = [sum('ready'), sum('delayed'), sum('inFlight')];
    return { ready, delayed, inFlight, total: ready + delayed + inFlight };
  }

  /**
   * Counts a range of the index: each entry as the state `as`, skipping those past retention
   * (due ranges), or by its projected state (the timers not yet due: delayed or in flight).
   */
  private async countRange(
    partition: string,
    range: { from: string; to: string; as?: MessageState },
    now: number,
  ): Promise<Map<MessageState, number>> {
    const counts = new Map<MessageState, number>();
    const entries = queryAll(this.store, {
      ...availabilityQuery(partition, range, {
        names: { '#state': 'state', '#retainUntil': 'retainUntil' },
        ...(range.as ? { filter: '#retainUntil > :now', values: { ':now': now } } : {}),
      }),
      ProjectionExpression: '#state, #retainUntil',
    });
    for await (const entry of entries) {
      const state = range.as ?? (entry.state as MessageState) ?? 'delayed';
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    return counts;
  }
}

function parseBrowseCursor(cursor: string, state: BrowseState, partitions: string[], segments: number) {
  const data = decodeCursor(cursor, 'messages');
  const { segment, key } = data;
  const shard = data.shard ?? 0;
  const partition = partitions[shard as number];
  if (
    typeof shard !== 'number' ||
    partition === undefined ||
    data.state !== state ||
    typeof segment !== 'number' ||
    !Number.isInteger(segment) ||
    segment < 0 ||
    segment >= segments
  ) {
    throw invalidCursor();
  }
  if (key === null) return { shard, segment, startKey: undefined };
  const valid =
    typeof key === 'object' &&
    key !== null &&
    Object.keys(key).sort().join(',') === 'apk,ask,pk,sk' &&
    Object.values(key).every((value) => typeof value === 'string') &&
    (key as Record<string, string>).apk === partition &&
    (key as Record<string, string>).pk === partition;
  if (!valid) throw invalidCursor();
  return { shard, segment, startKey: toAttributes(key as Record<string, string>) };
}
