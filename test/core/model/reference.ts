/**
 * A small in-memory reference model of one queue, written from the contract (docs/api.md):
 * message states by time, delivery order, receipts that hold until the message is received again,
 * released, acked, dead-lettered or deleted, message groups, deduplication, dead letters and exact
 * counts. A queue with a dead-letter queue holds the model of that queue too.
 *
 * What it knows about the engine on purpose:
 * - The timed work (`runDueWork`). A delayed message that became due, or a lease that expired, is
 *   ready by time at once, but the engine only keeps strict delivery order among due messages once
 *   the timed work has moved them to the ready range (the local server runs it every 250 ms). The
 *   model tracks which due messages have not been moved yet ("unpromoted") so that the order check
 *   can be exact whenever there are none.
 * - Dead letters move when the lease ends by release, and otherwise when a receive or the timed
 *   work meets the ended lease. Until then the message is still in the source queue ("pending"):
 *   counted there as ready, never delivered. Several moved by one receive go in parallel, so their
 *   order in the dead-letter queue is not fixed: they share one place (`seq`) and tie.
 * - With `ack: 'auto'`, a receive returns at most the head of each group (the contract allows
 *   more; the engine does not do it).
 */
import type { ManualClock } from '../../support/engine';

export type Order = 'fifo' | 'lifo';

export interface ModelConfig {
  order: Order;
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  deduplicationWindowSeconds: number;
  /**
   * A bound far above what a run publishes: the engine counts every message (#SIZE, transactional
   * removals) without ever refusing one, so the model needs no notion of a full queue.
   */
  maxMessages?: number;
}

export interface DeadLetterInfo {
  sourceQueue: string;
  receiveCount: number;
  reason: 'maxReceiveCount';
}

/**
 * Where the engine keeps a message: `ready` once it is in the ready range, `waiting` behind its
 * group's head, else a timer until `dueAt` (`delayed`, or `inFlight` until the lease end).
 */
export type Stored = 'ready' | 'delayed' | 'inFlight' | 'waiting';

export interface ModelMessage {
  id: string;
  /** The model's own publish counter: the message's place in publish order, for life. */
  seq: number;
  priority: number;
  /** The body as compact JSON text. */
  body: string;
  attributes: Record<string, string>;
  /** The groupId it shows; `grouped` says whether the queue delivers it as a group member. */
  groupId: string | null;
  grouped: boolean;
  publishedAt: number;
  deliverAt: number;
  stored: Stored;
  /** Due time of a delayed or waiting message (its deliverAt), or lease end of an in-flight one. */
  dueAt: number;
  receiveCount: number;
  /** The receipt that holds the message, if any. */
  holder: string | null;
  deadLetter: DeadLetterInfo | null;
}

export interface IssuedReceipt {
  receipt: string;
  id: string;
}

export type State = 'ready' | 'delayed' | 'inFlight';

export interface PublishRequest {
  body: unknown;
  priority?: number;
  delaySeconds?: number;
  groupId?: string;
  deduplicationId?: string;
  attributes?: Record<string, string>;
}

/** What a publish must answer: the first one's id and deliverAt for a duplicate. */
export type PublishAnswer = { duplicate: true; id: string; deliverAt: number } | { duplicate: false };

/** A subscription of the run's topic: the run's queue, its dead-letter queue, or the full queue. */
export interface TopicSubscription {
  role: 'queue' | 'deadLetters' | 'full';
  filter?: Record<string, string[]>;
}

export interface DeadLetterTarget {
  queue: QueueModel;
  maxReceiveCount: number;
}

/** How many due timers a receive looks at per round for ended leases (receive.ts). */
const ENDED_PAGE = 10;
const ENDED_ROUNDS = 10;
/** How many due timers one run of the timed work handles per queue (due-work.ts). */
const DUE_WORK_PAGE = 100;

export class QueueModel {
  readonly messages = new Map<string, ModelMessage>();
  /** Every receipt ever handed out on this queue, held or not. */
  readonly receipts: IssuedReceipt[] = [];
  /** Every message id ever stored in this queue, gone or not. */
  readonly ids: string[] = [];
  /** Accepted deduplication ids: the first message's id and deliverAt, until `expiresAt`. */
  private readonly dedup = new Map<string, { id: string; deliverAt: number; expiresAt: number }>();
  private seq = 0;
  /** The run's topic, when one is put (kept on the run's queue): its subscriptions by role. */
  topic: TopicSubscription[] | null = null;

  constructor(
    readonly queue: string,
    readonly config: ModelConfig,
    readonly clock: ManualClock,
    readonly deadLetters: DeadLetterTarget | null = null,
  ) {}

  now(): number {
    return this.clock();
  }

  // -------------------------------------------------------------------------------------------
  // States and order

