/** GetQueueAttributes, SetQueueAttributes, ListDeadLetterSourceQueues (see ../queue-attributes.ts). */
import { type Action, attributesOf, loadQueue, queueOfInput, urlOf } from '../context';
import { missingParameter } from '../errors';
import { optionalInteger, optionalString, stringList, stringMap } from '../params';
import { selectQueueAttributes, splitAttributes } from '../queue-attributes';
import { checkDeadLetterTarget } from './dead-letter-target';
import { pageQueues, putQueueConfig } from './queues';

export const getQueueAttributes: Action = async (context, input) => {
  const loaded = await loadQueue(context, queueOfInput(input));
  const all = await attributesOf(context, loaded);
  const selected = selectQueueAttributes(all, stringList(input, 'AttributeNames'));
  return Object.keys(selected).length > 0 ? { Attributes: selected } : {};
};

export const setQueueAttributes: Action = async (context, input) => {
  const name = queueOfInput(input);
  if (input.Attributes === undefined) throw missingParameter('Attributes');
  const loaded = await loadQueue(context, name);
  const { config, settings, deadLetterTarget } = splitAttributes(
    stringMap(input, 'Attributes'),
    loaded.fifo,
    false,
  );
  if (deadLetterTarget !== undefined) await checkDeadLetterTarget(context, name, deadLetterTarget);
  if (Object.keys(config).length > 0) {
    await putQueueConfig(context, loaded.queue.name, config);
  }
  await context.settings.put(loaded.queue.name, {
    ...loaded.settings,
    attributes: { ...loaded.settings.attributes, ...settings },
    lastModified: context.clock(),
  });
  return {};
};

export const listDeadLetterSourceQueues: Action = async (context, input) => {
  const { queue: deadLetterQueue } = await loadQueue(context, queueOfInput(input));
  const maxResults = optionalInteger(input, 'MaxResults', 1, 1_000);
  const { queues, nextToken } = await pageQueues(
    context,
    (queue) => queue.deadLetterQueue === deadLetterQueue.name,
    maxResults ?? 1_000,
    optionalString(input, 'NextToken'),
  );
  return {
    queueUrls: queues.map((queue) => urlOf(context, queue.sqsName)),
    ...(nextToken !== undefined && maxResults !== undefined ? { NextToken: nextToken } : {}),
  };
};
