/**
 * `postbox publish QUEUE [BODY|-]` and `postbox publish QUEUE --file messages.jsonl`.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { PostboxClient } from '../../src/client';
import { PostboxError } from '../../src/errors';
import type { PublishInput, PublishOptions } from '../../src/types';
import { parseBody } from '../body';
import { action, clientOf, collect, globalsOf, integer } from '../context';
import { EXIT, exitCodeOfCode, UsageError } from '../exit-codes';
import { keyValues, print, printJson } from '../output';
import { Progress } from '../progress';

/** The BODY argument's help, shared with `topics publish`. */
export const BODY_HELP = 'the body: JSON, or plain text sent as a string; - reads stdin';

/** How BODY is read (body.ts), for --help. */
export const BODY_RULES = `BODY is sent as JSON when it is meant as JSON: it starts with {, [ or ", or it is a JSON
number, true, false or null. If such a BODY does not parse, nothing is sent and the exit code
is 1. Anything else (hello, 42 apples) is sent as a string; --string sends any BODY as a string.`;

/** Messages per batch request (the contract's maximum). */
const BATCH = 25;

export interface PublishFlags {
  delay?: number;
  at?: string;
  priority?: number;
  group?: string;
  dedup?: string;
  attr?: string[];
  wait?: number;
  string?: boolean;
}

/** The options of a publish, shared with `topics publish`. */
export function addPublishOptions(command: Command, { wait }: { wait: boolean }): Command {
  command
    .option('--delay <seconds>', 'deliver this many seconds from now', integer(0, 31_536_000))
    .option('--at <time>', 'deliver at this ISO-8601 time (e.g. 2030-01-01T09:00:00Z)')
    .option('--priority <0-9>', 'higher is delivered first', integer(0, 9))
    .option('--group <id>', 'message group: delivered in order, one at a time (fifo queues)')
    .option('--dedup <id>', 'deduplication id: a repeat within the window stores nothing')
    .option('--attr <key=value>', 'an attribute (repeatable, at most 10)', collect)
    .option('--string', 'send BODY (or each line of --file) as a string, even if it is JSON');
  if (wait)
    command.option('--wait <seconds>', 'on a full bounded queue, wait this long for room', integer(0, 20));
  return command;
}

/** Attributes from `k=v` flags. */
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

/** The publish options the flags ask for (only those given). */
export function publishOptions(flags: PublishFlags): PublishOptions {
  const options: PublishOptions = {};
  if (flags.delay !== undefined) options.delaySeconds = flags.delay;
  if (flags.at !== undefined) options.deliverAt = flags.at;
  if (flags.priority !== undefined) options.priority = flags.priority;
  if (flags.group !== undefined) options.groupId = flags.group;
  if (flags.dedup !== undefined) options.deduplicationId = flags.dedup;
  const attrs = attributes(flags.attr);
  if (attrs !== undefined) options.attributes = attrs;
  if (flags.wait !== undefined) options.waitSeconds = flags.wait;
  return options;
}

/** BODY, or stdin for `-` (or when no BODY is given and stdin is not a terminal). */
export async function readBody(body: string | undefined): Promise<string> {
  if (body !== undefined && body !== '-') return body;
  if (body === undefined && process.stdin.isTTY) {
    throw new UsageError('Give a BODY, - to read it from stdin, or --file.');
  }
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  // Nothing at all is a mistake (a script that forgot its input), not an empty string: that is '""'.
  if (text === '') throw new UsageError('No body: stdin was empty (an empty string is \'""\').');
  return text.replace(/\r?\n$/, '');
}

/** The body to send for the BODY argument (or stdin), by the rules of body.ts. */
export async function bodyValue(body: string | undefined, asString: boolean | undefined): Promise<unknown> {
  const where = body === undefined || body === '-' ? 'The body on stdin' : 'BODY';
  return parseBody(await readBody(body), asString, where);
}

