/**
 * CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue: an SQS queue is a Postbox
 * queue, so both APIs see the same queue: `orders` is `orders`, and the FIFO queue `orders.fifo`
 * is `orders` flagged as SQS FIFO in its settings (queue-url.ts).
 */
import { QueueNotFoundError } from '../../core/errors';
import type { Queue, QueueConfig } from '../../core/types';
import {
  type Action,
  attributesOf,
  loadQueue,
  queueOfInput,
  type SqsContext,
  sqsCall,
  urlOf,
} from '../context';
import { fromEngineError, invalidParameterValue, queueDoesNotExist, queueNameExists } from '../errors';
import { optionalInteger, optionalString, requiredString, stringMap } from '../params';
import { hasAttributes, splitAttributes } from '../queue-attributes';
import { isFifoName, isValidQueueName, postboxNameOf, sqsNameOf } from '../queue-url';
import { checkDeadLetterTarget } from './dead-letter-target';
import { checkTags } from './tags';

const ENGINE_PAGE = 100;

/**
 * The queue's attributes when the base name is taken: by this queue (same type), or undefined
 * when it is the other type's (a standard `orders` and a FIFO `orders.fifo` are one Postbox queue).
 */
async function currentAttributes(
  context: SqsContext,
  name: string,
): Promise<Record<string, string> | undefined> {
  try {
    return await attributesOf(context, await loadQueue(context, name));
  } catch (error) {
    if (error instanceof Error && 'shape' in error && error.shape === 'QueueDoesNotExist') return undefined;
    throw error;
  }
}

/** CreateQueue on a taken base name: the same queue with the same attributes, or refused. */
async function checkExisting(context: SqsContext, name: string, given: Record<string, string>) {
  const current = await currentAttributes(context, name);
  if (current === undefined) {
    const other = isFifoName(name) ? postboxNameOf(name) : `${name}.fifo`;
    throw queueNameExists(
      name,
      `the ${isFifoName(name) ? 'standard' : 'FIFO'} queue ${other} has the same base name, and both would be the Postbox queue ${postboxNameOf(name)}`,
    );
  }
  if (!hasAttributes(current, given)) throw queueNameExists(name);
}

/** putQueue, with a missing dead-letter target refused as SQS refuses it. */
export async function putQueueConfig(context: SqsContext, name: string, config: Partial<QueueConfig>) {
  try {
    return await context.engine.putQueue(name, config);
  } catch (error) {
    if (error instanceof QueueNotFoundError && error.queue !== name) {
      throw invalidParameterValue(
        'Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.',
      );
    }
    throw fromEngineError(error);
  }
}

function checkQueueName(name: string): void {
  if (!isValidQueueName(name)) {
    throw invalidParameterValue(
      `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length; the name of a FIFO queue ends with .fifo. (${name})`,
    );
  }
}

export const createQueue: Action = async (context, input) => {
  const name = requiredString(input, 'QueueName');
  checkQueueName(name);
  const given = stringMap(input, 'Attributes');
  const fifo = isFifoName(name);
  if (fifo && given.FifoQueue !== 'true') {
    throw invalidParameterValue(
      'The name of a FIFO queue ends with .fifo and needs the attribute FifoQueue=true.',
    );
  }
  const { config, settings, deadLetterTarget } = splitAttributes(given, fifo, true);
  // CreateQueue takes `tags` (JSON 1.0) or Tag.N (Query, read as Tags).
  const tags = { ...stringMap(input, 'Tags'), ...stringMap(input, 'tags') };
  checkTags(tags);
  const base = postboxNameOf(name);
  const existing = await context.engine.getQueue(base).catch((error: unknown) => {
    if (error instanceof QueueNotFoundError) return undefined;
    throw fromEngineError(error);
  });
  if (existing) {
    await checkExisting(context, name, given);
    return { QueueUrl: urlOf(context, name) };
  }
  if (deadLetterTarget !== undefined) await checkDeadLetterTarget(context, name, deadLetterTarget);
  const created = await putQueueConfig(context, base, {
    ...config,
    ...(fifo ? { order: 'fifo', deduplicationWindowSeconds: 300 } : {}),
  });
  if (!created.created) {
    // Created by someone else meanwhile: the same answer as for an existing queue.
    await checkExisting(context, name, given);
  } else if (fifo || Object.keys(settings).length > 0 || Object.keys(tags).length > 0) {
    await context.settings.put(base, {
      createdAt: created.queue.createdAt,
      ...(fifo ? { fifo: true } : {}),
      attributes: settings,
      tags,
      lastModified: context.clock(),
    });
  }
  return { QueueUrl: urlOf(context, name) };
};

