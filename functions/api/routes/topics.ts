/**
 * Topic routes: create or update, get, list, delete, and publish (one copy to every subscribed
 * queue whose filter matches, all or none).
 */
import { ValidationError } from '../../core/errors';
import type { Subscription } from '../../core/types';
import { defineEndpoint, type Endpoint } from '../endpoint';
import { json, noContent, presentTopic, presentTopicPublish } from '../present';
import { parseTopicPublish } from '../publish-input';
import {
  ListTopicsQuery,
  PutTopicRequest,
  TopicListSchema,
  TopicParams,
  TopicPublishRequest,
  TopicPublishResponse,
  TopicSchema,
} from '../schemas';
import { parseOrThrow } from '../validation';
import type { RouteDeps } from './deps';
import { jsonResponse, withErrors } from './responses';

/**
 * A topic is one DynamoDB item (at most 400 KB): its subscriptions, as compact JSON, may take at
 * most 256 KiB, which leaves room for DynamoDB's own overhead.
 */
export const MAX_SUBSCRIPTIONS_BYTES = 262_144;

/**
 * The subscriptions of a PUT body. zod neither checks nor keeps an own `__proto__` key of a
 * record, so that filter key (a legal attribute name) is checked here and kept from the raw body.
 */
function parseSubscriptions(raw: Record<string, unknown>): Subscription[] {
  const { subscriptions } = parseOrThrow(PutTopicRequest, raw);
  const rawEntries = raw.subscriptions as { filter?: Record<string, unknown> }[];
  const bytes = Buffer.byteLength(JSON.stringify(rawEntries), 'utf8');
  if (bytes > MAX_SUBSCRIPTIONS_BYTES) {
    throw new ValidationError(
      `'subscriptions' is ${bytes} bytes as JSON; a topic's subscriptions may take at most ${MAX_SUBSCRIPTIONS_BYTES} bytes.`,
    );
  }
  return subscriptions.map(({ queue }, i) => {
    const filter = rawEntries[i]?.filter;
    if (filter === undefined) return { queue };
    if (Object.hasOwn(filter, '__proto__')) {
      const values = Object.getOwnPropertyDescriptor(filter, '__proto__')?.value;
      if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) {
        throw new ValidationError(`'subscriptions[${i}].filter.__proto__': must be a list of strings.`);
      }
    }
    // A copy made by JSON keeps every key as an own data property, `__proto__` included.
    return { queue, filter: JSON.parse(JSON.stringify(filter)) as Record<string, string[]> };
  });
}

export function topicEndpoints({ engine, clock }: RouteDeps): Endpoint[] {
  return [
    defineEndpoint({
      method: 'put',
      path: '/v1/topics/{topic}',
      summary: 'Create or update a topic and its subscriptions (idempotent)',
      description:
        "Sets the topic's subscriptions (0–50), replacing the ones it had. Each names an existing " +
        'queue and an optional filter: the queue gets a copy of a message only when, for every ' +
        "key of the filter, the message's attribute has one of the listed values (an empty list " +
        'matches nothing). Answers 201 when created, 200 when it existed.',
      params: TopicParams,
      body: { schema: PutTopicRequest, validate: parseSubscriptions },
      responses: withErrors(
        {
          200: jsonResponse('The topic existed (updated or unchanged).', TopicSchema),
          201: jsonResponse('The topic was created.', TopicSchema),
        },
        {
          400: 'InvalidJson or ValidationError: subscriptions missing or over 50, a bad queue name or filter, subscriptions over 256 KiB as JSON, or an unknown field.',
          404: 'QueueNotFound: a subscribed queue does not exist (the message names it).',
        },
      ),
      handle: async (c, { params, body }) => {
        const { topic, created } = await engine.putTopic(params.topic, body);
        return json(c, created ? 201 : 200, presentTopic(topic));
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/topics/{topic}',
      summary: 'Get a topic',
      description: 'The topic with its subscriptions and createdAt.',
      params: TopicParams,
      responses: withErrors({ 200: jsonResponse('The topic.', TopicSchema) }, { 404: 'TopicNotFound.' }),
      handle: async (c, { params }) => json(c, 200, presentTopic(await engine.getTopic(params.topic))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/topics',
      summary: 'List topics in name order',
      description:
        'A page of topics in name order: limit 1–100 (default 100), and cursor from the previous ' +
        'page; cursor is null when nothing follows.',
      query: ListTopicsQuery,
      responses: withErrors(
        { 200: jsonResponse('A page of topics.', TopicListSchema) },
        { 400: 'ValidationError: limit out of range, or a cursor this server did not issue.' },
      ),
      handle: async (c, { query }) => {
        const page = await engine.listTopics(query);
        return json(c, 200, { topics: page.items.map(presentTopic), cursor: page.cursor });
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/v1/topics/{topic}',
      summary: 'Delete a topic (its queues and their messages stay)',
      description: 'Deletes the topic; its subscribed queues and their messages stay.',
      params: TopicParams,
      responses: withErrors({ 204: { description: 'Deleted.' } }, { 404: 'TopicNotFound.' }),
      handle: async (c, { params }) => {
        await engine.deleteTopic(params.topic);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/topics/{topic}/messages',
      summary: 'Publish to a topic: one copy to every subscribed queue whose filter matches, all or none',
      description:
        'Publishes one copy of the message (the fields of a queue publish, without waitSeconds) ' +
        'to every subscribed queue whose filter matches, atomically: every matching queue gets it ' +
        'or none does. Each copy has its own id; deliveries lists them ({queue, id}) ' +
        "and is empty when no filter matched. A deduplicationId is checked per queue: where it is a duplicate, the delivery says duplicate: true with the first copy's id. A lifo " +
        'queue gets the copy with groupId null.',
      params: TopicParams,
      body: { schema: TopicPublishRequest, validate: (raw) => parseTopicPublish(raw, clock()) },
      responses: withErrors(
        { 201: jsonResponse('Published; one delivery per matching queue.', TopicPublishResponse) },
        {
          400: 'InvalidJson or ValidationError: as for a queue publish (waitSeconds is an unknown field here).',
          404: 'TopicNotFound.',
          413: "the message's body and attributes, as compact UTF-8 JSON, are over 262,144 bytes",
          429: 'QueueFull: a matching bounded queue is full (the message names it); nothing was published.',
        },
      ),
      handle: async (c, { params, body }) => {
        const result = await engine.publishToTopic(params.topic, body);
        return json(c, 201, presentTopicPublish(result));
      },
    }),
  ];
}