  /** The state a reader sees now: a due delayed message and an expired lease are ready. */
  stateOf(message: ModelMessage): State {
    if (message.stored === 'ready' || message.dueAt <= this.now()) return 'ready';
    return message.stored === 'waiting' ? 'delayed' : message.stored;
  }

  /** A timer (delay or lease) that is due: the engine's `T` range up to now. */
  isDueTimer(message: ModelMessage): boolean {
    return (message.stored === 'delayed' || message.stored === 'inFlight') && message.dueAt <= this.now();
  }

  /** Whether a lease ending now must take the message to the dead-letter queue. */
  isExhausted(message: ModelMessage): boolean {
    return this.deadLetters !== null && message.receiveCount >= this.deadLetters.maxReceiveCount;
  }

  /** An ended lease that used up its receives and has not been moved yet. */
  isPendingDeadLetter(message: ModelMessage): boolean {
    return message.stored === 'inFlight' && this.isDueTimer(message) && this.isExhausted(message);
  }

  /** Due by time but not yet moved to the ready range by the timed work. */
  isUnpromoted(message: ModelMessage): boolean {
    return this.isDueTimer(message) && !this.isPendingDeadLetter(message);
  }

  /**
   * Delivery order: higher priority first, then publish order (fifo) or its reverse (lifo).
   * Dead letters moved together share a place and compare equal (0).
   */
  compare = (a: ModelMessage, b: ModelMessage): number => {
    if (a.priority !== b.priority) return b.priority - a.priority;
    return this.config.order === 'fifo' ? a.seq - b.seq : b.seq - a.seq;
  };

  /** The order of the engine's timers: by due time, then delivery order. */
  private compareTimers = (a: ModelMessage, b: ModelMessage): number =>
    a.dueAt - b.dueAt || this.compare(a, b);

