/**
 * CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue: an SQS queue is the Postbox
 * queue of the same name (a `.fifo` name included), so both APIs see the same queue.
 */
import { QueueNotFoundError } from '../../core/errors';
import type { Queue, QueueConfig } from '../../core/types';
import { type Action, loadQueue, queueOfInput, type SqsContext, sqsCall } from '../context';
import { fromEngineError, invalidParameterValue, queueDoesNotExist, queueNameExists } from '../errors';
import { optionalInteger, optionalString, requiredString, stringMap } from '../params';
import { allAttributes, hasAttributes, splitAttributes } from '../queue-attributes';
import { isFifoName, isValidQueueName, queueUrl } from '../queue-url';
import { checkTags } from './tags';

const ENGINE_PAGE = 100;

async function currentAttributes(context: SqsContext, name: string): Promise<Record<string, string>> {
  const loaded = await loadQueue(context, name);
  return allAttributes({
    queue: loaded.queue,
    settings: loaded.settings.attributes,
    lastModified: loaded.settings.lastModified,
    region: context.region,
  });
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
  const { config, settings } = splitAttributes(given, fifo, true);
  // CreateQueue takes `tags` (JSON 1.0) or Tag.N (Query, read as Tags).
  const tags = { ...stringMap(input, 'Tags'), ...stringMap(input, 'tags') };
  checkTags(tags);
  const existing = await context.engine.getQueue(name).catch((error: unknown) => {
    if (error instanceof QueueNotFoundError) return undefined;
    throw error;
  });
  if (existing) {
    if (!hasAttributes(await currentAttributes(context, name), given)) throw queueNameExists(name);
    return { QueueUrl: queueUrl(context.origin, name) };
  }
  const created = await putQueueConfig(context, name, {
    ...config,
    ...(fifo ? { order: 'fifo', deduplicationWindowSeconds: 300 } : {}),
  });
  if (!created.created) {
    // Created by someone else meanwhile: the same answer as for an existing queue.
    if (!hasAttributes(await currentAttributes(context, name), given)) throw queueNameExists(name);
  } else if (Object.keys(settings).length > 0 || Object.keys(tags).length > 0) {
    await context.settings.put(name, {
      createdAt: created.queue.createdAt,
      attributes: settings,
      tags,
      lastModified: context.clock(),
    });
  }
  return { QueueUrl: queueUrl(context.origin, name) };
};

export const getQueueUrl: Action = async (context, input) => {
  const name = requiredString(input, 'QueueName');
  const owner = optionalString(input, 'QueueOwnerAWSAccountId');
  if (!isValidQueueName(name) || (owner !== undefined && owner !== '000000000000')) throw queueDoesNotExist();
  await sqsCall(() => context.engine.getQueue(name));
  return { QueueUrl: queueUrl(context.origin, name) };
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

/**
 * Queues in name order that pass `keep`, at most `max`, resuming after `token`: SQS's
 * MaxResults/NextToken over the engine's own pages.
 */
export async function pageQueues(
  context: SqsContext,
  keep: (queue: Queue) => boolean,
  max: number,
  tokenText: string | undefined,
): Promise<{ queues: Queue[]; nextToken?: string }> {
  const token = tokenText === undefined ? undefined : decodeToken(tokenText);
  let cursor = token?.c ?? null;
  const after = token?.a;
  const queues: Queue[] = [];
  for (;;) {
    const page = await sqsCall(() =>
      context.engine.listQueues({ limit: ENGINE_PAGE, ...(cursor === null ? {} : { cursor }) }),
    );
    for (const queue of page.items) {
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
    (queue) => queue.name.startsWith(prefix),
    maxResults ?? 1_000,
    optionalString(input, 'NextToken'),
  );
  return {
    ...(queues.length > 0 ? { QueueUrls: queues.map((queue) => queueUrl(context.origin, queue.name)) } : {}),
    // As in SQS, a token only for a caller who asked for pages.
    ...(nextToken !== undefined && maxResults !== undefined ? { NextToken: nextToken } : {}),
  };
};

export const deleteQueue: Action = async (context, input) => {
  const name = queueOfInput(input);
  await sqsCall(() => context.engine.deleteQueue(name));
  await context.settings.delete(name);
  return {};
};

export const purgeQueue: Action = async (context, input) => {
  const name = queueOfInput(input);
  await sqsCall(() => context.engine.purgeQueue(name));
  return {};
};
