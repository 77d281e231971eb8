/**
 * Receiving: find candidates with one query, then claim each with a conditional write on the base
 * table. The query only proposes (indexes are eventually consistent); the condition decides.
 *
 *   find    Query avail  apk = Q#<queue>#<inc> AND ask BETWEEN 'R' AND 'T<now>~'  (Limit: a window)
 *           → ready messages best first, then delayed messages and leases that are due by time,
 *             so a receive never depends on the timed work and never reads what is not due.
 *   claim   manual: UpdateItem SET inFlight, lease, leaseExpiresAt, ask = T<end><ok>, receiveCount+1
 *                   IF ask = :seen AND retainUntil > :now                          → ALL_NEW
 *           auto:   remove.ts  IF ask = :seen AND retainUntil > :now               → ALL_OLD
 *
 * A sharded queue (shards.ts): the same in one shard at a time, the shards picked by this process's
 * hints of where messages are, at most MAX_PROBES a call; one receive claims from one shard, and
 * shards where other receives of this process are working come last.
 *
 * Competing consumers: claims run in parallel for a batch; a candidate another receive of this
 * process is claiming is skipped, and once a claim has lost a race on this queue the window is
 * shuffled for a while, so consumers spread over the head instead of all fighting for one item.
 */
import {
  type AttributeValue,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { deadLetterIfExhausted, isExhausted, withoutDeadLetterQueue } from './dead-letter';
import type { Clock } from './engine';
import { ServiceUnavailableError } from './errors';
import { FlowControl } from './flow/flow-control';
import { groupRule } from './group-rate';
import {
  dueTimersUpTo,
  messagePartition,
  orderKeyOf,
  queueOfPartition,
  READY_FROM,
  shardOfPartition,
  shardPartition,
} from './keys';
import { asMessageItem, isExpired, toDelivered } from './message-item';
import { availabilityQuery } from './query';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { formatReceipt, newLeaseToken } from './receipts';
import { dropExpired, removeMessage } from './remove';
import { isSharded, type Look, ShardHints } from './shards';
import { backoff, type Signals } from './signals';
import { classify, fromAttributes, type Store } from './store';
import { claimLeaseParams } from './transition-params';
import type { DeliveredMessage, ReceiveOptions } from './types';

interface Candidate {
  pk: string;
  sk: string;
  ask: string;
  receiveCount?: number;
}

/** How long after a lost race this process keeps spreading its claims on that queue. */
const CONTENTION_MEMORY_MS = 2_000;
const MAX_ROUNDS = 3;
/** Reads of the window per round when dead letters were moved out of it. */
const MAX_LOOKS = 3;

export class Receiver {
  private readonly claiming = new Set<string>();
  /** Claims under way in this process, per message partition: the window must reach past them. */
  private readonly claimingIn = new Map<string, number>();
  private readonly lastConflict = new Map<string, number>();
  /** Receives of this process under way in each shard of a sharded queue (`<queue>#<inc>`). */
  private readonly receivingIn = new Map<string, Map<number, number>>();
  /** Pause and rate limit (flow/): asked before a receive reads the queue and before it claims. */
  private readonly flow: FlowControl;

  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
    private readonly hints: ShardHints = new ShardHints(),
  ) {
    this.flow = new FlowControl(store);
  }

  async receive(queue: string, options: ReceiveOptions): Promise<DeliveredMessage[]> {
    const deadline = performance.now() + (options.waitSeconds ?? 0) * 1000;
    for (let attempt = 0; ; attempt++) {
      const meta = await this.metas.get(queue);
      const look: Look = attempt > 0 ? 'later' : (options.waitSeconds ?? 0) > 0 ? 'first' : 'short';
      const delivered = await this.claimAvailable(meta, options, look);
      if (delivered.length > 0) return delivered;
      const left = deadline - performance.now();
      if (left <= 0 || options.signal?.aborted) return [];
      // Woken early by a local publish or release; otherwise look again soon, because other
      // processes publish too and due times pass without anyone saying so. A rate-limited queue
      // is looked at again when its next token is due.
      const throttled = this.flow.retryInMs(meta, this.clock());
      await this.signals.wait(
        `available:${queue}`,
        Math.min(left, throttled ?? backoff(attempt, 50, 500)),
        options.signal,
      );
    }
  }

  /** Milliseconds until a receive of `queue` may get `tokens` from its rate limit (flow-control.ts). */
  async rateLimitWaitMs(queue: string, tokens: number): Promise<number | undefined> {
    return this.flow.waitMs(await this.metas.get(queue), this.clock(), tokens);
  }

  /** One shard, or the shards of a sharded queue in the order its hints give, until one delivers. */
  private async claimAvailable(
    meta: QueueMeta,
    options: ReceiveOptions,
    look: Look,
  ): Promise<DeliveredMessage[]> {
    if (!isSharded(meta)) return this.claimIn(meta, messagePartition(meta.name, meta.inc), options);
    const key = `${meta.name}#${meta.inc}`;
    const working = this.receivingIn.get(key) ?? new Map<number, number>();
    this.receivingIn.set(key, working);
    for (const shard of this.hints.probeOrder(meta, look, working)) {
      working.set(shard, (working.get(shard) ?? 0) + 1);
      try {
        const delivered = await this.claimIn(meta, shardPartition(meta.name, meta.inc, shard), options);
        if (delivered.length > 0) return delivered;
      } finally {
        const left = (working.get(shard) ?? 1) - 1;
        if (left > 0) working.set(shard, left);
        else working.delete(shard);
      }
    }
    return [];
  }

  /** Claims up to maxMessages from one message partition (a shard). */
  private async claimIn(
    configured: QueueMeta,
    partition: string,
    options: ReceiveOptions,
  ): Promise<DeliveredMessage[]> {
    let meta = configured;
    const max = options.maxMessages ?? 1;
    // Each delivery with its order key: a receive answers in delivery order even when its
    // candidates were shuffled after a lost race (or claimed over several rounds).
    const delivered: { order: string; message: DeliveredMessage }[] = [];
    for (let round = 0; round < MAX_ROUNDS && delivered.length < max; round++) {
      const now = this.clock();
      // Paused, or no token: nothing read, nothing claimed. Else the claims never outnumber the
      // rate limit's tokens (granted), and unused ones go back (flow/).
      const admitted = await this.flow.admit(meta, now, max - delivered.length, () =>
        this.findCandidates(meta, partition, now, max),
      );
      if (!admitted) break;
      const { found, granted } = admitted;
      const { candidates } = found;
      // Without its dead-letter queue (gone), a queue delivers exhausted messages again.
      meta = found.meta;
      const offered = candidates.length;
      let used = 0;
      let lost = 0;
      while (used < granted && candidates.length > 0) {
        const batch = candidates.splice(0, granted - used);
        const results = await Promise.allSettled(
          batch.map((candidate) => this.claim(meta, candidate, now, options)),
        );
        let unavailable: unknown;
        results.forEach((result, i) => {
          const message = result.status === 'fulfilled' ? result.value : undefined;
          if (message) {
            delivered.push({ order: orderKeyOf((batch[i] as Candidate).ask), message });
            used++;
          } else if (result.status === 'rejected') {
            if (!(result.reason instanceof ServiceUnavailableError)) throw result.reason;
            unavailable ??= result.reason;
          } else lost++;
        });
        // Throttled midway: what was claimed is answered (leased or, with auto ack, already
        // removed: held back, it would wait out its lease or be lost); nothing claimed: 503.
        // Unused tokens go back if the store takes them now; if not, the queue delivers a little
        // under its rate for a moment, never over it.
        if (unavailable !== undefined) {
          await this.flow.giveBack(meta, granted - used).catch(() => undefined);
          if (delivered.length === 0) throw unavailable;
          return inDeliveryOrder(delivered);
        }
      }
      await this.flow.giveBack(meta, granted - used);
      // What this shard still offers after our claims: a shard we just emptied is no longer a
      // hint, or the next receive would look there first for nothing.
      if (isSharded(meta)) this.hints.record(meta, shardOfPartition(partition), offered - used - lost);
      if (lost === 0 || granted === 0) break; // the window was simply exhausted, or no token
    }
    return inDeliveryOrder(delivered);
  }

  /**
   * find: one query over [R, T<now>~]. On a queue with a dead-letter queue, what it finds that
   * has used up maxReceiveCount is moved first, in the order found (ready ones by delivery order,
   * then due timers by due time); when the window ended before the due timers, they are looked
   * at too, so an ended last lease is moved before this receive returns however long the ready
   * backlog. After moves the window is read again: a group whose head just left has its next
   * member ready. Without moves, one query: nothing is read twice.
   */
  private async findCandidates(
    meta: QueueMeta,
    partition: string,
    now: number,
    max: number,
  ): Promise<{ candidates: Candidate[]; meta: QueueMeta }> {
    // The window reaches past the candidates that other receives of this process are claiming
    // right now, so concurrent consumers of one server spread instead of coming back empty.
    const busy = this.claimingIn.get(partition) ?? 0;
    const limit = Math.min(100, max * 2 + 4 + busy);
    let found: Candidate[] = [];
    for (let look = 0; look < MAX_LOOKS; look++) {
      const window = await this.queryAvailable(partition, now, READY_FROM, limit);
      found = window.items;
      if (isSharded(meta)) this.hints.record(meta, shardOfPartition(partition), found.length);
      if (meta.deadLetterQueue === null || meta.maxReceiveCount === null) break;
      try {
        let moved = await this.deadLetterEach(meta, found, now);
        if (window.more) moved += await this.deadLetterEndedLeases(meta, partition, now);
        if (moved === 0) break;
      } catch (error) {
        if (!(error instanceof DeadLetterQueueGone)) throw error;
        meta = withoutDeadLetterQueue(meta);
        break;
      }
    }
    const candidates = found
      .filter((candidate) => !this.claiming.has(candidate.pk + candidate.sk) && !isExhausted(meta, candidate))
      // Ready ones come first from the index; due timers join them at their place in delivery order.
      .sort((a, b) => (orderKeyOf(a.ask) < orderKeyOf(b.ask) ? -1 : 1));
    const conflictAt = this.lastConflict.get(meta.name);
    if (conflictAt !== undefined && performance.now() - conflictAt < CONTENTION_MEMORY_MS)
      shuffle(candidates);
    return { candidates, meta };
  }

  /** Due timers beyond a full window: pages of 10, while they hold dead letters. */
  private async deadLetterEndedLeases(meta: QueueMeta, partition: string, now: number): Promise<number> {
    let moved = 0;
    for (let round = 0; round < 10; round++) {
      const ended = await this.queryAvailable(partition, now, 'T', 10);
      const count = await this.deadLetterEach(meta, ended.items, now);
      moved += count;
      // A full page of due timers that held dead letters may hide more of them behind it.
      if (!ended.more || count === 0) break;
    }
    return moved;
  }

  /** One after the other, in the order given: that is their order in the dead-letter queue. */
  private async deadLetterEach(meta: QueueMeta, seen: Candidate[], now: number): Promise<number> {
    let moved = 0;
    for (const candidate of seen) {
      const outcome = await this.deadLetter(meta, candidate, now);
      if (outcome === 'no-target') throw new DeadLetterQueueGone();
      if (outcome === 'moved') moved++;
    }
    return moved;
  }

  private async queryAvailable(
    partition: string,
    now: number,
    from: string,
    limit: number,
  ): Promise<{ items: Candidate[]; more: boolean }> {
    const output = await this.store.send<QueryCommandOutput>(
      new QueryCommand({
        ...availabilityQuery(partition, { from, to: dueTimersUpTo(now) }, { limit }),
        TableName: this.store.tableName,
      }),
    );
    const items = (output.Items ?? []).map(
      (raw: Record<string, AttributeValue>) => fromAttributes(raw) as unknown as Candidate,
    );
    return { items, more: output.LastEvaluatedKey !== undefined };
  }

  /** The message goes to the dead-letter queue when its receives are used up (dead-letter.ts). */
  private async deadLetter(meta: QueueMeta, seen: Candidate, now: number) {
    return deadLetterIfExhausted(this.store, this.metas, this.signals, meta, seen, now);
  }

  private async claim(
    meta: QueueMeta,
    candidate: Candidate,
    now: number,
    options: ReceiveOptions,
  ): Promise<DeliveredMessage | undefined> {
    const claimKey = candidate.pk + candidate.sk;
    this.claiming.add(claimKey);
    this.claimingIn.set(candidate.pk, (this.claimingIn.get(candidate.pk) ?? 0) + 1);
    try {
      const outcome =
        options.ack === 'auto'
          ? await this.claimAndRemove(meta, candidate, now)
          : await this.claimLease(
              meta,
              candidate,
              now,
              options.visibilityTimeoutSeconds ?? meta.visibilityTimeoutSeconds,
            );
      if ('message' in outcome) return outcome.message;
      const old = outcome.old;
      if (old && isExpired(old, now)) await dropExpired(this.store, old, now);
      else if (!(old && old.ask === candidate.ask && (await this.deadLetter(meta, old, now)) !== 'fresh'))
        this.lastConflict.set(meta.name, performance.now());
      return undefined;
    } finally {
      this.claiming.delete(claimKey);
      const left = (this.claimingIn.get(candidate.pk) ?? 1) - 1;
      if (left > 0) this.claimingIn.set(candidate.pk, left);
      else this.claimingIn.delete(candidate.pk);
    }
  }

  private async claimLease(
    meta: QueueMeta,
    candidate: Candidate,
    now: number,
    visibilityTimeoutSeconds: number,
  ) {
    const token = newLeaseToken();
    const orderKey = orderKeyOf(candidate.ask);
    const leaseExpiresAt = now + visibilityTimeoutSeconds * 1000;
    try {
      const output = await this.store.send<UpdateItemCommandOutput>(
        new UpdateItemCommand(
          claimLeaseParams(this.store.tableName, { seen: candidate, meta, token, now, leaseExpiresAt }),
        ),
      );
      const item = asMessageItem(fromAttributes(output.Attributes) ?? {});
      const shard = shardOfPartition(candidate.pk);
      const receipt = formatReceipt({
        queue: meta.name,
        inc: meta.inc,
        id: item.id,
        token,
        orderKey,
        ...(shard > 0 ? { shard } : {}),
      });
      return { message: toDelivered(item, receipt) };
    } catch (error) {
      const fault = classify(error);
      if (fault.kind !== 'condition') throw error;
      const old = fault.oldItem;
      return { old: old && asMessageItem(old) };
    }
  }

  /** At-most-once delivery: the message is deleted by the claim itself. */
  private async claimAndRemove(meta: QueueMeta, candidate: Candidate, now: number) {
    const exhaustible = meta.deadLetterQueue !== null && meta.maxReceiveCount !== null;
    const removal = await removeMessage(
      this.store,
      candidate,
      {
        expression: `#ask = :seen AND #retainUntil > :now${exhaustible ? ' AND #receiveCount < :max' : ''}`,
        names: {
          '#ask': 'ask',
          '#retainUntil': 'retainUntil',
          ...(exhaustible ? { '#receiveCount': 'receiveCount' } : {}),
        },
        values: {
          ':seen': candidate.ask,
          ':now': now,
          ...(exhaustible ? { ':max': meta.maxReceiveCount } : {}),
        },
      },
      { now, rule: groupRule(meta) },
    );
    if (!removal.removed) return { old: removal.old };
    if (removal.old.counted) this.signals.notify(`room:${queueOfPartition(candidate.pk) ?? ''}`);
    return { message: toDelivered({ ...removal.old, receiveCount: removal.old.receiveCount + 1 }) };
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** Thrown inside a receive's find when the queue's dead-letter queue does not exist. */
class DeadLetterQueueGone extends Error {}

const inDeliveryOrder = (delivered: { order: string; message: DeliveredMessage }[]) =>
  delivered.sort((a, b) => (a.order < b.order ? -1 : 1)).map(({ message }) => message);
