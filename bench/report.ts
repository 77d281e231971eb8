/**
 * The bench's results: the performance bars (docs/performance.md, "Bars") judged, a readable
 * table, and the chart's series.
 */
import type { Panel } from './chart';
import type { IdleResults } from './idle';
import type {
  BacklogResults,
  ConcurrencyResults,
  ConsumerStartResults,
  CostResults,
  DelayResults,
  GroupResults,
  LatencyResults,
  PerMessage,
} from './phases';
import type { RateResults } from './rate';

export interface Results {
  startedAt: string;
  mode: 'quick' | 'full';
  command: string;
  machine: { node: string; cpus: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  store: string;
  seconds: number;
  costs: CostResults;
  backlog: BacklogResults;
  groups: GroupResults;
  concurrency: ConcurrencyResults[];
  latency: LatencyResults;
  delay: DelayResults;
  consumerStart: ConsumerStartResults;
  /** Absent in results written before the idle phase existed. */
  idle?: IdleResults;
  /** Absent in results written before the rate phase existed. */
  rate?: RateResults;
  /** 503 answers the bench's clients got (and retried) during the measured phases. */
  unavailableAnswers: number;
  /** Requests of the concurrent loops that failed and were skipped, by reason. */
  clientFailures: Record<string, number>;
  bars: Bar[];
}

export interface Bar {
  bar: string;
  limit: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function judgeBars(r: Omit<Results, 'bars'>): Bar[] {
  const bars: Bar[] = [];
  bars.push({
    bar: 'DynamoDB requests per message, publish → receive → ack one at a time',
    limit: '≤ 5',
    measured: fmt(r.costs.single.requestsPerMessage),
    pass: r.costs.single.requestsPerMessage <= 5,
  });
  bars.push({
    bar: 'DynamoDB requests per message in batches of 10 (publish 10, receive 10, ack 10)',
    limit: '≤ 2.5',
    measured: fmt(r.costs.batch10.requestsPerMessage),
    pass: r.costs.batch10.requestsPerMessage <= 2.5,
  });
  const backlogSize = `${r.backlog.delayed.toLocaleString('en')} delayed + ${r.backlog.inFlight.toLocaleString('en')} in flight`;
  const fullBacklog = r.backlog.delayed >= 10_000 && r.backlog.inFlight >= 1_000;
  bars.push({
    bar: `Items read by one receive, ${backlogSize}${fullBacklog ? '' : ' (smaller than the bar’s 10,000 + 1,000)'}`,
    limit: '≤ 10',
    measured: `${r.backlog.maxItemsRead} (max of ${r.backlog.probes.length})`,
    pass: fullBacklog ? r.backlog.maxItemsRead <= 10 : null,
  });
  const one = r.concurrency.find((c) => c.drain.consumers === 1);
  const sixteen = r.concurrency.find((c) => c.drain.consumers === 16);
  if (one && sixteen) {
    const ratio = sixteen.drain.writesPerDelivered / one.drain.writesPerDelivered;
    bars.push({
      bar: 'Write requests per delivered message, 16 consumers vs 1 (draining a backlog)',
      limit: '≤ 1.5×',
      measured: `${fmt(sixteen.drain.writesPerDelivered)} vs ${fmt(one.drain.writesPerDelivered)} = ${fmt(ratio)}×`,
      pass: ratio <= 1.5,
    });
    const loop = sixteen.e2e.consumerWritesPerMessage / one.e2e.consumerWritesPerMessage;
    bars.push({
      bar: 'The same, closed loop (16 workers each publish, receive, ack; claim + ack writes only)',
      limit: '≤ 1.5×',
      measured: `${fmt(sixteen.e2e.consumerWritesPerMessage)} vs ${fmt(one.e2e.consumerWritesPerMessage)} = ${fmt(loop)}×`,
      pass: loop <= 1.5,
    });
  }
  for (const c of r.concurrency) {
    const measured = c.e2e.messages > 0 && Number.isFinite(c.e2e.ratio);
    bars.push({
      bar: `Messages/s end to end through HTTP ÷ raw DynamoDB Local calls of the same count, ${c.e2e.workers} at a time`,
      limit: '≥ 0.5',
      measured: `${fmt(c.e2e.messagesPerSecond, 0)} ÷ ${fmt(c.e2e.raw.messagesPerSecond, 0)} = ${fmt(c.e2e.ratio)}`,
      pass: measured ? c.e2e.ratio >= 0.5 : null,
    });
  }
  bars.push({
    bar: 'A delayed message reaches a long-polling consumer after its due time, p99',
    limit: '≤ 1000 ms',
    measured: `${fmt(r.delay.latenessMs.p99, 0)} ms (${r.delay.delivered} of ${r.delay.published}${r.delay.early ? `, ${r.delay.early} early` : ''})`,
    pass:
      r.delay.published === 0
        ? null
        : r.delay.delivered === r.delay.published && r.delay.early === 0 && r.delay.latenessMs.p99 <= 1000,
  });
  const start = r.consumerStart.sameServer;
  bars.push({
    bar: 'Publish → event-driven consumer handler start, p50 (local consumers, publish through their server)',
    limit: '≤ 100 ms',
    measured: start.n > 0 ? `${fmt(start.p50, 0)} ms (n ${start.n})` : 'not measured',
    pass: start.n > 0 ? start.p50 <= 100 : null,
  });
  const idle = r.idle?.samples.find((sample) => sample.queues === 500);
  bars.push({
    bar: 'Idle DynamoDB requests/s of the local server, 500 queues holding delayed messages (counting proxy)',
    limit: '≤ 2 /s',
    measured: idle
      ? `${fmt(idle.requestsPerSecond)} /s (${idle.requests} in ${fmt(idle.seconds, 1)} s)`
      : 'not measured',
    pass: idle ? idle.requestsPerSecond <= 2 : null,
  });
  const rate = r.rate;
  bars.push({
    bar: `A queue limited to N/s delivers N/s ± 10 % to 16 competing consumers over 30 s${rate && rate.seconds < 30 ? ` (here ${rate.seconds} s: reported, not judged)` : ''}`,
    limit: '0.9–1.1 × N',
    measured: rate
      ? `${fmt(rate.deliveredPerSecond)} /s ÷ ${rate.perSecond} = ${fmt(rate.ratio, 3)} (${rate.delivered} in ${rate.seconds} s, ${rate.consumers} consumers)`
      : 'not measured',
    pass: rate && rate.seconds >= 30 && rate.consumers >= 16 ? rate.ratio >= 0.9 && rate.ratio <= 1.1 : null,
  });
  return bars;
}

function table(header: string[], rows: (string | number)[][], rightFrom = 1): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    `  ${row.map((cell, i) => (i >= rightFrom ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(header), ...cells.slice(1).map(line)].join('\n');
}

const commands = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .sort((a, b) => b[1] - a[1])
    .map(([command, n]) => `${command} ${n}`)
    .join(', ');

const costRow = (name: string, m: PerMessage) => [
  name,
  m.messages,
  fmt(m.requestsPerMessage),
  fmt(m.writeRequestsPerMessage),
  fmt(m.writeUnitsPerMessage),
  fmt(m.readUnitsPerMessage),
  commands(m.byCommand),
];

const ms = (value: number) => fmt(value, 0);

export function renderTable(r: Results): string {
  const out: string[] = [];
  out.push(
    `Postbox bench (${r.mode}) ${r.startedAt}: ${r.store}; node ${r.machine.node}, ${r.machine.cpus} CPUs, load ${r.machine.loadAverageBefore.map((l) => l.toFixed(1)).join('/')} before, ${r.machine.loadAverageAfter.map((l) => l.toFixed(1)).join('/')} after; ${r.seconds.toFixed(0)} s`,
    `Command: ${r.command}; 503 answers retried by the clients: ${r.unavailableAnswers}; failed requests skipped: ${JSON.stringify(r.clientFailures)}`,
    '',
    'DynamoDB requests per message through HTTP (counted by SDK middleware; units as DynamoDB Local reports them)',
    table(
      ['pattern', 'msgs', 'req/msg', 'writes/msg', 'WCU/msg', 'RCU/msg', 'requests'],
      [costRow('one at a time', r.costs.single), costRow('batches of 10', r.costs.batch10)],
    ),
    '',
    'One receive (publish 1, then receive 1 through HTTP), with a backlog in the queue',
    table(
      ['backlog', 'requests', 'items read', 'setup s'],
      [
        [
          `${r.backlog.delayed} delayed + ${r.backlog.inFlight} in flight`,
          `${r.backlog.maxRequests}`,
          `${r.backlog.maxItemsRead}`,
          fmt(r.backlog.setupSeconds, 0),
        ],
        [
          `${r.groups.groups} groups, ${r.groups.blocked} blocked (head in flight)`,
          `${r.groups.maxRequests}`,
          `${r.groups.maxItemsRead}`,
          fmt(r.groups.setupSeconds, 0),
        ],
      ],
    ),
    `  (max over ${r.backlog.probes.length} receives each)`,
    '',
    'Competing consumers draining a pre-filled queue through HTTP (receive 1 + ack each)',
    table(
      ['consumers', 'delivered', 'msgs/s', 'writes/msg', 'lost claims', 'empty rcv', 'p50 ms', 'p99 ms'],
      r.concurrency.map(({ drain: d }) => [
        d.consumers,
        `${d.delivered}${d.complete ? '' : ' (deadline)'}`,
        fmt(d.messagesPerSecond, 0),
        fmt(d.writesPerDelivered),
        d.lostClaims,
        d.emptyReceives,
        ms(d.latencyMs.p50),
        ms(d.latencyMs.p99),
      ]),
    ),
    '',
    'End to end through HTTP (each worker: publish → receive → ack) vs the same DynamoDB requests sent raw',
    table(
      [
        'workers',
        'msgs',
        'req/msg',
        'HTTP msgs/s',
        'raw msgs/s',
        'ratio',
        'lost claims',
        'cycle p50',
        'cycle p99',
        'raw req p50',
        'raw req p99',
      ],
      r.concurrency.map(({ e2e: e }) => [
        e.workers,
        `${e.messages}${e.complete ? '' : ' (deadline)'}`,
        fmt(e.requestsPerMessage),
        fmt(e.messagesPerSecond, 0),
        fmt(e.raw.messagesPerSecond, 0),
        fmt(e.ratio),
        e.lostClaims,
        ms(e.cycleMs.p50),
        ms(e.cycleMs.p99),
        ms(e.raw.latencyMs.p50),
        ms(e.raw.latencyMs.p99),
      ]),
    ),
    '',
    'Latency (ms)',
    table(
      ['what', 'n', 'p50', 'p99', 'max'],
      [
        [
          'publish → receive, long poll, same server',
          r.latency.sameServer.n,
          ms(r.latency.sameServer.p50),
          ms(r.latency.sameServer.p99),
          ms(r.latency.sameServer.max),
        ],
        [
          'publish → receive, long poll, published via another server',
          r.latency.otherServer.n,
          ms(r.latency.otherServer.p50),
          ms(r.latency.otherServer.p99),
          ms(r.latency.otherServer.max),
        ],
        [
          'delayed message: due → delivered to a long poll',
          r.delay.latenessMs.n,
          ms(r.delay.latenessMs.p50),
          ms(r.delay.latenessMs.p99),
          ms(r.delay.latenessMs.max),
        ],
        [
          'publish → event-driven consumer handler start, same server',
          r.consumerStart.sameServer.n,
          ms(r.consumerStart.sameServer.p50),
          ms(r.consumerStart.sameServer.p99),
          ms(r.consumerStart.sameServer.max),
        ],
        [
          'publish → event-driven consumer handler start, via another server',
          r.consumerStart.otherServer.n,
          ms(r.consumerStart.otherServer.p50),
          ms(r.consumerStart.otherServer.p99),
          ms(r.consumerStart.otherServer.max),
        ],
      ],
    ),
    '',
    'Idle local server (functions/local/main.ts as a process; its DynamoDB requests counted by a proxy)',
    table(
      ['queues (1 delayed message each)', 'req/s', 'requests', 'window s', 'requests', 'start-up pass'],
      (r.idle?.samples ?? []).map((s) => [
        s.queues,
        fmt(s.requestsPerSecond),
        s.requests,
        fmt(s.seconds, 1),
        commands(s.byCommand) || '–',
        `${s.startupRequests} req in ${fmt(s.startupSeconds, 1)} s`,
      ]),
    ),
    '',
    'Rate limit (rateLimit, a token bucket in the store) with competing consumers on two servers through HTTP',
    table(
      [
        'limit',
        'consumers',
        'window s',
        'delivered',
        'msgs/s',
        '÷ limit',
        'steady msgs/s',
        'busiest s',
        'empty rcv',
      ],
      r.rate
        ? [
            [
              `${r.rate.perSecond}/s, burst ${r.rate.burst}`,
              r.rate.consumers,
              r.rate.seconds,
              r.rate.delivered,
              fmt(r.rate.deliveredPerSecond),
              fmt(r.rate.ratio, 3),
              fmt(r.rate.steadyPerSecond),
              r.rate.busiestSecond,
              `${r.rate.emptyReceives} of ${r.rate.receives}`,
            ],
          ]
        : [],
    ),
    '',
    'Performance bars',
    table(
      ['', 'bar', 'limit', 'measured'],
      r.bars.map((b) => [b.pass === null ? 'n/a ' : b.pass ? 'PASS' : 'FAIL', b.bar, b.limit, b.measured]),
      99,
    ),
  );
  return out.join('\n');
}

export function chartPanels(r: Results): Panel[] {
  const points = (pick: (c: ConcurrencyResults) => number) =>
    r.concurrency.map((c) => ({ x: c.e2e.workers, y: pick(c) }));
  return [
    {
      title: 'Throughput',
      yLabel: 'messages/s',
      series: [
        {
          name: 'HTTP end to end (publish → receive → ack)',
          color: '#1f77b4',
          points: points((c) => c.e2e.messagesPerSecond),
        },
        {
          name: 'raw DynamoDB Local, same requests',
          color: '#ff7f0e',
          dashed: true,
          points: points((c) => c.e2e.raw.messagesPerSecond),
        },
        {
          name: 'draining a backlog (receive + ack)',
          color: '#2ca02c',
          points: points((c) => c.drain.messagesPerSecond),
        },
      ],
    },
    {
      title: 'Latency',
      yLabel: 'ms',
      series: [
        { name: 'end-to-end cycle p50', color: '#1f77b4', points: points((c) => c.e2e.cycleMs.p50) },
        {
          name: 'end-to-end cycle p99',
          color: '#1f77b4',
          dashed: true,
          points: points((c) => c.e2e.cycleMs.p99),
        },
        { name: 'raw request p50', color: '#ff7f0e', points: points((c) => c.e2e.raw.latencyMs.p50) },
        {
          name: 'raw request p99',
          color: '#ff7f0e',
          dashed: true,
          points: points((c) => c.e2e.raw.latencyMs.p99),
        },
      ],
    },
  ];
}
