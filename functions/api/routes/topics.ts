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
      params: TopicParams,
      body: { schema: PutTopicRequest, validate: parseSubscriptions },
      responses: withErrors({
        200: jsonResponse('The topic existed (updated or unchanged).', TopicSchema),
        201: jsonResponse('The topic was created.', TopicSchema),
      }),
      handle: async (c, { params, body }) => {
        const { topic, created } = await engine.putTopic(params.topic, body);
        return json(c, created ? 201 : 200, presentTopic(topic));
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/topics/{topic}',
      summary: 'Get a topic',
      params: TopicParams,
      responses: withErrors({ 200: jsonResponse('The topic.', TopicSchema) }),
      handle: async (c, { params }) => json(c, 200, presentTopic(await engine.getTopic(params.topic))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/topics',
      summary: 'List topics in name order',
      query: ListTopicsQuery,
      responses: withErrors({ 200: jsonResponse('A page of topics.', TopicListSchema) }),
      handle: async (c, { query }) => {
        const page = await engine.listTopics(query);
        return json(c, 200, { topics: page.items.map(presentTopic), cursor: page.cursor });
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/v1/topics/{topic}',
      summary: 'Delete a topic (its queues and their messages stay)',
      params: TopicParams,
      responses: withErrors({ 204: { description: 'Deleted.' } }),
      handle: async (c, { params }) => {
        await engine.deleteTopic(params.topic);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/topics/{topic}/messages',
      summary: 'Publish to a topic: one copy to every subscribed queue whose filter matches, all or none',
      params: TopicParams,
      body: { schema: TopicPublishRequest, validate: (raw) => parseTopicPublish(raw, clock()) },
      responses: withErrors(
        { 201: jsonResponse('Published; one delivery per matching queue.', TopicPublishResponse) },
        429,
      ),
      handle: async (c, { params, body }) => {
        const result = await engine.publishToTopic(params.topic, body);
        return json(c, 201, presentTopicPublish(result));
      },
    }),
  ];
}