export const getQueueUrl: Action = async (context, input) => {
  const name = requiredString(input, 'QueueName');
  const owner = optionalString(input, 'QueueOwnerAWSAccountId');
  if (!isValidQueueName(name) || (owner !== undefined && owner !== context.account))
    throw queueDoesNotExist();
  await loadQueue(context, name);
  return { QueueUrl: urlOf(context, name) };
};

interface PageToken {
  /** The engine cursor of the page the last answer stopped in (null: the first page). */
  c: string | null;
  /** The last name answered: names up to it are skipped on that page. */
  a: string;
}

const encodeToken = (token: PageToken) => Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');

function decodeToken(text: string): PageToken {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if ((token.c === null || typeof token.c === 'string') && typeof token.a === 'string') return token;
  } catch {
    // Falls through to the refusal.
  }
  throw invalidParameterValue('Invalid NextToken value.');
}

/** A Postbox queue with the name SQS knows it by. */
export type SqsQueue = Queue & { sqsName: string };

/**
 * Queues in (Postbox) name order that pass `keep`, at most `max`, resuming after `token`: SQS's
 * MaxResults/NextToken over the engine's own pages, each page's FIFO flags read in one batch.
 */
export async function pageQueues(
  context: SqsContext,
  keep: (queue: SqsQueue) => boolean,
  max: number,
  tokenText: string | undefined,
): Promise<{ queues: SqsQueue[]; nextToken?: string }> {
  const token = tokenText === undefined ? undefined : decodeToken(tokenText);
  let cursor = token?.c ?? null;
  const after = token?.a;
  const queues: SqsQueue[] = [];
  for (;;) {
    const page = await sqsCall(() =>
      context.engine.listQueues({ limit: ENGINE_PAGE, ...(cursor === null ? {} : { cursor }) }),
    );
    const settings = await context.settings.getMany(page.items);
    for (const item of page.items) {
      const queue = { ...item, sqsName: sqsNameOf(item.name, settings.get(item.name)?.fifo === true) };
      if (after !== undefined && queue.name <= after) continue;
      if (!keep(queue)) continue;
      if (queues.length === max)
        return { queues, nextToken: encodeToken({ c: cursor, a: queues[max - 1]?.name ?? '' }) };
      queues.push(queue);
    }
    if (page.cursor === null) return { queues };
    cursor = page.cursor;
  }
}

export const listQueues: Action = async (context, input) => {
  const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
  const maxResults = optionalInteger(input, 'MaxResults', 1, 1_000);
  const { queues, nextToken } = await pageQueues(
    context,
    (queue) => queue.sqsName.startsWith(prefix),
    maxResults ?? 1_000,
    optionalString(input, 'NextToken'),
  );
  return {
    ...(queues.length > 0 ? { QueueUrls: queues.map((queue) => urlOf(context, queue.sqsName)) } : {}),
    // As in SQS, a token only for a caller who asked for pages.
    ...(nextToken !== undefined && maxResults !== undefined ? { NextToken: nextToken } : {}),
  };
};

export const deleteQueue: Action = async (context, input) => {
  const { queue } = await loadQueue(context, queueOfInput(input));
  await sqsCall(() => context.engine.deleteQueue(queue.name));
  await context.settings.delete(queue.name);
  return {};
};

export const purgeQueue: Action = async (context, input) => {
  const { queue } = await loadQueue(context, queueOfInput(input));
  await sqsCall(() => context.engine.purgeQueue(queue.name));
  return {};
};
