/**
 * The `postbox` command end to end against the local server: output for people and --json for
 * scripts, exit codes, stdin and JSON Lines files, stats --watch, and --help.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PostboxClient } from '../../client/src';
import { freePort } from '../../functions/local/dynamodb-local';
import { type LocalPostbox, queueName, startPostbox } from '../client/support';
import { repoRoot } from '../e2e/local-server-process';
import { type CliOptions, runCli, spawnCli } from './run-cli';

let postbox: LocalPostbox;
let client: PostboxClient;
let dir: string;

beforeAll(async () => {
  postbox = await startPostbox();
  client = postbox.client();
  dir = mkdtempSync(join(tmpdir(), 'postbox-cli-'));
});
afterAll(async () => {
  await postbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The CLI pointed at the test server through the environment, as a user would set it up. */
const postboxCli = (args: string[], options: CliOptions = {}) =>
  runCli(args, {
    ...options,
    env: { POSTBOX_URL: postbox.url, POSTBOX_TOKEN: postbox.token, ...options.env },
  });

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

// Each test spawns the CLI several times (a node process with tsx each): generous on a busy machine.
vi.setConfig({ testTimeout: 90_000 });

describe('queues', () => {
  it('creates, shows, lists, purges and deletes a queue; a missing one exits 2', async () => {
    const queue = queueName();
    const created = await postboxCli([
      'queues',
      'create',
      queue,
      '--visibility-timeout',
      '45',
      '--order',
      'lifo',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Created queue ${queue}.`);
    expect(created.stdout).toMatch(/visibilityTimeoutSeconds\s+45/);

    await client.publish(queue, 'x');
    const got = await postboxCli(['queues', 'get', queue, '--json']);
    expect(json(got.stdout)).toMatchObject({ name: queue, order: 'lifo', counts: { ready: 1, total: 1 } });

    const listed = await postboxCli(['queues', 'list']);
    expect(listed.stdout).toMatch(/^NAME\s+ORDER\s+VISIBILITY/);
    expect(listed.stdout).toMatch(new RegExp(`^${queue}\\s+lifo\\s+45s`, 'm'));

    expect((await postboxCli(['queues', 'purge', queue])).stdout).toBe(`Purged queue ${queue}.\n`);
    expect((await postboxCli(['queues', 'delete', queue])).code).toBe(0);
    const missing = await postboxCli(['queues', 'get', queue]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`postbox: QueueNotFound: Queue '${queue}' does not exist.\n`);
  });
});

describe('queues pause, resume and --rate-limit', () => {
  it('pauses and resumes a queue; get shows paused and the rate limit', async () => {
    const queue = queueName();
    const created = await postboxCli(['queues', 'create', queue, '--rate-limit', '2.5:10']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/rateLimit\s+2\.5\/s, burst 10/);
    expect(created.stdout).toMatch(/paused\s+false/);
    expect((await postboxCli(['queues', 'pause', queue])).stdout).toBe(`Paused queue ${queue}.\n`);
    expect((await client.getQueue(queue)).paused).toBe(true);
    expect((await postboxCli(['queues', 'get', queue])).stdout).toMatch(/paused\s+true/);
    const resumed = await postboxCli(['queues', 'resume', queue, '--json']);
    expect(json(resumed.stdout)).toEqual({ resumed: queue });
    expect((await client.getQueue(queue)).paused).toBe(false);
    const dlq = queueName('dlq');
    await client.createQueue(dlq);
    await client.putQueue(queue, { deadLetterQueue: dlq, maxReceiveCount: 3 });
    // `none` clears each of the three settings that take it.
    const cleared = await postboxCli([
      'queues',
      'update',
      queue,
      '--rate-limit',
      'none',
      '--max-receive-count',
      'none',
      '--dead-letter-queue',
      'none',
      '--json',
    ]);
    expect(json(cleared.stdout)).toMatchObject({
      rateLimit: null,
      maxReceiveCount: null,
      deadLetterQueue: null,
    });
    const bad = await postboxCli(['queues', 'update', queue, '--rate-limit', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Not a rate');
    const missing = await postboxCli(['queues', 'pause', queueName('missing')]);
    expect(missing.code).toBe(2);
  });
});

describe('--group-limits', () => {
  it('sets, shows and clears groupLimits, perSecond included; refuses bad limits', async () => {
    const queue = queueName();
    const created = await postboxCli(['queues', 'create', queue, '--group-limits', '5']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/groupLimits\s+5 in flight per group/);
    expect((await client.getQueue(queue)).groupLimits).toEqual({ maxInFlight: 5 });
    const cleared = await postboxCli(['queues', 'update', queue, '--group-limits', 'none', '--json']);
    expect(json(cleared.stdout)).toMatchObject({ groupLimits: null });
    const bad = await postboxCli(['queues', 'update', queue, '--group-limits', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Not group limits');
    const rate = await postboxCli(['queues', 'update', queue, '--group-limits', '5:2.5/s']);
    expect(rate.code).toBe(0);
    expect(rate.stdout).toMatch(/groupLimits\s+5 in flight per group, 2.5\/s per group/);
    expect((await client.getQueue(queue)).groupLimits).toEqual({ maxInFlight: 5, perSecond: 2.5 });
    const paced = await postboxCli(['queues', 'update', queue, '--group-limits', ':4/s', '--json']);
    expect(json(paced.stdout)).toMatchObject({ groupLimits: { perSecond: 4 } });
    const zero = await postboxCli(['queues', 'update', queue, '--group-limits', ':0/s']);
    expect(zero.code).not.toBe(0);
    expect((await client.getQueue(queue)).groupLimits).toEqual({ perSecond: 4 });
    const keyed = await postboxCli(['queues', 'update', queue, '--group-limits', '3:2/s@tenant.id']);
    expect(keyed.stdout).toMatch(
      /groupLimits\s+3 in flight per group, 2\/s per group, groups by attribute tenant.id/,
    );
    expect((await client.getQueue(queue)).groupLimits).toEqual({
      maxInFlight: 3,
      perSecond: 2,
      key: 'tenant.id',
    });
    const keyOnly = await postboxCli(['queues', 'update', queue, '--group-limits', '@tenant', '--json']);
    expect(json(keyOnly.stdout)).toMatchObject({ groupLimits: { key: 'tenant' } });
    const badKey = await postboxCli(['queues', 'update', queue, '--group-limits', '5@bad key']);
    expect(badKey.code).not.toBe(0);
    expect((await client.getQueue(queue)).groupLimits).toEqual({ key: 'tenant' });
  });
});

describe('publish, receive, ack', () => {
  it('publishes a JSON body with options and from stdin, receives and acks; a second ack exits 3', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const first = await postboxCli([
      'publish',
      queue,
      '{"orderId": 42}',
      '--priority',
      '5',
      '--attr',
      'region=eu',
      '--json',
    ]);
    expect(first.code).toBe(0);
    const { id } = json(first.stdout);
    const piped = await postboxCli(['publish', queue, '-'], { input: 'plain text\n' });
    expect(piped.stdout).toMatch(/^published\s+\S+\ndeliverAt\s+\S+\n$/);

    const received = await postboxCli(['receive', queue, '--max', '10', '--json']);
    const messages = json(received.stdout).messages as {
      id: string;
      body: unknown;
      receipt: string;
      attributes: object;
    }[];
    expect(messages.map((m) => m.body)).toEqual([{ orderId: 42 }, 'plain text']);
    expect(messages[0]).toMatchObject({ id, attributes: { region: 'eu' } });

    const receipts = messages.map((m) => m.receipt);
    const acked = await postboxCli(['ack', queue, ...receipts]);
    expect(acked).toMatchObject({ code: 0, stdout: 'Acked 2 of 2 messages.\n' });
    const again = await postboxCli(['ack', queue, receipts[0] ?? '', '--json']);
    expect(again.code).toBe(3);
    expect(json(again.stderr)).toMatchObject({ error: { status: 409, code: 'ReceiptExpired' } });
  });

  it('prints received messages for people, and releases and extends by receipt', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publish(queue, { hello: 'world' }, { groupId: 'g1' });
    const received = await postboxCli(['receive', queue]);
    expect(received.stdout).toMatch(/^id\s+\S+\nreceiveCount\s+1\npriority\s+0\n/);
    expect(received.stdout).toMatch(/groupId\s+g1\n/);
    expect(received.stdout).toMatch(/body\s+\{"hello":"world"\}\n$/);
    const receipt = /receipt\s+(\S+)/.exec(received.stdout)?.[1] ?? '';

    const extended = await postboxCli(['extend', queue, receipt, '--visibility-timeout', '600', '--json']);
    expect(Date.parse(String(json(extended.stdout).leaseExpiresAt))).toBeGreaterThan(Date.now() + 500_000);
    expect((await postboxCli(['release', queue, receipt])).stdout).toBe('Released 1 message.\n');
    expect((await client.getQueue(queue)).counts).toMatchObject({ ready: 1, inFlight: 0 });
  });

  it('publishes a JSON Lines file 25 per request, with a summary; a bad line exits 1', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const lines = [
      ...Array.from({ length: 30 }, (_, n) => JSON.stringify({ n })),
      '',
      'not json',
      JSON.stringify({ body: 'urgent', priority: 9 }),
    ];
    const file = join(dir, 'messages.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const people = await postboxCli(['publish', queue, '--file', file, '--attr', 'source=file']);
    expect(people.code).toBe(1);
    expect(people.stdout).toMatch(
      new RegExp(`^Published 31 messages to ${queue} in [\\d.]+ s; 1 failed:\\n  line 32: InvalidJson`),
    );
    expect(people.stdout).toContain(
      `line 32: InvalidJson: Line 32 is not JSON (Unexpected token 'o', "not json" is not valid JSON); not published.`,
    );

    const [head] = await client.receive(queue);
    expect(head).toMatchObject({ body: 'urgent', priority: 9, attributes: { source: 'file' } });
    expect((await client.getQueue(queue)).counts.total).toBe(31);

    writeFileSync(
      file,
      `${JSON.stringify({ body: 1, deduplicationId: 'same' })}\n${JSON.stringify({ body: 2, deduplicationId: 'same' })}\n`,
    );
    const scripted = await postboxCli(['publish', queue, '--file', file, '--json']);
    expect(scripted.code).toBe(0);
    expect(json(scripted.stdout)).toEqual({ published: 1, duplicates: 1, failed: 0, failures: [] });
  });
});

describe('browse, messages, stats, redrive', () => {
  it('browses as a table, reschedules, gets and deletes a message', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const { id } = await client.publish(queue, { n: 1 }, { delaySeconds: 600 });
    const browsed = await postboxCli(['browse', queue, '--state', 'delayed']);
    expect(browsed.stdout).toMatch(/^ID\s+STATE\s+PRI\s+RECEIVES\s+DELIVER AT\s+GROUP\s+BODY\n/);
    expect(browsed.stdout).toMatch(
      new RegExp(`^${id}\\s+delayed\\s+0\\s+0\\s+\\S+\\s+-\\s+\\{"n":1\\}$`, 'm'),
    );

    const rescheduled = await postboxCli([
      'messages',
      'reschedule',
      queue,
      id,
      '--delay',
      '0',
      '--priority',
      '3',
      '--json',
    ]);
    expect(json(rescheduled.stdout)).toMatchObject({ id, state: 'ready', priority: 3 });
    expect((await postboxCli(['messages', 'get', queue, id])).stdout).toMatch(/state\s+ready\n/);
    expect((await postboxCli(['messages', 'delete', queue, id])).stdout).toBe(`Deleted message ${id}.\n`);
  });

  it('refreshes stats with --watch until interrupted, then exits 0', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publish(queue, 'a');
    const child = spawnCli(['stats', queue, '--watch', '--interval', '0.2', '--json'], {
      env: { POSTBOX_URL: postbox.url, POSTBOX_TOKEN: postbox.token },
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const twoLines = new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.split('\n').length > 2) resolve();
      });
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await twoLines;
    await client.publish(queue, 'b');
    const seen = out.split('\n').length;
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', () => {
        if (out.split('\n').length > seen + 1) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    clearTimeout(timer);
    const frames = out
      .trim()
      .split('\n')
      .map((line) => json(line) as { queues: { name: string; counts: { ready: number } }[] });
    expect(frames[0]?.queues).toEqual([
      { name: queue, counts: { ready: 1, delayed: 0, inFlight: 0, total: 1 } },
    ]);
    expect(frames.at(-1)?.queues[0]?.counts.ready).toBe(2);
  });

  it('prints stats as a table and redrives dead letters', async () => {
    const source = queueName('src');
    const dlq = queueName('dlq');
    await client.createQueue(dlq);
    await client.createQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    await client.publish(source, 'poison');
    const [message] = await client.receive(source);
    await client.release(source, message?.receipt ?? '');

    const stats = await postboxCli(['stats', source, dlq]);
    expect(stats.stdout).toMatch(/^QUEUE\s+READY\s+DELAYED\s+IN FLIGHT\s+TOTAL\n/);
    expect(stats.stdout).toMatch(new RegExp(`^${dlq}\\s+1\\s+0\\s+0\\s+1$`, 'm'));
    const redriven = await postboxCli(['redrive', dlq]);
    expect(redriven).toMatchObject({ code: 0, stdout: `Moved 1 message out of ${dlq}.\n` });
  });
});

describe('topics', () => {
  it('creates a topic with a filtered subscription and publishes to it', async () => {
    const topic = queueName('topic');
    const eu = queueName('eu');
    const all = queueName('all');
    await client.createQueue(eu);
    await client.createQueue(all);
    const created = await postboxCli([
      'topics',
      'create',
      topic,
      '--subscribe',
      all,
      '--subscribe',
      `${eu}?region=eu,uk`,
    ]);
    expect(created.stdout).toContain(`Created topic ${topic}.`);
    expect(created.stdout).toContain(`${eu} when region in [eu, uk]`);
    const got = await postboxCli(['topics', 'get', topic, '--json']);
    expect(json(got.stdout).subscriptions).toEqual([
      { queue: all },
      { queue: eu, filter: { region: ['eu', 'uk'] } },
    ]);

    const published = await postboxCli(['topics', 'publish', topic, '"hi"', '--attr', 'region=uk', '--json']);
    const deliveries = json(published.stdout).deliveries as { queue: string }[];
    expect(deliveries.map((d) => d.queue).sort()).toEqual([all, eu].sort());
    const [listed, deleted] = await Promise.all([
      postboxCli(['topics', 'list']),
      postboxCli(['topics', 'delete', queueName('never-created')]),
    ]);
    expect(listed.stdout).toMatch(
      new RegExp(`^${topic}\\s+${all}; ${eu} when region in \\[eu, uk\\]\\s+\\S+$`, 'm'),
    );
    expect(deleted.code).toBe(2);
  });
});

describe('schedules', () => {
  it('puts, lists, gets, pauses, resumes and deletes a schedule; a missing one exits 2', async () => {
    const queue = queueName('sched');
    await client.createQueue(queue);
    const name = queueName('report');
    const put = await postboxCli([
      'schedules',
      'put',
      name,
      '{"report":"daily"}',
      '--cron',
      '0 9 * * 1-5',
      '--tz',
      'Europe/Berlin',
      '--queue',
      queue,
      '--attr',
      'kind=report',
    ]);
    expect(put.stdout).toContain(`Created schedule ${name}.`);
    expect(put.stdout).toMatch(/fires\s+cron 0 9 \* \* 1-5 \(Europe\/Berlin\)/);
    const got = json((await postboxCli(['schedules', 'get', name, '--json'])).stdout);
    expect(got).toMatchObject({
      target: { queue },
      message: { body: { report: 'daily' }, attributes: { kind: 'report' } },
      paused: false,
    });
    expect(got.nextFirings).toHaveLength(5);
    const listed = await postboxCli(['schedules', 'list']);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^${name}\\s+cron 0 9 \\* \\* 1-5 \\(Europe/Berlin\\)\\s+queue ${queue}\\s+\\S+\\s+active$`,
        'm',
      ),
    );

    const paused = json((await postboxCli(['schedules', 'pause', name, '--json'])).stdout);
    expect(paused).toMatchObject({ paused: true, nextFirings: [] });
    const resumed = await postboxCli(['schedules', 'resume', name]);
    expect(resumed.stdout).toContain(`Resumed schedule ${name}.`);

    const [deleted, missing, usage] = await Promise.all([
      postboxCli(['schedules', 'delete', name]),
      postboxCli(['schedules', 'get', queueName('never-created')]),
      postboxCli(['schedules', 'put', name, '1', '--every', '5']),
    ]);
    expect(deleted.stdout).toContain(`Deleted schedule ${name}.`);
    expect(missing.code).toBe(2);
    expect(usage).toMatchObject({ code: 1, stderr: 'postbox: Give exactly one of --queue and --topic.\n' });
  });
});

