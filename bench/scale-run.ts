/**
 * `npm run bench -- --scale`: one queue at 1, 2, 4, 8 and 16 shards under DynamoDB's partition
 * limit scaled down (5 write units a second a partition instead of 1,000: low enough that 16
 * shards × the limit stays below what DynamoDB Local serves on this loaded 2-core machine, about
 * 10 messages/s, so the partition limit, not the machine, is what binds and the 8-vs-1 ratio can
 * show), side by side in one run (scale.ts). Options: `--shards 1,2` (a subset), `--limit 5`
 * (write units a second), `--window 15` (seconds of publishing per shard count), `--workers 2`
 * (producers and as many consumers per shard), `--group-every 16` (one message in n grouped).
 * Prints a table and the bars, writes bench/results/<time>-scale.json. Called by run.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { startStore } from './harness';
import { runScale, type ScaleResult } from './scale';

const option = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    `  ${row.map((cell, i) => (i > 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ')}`;
  return [line(header), ...cells.slice(1).map(line)].join('\n');
}

interface ScaleBar {
  bar: string;
  limit: string;
  measured: string;
  pass: boolean | null;
}

function bars(results: ScaleResult[]): ScaleBar[] {
  const at = (shards: number) => results.find((result) => result.shards === shards);
  const one = at(1);
  const eight = at(8);
  const judged: ScaleBar[] = [];
  const ratio = (a: number, b: number) => (b === 0 ? Number.POSITIVE_INFINITY : a / b);
  judged.push(
    one && eight
      ? {
          bar: 'Messages/s at 8 shards ÷ 1 shard, same simulated limit',
          limit: '≥ 6×',
          measured: `${eight.messagesPerSecond} ÷ ${one.messagesPerSecond} = ${ratio(eight.messagesPerSecond, one.messagesPerSecond).toFixed(2)}×`,
          pass: ratio(eight.messagesPerSecond, one.messagesPerSecond) >= 6,
        }
      : {
          bar: 'Messages/s at 8 shards ÷ 1 shard, same simulated limit',
          limit: '≥ 6×',
          measured: 'not measured (needs 1 and 8)',
          pass: null,
        },
  );
  judged.push(
    one && eight
      ? {
          bar: 'DynamoDB requests per message at 8 shards ÷ 1 shard',
          limit: '≤ 1.2×',
          measured: `${eight.requestsPerMessage} ÷ ${one.requestsPerMessage} = ${ratio(eight.requestsPerMessage, one.requestsPerMessage).toFixed(2)}×`,
          pass: ratio(eight.requestsPerMessage, one.requestsPerMessage) <= 1.2,
        }
      : {
          bar: 'DynamoDB requests per message at 8 shards ÷ 1 shard',
          limit: '≤ 1.2×',
          measured: 'not measured (needs 1 and 8)',
          pass: null,
        },
  );
  for (const result of results) {
    const bad = result.lost + result.duplicated + result.groupOrderViolations;
    judged.push({
      bar: `Lost + duplicated messages + group order violations, ${result.shards} shard(s)`,
      limit: '= 0',
      measured: `${result.lost} + ${result.duplicated} + ${result.groupOrderViolations}`,
      pass: bad === 0,
    });
  }
  return judged;
}

export async function runScaleBench(): Promise<void> {
  const shardCounts = (option('shards') ?? '1,2,4,8,16').split(',').map(Number);
  const limit = Number(option('limit') ?? 5);
  const windowMs = Number(option('window') ?? 15) * 1000;
  const startedAt = new Date();
  const loadBefore = loadavg();
  const store = await startStore();
  const results: ScaleResult[] = [];
  try {
    for (const shards of shardCounts) {
      process.stderr.write(
        `[bench scale] ${shards} shard(s), ${limit} WCU/s a partition, ${windowMs / 1000} s…\n`,
      );
      const workers = Number(option('workers') ?? 2) * shards;
      results.push(
        await runScale({
          endpoint: store.endpoint,
          shards,
          writeUnitsPerSecond: limit,
          windowMs,
          drainMs: 60_000,
          producers: workers,
          consumers: workers,
          groupEvery: Number(option('group-every') ?? 16),
        }),
      );
    }
  } finally {
    await store.stop();
  }
  const judged = bars(results);
  const out = [
    `Postbox bench (scale) ${startedAt.toISOString()}: one queue behind the partition-throttle simulator at ${limit} write units/s a partition (DynamoDB: 1,000), DynamoDB Local in memory; node ${process.version}, ${cpus().length} CPUs, load ${loadBefore.map((l) => l.toFixed(1)).join('/')} before, ${loadavg()
      .map((l) => l.toFixed(1))
      .join('/')} after`,
    `Command: npm run bench -- --scale ${process.argv
      .slice(2)
      .filter((a) => a !== '--scale')
      .join(' ')}`.trimEnd(),
    '',
    table(
      [
        'shards',
        'msgs/s',
        'in window',
        'published',
        'acked',
        'lost',
        'dup',
        'order viol.',
        'req/msg',
        'throttled req',
        '503 retried',
        'AWS msgs/s/shard',
        'AWS msgs/s',
      ],
      results.map((r) => [
        r.shards,
        r.messagesPerSecond,
        r.windowMessagesPerSecond,
        r.published,
        r.acked,
        r.lost,
        r.duplicated,
        r.groupOrderViolations,
        r.requestsPerMessage,
        r.throttledRequests,
        r.unavailable,
        r.awsMessagesPerSecondPerShard,
        r.awsMessagesPerSecond,
      ]),
    ),
    '  (msgs/s: acked ÷ time from the first publish to the last ack, drain included; in window: acks within the publishing window ÷ window)',
    "  (AWS: msgs/s scaled by 1,000 ÷ the simulated limit, i.e. messages/s per shard × shards at DynamoDB's partition limit)",
    '',
    'Scale bars',
    ...judged.map(
      (bar) =>
        `  ${bar.pass === null ? '—   ' : bar.pass ? 'PASS' : 'FAIL'}  ${bar.bar.padEnd(72)} ${bar.limit.padEnd(7)} ${bar.measured}`,
    ),
  ].join('\n');
  console.log(out);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-scale.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), limit, windowMs, results, bars: judged }, null, 2)}\n`,
  );
  console.log(`\nWrote ${relative(process.cwd(), file)}`);
}
