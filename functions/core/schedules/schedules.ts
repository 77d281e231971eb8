/**
 * Recurring schedules: define, read, list, delete, and run the due ones.
 *
 *   put      GetItem SCHEDULES/<name> (consistent); the target's #META or topic (must exist);
 *            PutItem IF attribute_not_exists(pk) (create) or IF rev = :seen (replace)
 *   delete   DeleteItem IF attribute_exists(pk)
 *   runDue   Query avail apk = SCHEDULE_DUE Limit 1 (the earliest nextAt: an idle run ends here,
 *            one request); when due, Query ask in [S, S<now>~] (only active, due schedules:
 *            however many schedules exist, a run reads only the due ones), then per schedule
 *            GetItem (consistent: the index only proposes) and one transaction per firing
 *            (fire.ts); finally the earliest next firing again.
 *
 * `nextAt` on (re)definition: the first firing at or after now (and after the last one fired).
 * A PUT that keeps the timing (cron, zone, every, start, end) of an active schedule keeps its
 * `nextAt`, so re-applying the same definition never drops a firing that is due; a resumed
 * schedule starts from now (firings while paused are not caught up).
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteItemCommand,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { Clock } from '../engine';
import { PostboxError, ServiceUnavailableError, ValidationError } from '../errors';
import {
  SCHEDULE_DUE_PK,
  SCHEDULES_DUE_FROM,
  SCHEDULES_DUE_TO,
  SCHEDULES_PK,
  scheduleKey,
  schedulesDueUpTo,
} from '../keys';
import { registryPage } from '../query';
import type { QueueMetaCache } from '../queue-meta';
import { classify, fromAttributes, type Store, toAttributes } from '../store';
import { TABLE } from '../table';
import type { Topics } from '../topics';
import type { Page } from '../types';
import { Firer } from './fire';
import { planFirings } from './plan';
import {
  recordFromItem,
  recordToItem,
  type ScheduleRecord,
  sameTiming,
  scheduleOf,
  timingOf,
} from './schedule-item';
import { firingAfter, firingFrom, parseCron } from './timing';
import type { DueSchedulesResult, FiredMessage, Schedule, ScheduleInput } from './types';

export class ScheduleNotFoundError extends PostboxError {
  constructor(name: string) {
    super('NotFound', `Schedule '${name}' does not exist.`);
  }
}

export interface SchedulesOptions {
  /** A schedule behind by more than this publishes one catch-up firing (plan.ts). @default 120000 */
  catchUpAfterMs?: number;
  /** Schedules read per run; the rest stay due for the next. @default 1000 */
  maxSchedulesPerRun?: number;
}

