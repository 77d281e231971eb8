/**
 * `postbox receive`, `postbox ack`, `postbox release`, `postbox extend`.
 */
import { type Command, Option } from 'commander';
import type { DeliveredMessage } from '../../src/types';
import { action, clientOf, globalsOf, integer } from '../context';
import { EXIT, exitCodeOfCode } from '../exit-codes';
import { display, keyValues, print, printJson } from '../output';

function messageBlock(message: DeliveredMessage): string {
  const pairs: [string, unknown][] = [
    ['id', message.id],
    ['receiveCount', message.receiveCount],
    ['priority', message.priority],
    ['publishedAt', message.publishedAt],
  ];
  if (message.groupId !== null) pairs.push(['groupId', message.groupId]);
  if (Object.keys(message.attributes).length > 0) pairs.push(['attributes', message.attributes]);
  if (message.deadLetter !== null) pairs.push(['deadLetter', message.deadLetter]);
  if (message.receipt !== undefined) pairs.push(['receipt', message.receipt]);
  pairs.push(['body', display(message.body)]);
  return keyValues(pairs);
}

interface ReceiveFlags {
  max?: number;
  wait?: number;
  visibilityTimeout?: number;
  ack: 'manual' | 'auto';
}

export function registerReceive(program: Command): void {
  program
    .command('receive')
    .description('Receive messages (leased until acked, released or the lease ends)')
    .argument('<queue>')
    .option('--max <n>', 'at most this many messages (1-10)', integer(1, 10), 1)
    .option('--wait <seconds>', 'long poll: wait up to this long for a message (0-20)', integer(0, 20), 0)
    .option('--visibility-timeout <seconds>', "lease length (default: the queue's)", integer(0, 43_200))
    .addOption(
      new Option('--ack <mode>', 'manual: print receipts to ack; auto: remove on delivery (at most once)')
        .choices(['manual', 'auto'])
        .default('manual'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  postbox receive orders --max 10 --wait 20\n  postbox ack orders <receipt>',
    )
    .action(
      action(async (queue: string, flags: ReceiveFlags, cmd: Command) => {
        const messages = await clientOf(cmd).receive(queue, {
          maxMessages: flags.max,
          waitSeconds: flags.wait,
          visibilityTimeoutSeconds: flags.visibilityTimeout,
          ack: flags.ack,
        });
        if (globalsOf(cmd).json) return printJson({ messages });
        if (messages.length === 0) return print('No messages.');
        print(messages.map(messageBlock).join('\n\n'));
      }),
    );

  program
    .command('ack')
    .description('Acknowledge received messages: done, remove them')
    .argument('<queue>')
    .argument('<receipts...>', 'one or more receipts (up to 100)')
    .action(
      action(async (queue: string, receipts: string[], _flags: object, cmd: Command) => {
        const client = clientOf(cmd);
        const json = globalsOf(cmd).json;
        if (receipts.length === 1) {
          await client.ack(queue, receipts[0] as string);
          return json ? printJson({ acked: 1 }) : print('Acked 1 message.');
        }
        const results = await client.ackBatch(queue, receipts);
        const failed = results.filter((result) => 'error' in result);
        if (json) printJson({ results });
        else {
          print(`Acked ${results.length - failed.length} of ${results.length} messages.`);
          for (const result of failed) {
            if ('error' in result)
              print(`  ${result.receipt}: ${result.error.code}: ${result.error.message}`);
          }
        }
        const first = failed[0];
        return first && 'error' in first ? exitCodeOfCode(first.error.code) : EXIT.ok;
      }),
    );

  program
    .command('release')
    .description('Give a received message back (negative ack): ready again after --delay')
    .argument('<queue>')
    .argument('<receipt>')
    .option('--delay <seconds>', 'ready again after this long (0-43200)', integer(0, 43_200))
    .action(
      action(async (queue: string, receipt: string, flags: { delay?: number }, cmd: Command) => {
        await clientOf(cmd).release(queue, receipt, { delaySeconds: flags.delay });
        if (globalsOf(cmd).json) return printJson({ released: 1 });
        print('Released 1 message.');
      }),
    );

  program
    .command('extend')
    .description("Extend a received message's lease (heartbeat)")
    .argument('<queue>')
    .argument('<receipt>')
    .requiredOption(
      '--visibility-timeout <seconds>',
      'the lease now ends this long from now',
      integer(0, 43_200),
    )
    .action(
      action(async (queue: string, receipt: string, flags: { visibilityTimeout: number }, cmd: Command) => {
        const result = await clientOf(cmd).extend(queue, receipt, flags.visibilityTimeout);
        if (globalsOf(cmd).json) return printJson(result);
        print(`Lease extended until ${result.leaseExpiresAt}.`);
      }),
    );
}