export function registerPublish(program: Command): void {
  const command = program
    .command('publish')
    .description('Publish a message, or every line of a JSON Lines file')
    .argument('<queue>', 'the queue')
    .argument('[body]', BODY_HELP)
    .option('--file <path>', 'publish each line of a JSON Lines file (- for stdin), 25 per request')
    .addHelpText(
      'after',
      `
${BODY_RULES}

With --file, every line is JSON: a JSON object with a "body" field is a whole publish entry
({"body": ..., "priority": 5, "delaySeconds": 10, ...}); any other JSON value is a body. A line
that is not JSON is reported by its line number and not published (the others are); with
--string every line is sent as a string instead. Flags apply to every line that does not set the
same field. Lines are published in file order.

Examples:
  postbox publish orders '{"orderId": 42}' --priority 5 --attr region=eu
  echo '"hello"' | postbox publish greetings -
  postbox publish orders --file orders.jsonl`,
    );
  addPublishOptions(command, { wait: true }).action(
    action(
      async (
        queue: string,
        body: string | undefined,
        flags: PublishFlags & { file?: string },
        cmd: Command,
      ) => {
        const client = clientOf(cmd);
        const { json } = globalsOf(cmd);
        const options = publishOptions(flags);
        if (flags.file !== undefined) {
          if (body !== undefined) throw new UsageError('Give either a BODY or --file, not both.');
          return publishFile(client, queue, flags.file, options, {
            json: Boolean(json),
            asString: Boolean(flags.string),
          });
        }
        const result = await client.publish(queue, await bodyValue(body, flags.string), options);
        if (json) printJson(result);
        else if (result.duplicate) print(`Duplicate of ${result.id}: nothing stored.`);
        else
          print(
            keyValues([
              ['published', result.id],
              ['deliverAt', result.deliverAt],
            ]),
          );
      },
    ),
  );
}

interface Failure {
  line: number;
  code: string;
  message: string;
}

/** A line of the file as a publish entry; flags fill in what the line leaves out. */
function entryOf(text: string, defaults: PublishOptions, asString: boolean): PublishInput {
  if (asString) return { ...defaults, body: text };
  const value = JSON.parse(text) as unknown;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'body' in value) {
    return { ...defaults, ...(value as PublishInput) };
  }
  return { ...defaults, body: value };
}

/** Lines of a file (or stdin), with their numbers, blank ones skipped. */
async function* linesOf(path: string): AsyncGenerator<{ line: number; text: string }> {
  const input = path === '-' ? process.stdin : createReadStream(path, 'utf8');
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (text.trim() !== '') yield { line, text };
  }
}

async function countLines(path: string): Promise<number | undefined> {
  if (path === '-') return undefined;
  let count = 0;
  for await (const _ of linesOf(path)) count++;
  return count;
}

async function publishFile(
  client: PostboxClient,
  queue: string,
  path: string,
  defaults: PublishOptions,
  { json, asString }: { json: boolean; asString: boolean },
): Promise<number> {
  const started = Date.now();
  const total = await countLines(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read ${path}: ${error.code ?? error.message}`);
  });
  const progress = new Progress(total, json ? undefined : process.stderr);
  const failures: Failure[] = [];
  let published = 0;
  let duplicates = 0;
  let batch: { line: number; entry: PublishInput }[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    let results: Awaited<ReturnType<PostboxClient['publishBatch']>>;
    try {
      results = await client.publishBatch(
        queue,
        sending.map((item) => item.entry),
      );
    } catch (error) {
      progress.done();
      const first = sending[0]?.line;
      const last = sending[sending.length - 1]?.line;
      const doubt =
        error instanceof PostboxError && error.status === 0
          ? ` Lines ${first}–${last} may or may not have been published.`
          : ` Lines ${first}–${last} were not published.`;
      const summary = `${published} published before the error.${doubt}`;
      if (error instanceof Error) error.message = `${error.message} ${summary}`;
      throw error;
    }
    results.forEach((result, i) => {
      const line = sending[i]?.line ?? 0;
      if ('error' in result) failures.push({ line, ...result.error });
      else if (result.duplicate) duplicates++;
      else published++;
    });
    progress.add(sending.length);
  };

  for await (const { line, text } of linesOf(path)) {
    try {
      batch.push({ line, entry: entryOf(text, defaults, asString) });
    } catch (error) {
      const why = (error as Error).message;
      failures.push({
        line,
        code: 'InvalidJson',
        message: `Line ${line} is not JSON (${why}); not published.`,
      });
      progress.add(1);
    }
    if (batch.length === BATCH) await flush();
  }
  await flush();
  progress.done();

  const seconds = ((Date.now() - started) / 1_000).toFixed(1);
  if (json) printJson({ published, duplicates, failed: failures.length, failures });
  else {
    print(
      `Published ${published} message${published === 1 ? '' : 's'} to ${queue} in ${seconds} s` +
        `${duplicates ? ` (${duplicates} duplicate${duplicates === 1 ? '' : 's'} skipped)` : ''}` +
        `${failures.length ? `; ${failures.length} failed:` : '.'}`,
    );
    for (const failure of failures.slice(0, 20))
      print(`  line ${failure.line}: ${failure.code}: ${failure.message}`);
    if (failures.length > 20) print(`  … and ${failures.length - 20} more (--json lists them all)`);
  }
  const first = failures[0];
  return first === undefined ? EXIT.ok : exitCodeOfCode(first.code);
}