describe('exit codes, auth and help', () => {
  it('exits 1 on usage errors, before any request', async () => {
    const [bad, missing, empty] = await Promise.all([
      postboxCli(['publish', 'q', 'x', '--priority', '12']),
      postboxCli(['extend', 'q', 'r']),
      postboxCli(['publish', 'q', '-'], { input: '' }),
    ]);
    expect(empty).toMatchObject({
      code: 1,
      stderr: `postbox: No body: stdin was empty (an empty string is '""').\n`,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("option '--priority <0-9>' argument '12' is invalid");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--visibility-timeout <seconds>' not specified");
  });

  it('refuses a BODY meant as JSON that does not parse, before any request, unless --string', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const lines = join(dir, 'text-lines.txt');
    writeFileSync(lines, 'first line\n{not json\n');
    const [malformed, piped, forced, text, file] = await Promise.all([
      postboxCli(['publish', queue, '{"a":']),
      postboxCli(['publish', queue, '-'], { input: '[1, 2\n' }),
      postboxCli(['publish', queue, '{"a":', '--string', '--json']),
      postboxCli(['publish', queue, '42 apples', '--json']),
      postboxCli(['publish', queue, '--file', lines, '--string', '--json']),
    ]);
    expect(malformed).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'postbox: BODY looks like JSON but does not parse (Unexpected end of JSON input). ' +
        'Correct it, or add --string to send it as text.\n',
    });
    expect(piped.code).toBe(1);
    expect(piped.stderr).toMatch(/^postbox: The body on stdin looks like JSON but does not parse/);
    expect(forced.code).toBe(0);
    expect(text.code).toBe(0);
    expect(json(file.stdout)).toEqual({ published: 2, duplicates: 0, failed: 0, failures: [] });
    const bodies = (await client.browse(queue)).messages.map((message) => message.body);
    expect(bodies.sort()).toEqual(['42 apples', 'first line', '{"a":', '{not json']);
  });

  it('exits 5 on a wrong token and 4 when the server cannot be reached', async () => {
    const port = await freePort();
    const [wrong, away] = await Promise.all([
      postboxCli(['queues', 'list'], { env: { POSTBOX_TOKEN: 'wrong' } }),
      runCli(['health', '--url', `http://127.0.0.1:${port}`, '--timeout', '2']),
    ]);
    expect(wrong).toMatchObject({
      code: 5,
      stderr: 'postbox: Unauthorized: Missing or wrong bearer token.\n',
    });
    expect(away.code).toBe(4);
    expect(away.stderr).toMatch(/^postbox: NetworkError: Cannot reach/);
  });

  it('documents every command and the exit codes in --help, with or without the bundle', async () => {
    const [help, sub, viaTsx] = await Promise.all([
      runCli(['--help']),
      runCli(['topics', 'create', '--help']),
      // The fallback without the esbuild bundle (bin.js): the same CLI through tsx.
      runCli(['--version'], { env: { POSTBOX_CLI_TSX: '1' } }),
    ]);
    expect(viaTsx).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(help.code).toBe(0);
    for (const command of [
      'queues',
      'publish',
      'receive',
      'ack',
      'release',
      'extend',
      'browse',
      'stats',
      'redrive',
      'topics',
      'schedules',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(help.stdout).toContain('Exit codes:');
    expect(sub.stdout).toContain('--subscribe <queue[?key=v1,v2]>');
    expect(sub.stdout).toContain('--url <url>');
  });

  it('runs as `npm run postbox --` and as `npx postbox`', async () => {
    const exec = promisify(execFile);
    const env = { ...process.env, POSTBOX_URL: postbox.url };
    const [viaScript, viaNpx] = await Promise.all([
      exec('npm', ['run', '--silent', 'postbox', '--', 'health', '--json'], {
        cwd: repoRoot,
        env,
        timeout: 60_000,
      }),
      // --no-install: only the package's own bin, never the registry.
      exec('npx', ['--no-install', 'postbox', 'health'], { cwd: repoRoot, env, timeout: 60_000 }),
    ]);
    expect(json(viaScript.stdout)).toEqual({ status: 'ok' });
    expect(viaNpx.stdout).toBe(`${postbox.url}: ok\n`);
  });
});
