/**
 * Which consumers the local server runs, from three places (all of them, in this order):
 *
 *   postbox.config.ts | .mjs | .js | .json in the working directory (the first one found):
 *       export default { consumers: [{ queue: 'orders', handler: './src/orders.ts#handler', batchSize: 5 }] }
 *   POSTBOX_CONSUMERS="orders=./src/orders.ts#handler?batchSize=5&concurrency=2;emails=./src/emails.js"
 *   npm start -- --consumer 'orders=./src/orders.ts#handler?concurrency=2'   (repeatable)
 *
 * A handler is `modulePath[#export]` (default export name `handler`), relative to the working
 * directory; the options are the consumer options every Postbox consumer has (consumer.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Consumer, type ConsumerOptions, toConsumer } from '../dispatcher/consumer';

export const CONFIG_FILES = [
  'postbox.config.ts',
  'postbox.config.mjs',
  'postbox.config.js',
  'postbox.config.json',
];
const OPTION_NAMES = ['batchSize', 'concurrency', 'visibilityTimeoutSeconds'] as const;

export class ConsumerConfigError extends Error {
  override name = 'ConsumerConfigError';
}

/** `queue=modulePath[#export][?batchSize=n&concurrency=n&visibilityTimeoutSeconds=n]`. Pure. */
export function parseConsumerSpec(spec: string, cwd: string): Consumer {
  const match = /^([^=]+)=([^?]+)(?:\?(.*))?$/.exec(spec.trim());
  if (!match)
    throw new ConsumerConfigError(
      `A consumer is queue=modulePath[#export][?options], got ${JSON.stringify(spec)}`,
    );
  const [, queue = '', handler = '', query = ''] = match;
  const options: Record<string, number> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    if (!(OPTION_NAMES as readonly string[]).includes(name)) {
      throw new ConsumerConfigError(
        `Unknown consumer option ${name} in ${JSON.stringify(spec)} (known: ${OPTION_NAMES.join(', ')})`,
      );
    }
    options[name] = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  }
  return withResolvedHandler(queue.trim(), handler.trim(), options, cwd);
}

/** One entry of a config file's `consumers` list. */
export function consumerFromEntry(entry: unknown, cwd: string): Consumer {
  if (entry === null || typeof entry !== 'object')
    throw new ConsumerConfigError('Each consumer must be an object');
  const { queue, handler, ...options } = entry as Record<string, unknown>;
  const unknown = Object.keys(options).filter((name) => !(OPTION_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new ConsumerConfigError(`Unknown consumer option(s): ${unknown.join(', ')}`);
  if (typeof handler !== 'string' || handler === '') {
    throw new ConsumerConfigError(
      `Consumer of ${JSON.stringify(queue)} needs handler: 'modulePath[#export]'`,
    );
  }
  return withResolvedHandler(String(queue), handler, options as ConsumerOptions, cwd);
}

function withResolvedHandler(
  queue: string,
  handler: string,
  options: ConsumerOptions,
  cwd: string,
): Consumer {
  const [path = '', exportName = 'handler'] = handler.split('#');
  try {
    return toConsumer(queue, `${resolve(cwd, path)}#${exportName}`, options);
  } catch (error) {
    throw new ConsumerConfigError((error as Error).message);
  }
}

/** The `--consumer` values among the command-line arguments; anything else is refused. */
export function consumerArgs(args: readonly string[]): string[] {
  const specs: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg.startsWith('--consumer=')) specs.push(arg.slice('--consumer='.length));
    else if (arg === '--consumer' && index + 1 < args.length) specs.push(args[++index] as string);
    else
      throw new ConsumerConfigError(
        `Unknown argument ${JSON.stringify(arg)} (use --consumer queue=modulePath[#export])`,
      );
  }
  return specs;
}

/** Every consumer from the config file, POSTBOX_CONSUMERS and the command line. */
export async function loadConsumers(options: {
  cwd: string;
  env: string | undefined;
  args: readonly string[];
}): Promise<Consumer[]> {
  const consumers: Consumer[] = [];
  const file = CONFIG_FILES.map((name) => resolve(options.cwd, name)).find((path) => existsSync(path));
  if (file) {
    const config = await readConfigFile(file);
    const list = (config as { consumers?: unknown } | undefined)?.consumers ?? [];
    if (!Array.isArray(list)) throw new ConsumerConfigError(`${file}: consumers must be a list`);
    for (const entry of list) consumers.push(consumerFromEntry(entry, options.cwd));
  }
  for (const spec of (options.env ?? '').split(';').filter((part) => part.trim() !== '')) {
    consumers.push(parseConsumerSpec(spec, options.cwd));
  }
  for (const spec of consumerArgs(options.args)) consumers.push(parseConsumerSpec(spec, options.cwd));
  return consumers;
}

async function readConfigFile(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return JSON.parse(readFileSync(file, 'utf8'));
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  // A CommonJS or TypeScript module may arrive with its exports under `default`, or twice wrapped.
  const value = module.default ?? module;
  return (value as { default?: unknown }).default ?? value;
}
