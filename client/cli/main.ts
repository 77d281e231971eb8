/**
 * `postbox`: the Postbox command line (run through bin.js). Endpoint and auth come from flags or
 * the environment (POSTBOX_URL, POSTBOX_TOKEN, AWS credentials); output is for people by default
 * and JSON with --json; the exit code says what happened (exit-codes.ts).
 */
import { Command } from 'commander';
import { version } from '../../package.json';
import { registerDev } from './commands/dev';
import { registerMessages } from './commands/messages';
import { registerPublish } from './commands/publish';
import { registerQueues } from './commands/queues';
import { registerReceive } from './commands/receive';
import { registerSchedules } from './commands/schedules';
import { registerStats } from './commands/stats';
import { registerTopics } from './commands/topics';
import { registerUi } from './commands/ui';
import { action, addGlobalOptions, clientOf, globalsOf } from './context';
import { EXIT_CODES_HELP } from './exit-codes';
import { print, printJson } from './output';

export function buildProgram(): Command {
  const program = new Command('postbox')
    .description('Use a Postbox message queue from the terminal.')
    .version(version)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(postbox --help lists the commands; postbox COMMAND --help tells more)');
  addGlobalOptions(program);
  program.addHelpText(
    'after',
    `
Endpoint and auth: --url or POSTBOX_URL (default http://127.0.0.1:3000); the local server's token
with --token or POSTBOX_TOKEN; an execute-api URL (or --sigv4) signs requests with AWS SigV4 using
the standard AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws, SSO, roles) and the region
from the URL, --region or AWS_REGION.

${EXIT_CODES_HELP}

Examples:
  postbox queues create orders
  postbox publish orders '{"orderId": 42}'
  postbox receive orders --wait 20
  postbox ack orders <receipt>
  postbox stats --watch`,
  );

  registerQueues(program);
  registerPublish(program);
  registerReceive(program);
  registerMessages(program);
  registerStats(program);
  registerTopics(program);
  registerSchedules(program);
  registerUi(program);
  registerDev(program);

  program
    .command('health')
    .description('Check that the server and its store answer')
    .action(
      action(async (_flags: object, cmd: Command) => {
        const health = await clientOf(cmd).health();
        if (globalsOf(cmd).json) return printJson(health);
        print(`${globalsOf(cmd).url}: ${health.status}`);
      }),
    );
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`postbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 5;
  });
