/**
 * `postbox queues list|create|get|delete|purge|pause|resume` and `postbox redrive`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Queue, QueueOptions, QueueWithCounts } from '../../src/types';
import { action, clientOf, globalsOf, integer } from '../context';
import { display, keyValues, print, printJson, table } from '../output';

/**
 * `none` clears a setting (null), anything else goes through `parse`. Commander turns a parsed
 * null into '' (or true), so `none` travels as a marker that `cleared` makes null again.
 */
const NONE = Symbol('none');
const orNone =
  <T>(parse: (text: string) => T) =>
  (text: string): T | typeof NONE =>
    text === 'none' ? NONE : parse(text);
const cleared = <T>(value: T | typeof NONE): T | null => (value === NONE ? null : value);

/** `--rate-limit 10` (10 a second), `10:50` (burst 50), `0.5`, or `none`. */
export const rateLimit = (text: string): NonNullable<QueueOptions['rateLimit']> => {
  const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(text.trim());
  const perSecond = Number(match?.[1]);
  const burst = match?.[2] === undefined ? undefined : Number(match[2]);
  if (!match || !(perSecond > 0) || (burst !== undefined && burst < 1)) {
    throw new InvalidArgumentError(
      'Not a rate: messages per second above 0, optionally :burst (e.g. 10 or 10:50).',
    );
  }
  return burst === undefined ? { perSecond } : { perSecond, burst };
};

/**
 * `--group-limits 5` (5 of a group in flight at once), `5:10/s` (and 10 starts a second per
 * group), `:10/s` (10 a second, one at a time), each optionally `@tenant` (per value of the
 * attribute `tenant` for messages without a groupId; `@tenant` alone: one at a time), or `none`.
 */
export const groupLimits = (text: string): NonNullable<QueueOptions['groupLimits']> => {
  const match = /^(\d+)?(?::(\d+(?:\.\d+)?)\/s)?(?:@([A-Za-z0-9_.-]{1,64}))?$/.exec(text.trim());
  const maxInFlight = match?.[1] === undefined ? undefined : Number(match[1]);
  const perSecond = match?.[2] === undefined ? undefined : Number(match[2]);
  const key = match?.[3];
  if (
    !match ||
    (maxInFlight === undefined && perSecond === undefined && key === undefined) ||
    (maxInFlight !== undefined && maxInFlight < 1) ||
    (perSecond !== undefined && !(perSecond > 0))
  ) {
    throw new InvalidArgumentError(
      'Not group limits: in flight per group (1 or more), optionally :<n>/s, optionally @<attribute> (e.g. 5, 5:10/s or 5@tenant).',
    );
  }
  return {
    ...(maxInFlight === undefined ? {} : { maxInFlight }),
    ...(perSecond === undefined ? {} : { perSecond }),
    ...(key === undefined ? {} : { key }),
  };
};

const queueName = (text: string) => {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(text)) throw new InvalidArgumentError('Not a queue name.');
  return text;
};

interface QueueFlags {
  order?: 'fifo' | 'lifo';
  visibilityTimeout?: number;
  maxReceiveCount?: number | typeof NONE;
  deadLetterQueue?: string | typeof NONE;
  delay?: number;
  retention?: number;
  maxMessages?: number;
  dedupWindow?: number;
  shards?: number;
  rateLimit?: NonNullable<QueueOptions['rateLimit']> | typeof NONE;
  groupLimits?: NonNullable<QueueOptions['groupLimits']> | typeof NONE;
}

