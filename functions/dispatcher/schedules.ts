/**
 * The coarse stage of the two-stage timer (docs/deploy.md, "Delays and lease ends"). EventBridge Scheduler fires somewhere in
 * the minute it is set for, so a minute that has due messages gets ONE one-time schedule, set for
 * the minute BEFORE it: the dispatcher it wakes reads that minute's due timers and delivers each
 * at its second, waiting inside the invocation (wake.ts).
 *
 *   name      postbox-<yyyymmddhhmm of the due minute>, in the deployment's own schedule group:
 *             idempotent (ConflictException = it exists already = success), so many messages due
 *             in the same minute, from any number of dispatchers, make one schedule
 *   at()      the minute before, UTC; flexible time window OFF; ActionAfterCompletion DELETE
 *   target    this dispatcher, through a role that may invoke only the dispatcher
 *
 * A schedule cannot be set in the past, and one set for the current minute could fire after its
 * messages are due: a minute whose schedule would fire less than LEAD_MS from now is woken at
 * once instead, by an asynchronous invocation of this dispatcher with the same payload.
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type InvokeCommandInput, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { wakeKey } from '../core/keys';
import { classify, type Store, toAttributes } from '../core/store';

export const MINUTE_MS = 60_000;
/** A schedule must be created comfortably before its at() time. */
export const LEAD_MS = 10_000;

/** The payload of a wake-up: the start of the minute whose due timers to deliver. */
export interface WakeEvent {
  postbox: 'wake';
  minute: string;
}

export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

export function scheduleName(minute: number): string {
  return `postbox-${new Date(minute).toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)`, evaluated in UTC. */
export const atExpression = (ms: number) => `at(${new Date(ms).toISOString().slice(0, 19)})`;

export const wakeEvent = (minute: number): WakeEvent => ({
  postbox: 'wake',
  minute: new Date(minute).toISOString(),
});

export interface WakeTarget {
  /** The schedule group of this deployment. */
  group: string;
  /** The role EventBridge Scheduler assumes: it may invoke the dispatcher and nothing else. */
  roleArn: string;
  /** The dispatcher's own ARN. */
  dispatcherArn: string;
}

export function createScheduleParams(minute: number, target: WakeTarget): CreateScheduleCommandInput {
  return {
    Name: scheduleName(minute),
    GroupName: target.group,
    ScheduleExpression: atExpression(minute - MINUTE_MS),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Description: `Postbox: messages due in the minute from ${new Date(minute).toISOString()}`,
    Target: {
      Arn: target.dispatcherArn,
      RoleArn: target.roleArn,
      Input: JSON.stringify(wakeEvent(minute)),
      // A wake-up that comes too late is no better than the next minute's sweep.
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
    },
  };
}

export function wakeNowParams(minute: number, dispatcherArn: string): InvokeCommandInput {
  return {
    FunctionName: dispatcherArn,
    InvocationType: 'Event',
    Payload: new TextEncoder().encode(JSON.stringify(wakeEvent(minute))),
  };
}

/**
 * Makes sure each minute that has due timers gets woken. A process remembers the minutes it
 * arranged (a busy stream costs one request per minute, not one per message), and the marks let
 * only the first of all dispatchers arrange a minute (tableWakeMarks), so it is woken once.
 */
export class Wakes {
  private readonly arranged = new Map<number, number>();

  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly lambda: LambdaClient,
    private readonly target: WakeTarget,
    /** Resolves false when another dispatcher has arranged the minute already. @default always true */
    private readonly marks: WakeMarks = { claim: async () => true, forget: async () => undefined },
  ) {}

  /** Resolves with what was done for each new minute. */
  async arrange(dueTimes: readonly number[], now: number): Promise<{ scheduled: number; wokenNow: number }> {
    for (const [minute] of this.arranged) if (minute + MINUTE_MS < now) this.arranged.delete(minute);
    const minutes = [...new Set(dueTimes.map(minuteOf))].filter((minute) => !this.arranged.has(minute));
    let scheduled = 0;
    let wokenNow = 0;
    await Promise.all(
      minutes.map(async (minute) => {
        if (!(await this.marks.claim(minute))) {
          this.arranged.set(minute, now);
          return;
        }
        try {
          if (minute - MINUTE_MS > now + LEAD_MS) {
            await this.createSchedule(minute);
            scheduled++;
          } else {
            await this.lambda.send(new InvokeCommand(wakeNowParams(minute, this.target.dispatcherArn)));
            wokenNow++;
          }
          this.arranged.set(minute, now);
        } catch (error) {
          // Nobody would arrange the minute behind a mark whose owner failed: give it up (the stream
          // retries the batch) and let the failure through.
          await this.marks.forget(minute).catch(() => undefined);
          throw error;
        }
      }),
    );
    return { scheduled, wokenNow };
  }

  private async createSchedule(minute: number): Promise<void> {
    try {
      await this.scheduler.send(new CreateScheduleCommand(createScheduleParams(minute, this.target)));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
    }
  }
}

/** Who arranges a minute, across dispatchers: the first to claim it. */
export interface WakeMarks {
  /** Resolves true for the first caller of a minute only. */
  claim(minute: number): Promise<boolean>;
  /** Undoes a claim whose wake-up could not be arranged. */
  forget(minute: number): Promise<void>;
}

/**
 * The first dispatcher to need a minute woken claims it:
 *
 *   PutItem  pk = WAKE, sk = <minute, ISO>, ttl   IF attribute_not_exists(pk)
 *
 * true when this call claimed it. The item has no availability key, so the stream filter drops it;
 * TTL removes it an hour after the minute (clean-up only).
 */
export function tableWakeMarks(store: Store): WakeMarks {
  return {
    claim: (minute) => claimWakeMinute(store, minute),
    forget: async (minute) => {
      await store.send(
        new DeleteItemCommand({
          TableName: store.tableName,
          Key: toAttributes(wakeKey(minute)),
        }),
      );
    },
  };
}

export async function claimWakeMinute(store: Store, minute: number): Promise<boolean> {
  try {
    await store.send(
      new PutItemCommand({
        TableName: store.tableName,
        Item: toAttributes({ ...wakeKey(minute), ttl: Math.floor(minute / 1000) + 3_600 }),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      }),
    );
    return true;
  } catch (error) {
    if (classify(error).kind === 'condition') return false;
    throw error;
  }
}
