/**
 * `postbox dev` (alias `postbox local`): the local server of `npm start` (functions/local/main.ts)
 * on an embedded DynamoDB Local, from wherever the CLI is installed, so a project's own tests can
 * run against a real Postbox. The flags only set the environment variables main.ts reads (the
 * README's table) and main.ts's command line (`--consumer`), so both ways of starting it behave
 * the same.
 */
import { type Command, Option } from 'commander';
import { collect, globalsOf } from '../context';

interface DevFlags {
  port?: string;
  dataDir?: string;
  inMemory?: boolean;
  table?: string;
  dynamodbEndpoint?: string;
  consumer?: string[];
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .alias('local')
    .description('Start the local Postbox server (HTTP API and web console) on an embedded DynamoDB Local')
    .addOption(
      new Option('--port <port>', 'port on 127.0.0.1 (0: any free port)').env('PORT').default('3000'),
    )
    .addOption(new Option('--data-dir <dir>', 'where DynamoDB Local keeps its data').env('POSTBOX_DATA_DIR'))
    .option('--in-memory', 'keep nothing on disk (or POSTBOX_IN_MEMORY=1)')
    .addOption(new Option('--table <name>', 'the table name').env('POSTBOX_TABLE'))
    .addOption(
      new Option('--dynamodb-endpoint <url>', 'use this DynamoDB instead of starting DynamoDB Local').env(
        'DYNAMODB_ENDPOINT',
      ),
    )
    .option(
      '--consumer <spec>',
      "run a consumer module: 'queue=./handler.js#handler?batchSize=5' (repeatable)",
      collect,
      [],
    )
    .addHelpText(
      'after',
      `
With --token (or POSTBOX_TOKEN) every request but GET /v1/health needs that bearer token.
It prints "Postbox listening on http://127.0.0.1:PORT (...)" when ready and stops on Ctrl-C.`,
    )
    .action(async (flags: DevFlags, cmd: Command) => {
      const env: Record<string, string | undefined> = {
        PORT: flags.port,
        POSTBOX_DATA_DIR: flags.dataDir,
        // Without the flag, main.ts reads POSTBOX_IN_MEMORY itself.
        POSTBOX_IN_MEMORY: flags.inMemory ? '1' : undefined,
        POSTBOX_TABLE: flags.table,
        DYNAMODB_ENDPOINT: flags.dynamodbEndpoint,
        POSTBOX_TOKEN: globalsOf(cmd).token,
      };
      for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value;
      // main.ts reads its command line as `npm start -- --consumer …` passes it: consumers only.
      const consumers = (flags.consumer ?? []).flatMap((spec) => ['--consumer', spec]);
      process.argv = [...process.argv.slice(0, 2), ...consumers];
      // Loaded only now: the other commands should not pay for the server's modules.
      await import('../../../functions/local/main');
    });
}
