/**
 * `postbox browse` and `postbox messages get|delete|reschedule`.
 */
import { type Command, Option } from 'commander';
import type { BrowseState, MessageView, RescheduleInput } from '../../src/types';
import { action, clientOf, globalsOf, integer } from '../context';
import { UsageError } from '../exit-codes';
import { display, keyValues, print, printJson, shortBody, table } from '../output';

function viewDetails(message: MessageView): string {
  return keyValues([
    ['id', message.id],
    ['state', message.state],
    ['priority', message.priority],
    ['receiveCount', message.receiveCount],
    ['publishedAt', message.publishedAt],
    ['deliverAt', message.deliverAt],
    ['leaseExpiresAt', message.leaseExpiresAt],
    ['groupId', message.groupId],
    ['attributes', message.attributes],
    ['deadLetter', message.deadLetter],
    ['body', display(message.body)],
  ]);
}

export function registerMessages(program: Command): void {
  program
    .command('browse')
    .description('Look at messages without receiving them (no lease, no receipt)')
    .argument('<queue>')
    .addOption(
      new Option('--state <state>', 'which messages')
        .choices(['ready', 'delayed', 'inFlight', 'all'])
        .default('all'),
    )
    .option('--limit <n>', 'at most this many (1-100)', integer(1, 100), 20)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .action(
      action(
        async (
          queue: string,
          flags: { state: BrowseState; limit: number; cursor?: string },
          cmd: Command,
        ) => {
          const page = await clientOf(cmd).browse(queue, flags);
          if (globalsOf(cmd).json) return printJson(page);
          if (page.messages.length === 0) print('No messages.');
          else
            print(
              table(
                ['ID', 'STATE', 'PRI', 'RECEIVES', 'DELIVER AT', 'GROUP', 'BODY'],
                page.messages.map((m) => [
                  m.id,
                  m.state,
                  m.priority,
                  m.receiveCount,
                  m.deliverAt,
                  display(m.groupId),
                  shortBody(m.body),
                ]),
                ['PRI', 'RECEIVES'],
              ),
            );
          if (page.cursor !== null)
            print(`\nMore: postbox browse ${queue} --state ${flags.state} --cursor ${page.cursor}`);
        },
      ),
    );

  const messages = program
    .command('messages')
    .alias('message')
    .description('Get, delete (cancel) or reschedule one message by id');

  messages
    .command('get')
    .description('Show one message in whatever state it is')
    .argument('<queue>')
    .argument('<id>')
    .action(
      action(async (queue: string, id: string, _flags: object, cmd: Command) => {
        const message = await clientOf(cmd).getMessage(queue, id);
        if (globalsOf(cmd).json) return printJson(message);
        print(viewDetails(message));
      }),
    );

  messages
    .command('delete')
    .description('Delete a message in any state (a scheduled one is never delivered)')
    .argument('<queue>')
    .argument('<id>')
    .action(
      action(async (queue: string, id: string, _flags: object, cmd: Command) => {
        await clientOf(cmd).deleteMessage(queue, id);
        if (globalsOf(cmd).json) return printJson({ deleted: id });
        print(`Deleted message ${id}.`);
      }),
    );

  messages
    .command('reschedule')
    .description('Change when a ready or delayed message is delivered, or its priority')
    .argument('<queue>')
    .argument('<id>')
    .option('--delay <seconds>', 'deliver this many seconds from now', integer(0, 31_536_000))
    .option('--at <time>', 'deliver at this ISO-8601 time')
    .option('--priority <0-9>', 'the new priority', integer(0, 9))
    .action(
      action(
        async (
          queue: string,
          id: string,
          flags: { delay?: number; at?: string; priority?: number },
          cmd: Command,
        ) => {
          const input: RescheduleInput = {};
          if (flags.delay !== undefined) input.delaySeconds = flags.delay;
          if (flags.at !== undefined) input.deliverAt = flags.at;
          if (flags.priority !== undefined) input.priority = flags.priority;
          if (Object.keys(input).length === 0) throw new UsageError('Give --delay, --at or --priority.');
          const message = await clientOf(cmd).reschedule(queue, id, input);
          if (globalsOf(cmd).json) return printJson(message);
          print(viewDetails(message));
        },
      ),
    );
}