function queueOptions(flags: QueueFlags): QueueOptions {
  const options: QueueOptions = {};
  if (flags.order !== undefined) options.order = flags.order;
  if (flags.visibilityTimeout !== undefined) options.visibilityTimeoutSeconds = flags.visibilityTimeout;
  if (flags.maxReceiveCount !== undefined) options.maxReceiveCount = cleared(flags.maxReceiveCount);
  if (flags.deadLetterQueue !== undefined) options.deadLetterQueue = cleared(flags.deadLetterQueue);
  if (flags.delay !== undefined) options.delaySeconds = flags.delay;
  if (flags.retention !== undefined) options.retentionSeconds = flags.retention;
  if (flags.maxMessages !== undefined) options.maxMessages = flags.maxMessages;
  if (flags.dedupWindow !== undefined) options.deduplicationWindowSeconds = flags.dedupWindow;
  if (flags.shards !== undefined) options.shards = flags.shards;
  if (flags.rateLimit !== undefined) options.rateLimit = cleared(flags.rateLimit);
  if (flags.groupLimits !== undefined) options.groupLimits = cleared(flags.groupLimits);
  return options;
}

/** A queue's settings, one per line. */
export function queueDetails(queue: Queue | QueueWithCounts): string {
  const pairs: [string, unknown][] = [
    ['name', queue.name],
    ['order', queue.order],
    ['visibilityTimeoutSeconds', queue.visibilityTimeoutSeconds],
    ['maxReceiveCount', queue.maxReceiveCount],
    ['deadLetterQueue', queue.deadLetterQueue],
    ['delaySeconds', queue.delaySeconds],
    ['retentionSeconds', queue.retentionSeconds],
    ['maxMessages', queue.maxMessages === 0 ? '0 (unbounded)' : queue.maxMessages],
    ['deduplicationWindowSeconds', queue.deduplicationWindowSeconds],
    ['shards', queue.shards],
    [
      'rateLimit',
      queue.rateLimit
        ? `${queue.rateLimit.perSecond}/s${queue.rateLimit.burst === undefined ? '' : `, burst ${queue.rateLimit.burst}`}`
        : null,
    ],
    [
      'groupLimits',
      queue.groupLimits
        ? [
            queue.groupLimits.maxInFlight === undefined
              ? ''
              : `${queue.groupLimits.maxInFlight} in flight per group`,
            queue.groupLimits.perSecond === undefined ? '' : `${queue.groupLimits.perSecond}/s per group`,
            queue.groupLimits.key === undefined ? '' : `groups by attribute ${queue.groupLimits.key}`,
          ]
            .filter(Boolean)
            .join(', ')
        : null,
    ],
    ['paused', queue.paused],
    ['createdAt', queue.createdAt],
  ];
  if ('counts' in queue) {
    const { ready, delayed, inFlight, total, approximate } = queue.counts;
    pairs.push([
      'counts',
      `ready ${ready}, delayed ${delayed}, in flight ${inFlight}, total ${total}${approximate ? ' (approximate)' : ''}`,
    ]);
  }
  return keyValues(pairs);
}

