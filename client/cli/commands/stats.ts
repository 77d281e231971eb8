/**
 * `postbox stats [QUEUE...] [--watch]`: message counts, refreshed in place with --watch.
 */
import type { Command } from 'commander';
import type { PostboxClient } from '../../src/client';
import { PostboxError } from '../../src/errors';
import { sleep } from '../../src/retry';
import type { QueueCounts } from '../../src/types';
import { action, clientOf, globalsOf, positiveNumber } from '../context';
import { EXIT } from '../exit-codes';
import { print, printJson, table } from '../output';

interface Row {
  name: string;
  counts: QueueCounts;
}

async function countsOf(client: PostboxClient, names: string[], signal?: AbortSignal): Promise<Row[]> {
  let queues = names;
  if (queues.length === 0) {
    queues = [];
    for await (const queue of client.allQueues({ signal })) queues.push(queue.name);
  }
  return Promise.all(
    queues.map(async (name) => ({ name, counts: (await client.getQueue(name, { signal })).counts })),
  );
}

function render(rows: Row[]): string {
  if (rows.length === 0) return 'No queues.';
  const approx = (row: Row, n: number) => `${row.counts.approximate ? '~' : ''}${n}`;
  return table(
    ['QUEUE', 'READY', 'DELAYED', 'IN FLIGHT', 'TOTAL'],
    rows.map((row) => [
      row.name,
      approx(row, row.counts.ready),
      approx(row, row.counts.delayed),
      approx(row, row.counts.inFlight),
      approx(row, row.counts.total),
    ]),
    ['READY', 'DELAYED', 'IN FLIGHT', 'TOTAL'],
  );
}

/** Failures a watch rides out (shown, then tried again at the next tick). */
const passing = (error: unknown) =>
  error instanceof PostboxError && [0, 429, 502, 503, 504].includes(error.status);

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('Show message counts of queues (all queues when none is named)')
    .argument('[queues...]')
    .option('--watch', 'refresh in place until Ctrl-C (with --json: one line per refresh)')
    .option('--interval <seconds>', 'refresh interval of --watch', positiveNumber, 1)
    .action(
      action(async (names: string[], flags: { watch?: boolean; interval: number }, cmd: Command) => {
        const client = clientOf(cmd);
        const json = Boolean(globalsOf(cmd).json);
        const emit = (rows: Row[]) =>
          json ? printJson({ time: new Date().toISOString(), queues: rows }) : print(render(rows));
        if (!flags.watch) return emit(await countsOf(client, names));

        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const inPlace = !json && process.stdout.isTTY;
        let drawn = 0;
        try {
          while (!stop.signal.aborted) {
            let frame: string;
            try {
              const rows = await countsOf(client, names, stop.signal);
              if (json) {
                emit(rows);
                frame = '';
              } else
                frame = `${render(rows)}\n\nEvery ${flags.interval}s, ${new Date().toLocaleTimeString()}. Ctrl-C stops.`;
            } catch (error) {
              if (stop.signal.aborted) break;
              if (!passing(error)) throw error;
              frame = `postbox: ${(error as PostboxError).code}: ${(error as Error).message} (trying again)`;
              if (json) process.stderr.write(`${frame}\n`);
            }
            if (!json) {
              // Back to the first line of the last frame, clear to the end, draw the new one.
              if (inPlace && drawn > 0) process.stdout.write(`\x1b[${drawn}F\x1b[J`);
              print(inPlace ? frame : `${frame}\n`);
              drawn = frame.split('\n').length;
            }
            await sleep(flags.interval * 1_000, stop.signal).catch(() => {});
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        return EXIT.ok;
      }),
    );
}
