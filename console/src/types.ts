/**
 * The shapes the console reads and sends: the typed client's (client/src/types.ts), which derive
 * from the server's own zod schemas (functions/api/schemas.ts), so the console cannot drift from
 * what the server validates and answers. Type information only: nothing of them is bundled.
 */
import type * as Api from '../../client/src/types';

export type QueueOrder = Api.QueueOrder;
export type Queue = Api.Queue;
/** A queue's configuration: the queue without its name, creation time and (read-only) paused flag. */
export type QueueConfig = Omit<Api.Queue, 'name' | 'createdAt' | 'paused'>;
export type Counts = Api.QueueCounts;
export type QueueWithCounts = Api.QueueWithCounts;
export type MessageState = Api.MessageState;
export type DeadLetter = Api.DeadLetter;
/** A message view (browse, get, reschedule). */
export type Message = Api.MessageView;
export interface BrowsePage {
  messages: Message[];
  cursor: string | null;
}
/** A publish as the console sends it: times as ISO strings. */
export type PublishInput = Omit<Api.PublishInput, 'deliverAt'> & { deliverAt?: string };
export type PublishResult = Api.PublishResult;
export type TopicSubscription = Api.Subscription;
export type Topic = Api.Topic;
export type TopicPublishAnswer = Api.TopicPublishResult;
export type RedriveResult = Api.RedriveResult;
export type RedriveMessageResult = Api.RedriveMessageResult;
export type QueueRates = Api.QueueRates;
export type ConsumerStatus = Api.ConsumerStatus;
export type Schedule = Api.Schedule;
/** A schedule's definition as the console sends it: times as ISO strings. */
export type ScheduleDefinition = Omit<Api.ScheduleDefinition, 'start' | 'end'> & {
  start?: string;
  end?: string;
};