  /** Messages a receive may deliver now, best first: ready, not waiting, not a pending dead letter. */
  deliverable(): ModelMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.stored !== 'waiting' && this.stateOf(m) === 'ready' && !this.isPendingDeadLetter(m))
      .sort(this.compare);
  }

  /** The due timers, as the engine reads them. */
  dueTimers(): ModelMessage[] {
    return [...this.messages.values()].filter((m) => this.isDueTimer(m)).sort(this.compareTimers);
  }

  /** A group's live members in publish order; the first is its head. */
  groupMembers(groupId: string): ModelMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.grouped && m.groupId === groupId)
      .sort((a, b) => a.seq - b.seq);
  }

  // -------------------------------------------------------------------------------------------
  // Publishing

  /** What the engine must answer for this publish now (a duplicate), before it is applied. */
  answerFor(input: PublishRequest): PublishAnswer {
    const key = input.deduplicationId;
    if (key === undefined || this.config.deduplicationWindowSeconds === 0) return { duplicate: false };
    const first = this.dedup.get(key);
    if (first && first.expiresAt > this.now()) {
      return { duplicate: true, id: first.id, deliverAt: first.deliverAt };
    }
    return { duplicate: false };
  }

  /** Stores a publish that was not a duplicate. */
  publish(id: string, input: PublishRequest): ModelMessage {
    const now = this.now();
    const delay = input.delaySeconds ?? this.config.delaySeconds;
    const grouped = this.config.order === 'fifo' && input.groupId !== undefined;
    const message: ModelMessage = {
      id,
      seq: ++this.seq,
      priority: input.priority ?? 0,
      body: JSON.stringify(input.body),
      attributes: input.attributes ?? {},
      groupId: input.groupId ?? null,
      grouped,
      publishedAt: now,
      deliverAt: now + delay * 1000,
      stored: 'ready',
      dueAt: now + delay * 1000,
      receiveCount: 0,
      holder: null,
      deadLetter: null,
    };
    message.stored = this.arrivalState(message);
    if (input.deduplicationId !== undefined && this.config.deduplicationWindowSeconds > 0) {
      this.dedup.set(input.deduplicationId, {
        id,
        deliverAt: message.deliverAt,
        expiresAt: now + this.config.deduplicationWindowSeconds * 1000,
      });
    }
    this.messages.set(id, message);
    this.ids.push(id);
    return message;
  }

  /**
   * A new message waits behind its group's head when the group has members. Otherwise it is ready
   * when due at its publish time, else a timer: a dead letter too, which keeps its publishedAt and
   * is due at the move, so it joins the ready range only with the timed work.
   */
  private arrivalState(message: ModelMessage): Stored {
    if (message.grouped && this.groupMembers(message.groupId as string).length > 0) return 'waiting';
    return message.deliverAt > message.publishedAt ? 'delayed' : 'ready';
  }

  // -------------------------------------------------------------------------------------------
  // Receipts

  /** A manual-ack delivery: leased until now + visibility, held by the new receipt. */
  lease(message: ModelMessage, receipt: string, visibilityTimeoutSeconds: number): void {
    message.receiveCount++;
    message.stored = 'inFlight';
    message.dueAt = this.now() + visibilityTimeoutSeconds * 1000;
    message.holder = receipt;
    this.receipts.push({ receipt, id: message.id });
  }

  /** Purge: every message goes; receipts hold nothing; deduplication records stay (the contract). */
  purge(): void {
    this.messages.clear();
  }

  /** Delete and create again under the same name: nothing of the old queue, not even its dedup records. */
  recreate(): void {
    this.messages.clear();
    this.dedup.clear();
  }

  holderOf(receipt: IssuedReceipt): ModelMessage | undefined {
    const message = this.messages.get(receipt.id);
    return message?.holder === receipt.receipt ? message : undefined;
  }

  /** Gone (ack, auto-ack, cancel, move): a group's head hands over to the next member. */
  remove(id: string): void {
    const message = this.messages.get(id);
    if (!message) return;
    this.messages.delete(id);
    if (!message.grouped || message.stored === 'waiting') return;
    const [next] = this.groupMembers(message.groupId as string);
    if (!next) return;
    if (next.stored !== 'waiting') throw new Error(`model: ${next.id} was a second head of its group`);
    next.stored = next.deliverAt <= this.now() ? 'ready' : 'delayed';
    next.dueAt = next.deliverAt;
  }

  /** Ends the lease now: ready again after the delay, or dead-lettered when it used up its receives. */
  release(message: ModelMessage, delaySeconds: number): void {
    if (this.isExhausted(message)) {
      this.moveToDeadLetters([message]);
      return;
    }
    message.holder = null;
    if (delaySeconds === 0) {
      message.stored = 'ready';
    } else {
      message.stored = 'delayed';
      message.dueAt = this.now() + delaySeconds * 1000;
      message.deliverAt = message.dueAt;
    }
  }

  extend(message: ModelMessage, visibilityTimeoutSeconds: number): number {
    message.stored = 'inFlight';
    message.dueAt = this.now() + visibilityTimeoutSeconds * 1000;
    return message.dueAt;
  }

  /** PATCH: new due time and/or priority, same place in publish order (and in its group). */
  reschedule(message: ModelMessage, input: { deliverAt?: number; priority?: number }): void {
    const now = this.now();
    message.deliverAt = input.deliverAt === undefined ? message.deliverAt : Math.max(now, input.deliverAt);
    message.dueAt = message.deliverAt;
    message.priority = input.priority ?? message.priority;
    if (message.stored !== 'waiting') message.stored = message.deliverAt > now ? 'delayed' : 'ready';
  }

  // -------------------------------------------------------------------------------------------
  // Dead letters

  /** Moves messages to the dead-letter queue together (in parallel): they share its next place. */
  private moveToDeadLetters(batch: ModelMessage[]): void {
    const target = this.deadLetters?.queue;
    if (!target) throw new Error('model: no dead-letter queue');
    const groups = batch.flatMap((m) => (m.grouped ? [m.groupId] : []));
    if (new Set(groups).size !== groups.length) throw new Error('model: a parallel move within one group');
    const seq = ++target.seq;
    for (const message of batch) {
      this.remove(message.id);
      target.accept(message, seq, {
        sourceQueue: this.queue,
        receiveCount: message.receiveCount,
        reason: 'maxReceiveCount',
      });
    }
  }

  /** A message moved in (a dead letter, or a redriven message without one) at place `seq`. */
  private accept(message: ModelMessage, seq: number, deadLetter: DeadLetterInfo | null): void {
    const now = this.now();
    const copy: ModelMessage = {
      ...message,
      seq,
      grouped: this.config.order === 'fifo' && message.groupId !== null,
      deliverAt: now,
      dueAt: now,
      stored: 'ready',
      receiveCount: 0,
      holder: null,
      deadLetter,
    };
    copy.stored = this.arrivalState(copy);
    this.messages.set(copy.id, copy);
    this.ids.push(copy.id);
  }

  /**
   * What a receive does first on a queue with a dead-letter queue: moves the ended, exhausted
   * leases among the first due timers, a page at a time, each page's moves in parallel.
   */
  receiveDeadLetters(): void {
    if (!this.deadLetters) return;
    for (let round = 0; round < ENDED_ROUNDS; round++) {
      const page = this.dueTimers().slice(0, ENDED_PAGE);
      const exhausted = page.filter((m) => this.isPendingDeadLetter(m));
      if (exhausted.length > 0) this.moveToDeadLetters(exhausted);
      if (page.length < ENDED_PAGE || exhausted.length === 0) break;
    }
  }

  /**
   * Whether a receive of `max` now could deliver less than the contract says (a limit of the
   * engine, left out of the test): pending dead letters can fill its candidate window more often
   * than it reads it again, and a page of other due timers can hide a pending dead letter from the
   * look beyond a full window. (A group member that a move makes the head is delivered by the same
   * receive: it reads its window again after moves.) The receive command lets the timed work run
   * first then, as the local server would.
   */
  receiveWouldMissMessages(max: number): boolean {
    const pending = [...this.messages.values()].filter((m) => this.isPendingDeadLetter(m));
    if (pending.length === 0) return false;
    const readyRange = [...this.messages.values()].filter((m) => m.stored === 'ready').sort(this.compare);
    const window = [...readyRange, ...this.dueTimers()].slice(0, Math.min(100, 2 * max + 4));
    const candidates = window.filter((m) => !this.isPendingDeadLetter(m)).length;
    let due = this.dueTimers();
    for (let round = 0; round < ENDED_ROUNDS; round++) {
      const page = due.slice(0, ENDED_PAGE);
      const exhausted = page.filter((m) => this.isPendingDeadLetter(m));
      due = due.filter((m) => !exhausted.includes(m));
      if (page.length < ENDED_PAGE || exhausted.length === 0) break;
    }
    const leftBehind = due.some((m) => this.isPendingDeadLetter(m));
    return leftBehind || candidates < Math.min(max, this.deliverable().length);
  }

  // -------------------------------------------------------------------------------------------
  // Redrive

  /**
   * Whether a redrive of this queue can be modelled exactly: each of its passes reads the queue in
   * one page (redrive.ts reads 25 at a time; a later page would also show heads handed over during
   * the pass). Otherwise the command leaves the redrive out.
   */
  redriveIsExact(): boolean {
    return this.messages.size < 25;
  }

  /**
   * Redrive: every message that is not in flight moves to `target` (the `to` queue; without one,
   * only dead letters move, to their source queue, and other messages stay), one move after the
   * other in the order of the engine's index (the ready range in delivery order, then the timers
   * by due time). Waiting group members are not read: a member becomes its group's head when the
   * one before it moves, and the next pass moves it; passes go on while one moves something.
   * Each move takes the target's next place; messages that tie here (dead letters moved
   * together) keep tying there.
   */
  /** Redrive of one message (ready or delayed) to `target`, at its next place. */
  redriveOne(message: ModelMessage, target: QueueModel): void {
    this.remove(message.id);
    target.accept(message, ++target.seq, null);
  }

  redriveTo(target: QueueModel, onlyDeadLetters: boolean): number {
    let moved = 0;
    for (;;) {
      const ready = [...this.messages.values()].filter((m) => m.stored === 'ready').sort(this.compare);
      const timers = [...this.messages.values()]
        .filter((m) => m.stored === 'delayed' || m.stored === 'inFlight')
        .sort(this.compareTimers);
      const pass = [...ready, ...timers].filter(
        (m) => this.stateOf(m) !== 'inFlight' && (!onlyDeadLetters || m.deadLetter !== null),
      );
      if (pass.length === 0) return moved;
      let previous: ModelMessage | undefined;
      let seq = 0;
      for (const message of pass) {
        const ties =
          previous !== undefined &&
          previous.stored === message.stored &&
          (message.stored === 'ready' || previous.dueAt === message.dueAt) &&
          previous.deliverAt === message.deliverAt &&
          this.compare(previous, message) === 0;
        if (!ties) seq = ++target.seq;
        this.remove(message.id);
        target.accept(message, seq, null);
        previous = message;
      }
      moved += pass.length;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Time and counts

  /**
   * What the engine's timed work does: every due timer joins the ready range at its place, or,
   * for an exhausted lease, goes to the dead-letter queue (one after the other, by due time).
   */
  promote(): void {
    for (const message of this.dueTimers().slice(0, DUE_WORK_PAGE)) {
      if (this.isPendingDeadLetter(message)) this.moveToDeadLetters([message]);
      else message.stored = 'ready';
    }
  }

  counts() {
    const counts = { ready: 0, delayed: 0, inFlight: 0, total: 0 };
    for (const message of this.messages.values()) {
      counts[this.stateOf(message)]++;
      counts.total++;
    }
    return counts;
  }

  /** Future times at which something changes (delays, waiting members, lease ends, dedup windows). */
  pendingDueTimes(): number[] {
    const now = this.now();
    const dedupEnds = [...this.dedup.values()].map((record) => record.expiresAt);
    return [
      ...[...this.messages.values()].filter((m) => m.stored !== 'ready').map((m) => m.dueAt),
      ...dedupEnds,
    ]
      .filter((time) => time > now)
      .sort((a, b) => a - b);
  }
}
