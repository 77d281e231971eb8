/**
 * `postbox topics list|create|get|delete|publish`.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Subscription, Topic } from '../../src/types';
import { action, clientOf, collect, globalsOf } from '../context';
import { keyValues, print, printJson, table } from '../output';
import {
  addPublishOptions,
  BODY_HELP,
  BODY_RULES,
  bodyValue,
  type PublishFlags,
  publishOptions,
} from './publish';

/**
 * A subscription from `QUEUE` or `QUEUE?key=v1,v2&key2=v3`: the queue gets a message when, for
 * every key, the message's attribute has one of the values.
 */
export function parseSubscription(text: string): Subscription {
  const at = text.indexOf('?');
  const queue = at < 0 ? text : text.slice(0, at);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(queue)) throw new InvalidArgumentError(`'${queue}' is not a queue name.`);
  if (at < 0) return { queue };
  const filter: Record<string, string[]> = {};
  for (const [key, values] of new URLSearchParams(text.slice(at + 1))) {
    filter[key] = [...(filter[key] ?? []), ...(values === '' ? [] : values.split(','))];
  }
  return { queue, filter };
}

const describeSubscription = (subscription: Subscription) => {
  const filter = Object.entries(subscription.filter ?? {})
    .map(([key, values]) => `${key} in [${values.join(', ')}]`)
    .join(' and ');
  return filter ? `${subscription.queue} when ${filter}` : subscription.queue;
};

function topicDetails(topic: Topic): string {
  return keyValues([
    ['name', topic.name],
    ['createdAt', topic.createdAt],
    [
      'subscriptions',
      topic.subscriptions.length === 0 ? 'none' : topic.subscriptions.map(describeSubscription).join('; '),
    ],
  ]);
}

export function registerTopics(program: Command): void {
  const topics = program
    .command('topics')
    .description('Publish once to many queues: list, create, get, delete, publish');

  topics
    .command('list')
    .description('List every topic, in name order')
    .action(
      action(async (_flags: object, cmd: Command) => {
        const all: Topic[] = [];
        for await (const topic of clientOf(cmd).allTopics()) all.push(topic);
        if (globalsOf(cmd).json) return printJson({ topics: all });
        if (all.length === 0) return print('No topics.');
        print(
          table(
            ['NAME', 'SUBSCRIPTIONS', 'CREATED'],
            all.map((t) => [
              t.name,
              t.subscriptions.map(describeSubscription).join('; ') || '-',
              t.createdAt,
            ]),
          ),
        );
      }),
    );

  topics
    .command('create')
    .alias('update')
    .description("Create a topic, or replace an existing topic's subscriptions")
    .argument('<topic>')
    .option(
      '--subscribe <queue[?key=v1,v2]>',
      'a subscribed queue, with an optional filter (repeatable)',
      collect,
    )
    .addHelpText(
      'after',
      "\nExample:\n  postbox topics create order-events --subscribe billing --subscribe 'eu-shipping?region=eu,uk'",
    )
    .action(
      action(async (name: string, flags: { subscribe?: string[] }, cmd: Command) => {
        const subscriptions = (flags.subscribe ?? []).map(parseSubscription);
        const { topic, created } = await clientOf(cmd).putTopic(name, subscriptions);
        if (globalsOf(cmd).json) return printJson(topic);
        print(`${created ? 'Created' : 'Updated'} topic ${topic.name}.`);
        print(topicDetails(topic));
      }),
    );

  topics
    .command('get')
    .description('Show a topic and its subscriptions')
    .argument('<topic>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        const topic = await clientOf(cmd).getTopic(name);
        if (globalsOf(cmd).json) return printJson(topic);
        print(topicDetails(topic));
      }),
    );

  topics
    .command('delete')
    .description('Delete a topic (its queues stay)')
    .argument('<topic>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        await clientOf(cmd).deleteTopic(name);
        if (globalsOf(cmd).json) return printJson({ deleted: name });
        print(`Deleted topic ${name}.`);
      }),
    );

  const publish = topics
    .command('publish')
    .description('Publish a message to every subscribed queue whose filter matches')
    .argument('<topic>')
    .argument('[body]', BODY_HELP)
    .addHelpText('after', `\n${BODY_RULES}`);
  addPublishOptions(publish, { wait: false }).action(
    action(async (name: string, body: string | undefined, flags: PublishFlags, cmd: Command) => {
      const result = await clientOf(cmd).publishToTopic(
        name,
        await bodyValue(body, flags.string),
        publishOptions(flags),
      );
      if (globalsOf(cmd).json) return printJson(result);
      if (result.deliveries.length === 0) return print(`Published ${result.id}: no subscription matched.`);
      print(
        `Published ${result.id} to ${result.deliveries.length} queue${result.deliveries.length === 1 ? '' : 's'}:`,
      );
      print(
        table(
          ['QUEUE', 'MESSAGE ID', ''],
          result.deliveries.map((d) => [d.queue, d.id, d.duplicate ? '(duplicate)' : '']),
        ),
      );
    }),
  );
}
