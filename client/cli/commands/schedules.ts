/**
 * `postbox schedules put|get|list|delete|pause|resume`: recurring schedules.
 */
import type { Command } from 'commander';
import type { Schedule, ScheduleDefinition } from '../../src/types';
import { action, clientOf, collect, globalsOf, integer } from '../context';
import { UsageError } from '../exit-codes';
import { keyValues, print, printJson, table } from '../output';
import { BODY_HELP, BODY_RULES, bodyValue } from './publish';

interface PutFlags {
  cron?: string;
  every?: number;
  tz?: string;
  queue?: string;
  topic?: string;
  priority?: number;
  group?: string;
  attr?: string[];
  start?: string;
  end?: string;
  paused?: boolean;
  string?: boolean;
}

const targetOf = (schedule: Schedule) =>
  'queue' in schedule.target ? `queue ${schedule.target.queue}` : `topic ${schedule.target.topic}`;
const whenOf = (schedule: Schedule) =>
  schedule.cron !== null
    ? `cron ${schedule.cron} (${schedule.timeZone})`
    : `every ${schedule.everySeconds} s`;

function scheduleDetails(schedule: Schedule): string {
  return keyValues([
    ['name', schedule.name],
    ['fires', whenOf(schedule)],
    ['target', targetOf(schedule)],
    ['body', JSON.stringify(schedule.message.body)],
    ['start', schedule.start ?? '-'],
    ['end', schedule.end ?? '-'],
    ['paused', String(schedule.paused)],
    ['nextFirings', schedule.nextFirings.join(', ') || 'none'],
    ['lastFiredAt', schedule.lastFiredAt ?? '-'],
    ['lastError', schedule.lastError ? `${schedule.lastError.code}: ${schedule.lastError.message}` : '-'],
  ]);
}

function attributes(pairs: string[] | undefined): Record<string, string> | undefined {
  if (pairs === undefined) return undefined;
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--attr wants key=value, not '${pair}'.`);
    result[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return result;
}

/** The definition the flags ask for; the server checks the rest (and names the field). */
export function definitionFromFlags(flags: PutFlags, body: unknown): ScheduleDefinition {
  if ((flags.queue === undefined) === (flags.topic === undefined)) {
    throw new UsageError('Give exactly one of --queue and --topic.');
  }
  const attrs = attributes(flags.attr);
  return {
    ...(flags.cron !== undefined ? { cron: flags.cron } : {}),
    ...(flags.every !== undefined ? { everySeconds: flags.every } : {}),
    ...(flags.tz !== undefined ? { timeZone: flags.tz } : {}),
    target: flags.queue !== undefined ? { queue: flags.queue } : { topic: flags.topic as string },
    message: {
      body,
      ...(attrs ? { attributes: attrs } : {}),
      ...(flags.priority !== undefined ? { priority: flags.priority } : {}),
      ...(flags.group !== undefined ? { groupId: flags.group } : {}),
    },
    ...(flags.start !== undefined ? { start: flags.start } : {}),
    ...(flags.end !== undefined ? { end: flags.end } : {}),
    ...(flags.paused ? { paused: true } : {}),
  };
}

export function registerSchedules(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('Recurring schedules: put, get, list, delete, pause, resume');

  schedules
    .command('put')
    .description('Create or replace a schedule that publishes BODY at every firing')
    .argument('<name>')
    .argument('[body]', BODY_HELP)
    .option('--cron <fields>', "five cron fields 'm h dom mon dow', optionally 'CRON_TZ=<zone> …'")
    .option('--every <seconds>', 'fire every this many seconds', integer(1, 31_536_000))
    .option('--tz <zone>', 'IANA time zone of --cron (default UTC)')
    .option('--queue <queue>', 'publish to this queue')
    .option('--topic <topic>', 'publish to this topic')
    .option('--priority <0-9>', 'priority of the fired messages', integer(0, 9))
    .option('--group <id>', 'message group of the fired messages (fifo queues)')
    .option('--attr <key=value>', 'an attribute of the fired messages (repeatable, at most 8)', collect)
    .option('--start <time>', 'no firing before this ISO-8601 time')
    .option('--end <time>', 'no firing after this ISO-8601 time')
    .option('--paused', 'define it paused')
    .option('--string', 'send BODY as a string, even if it is JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  postbox schedules put weekday-report '{"report":"daily"}' --cron '0 9 * * 1-5' --tz Europe/Berlin --queue reports\n  postbox schedules put heartbeat ping --every 30 --topic health\n\n${BODY_RULES}`,
    )
    .action(
      action(async (name: string, body: string | undefined, flags: PutFlags, cmd: Command) => {
        const definition = definitionFromFlags(flags, await bodyValue(body, flags.string));
        const { schedule, created } = await clientOf(cmd).putSchedule(name, definition);
        if (globalsOf(cmd).json) return printJson(schedule);
        print(`${created ? 'Created' : 'Replaced'} schedule ${schedule.name}.`);
        print(scheduleDetails(schedule));
      }),
    );

  schedules
    .command('get')
    .description('Show a schedule and its next 5 firings')
    .argument('<name>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        const schedule = await clientOf(cmd).getSchedule(name);
        if (globalsOf(cmd).json) return printJson(schedule);
        print(scheduleDetails(schedule));
      }),
    );

  schedules
    .command('list')
    .description('List every schedule, in name order, with its next firing')
    .action(
      action(async (_flags: object, cmd: Command) => {
        const all: Schedule[] = [];
        for await (const schedule of clientOf(cmd).allSchedules()) all.push(schedule);
        if (globalsOf(cmd).json) return printJson({ schedules: all });
        if (all.length === 0) return print('No schedules.');
        print(
          table(
            ['NAME', 'FIRES', 'TARGET', 'NEXT FIRING', 'STATE'],
            all.map((s) => [
              s.name,
              whenOf(s),
              targetOf(s),
              s.nextFirings[0] ?? '-',
              s.paused ? 'paused' : s.lastError ? `error: ${s.lastError.code}` : 'active',
            ]),
          ),
        );
      }),
    );

  schedules
    .command('delete')
    .description('Delete a schedule (what it published stays)')
    .argument('<name>')
    .action(
      action(async (name: string, _flags: object, cmd: Command) => {
        await clientOf(cmd).deleteSchedule(name);
        if (globalsOf(cmd).json) return printJson({ deleted: name });
        print(`Deleted schedule ${name}.`);
      }),
    );

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedules
      .command(verb)
      .description(
        paused ? 'Pause a schedule: it fires no more until resumed' : 'Resume a paused schedule from now',
      )
      .argument('<name>')
      .action(
        action(async (name: string, _flags: object, cmd: Command) => {
          const schedule = await clientOf(cmd).setSchedulePaused(name, paused);
          if (globalsOf(cmd).json) return printJson(schedule);
          print(`${paused ? 'Paused' : 'Resumed'} schedule ${name}.`);
          print(scheduleDetails(schedule));
        }),
      );
  }
}
