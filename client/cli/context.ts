/**
 * The global options every command shares (endpoint, auth, output) and the client they make.
 * The environment is read here, through commander's `.env()`, and nowhere below.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_URL, PostboxClient } from '../src/client';
import { isExecuteApiUrl } from '../src/sigv4';
import { exitCodeOf } from './exit-codes';
import { printError } from './output';

export interface GlobalOptions {
  url: string;
  token?: string;
  sigv4?: boolean;
  region?: string;
  json?: boolean;
  timeout?: number;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--url <url>', 'the Postbox API base URL').env('POSTBOX_URL').default(DEFAULT_URL))
    .addOption(new Option('--token <token>', "the local server's bearer token").env('POSTBOX_TOKEN'))
    .option('--sigv4', 'sign requests with AWS SigV4 (the default for execute-api URLs)')
    .addOption(
      new Option('--region <region>', 'AWS region for SigV4 (default: from the URL)').env('AWS_REGION'),
    )
    .option('--json', 'print JSON (one document, or one per line with --watch) for scripts')
    .option('--timeout <seconds>', 'per-request timeout', positiveNumber, 10);
}

/** The options of the program, whatever subcommand `command` is. */
export const globalsOf = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

export function clientOf(command: Command): PostboxClient {
  const options = globalsOf(command);
  const region = options.region ?? process.env.AWS_DEFAULT_REGION;
  const sigv4 = options.sigv4 || isExecuteApiUrl(options.url);
  return new PostboxClient({
    url: options.url,
    token: sigv4 ? undefined : options.token,
    // Credentials come from the standard AWS chain: environment, ~/.aws, SSO, roles.
    sigv4: sigv4 ? { region } : false,
    timeoutMs: (options.timeout ?? 10) * 1_000,
  });
}

/**
 * A command's action, with errors printed (a line, or JSON with --json) and turned into the
 * exit code that says what happened. A number returned by `body` is the exit code.
 */
export function action<Args extends unknown[]>(
  body: (...args: Args) => Promise<unknown>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    const command = args[args.length - 1] as Command;
    try {
      const code = await body(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (error) {
      printError(error, Boolean(globalsOf(command).json));
      process.exitCode = exitCodeOf(error);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Argument parsers (a bad value is a usage error, exit 1)

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError('Not a whole number.');
    const value = Number(text);
    if (value < min || value > max) throw new InvalidArgumentError(`Must be between ${min} and ${max}.`);
    return value;
  };
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('Must be a number above 0.');
  return value;
}

/** For repeatable options: each value is appended to the list. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
