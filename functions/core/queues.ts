/**
 * Queue administration: create/update, get with counts, list, delete, purge.
 *
 * create   TransactWrite: Put #META (attribute_not_exists) + Put registry copy
 *          [+ ConditionCheck the dead-letter queue's #META exists]
 * update   TransactWrite: Update #META (exists, same incarnation, same order) + Put registry copy
 *          [+ ConditionCheck dead-letter queue]; turning a bound on adopts uncounted messages
 * delete   TransactWrite: Delete #META + Delete registry; then the queue's partitions are emptied
 * purge    UpdateItem #META SET inc = <new>: every message is gone in one atomic step (they live
 *          under the old incarnation's partition, which is then emptied)
 */
import { randomBytes } from 'node:crypto';
import {
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { batchWrite, deletePartition, deleteRequest } from './batch-write';
import { dedupPartitions } from './dedup-keys';
import { ConflictError, QueueNotFoundError, ValidationError } from './errors';
import { pausedCondition } from './flow/pause';
import { DEDUP_SK_PREFIX, isDedupOf, queueMetaKey, REGISTRY_PK, registryKey, shardSequenceKey } from './keys';
import { queryAll, registryPage } from './query';
import {
  CONFIG_FIELDS,
  configOf,
  DEFAULT_CONFIG,
  metaFromItem,
  type QueueMeta,
  type QueueMetaCache,
  queueOf,
  sameConfigValue,
  validateConfig,
} from './queue-meta';
import { deleteQueueParams, referenceParams } from './queue-references';
import { MAX_SHARD_STEPS, partitionsOf, resolveShards, stepsOf } from './shards';
import { sizeAdd } from './size';
import { classify, fromAttributes, type Store, toAttributes } from './store';
import type { Page, Queue, QueueConfig, QueueFields } from './types';

/** The configuration fields of a create or update: `throughput` resolved into `shards`. */
function configFields(current: number | undefined, fields: QueueFields): Partial<QueueConfig> {
  const { throughput: _throughput, targetMessagesPerSecond: _target, ...config } = fields;
  const shards = resolveShards(current, fields);
  return shards === undefined ? config : { ...config, shards };
}

export const newIncarnation = () => randomBytes(6).toString('base64url');

export class Queues {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: () => number,
    private readonly subscribersOf: (queue: string) => Promise<string[]>,
  ) {}

  async put(name: string, fields: QueueFields): Promise<{ queue: Queue; created: boolean }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.metas.read(name).catch((error: unknown) => {
        if (error instanceof QueueNotFoundError) return undefined;
        throw error;
      });
      const config = configFields(existing?.shards, fields);
      const result = existing ? await this.update(existing, config) : await this.create(name, config);
      if (result) return result;
    }
    throw new ConflictError(`Queue '${name}' is being changed concurrently; retry.`);
  }

  private async create(name: string, fields: Partial<QueueConfig>) {
    const config = { ...DEFAULT_CONFIG, ...fields };
    validateConfig(name, config);
    const inc = newIncarnation();
    const meta: QueueMeta = {
      name,
      ...config,
      createdAt: this.clock(),
      paused: false,
      inc,
      gen: inc,
      seq: 0,
    };
    const ok = await this.transact(name, config.deadLetterQueue, [
      {
        Put: {
          TableName: this.store.tableName,
          Item: toAttributes({ ...queueMetaKey(name), ...meta }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        },
      },
      this.registryPut(meta),
    ]);
    if (!ok) return undefined; // created concurrently: read it and apply the fields as an update
    this.metas.remember(meta);
    return { queue: queueOf(meta), created: true };
  }

  private async update(existing: QueueMeta, fields: Partial<QueueConfig>) {
    if (fields.order !== undefined && fields.order !== existing.order) {
      throw new ConflictError(
        `order: a queue's order cannot change (queue '${existing.name}' is ${existing.order}).`,
      );
    }
    const config = { ...configOf(existing), ...fields };
    validateConfig(existing.name, config);
    const before = configOf(existing);
    const changed = CONFIG_FIELDS.filter((field) => !sameConfigValue(config[field], before[field]));
    if (changed.length === 0) return { queue: queueOf(existing), created: false };
    const meta: QueueMeta = { ...existing, ...config };
    const pausedAsRead = pausedCondition(existing.paused === true);
    const names: Record<string, string> = Object.fromEntries(changed.map((field, i) => [`#f${i}`, field]));
    const values: Record<string, unknown> = Object.fromEntries(
      changed.map((field, i) => [`:f${i}`, config[field]]),
    );
    const sets = changed.map((_, i) => `#f${i} = :f${i}`);
    // Growth: the shard counts so far stay known (a live group stays in the shard it started in),
    // and the change is conditional on the count it grows from (two growths cannot lose a step).
    let shardCondition = '';
    if (config.shards !== existing.shards) {
      const steps = [...stepsOf(existing), config.shards];
      if (steps.length > MAX_SHARD_STEPS) {
        throw new ValidationError(`shards: a queue can grow at most ${MAX_SHARD_STEPS - 1} times.`);
      }
      meta.shardSteps = steps;
      Object.assign(names, { '#shardSteps': 'shardSteps', '#shardsNow': 'shards' });
      Object.assign(values, { ':shardSteps': steps, ':shardsNow': existing.shards });
      sets.push('#shardSteps = :shardSteps');
      shardCondition = ' AND (#shardsNow = :shardsNow OR attribute_not_exists(#shardsNow))';
      if (existing.shards === 1 && existing.shardedAt === undefined) {
        meta.shardedAt = this.clock();
        Object.assign(names, { '#shardedAt': 'shardedAt' });
        Object.assign(values, { ':shardedAt': meta.shardedAt });
        sets.push('#shardedAt = :shardedAt');
      }
    }
    const ok = await this.transact(existing.name, fields.deadLetterQueue ?? null, [
      {
        Update: {
          TableName: this.store.tableName,
          Key: toAttributes(queueMetaKey(existing.name)),
          UpdateExpression: `SET ${sets.join(', ')}`,
          // Same incarnation: a purge or re-creation in between makes us start over. Paused as
          // read: the registry copy written below must not undo a pause or resume in between.
          ConditionExpression: `attribute_exists(#pk) AND #inc = :inc AND ${pausedAsRead.expression}${shardCondition}`,
          ExpressionAttributeNames: { ...names, '#pk': 'pk', '#inc': 'inc', ...pausedAsRead.names },
          ExpressionAttributeValues: toAttributes({
            ...values,
            ':inc': existing.inc,
            ...pausedAsRead.values,
          }),
        },
      },
      this.registryPut(meta),
    ]);
    if (!ok) return undefined;
    this.metas.remember(meta);
    if (existing.maxMessages === 0 && meta.maxMessages > 0) await this.adoptUncounted(meta);
    return { queue: queueOf(meta), created: false };
  }

  /**
   * Runs the transaction with a reference to the dead-letter queue (it must exist; see
   * `referenceParams`). Returns false when the queue's own condition failed (a concurrent
   * change: the caller starts over).
   */
  private async transact(name: string, deadLetterQueue: string | null, items: TransactWriteItem[]) {
    const check: TransactWriteItem[] = deadLetterQueue
      ? [referenceParams(this.store.tableName, deadLetterQueue)]
      : [];
    try {
      await this.store.send(new TransactWriteItemsCommand({ TransactItems: [...items, ...check] }));
      return true;
    } catch (error) {
      const cancellation = classify(error);
      if (cancellation.kind !== 'cancelled') throw error;
      if (cancellation.failedIndex === items.length && deadLetterQueue) {
        throw new QueueNotFoundError(deadLetterQueue);
      }
      if (cancellation.failedIndex >= 0 || cancellation.conflict) return false;
      throw error;
    } finally {
      this.metas.forget(name);
    }
  }

  private registryPut(meta: QueueMeta): TransactWriteItem {
    return {
      Put: {
        TableName: this.store.tableName,
        Item: toAttributes({ ...registryKey(meta.name), ...queueOf(meta) }),
      },
    };
  }

  /**
   * A queue that becomes bounded starts counting: every message not yet counted is marked and
   * added to #SIZE, one transaction each, so the counter is exact from here on. Cost: one
   * transactional write per message already in the queue; only when a bound is switched on.
   */
  private async adoptUncounted(meta: QueueMeta): Promise<void> {
    for (const pk of partitionsOf(meta)) await this.adoptUncountedIn(pk);
  }

  private async adoptUncountedIn(pk: string): Promise<void> {
    const uncounted = queryAll(this.store, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :m)',
      FilterExpression: 'attribute_not_exists(#counted)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#counted': 'counted' },
      ExpressionAttributeValues: toAttributes({ ':pk': pk, ':m': 'M#' }),
      ProjectionExpression: '#pk, #sk',
      ConsistentRead: true,
    });
    for await (const { pk: itemPk, sk } of uncounted) {
      await this.store
        .send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.store.tableName,
                  Key: toAttributes({ pk: itemPk, sk }),
                  UpdateExpression: 'SET #counted = :true',
                  ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#counted)',
                  ExpressionAttributeNames: { '#pk': 'pk', '#counted': 'counted' },
                  ExpressionAttributeValues: toAttributes({ ':true': true }),
                },
              },
              sizeAdd(this.store.tableName, pk, 1),
            ],
          }),
        )
        .catch((error: unknown) => {
          // Gone or counted meanwhile: nothing to adopt.
          if (classify(error).kind !== 'cancelled') throw error;
        });
    }
  }

  async list(limit: number, cursor?: string): Promise<Page<Queue>> {
    const page = await registryPage(this.store, REGISTRY_PK, 'queues', limit, cursor);
    // Queues registered before `shards` existed have one.
    const items = page.items.map(
      ({ pk: _pk, sk: _sk, ...queue }) => ({ shards: 1, ...queue }) as unknown as Queue,
    );
    return { items, cursor: page.cursor };
  }

  /**
   * The referrer check and the delete are atomic together: every write that makes a reference
   * to a queue (a dead-letter queue setting, a topic subscription) bumps the queue's `refs`
   * version in its own transaction, and the delete requires the version it read before looking
   * for referrers. A reference made in between fails the delete's condition: it looks again and
   * answers Conflict; a reference made after the delete finds no queue (404).
   */
  async delete(name: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const meta = await this.metas.read(name);
      await this.assertNotReferenced(name);
      try {
        await this.store.send(new TransactWriteItemsCommand(deleteQueueParams(this.store.tableName, meta)));
      } catch (error) {
        const fault = classify(error);
        if (fault.kind === 'cancelled' && (fault.failedIndex === 0 || fault.conflict)) continue;
        throw error;
      } finally {
        this.metas.forget(name);
      }
      await this.cleanUp(meta);
      return;
    }
    throw new ConflictError(`Queue '${name}' is being referenced concurrently; retry.`);
  }

  private async cleanUp(meta: QueueMeta): Promise<void> {
    const { name } = meta;
    // The queue is gone for every caller now; what remains is storage to free: its messages (the
    // incarnation is its own) and its deduplication records (by generation). Nothing else under
    // Q#<name>: a queue of the same name may have been created meanwhile, with its own #META.
    // Shard sequences first: a publish through a process that still has the queue cached then
    // finds no sequence and answers 404 (as a publish to shard 0 does once #META is gone).
    const sequences = partitionsOf(meta)
      .map((_, shard) => shardSequenceKey(name, meta.gen, shard))
      .slice(1);
    if (sequences.length > 0) await batchWrite(this.store, sequences.map(deleteRequest));
    for (const partition of partitionsOf(meta)) await deletePartition(this.store, partition);
    for (const partition of dedupPartitions(meta)) await deleteDedupRecords(this.store, partition, meta.gen);
  }

  private async assertNotReferenced(name: string): Promise<void> {
    const [topic] = await this.subscribersOf(name);
    if (topic !== undefined) {
      throw new ConflictError(`Queue '${name}' is subscribed by topic '${topic}'; change that topic first.`);
    }
    const referrers = queryAll(this.store, {
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: '#dlq = :name',
      ExpressionAttributeNames: { '#pk': 'pk', '#dlq': 'deadLetterQueue', '#sk': 'sk' },
      ExpressionAttributeValues: toAttributes({ ':pk': REGISTRY_PK, ':name': name }),
      ProjectionExpression: '#sk',
      ConsistentRead: true,
    });
    for await (const referrer of referrers) {
      throw new ConflictError(
        `Queue '${name}' is the dead-letter queue of '${referrer.sk}'; change that queue first.`,
      );
    }
  }

  async purge(name: string): Promise<void> {
    let old: QueueMeta | undefined;
    try {
      const output = await this.store.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          TableName: this.store.tableName,
          Key: toAttributes(queueMetaKey(name)),
          UpdateExpression: 'SET #inc = :inc',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk', '#inc': 'inc' },
          ExpressionAttributeValues: toAttributes({ ':inc': newIncarnation() }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = metaFromItem(fromAttributes(output.Attributes) ?? {});
    } catch (error) {
      if (classify(error).kind === 'condition') throw new QueueNotFoundError(name);
      throw error;
    } finally {
      this.metas.forget(name);
    }
    for (const partition of partitionsOf(old)) await deletePartition(this.store, partition);
  }
}

/** Deletes the deduplication records of one generation of a queue in one partition (see keys.ts). */
async function deleteDedupRecords(store: Store, partition: string, gen: string | undefined): Promise<void> {
  const records = queryAll(store, {
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
    ExpressionAttributeValues: toAttributes({ ':pk': partition, ':prefix': DEDUP_SK_PREFIX }),
    ProjectionExpression: '#pk, #sk',
    ConsistentRead: true,
  });
  let chunk: { pk: string; sk: string }[] = [];
  for await (const { pk, sk } of records) {
    if (!isDedupOf(String(sk), gen)) continue;
    chunk.push({ pk: String(pk), sk: String(sk) });
    if (chunk.length === 25) {
      await batchWrite(store, chunk.map(deleteRequest));
      chunk = [];
    }
  }
  if (chunk.length > 0) await batchWrite(store, chunk.map(deleteRequest));
}
