/**
 * A small in-memory reference model of one queue, written from the contract (shared/API.md) and
 * nothing else: message states by time, delivery order, receipts that hold until the message is
 * received again, released, acked or deleted, and exact counts.
 *
 * One thing it knows about the engine on purpose: the timed work (`runDueWork`). A delayed message
 * that became due, or a lease that expired, is ready by time at once, but the engine only keeps
 * strict delivery order among due messages once the timed work has moved them to the ready range
 * (the local server runs it every 250 ms). The model tracks which due messages have not been moved
 * yet ("unpromoted") so that the order check can be exact whenever there are none.
 */
import type { ManualClock } from '../../support/engine';

export type Order = 'fifo' | 'lifo';

export interface ModelConfig {
  order: Order;
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
}

export interface ModelMessage {
  id: string;
  /** The model's own publish counter: the message's place in publish order, for life. */
  seq: number;
  priority: number;
  /** The body as compact JSON text. */
  body: string;
  publishedAt: number;
  /** Where the engine keeps it: `ready` once it is in the ready range, else a timer until `dueAt`. */
  stored: 'ready' | 'delayed' | 'inFlight';
  /** Due time of a delayed message, or lease end of an in-flight one. */
  dueAt: number;
  receiveCount: number;
  /** The receipt that holds the message, if any. */
  holder: string | null;
}

export interface IssuedReceipt {
  receipt: string;
  id: string;
}

export type State = 'ready' | 'delayed' | 'inFlight';

export class QueueModel {
  readonly messages = new Map<string, ModelMessage>();
  /** Every receipt ever handed out on this queue, held or not. */
  readonly receipts: IssuedReceipt[] = [];
  /** Every message id ever published on this queue, gone or not. */
  readonly ids: string[] = [];
  private seq = 0;

  constructor(
    readonly queue: string,
    readonly config: ModelConfig,
    readonly clock: ManualClock,
  ) {}

  now(): number {
    return this.clock();
  }

  /** The state a reader sees now: a due delayed message and an expired lease are ready. */
  stateOf(message: ModelMessage): State {
    if (message.stored === 'ready' || message.dueAt <= this.now()) return 'ready';
    return message.stored;
  }

  /** Due by time but not yet moved to the ready range by the timed work. */
  isUnpromoted(message: ModelMessage): boolean {
    return message.stored !== 'ready' && message.dueAt <= this.now();
  }

  /** Delivery order: higher priority first, then publish order (fifo) or its reverse (lifo). */
  compare = (a: ModelMessage, b: ModelMessage): number => {
    if (a.priority !== b.priority) return b.priority - a.priority;
    return this.config.order === 'fifo' ? a.seq - b.seq : b.seq - a.seq;
  };

  /** Ready messages, best first. */
  ready(): ModelMessage[] {
    return [...this.messages.values()].filter((m) => this.stateOf(m) === 'ready').sort(this.compare);
  }

  publish(id: string, input: { body: unknown; priority?: number; delaySeconds?: number }) {
    const now = this.now();
    const delay = input.delaySeconds ?? this.config.delaySeconds;
    const message: ModelMessage = {
      id,
      seq: ++this.seq,
      priority: input.priority ?? 0,
      body: JSON.stringify(input.body),
      publishedAt: now,
      stored: delay > 0 ? 'delayed' : 'ready',
      dueAt: now + delay * 1000,
      receiveCount: 0,
      holder: null,
    };
    this.messages.set(id, message);
    this.ids.push(id);
    return message;
  }

  /** A manual-ack delivery: leased until now + visibility, held by the new receipt. */
  lease(message: ModelMessage, receipt: string, visibilityTimeoutSeconds: number): void {
    message.receiveCount++;
    message.stored = 'inFlight';
    message.dueAt = this.now() + visibilityTimeoutSeconds * 1000;
    message.holder = receipt;
    this.receipts.push({ receipt, id: message.id });
  }

  holderOf(receipt: IssuedReceipt): ModelMessage | undefined {
    const message = this.messages.get(receipt.id);
    return message?.holder === receipt.receipt ? message : undefined;
  }

  remove(id: string): void {
    this.messages.delete(id);
  }

  release(message: ModelMessage, delaySeconds: number): void {
    message.holder = null;
    if (delaySeconds === 0) {
      message.stored = 'ready';
    } else {
      message.stored = 'delayed';
      message.dueAt = this.now() + delaySeconds * 1000;
    }
  }

  extend(message: ModelMessage, visibilityTimeoutSeconds: number): number {
    message.stored = 'inFlight';
    message.dueAt = this.now() + visibilityTimeoutSeconds * 1000;
    return message.dueAt;
  }

  /** What the engine's timed work does: every due timer joins the ready range at its place. */
  promote(): void {
    for (const message of this.messages.values()) {
      if (this.isUnpromoted(message)) message.stored = 'ready';
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

  /** Future due times (delays and lease ends), soonest first. */
  pendingDueTimes(): number[] {
    const now = this.now();
    return [...this.messages.values()]
      .filter((m) => m.stored !== 'ready' && m.dueAt > now)
      .map((m) => m.dueAt)
      .sort((a, b) => a - b);
  }
}
