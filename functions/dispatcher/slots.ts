/**
 * Concurrency of a consumer: at most `concurrency` batches in flight at once, across every
 * dispatcher invocation. A batch holds a slot from its claim until it is settled.
 *
 * In AWS the slots are one item per consumer in the Postbox table (many dispatcher invocations
 * run at once: stream shards, wake-ups, the sweep):
 *
 *   pk = C#<queue>:<handler>   sk = #SLOTS
 *   holders  { <token>: <held until, epoch ms> }   a holder past its time is dead and does not count
 *   refused  true when an acquire was turned away since the last release
 *   version  incremented by every write, so a write based on a stale read fails its condition
 *
 *   acquire  GetItem (consistent) → PutItem holders + mine, version + 1   IF version = :seen (or new)
 *            full: UpdateItem SET refused = true ADD version 1
 *   release  UpdateItem REMOVE holders.<token>, refused ADD version 1     → UPDATED_OLD refused
 *
 * A refused acquire relies on a holder to look at the queue again after its release (the holder
 * sees `refused`): without that, a message published while every slot was busy, just after the
 * last holder found the queue empty, would wait for the next sweep.
 *
 * A slot is held at most until its dispatcher invocation must have ended (`holdMs`), so a
 * crashed dispatcher frees its slots by time alone, like a lease.
 */
import { randomBytes } from 'node:crypto';
import {
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Clock } from '../core/engine';
import { consumerSlotsKey } from '../core/keys';
import { classify, fromAttributes, type Store, toAttributes } from '../core/store';
import { type Consumer, consumerId } from './consumer';

export interface Slot {
  /** Gives the slot back; resolves true when an acquire was turned away while slots were full. */
  release(): Promise<boolean>;
}

export interface ConcurrencyLimiter {
  /** A slot for one batch of `consumer`, or undefined when `concurrency` batches are in flight. */
  acquire(consumer: Consumer): Promise<Slot | undefined>;
}

/** Slots counted in this process: enough where one process runs every batch (locally, tests). */
export class InProcessSlots implements ConcurrencyLimiter {
  private readonly held = new Map<string, { count: number; refused: boolean }>();

  async acquire(consumer: Consumer): Promise<Slot | undefined> {
    const id = consumerId(consumer);
    const state = this.held.get(id) ?? { count: 0, refused: false };
    this.held.set(id, state);
    if (state.count >= consumer.concurrency) {
      state.refused = true;
      return undefined;
    }
    state.count++;
    let released = false;
    return {
      release: async () => {
        if (released) return false;
        released = true;
        state.count--;
        const refused = state.refused;
        state.refused = false;
        return refused;
      },
    };
  }
}

export const slotsKey = (consumer: Consumer) => consumerSlotsKey(consumerId(consumer));
/** Lost races in a row before giving up (others are busy with the consumer's batches then). */
const MAX_ATTEMPTS = 5;
const DAY_SECONDS = 86_400;

interface SlotsItem {
  holders?: Record<string, number>;
  refused?: boolean;
  version?: number;
}

export class DynamoSlots implements ConcurrencyLimiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** How long a slot may be held: until the invocation holding it has surely ended. */
    private readonly holdMs: () => number,
  ) {}

  async acquire(consumer: Consumer): Promise<Slot | undefined> {
    const key = slotsKey(consumer);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { Item } = await this.store.send<{ Item?: Record<string, never> }>(
        new GetItemCommand({ TableName: this.store.tableName, Key: toAttributes(key), ConsistentRead: true }),
      );
      const item = (fromAttributes(Item) ?? {}) as SlotsItem;
      const now = this.clock();
      const live = Object.entries(item.holders ?? {}).filter(([, until]) => until > now);
      if (live.length >= consumer.concurrency) break;
      const token = randomBytes(12).toString('base64url');
      const until = now + this.holdMs();
      try {
        await this.store.send(new PutItemCommand(this.acquireParams(key, item, live, token, until)));
        return { release: () => this.release(key, token) };
      } catch (error) {
        if (classify(error).kind !== 'condition') throw error;
      }
    }
    await this.store.send(new UpdateItemCommand(refuseParams(this.store.tableName, key)));
    return undefined;
  }

  acquireParams(
    key: { pk: string; sk: string },
    seen: SlotsItem,
    live: [string, number][],
    token: string,
    until: number,
  ): PutItemCommandInput {
    const holders = Object.fromEntries([...live, [token, until]]);
    const fresh = seen.version === undefined;
    const latest = Math.max(...Object.values(holders));
    return {
      TableName: this.store.tableName,
      Item: toAttributes({
        ...key,
        holders,
        refused: seen.refused,
        version: (seen.version ?? 0) + 1,
        // Clean-up of idle consumers' items only; expiry is decided by `holders`, never by TTL.
        ttl: Math.ceil(latest / 1000) + DAY_SECONDS,
      }),
      ConditionExpression: fresh ? 'attribute_not_exists(#pk)' : '#version = :seen',
      ExpressionAttributeNames: fresh ? { '#pk': 'pk' } : { '#version': 'version' },
      ...(fresh ? {} : { ExpressionAttributeValues: toAttributes({ ':seen': seen.version }) }),
    };
  }

  private async release(key: { pk: string; sk: string }, token: string): Promise<boolean> {
    const output = await this.store.send<{ Attributes?: Record<string, never> }>(
      new UpdateItemCommand({
        TableName: this.store.tableName,
        Key: toAttributes(key),
        UpdateExpression: 'REMOVE #holders.#token, #refused ADD #version :one',
        ExpressionAttributeNames: {
          '#holders': 'holders',
          '#token': token,
          '#refused': 'refused',
          '#version': 'version',
        },
        ExpressionAttributeValues: toAttributes({ ':one': 1 }),
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return (fromAttributes(output.Attributes) as SlotsItem | undefined)?.refused === true;
  }
}

function refuseParams(tableName: string, key: { pk: string; sk: string }) {
  return {
    TableName: tableName,
    Key: toAttributes(key),
    UpdateExpression: 'SET #refused = :true ADD #version :one',
    ExpressionAttributeNames: { '#refused': 'refused', '#version': 'version' },
    ExpressionAttributeValues: toAttributes({ ':true': true, ':one': 1 }),
  };
}
