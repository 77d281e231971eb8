/** GetQueueAttributes, SetQueueAttributes, ListDeadLetterSourceQueues (see ../queue-attributes.ts). */
import { type Action, loadQueue, queueOfInput } from '../context';
import { missingParameter } from '../errors';
import { optionalInteger, optionalString, stringList, stringMap } from '../params';
import { allAttributes, selectQueueAttributes, splitAttributes } from '../queue-attributes';
import { queueUrl } from '../queue-url';
import { pageQueues, putQueueConfig } from './queues';

export const getQueueAttributes: Action = async (context, input) => {
  const loaded = await loadQueue(context, queueOfInput(input));
  const all = allAttributes({
    queue: loaded.queue,
    settings: loaded.settings.attributes,
    lastModified: loaded.settings.lastModified,
    region: context.region,
  });
  const selected = selectQueueAttributes(all, stringList(input, 'AttributeNames'));
  return Object.keys(selected).length > 0 ? { Attributes: selected } : {};
};

export const setQueueAttributes: Action = async (context, input) => {
  const name = queueOfInput(input);
  if (input.Attributes === undefined) throw missingParameter('Attributes');
  const loaded = await loadQueue(context, name);
  const { config, settings } = splitAttributes(stringMap(input, 'Attributes'), loaded.fifo, false);
  if (Object.keys(config).length > 0) {
    await putQueueConfig(context, name, config);
  }
  await context.settings.put(name, {
    ...loaded.settings,
    attributes: { ...loaded.settings.attributes, ...settings },
    lastModified: context.clock(),
  });
  return {};
};

export const listDeadLetterSourceQueues: Action = async (context, input) => {
  const name = queueOfInput(input);
  await loadQueue(context, name);
  const maxResults = optionalInteger(input, 'MaxResults', 1, 1_000);
  const { queues, nextToken } = await pageQueues(
    context,
    (queue) => queue.deadLetterQueue === name,
    maxResults ?? 1_000,
    optionalString(input, 'NextToken'),
  );
  return {
    queueUrls: queues.map((queue) => queueUrl(context.origin, queue.name)),
    ...(nextToken !== undefined && maxResults !== undefined ? { NextToken: nextToken } : {}),
  };
};