export function registerQueues(program: Command): void {
  const queues = program
    .command('queues')
    .description('List, create, inspect, delete, purge, pause and resume queues');

  queues
    .command('list')
    .description('List every queue, in name order')
    .action(
      action(async (_flags: object, cmd: Command) => {
        const client = clientOf(cmd);
        const all: Queue[] = [];
        for await (const queue of client.allQueues()) all.push(queue);
        if (globalsOf(cmd).json) return printJson({ queues: all });
        if (all.length === 0) return print('No queues.');
        print(
          table(
            ['NAME', 'ORDER', 'VISIBILITY', 'MAX RECEIVES', 'DEAD LETTERS TO', 'CREATED'],
            all.map((q) => [
              q.name,
              q.order,
              `${q.visibilityTimeoutSeconds}s`,
              display(q.maxReceiveCount),
              display(q.deadLetterQueue),
              q.createdAt,
            ]),
          ),
        );
      }),
    );

  queues
    .command('create')
    .alias('update')
    .description("Create a queue, or change an existing queue's settings (flags left out stay as they are)")
    .argument('<queue>', 'the queue name: letters, digits, _ and -, up to 80')
    .addOption(
      new Option('--order <order>', 'delivery order (cannot change later)').choices(['fifo', 'lifo']),
    )
    .option('--visibility-timeout <seconds>', 'lease of a received message (default 30)', integer(0, 43_200))
    .option(
      '--max-receive-count <n>',
      'receives before a message is dead-lettered, or none',
      orNone(integer(1, 1_000)),
    )
    .option('--dead-letter-queue <queue>', 'where exhausted messages go, or none', orNone(queueName))
    .option('--delay <seconds>', 'default delay of new messages', integer(0, 31_536_000))
    .option('--retention <seconds>', 'how long a due message is kept', integer(60, 31_536_000))
    .option('--max-messages <n>', 'bound on messages not yet gone (0: unbounded)', integer(0))
    .option('--dedup-window <seconds>', 'deduplication window (0: off)', integer(0, 86_400))
    .option(
      '--shards <n>',
      'message partitions, about 175 messages/s each (may only grow)',
      integer(1, 1_024),
    )
    .option(
      '--rate-limit <rate>',
      'deliveries per second across all consumers (10, or 10:50 for bursts of 50), or none',
      orNone(rateLimit),
    )
    .option(
      '--group-limits <limits>',
      'messages of one group in flight at once (5; 5:10/s adds 10 starts a second per group; :10/s only the rate; @tenant: per value of attribute tenant when no groupId), or none',
      orNone(groupLimits),
    )
    .addHelpText(
      'after',
      '\nExample:\n  postbox queues create orders --dead-letter-queue orders-dlq --max-receive-count 5',
    )
    .action(
      action(async (name: string, flags: QueueFlags, cmd: Command) => {
        const { queue, created } = await clientOf(cmd).putQueue(name, queueOptions(flags));
        if (globalsOf(cmd).json) return printJson(queue);
        print(`${created ? 'Created' : 'Updated'} queue ${queue.name}.`);
        print(queueDetails(queue));
      }),
    );

  queues
    .command('get')
    .description("Show a queue's settings and message counts")
    .argument('<queue>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        const queue = await clientOf(cmd).getQueue(name);
        if (globalsOf(cmd).json) return printJson(queue);
        print(queueDetails(queue));
      }),
    );

  queues
    .command('delete')
    .description('Delete a queue and all its messages')
    .argument('<queue>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        await clientOf(cmd).deleteQueue(name);
        if (globalsOf(cmd).json) return printJson({ deleted: name });
        print(`Deleted queue ${name}.`);
      }),
    );

  queues
    .command('purge')
    .description('Remove every message of a queue, in any state')
    .argument('<queue>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        await clientOf(cmd).purgeQueue(name);
        if (globalsOf(cmd).json) return printJson({ purged: name });
        print(`Purged queue ${name}.`);
      }),
    );

  queues
    .command('pause')
    .description('Pause deliveries: receives answer nothing and consumers are not invoked; publishes go on')
    .argument('<queue>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        await clientOf(cmd).pauseQueue(name);
        if (globalsOf(cmd).json) return printJson({ paused: name });
        print(`Paused queue ${name}.`);
      }),
    );

  queues
    .command('resume')
    .description('Resume deliveries of a paused queue')
    .argument('<queue>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        await clientOf(cmd).resumeQueue(name);
        if (globalsOf(cmd).json) return printJson({ resumed: name });
        print(`Resumed queue ${name}.`);
      }),
    );

  program
    .command('redrive')
    .description('Move dead letters from a dead-letter queue back to their source queues (or --to one)')
    .argument('<queue>', 'the dead-letter queue')
    .option('--to <queue>', 'move them all to this queue instead')
    .option('--max <n>', 'move at most this many', integer(1))
    .action(
      action(async (name: string, flags: { to?: string; max?: number }, cmd: Command) => {
        const result = await clientOf(cmd).redrive(name, { to: flags.to, maxMessages: flags.max });
        if (globalsOf(cmd).json) return printJson(result);
        print(`Moved ${result.moved} message${result.moved === 1 ? '' : 's'} out of ${name}.`);
      }),
    );
}