export class Schedules {
  private readonly firer: Firer;

  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly topics: Pick<Topics, 'get'>,
    signals: ConstructorParameters<typeof Firer>[3],
    private readonly clock: Clock,
    private readonly options: SchedulesOptions = {},
  ) {
    this.firer = new Firer(store, metas, topics, signals, clock);
  }

  async put(name: string, input: ScheduleInput): Promise<{ schedule: Schedule; created: boolean }> {
    const cron = input.cron === undefined ? undefined : parseCron(input.cron, input.timeZone);
    await this.checkTarget(input);
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.read(name);
      const now = this.clock();
      const record: ScheduleRecord = {
        name,
        cron: input.cron,
        fields: cron?.fields,
        timeZone: cron?.timeZone ?? input.timeZone ?? 'UTC',
        everySeconds: input.everySeconds,
        target: input.target,
        message: input.message,
        start: input.start,
        end: input.end,
        paused: input.paused ?? false,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        rev: randomBytes(9).toString('base64url'),
        lastFiredAt: existing?.lastFiredAt,
        lastError: existing?.lastError,
      };
      record.nextAt = record.paused ? undefined : (nextAtOf(record, existing, now) ?? undefined);
      try {
        await this.store.send(
          new PutItemCommand({
            TableName: this.store.tableName,
            Item: toAttributes(recordToItem(record)),
            ...putCondition(existing),
          }),
        );
        return { schedule: scheduleOf(record), created: existing === undefined };
      } catch (error) {
        if (classify(error).kind !== 'condition') throw error;
        // Changed concurrently (another PUT, or a firing moved nextAt): read again.
      }
    }
    throw new ServiceUnavailableError(`Schedule '${name}' is being changed concurrently; retry.`);
  }

  async get(name: string): Promise<Schedule> {
    const record = await this.read(name);
    if (!record) throw new ScheduleNotFoundError(name);
    return scheduleOf(record);
  }

  async list(limit: number, cursor?: string): Promise<Page<Schedule>> {
    const page = await registryPage(this.store, SCHEDULES_PK, 'schedules', limit, cursor);
    return { items: page.items.map((item) => scheduleOf(recordFromItem(item))), cursor: page.cursor };
  }

  async delete(name: string): Promise<void> {
    try {
      await this.store.send(
        new DeleteItemCommand({
          TableName: this.store.tableName,
          Key: toAttributes(scheduleKey(name)),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    } catch (error) {
      if (classify(error).kind === 'condition') throw new ScheduleNotFoundError(name);
      throw error;
    }
  }

  /**
   * Publishes every due firing of every due schedule (plan.ts decides which), each exactly once
   * however many processes run this at the same time. One schedule failing does not stop the
   * others; the first failure is thrown after the run.
   */
  async runDue(): Promise<DueSchedulesResult> {
    const now = this.clock();
    // One small query answers an idle run (nothing due): the earliest active schedule's nextAt.
    const earliest = await this.earliestNextAt();
    if (earliest === null || earliest > now) return { fired: [], nextDueAt: earliest };
    const fired: FiredMessage[] = [];
    let failure: unknown;
    for (const name of await this.dueNames(now)) {
      await this.runSchedule(name, now, fired).catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) throw failure;
    return { fired, nextDueAt: await this.earliestNextAt() };
  }

  private async runSchedule(name: string, now: number, fired: FiredMessage[]): Promise<void> {
    let record = await this.read(name);
    if (!record || record.paused || record.nextAt === undefined) return;
    const timing = timingOf(record);
    const plan = planFirings(timing, record.nextAt, now, { catchUpAfterMs: this.options.catchUpAfterMs });
    for (const firedAt of plan.firings) {
      const next = firingAfter(timing, firedAt);
      const outcome = await this.firer.fire(record, firedAt, next);
      if (outcome.kind === 'lost') return; // someone else has it; their state wins
      if (outcome.kind === 'published') fired.push(...outcome.fired);
      record = { ...record, nextAt: next ?? undefined, lastFiredAt: firedAt };
      if (next === null) return;
    }
  }

  private async dueNames(now: number): Promise<string[]> {
    const limit = this.options.maxSchedulesPerRun ?? 1_000;
    const names: string[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.store.send<QueryCommandOutput>(
        new QueryCommand({
          ...dueQuery(SCHEDULES_DUE_FROM, schedulesDueUpTo(now)),
          TableName: this.store.tableName,
          Limit: Math.min(100, limit - names.length),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of page.Items ?? []) names.push(String(fromAttributes(raw)?.sk));
      startKey = page.LastEvaluatedKey;
    } while (startKey && names.length < limit);
    return [...new Set(names)];
  }

  private async earliestNextAt(): Promise<number | null> {
    const page = await this.store.send<QueryCommandOutput>(
      new QueryCommand({
        ...dueQuery(SCHEDULES_DUE_FROM, SCHEDULES_DUE_TO),
        TableName: this.store.tableName,
        Limit: 1,
      }),
    );
    const ask = page.Items?.[0] ? String(fromAttributes(page.Items[0])?.ask) : undefined;
    return ask === undefined ? null : Number(ask.slice(1, 16));
  }

  private async read(name: string): Promise<ScheduleRecord | undefined> {
    const { Item } = await this.store.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.store.tableName,
        Key: toAttributes(scheduleKey(name)),
        ConsistentRead: true,
      }),
    );
    const item = fromAttributes(Item);
    return item ? recordFromItem(item) : undefined;
  }

  /** The target must exist (404 QueueNotFound / TopicNotFound), and a group needs a fifo queue. */
  private async checkTarget(input: ScheduleInput): Promise<void> {
    const { target, message } = input;
    if ('topic' in target) {
      await this.topics.get(target.topic);
      return;
    }
    const meta = await this.metas.read(target.queue);
    if (message.groupId !== undefined && meta.order === 'lifo') {
      throw new ValidationError(
        `message.groupId: queue '${target.queue}' is lifo; message groups exist in fifo queues only.`,
      );
    }
  }
}

/** The first firing of a (re)defined schedule: see the header. */
function nextAtOf(record: ScheduleRecord, existing: ScheduleRecord | undefined, now: number): number | null {
  if (existing && !existing.paused && existing.nextAt !== undefined && sameTiming(existing, record)) {
    return existing.nextAt;
  }
  const timing = timingOf(record);
  const from = firingFrom(timing, now);
  const last = existing?.lastFiredAt;
  if (from === null || last === undefined || from > last) return from;
  return firingAfter(timing, last);
}

/**
 * Create: nothing there. Replace: the item as read, `nextAt` included, so a firing that moved it
 * meanwhile is never undone by a PUT that keeps it.
 */
function putCondition(
  existing: ScheduleRecord | undefined,
): Pick<
  PutItemCommandInput,
  'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  if (!existing) {
    return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } };
  }
  const seen = existing.nextAt === undefined ? 'attribute_not_exists(#nextAt)' : '#nextAt = :next';
  return {
    ConditionExpression: `#rev = :rev AND ${seen}`,
    ExpressionAttributeNames: { '#rev': 'rev', '#nextAt': 'nextAt' },
    ExpressionAttributeValues: toAttributes({
      ':rev': existing.rev,
      ...(existing.nextAt === undefined ? {} : { ':next': existing.nextAt }),
    }),
  };
}

function dueQuery(from: string, to: string) {
  const { availabilityIndex: index } = TABLE;
  return {
    IndexName: index.name,
    KeyConditionExpression: '#apk = :apk AND #ask BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#apk': index.partitionKey, '#ask': index.sortKey },
    ExpressionAttributeValues: toAttributes({ ':apk': SCHEDULE_DUE_PK, ':from': from, ':to': to }),
  };
}
