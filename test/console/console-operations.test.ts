/**
 * The console's operator features in a real browser (Debian's Chromium), against the local server
 * as a user runs it (a child process with a consumer from POSTBOX_CONSUMERS): `/` and deep links,
 * the layout at 1,400 px, message rates, the local consumers, dead-letter reasons, redrive of one
 * message, bulk delete and redrive, and finding messages by id or attribute. Each kind of new
 * page is scanned with axe-core; no page may raise a script error, CSP violation or alert.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildConsole } from '../../console/build';
import { call, killEverything, type RunningServer, startServer } from '../e2e/local-server-process';
import { launchBrowser, screenshot, trackPages } from './browser';

const FLOW_MS = 120_000;
const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
/** The queue the server runs a consumer for: its handler fails bodies that say "fail". */
const CONSUMED = name('shop-orders');

let browser: Browser;
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postbox-console-ops-'));
  const handler = join(dir, 'orders-handler.mjs');
  writeFileSync(
    handler,
    `export const handler = async (event) => {\n  for (const r of event.Records) if (r.body.includes('fail')) throw new Error('told to fail');\n};\n`,
  );
  await buildConsole();
  [browser, server] = await Promise.all([
    launchBrowser(),
    startServer({
      PORT: '0',
      DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
      POSTBOX_TABLE: `console-ops-${randomUUID()}`,
      POSTBOX_CONSUMERS: `${CONSUMED}=${handler}#handler?batchSize=5&concurrency=2`,
    }),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  killEverything();
  rmSync(dir, { recursive: true, force: true });
});

const { newPage, expectClean, expectAccessible } = trackPages(() => browser);

async function createQueue(queue: string, config: object = {}): Promise<void> {
  const { status } = await call(`${server.url}/v1/queues/${queue}`, 'PUT', config);
  expect(status).toBe(201);
}

async function publish(queue: string, message: object): Promise<string> {
  const { status, json } = await call(`${server.url}/v1/queues/${queue}/messages`, 'POST', message);
  expect(status).toBe(201);
  return (json as { id: string }).id;
}

async function publishMany(queue: string, messages: object[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 25) {
    const { status } = await call(`${server.url}/v1/queues/${queue}/messages/batch`, 'POST', {
      messages: messages.slice(start, start + 25),
    });
    expect(status).toBe(200);
  }
}

/** Source queue `src` dead-letters into `dlq` after one receive; `n` messages are dead-lettered. */
async function deadLetters(n: number): Promise<{ source: string; dlq: string; ids: string[] }> {
  const source = name('work');
  const dlq = name('work-dlq');
  await createQueue(dlq);
  await createQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await publish(source, { body: { job: i } }));
  // Each delivered once with a lease that ends at once: dead-lettered by the next receive at the latest.
  await call(`${server.url}/v1/queues/${source}/receive`, 'POST', {
    maxMessages: 10,
    visibilityTimeoutSeconds: 0,
  });
  await call(`${server.url}/v1/queues/${source}/receive`, 'POST', {});
  const counts = await call(`${server.url}/v1/queues/${dlq}`, 'GET');
  expect((counts.json as { counts: { total: number } }).counts.total).toBe(n);
  return { source, dlq, ids };
}

const messageRows = (page: Page) => page.locator('table.messages tbody tr');

async function expectRows(page: Page, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = await messageRows(page).count();
    if (seen === n) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`expected ${n} message rows, saw ${seen}`);
}

const countOf = async (queue: string) =>
  ((await call(`${server.url}/v1/queues/${queue}`, 'GET')).json as { counts: { total: number } }).counts;

describe('addresses', () => {
  it(
    'sends / to the console and opens its pages by path (deep links) as they open by hash',
    async () => {
      const queue = name('linked');
      await createQueue(queue);
      const id = await publish(queue, { body: { linked: true } });
      const page = await newPage();
      const root = await page.goto(`${server.url}/`);
      expect(root?.url()).toBe(`${server.url}/ui/`);
      await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();

      await page.goto(`${server.url}/ui/queues/${queue}`);
      await page.getByRole('heading', { name: `Queue ${queue}`, level: 1 }).waitFor();
      expect(page.url()).toBe(`${server.url}/ui/#/queues/${queue}`);

      await page.goto(`${server.url}/ui/queues/${queue}/messages/${id}`);
      await page.getByRole('heading', { name: `Message ${id}`, level: 1 }).waitFor();
      expect(await page.locator('pre.body').textContent()).toBe(JSON.stringify({ linked: true }, null, 2));
      // Its links are the console's own again: back to the queue by hash.
      await page.getByRole('link', { name: queue, exact: true }).first().click();
      await page.getByRole('heading', { name: `Queue ${queue}`, level: 1 }).waitFor();

      await page.goto(`${server.url}/ui/topics`);
      await page.getByRole('heading', { name: 'Topics', level: 1 }).waitFor();
      expectClean(page);
    },
    FLOW_MS,
  );
});

describe('layout at 1,400 px', () => {
  it(
    'fits the messages table without sideways scroll, with the Group column on screen, long previews, and chart ticks as times',
    async () => {
      const queue = name('wide');
      await createQueue(queue);
      const text = 'The quick brown fox jumps over the lazy dog while the queue keeps its order. '.repeat(4);
      await publishMany(
        queue,
        Array.from({ length: 5 }, (_, i) => ({
          body: { text, n: i },
          groupId: `customer-${i}`,
          attributes: { kind: 'wide' },
        })),
      );
      const page = await newPage();
      expect(page.viewportSize()?.width).toBe(1400);
      await page.goto(`${server.url}/ui/#/queues/${queue}`);
      await expectRows(page, 5);

      const layout = (await page.evaluate(`(() => {
        const wrap = document.querySelector('table.messages').parentElement;
        const group = [...document.querySelectorAll('table.messages thead th')].find((th) => th.textContent === 'Group');
        const cell = document.querySelector('table.messages td.preview');
        const probe = document.createElement('span');
        probe.textContent = '0'.repeat(10);
        cell.appendChild(probe);
        const charWidth = probe.getBoundingClientRect().width / 10;
        probe.remove();
        return {
          page: document.documentElement.scrollWidth,
          wrapScroll: wrap.scrollWidth,
          wrapClient: wrap.clientWidth,
          groupRight: group ? group.getBoundingClientRect().right : -1,
          groupText: document.querySelector('table.messages td.group').textContent,
          previewChars: Math.floor(cell.clientWidth / charWidth),
          ellipsis: getComputedStyle(cell).textOverflow,
        };
      })()`)) as Record<string, number | string>;
      expect(layout.page).toBeLessThanOrEqual(1400);
      expect(layout.wrapScroll).toBeLessThanOrEqual(layout.wrapClient as number);
      expect(layout.groupRight).toBeGreaterThan(0);
      expect(layout.groupRight).toBeLessThanOrEqual(1400);
      expect(layout.groupText).toBe('customer-0');
      expect(layout.previewChars).toBeGreaterThanOrEqual(50);
      expect(layout.ellipsis).toBe('ellipsis');

      // A few samples in, the time axis is labelled with whole seconds.
      const host = page.locator('.chart-host');
      let ticks: string[] = [];
      for (let deadline = Date.now() + 15_000; ticks.length < 2 && Date.now() < deadline; ) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 250));
        ticks = ((await host.getAttribute('data-ticks')) ?? '').split(' ').filter(Boolean);
      }
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      for (const tick of ticks) expect(tick).toMatch(/^\d{2}:\d{2}:\d{2}$/);
      expectClean(page);
    },
    FLOW_MS,
  );
});

describe('rates and consumers', () => {
  it(
    'shows published, delivered and acked per second, and the local consumer idle, handling, then failing',
    async () => {
      const page = await newPage();
      await page.goto(`${server.url}/ui/#/queues/${CONSUMED}`);
      // The queue does not exist yet: the consumer's receives fail, and it says so.
      await page.getByRole('heading', { name: `Queue ${CONSUMED}`, level: 1 }).waitFor();
      await page.getByRole('alert').filter({ hasText: 'QueueNotFound (404)' }).waitFor();
      await createQueue(CONSUMED);
      const consumer = page
        .getByRole('table', { name: `Consumers of ${CONSUMED}` })
        .getByRole('row')
        .nth(1);
      await consumer.getByRole('rowheader', { name: /orders-handler\.mjs#handler$/ }).waitFor();
      await consumer.locator('[data-state="idle"]').waitFor();
      expect(await consumer.getByRole('cell').nth(1).textContent()).toBe('5');
      expect(await consumer.getByRole('cell').nth(2).textContent()).toBe('2');

      await publishMany(
        CONSUMED,
        Array.from({ length: 6 }, (_, i) => ({ body: { order: i } })),
      );
      await page.locator('dd[data-total="published"]', { hasText: /^6 in all$/ }).waitFor();
      await page.locator('dd[data-total="delivered"]', { hasText: /^6 in all$/ }).waitFor();
      await page.locator('dd[data-total="acked"]', { hasText: /^6 in all$/ }).waitFor();
      expect(await page.locator('dd[data-rate="published"]').textContent()).toMatch(/^0\.[1-9]\/s$/);
      await consumer.locator('td[data-consumer-count="handled"]', { hasText: /^6$/ }).waitFor();
      await screenshot(page, 'queue-rates-consumers');

      await publish(CONSUMED, { body: 'please fail' });
      await consumer.locator('[data-state="failing"]').waitFor();
      await consumer.locator('td[data-consumer-count="failed"]', { hasText: /^1$/ }).waitFor();
      await consumer.getByText('Error: told to fail').waitFor();
      await expectAccessible(page);
    },
    FLOW_MS,
  );
});

describe('dead letters', () => {
  it(
    'shows why a message was dead-lettered, redrives one from its page, and redrives or deletes a selection',
    async () => {
      const { source, dlq, ids } = await deadLetters(3);
      const page = await newPage();
      await page.goto(`${server.url}/ui/#/queues/${dlq}`);
      await expectRows(page, 3);
      await messageRows(page)
        .first()
        .getByText(`from ${source}: maxReceiveCount reached (1 receive)`)
        .waitFor();

      // One, from its page.
      const first = ids[0] as string;
      await page.getByRole('link', { name: first, exact: true }).click();
      await page
        .locator('dl.details div', { hasText: 'Dead-letter reason' })
        .getByText('maxReceiveCount reached (1 receive)')
        .waitFor();
      await screenshot(page, 'message-dead-letter');
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Redrive message' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Moved to queue ${source}` })
        .waitFor();
      const back = await call(`${server.url}/v1/queues/${source}/messages/${first}`, 'GET');
      expect(back.json).toMatchObject({ id: first, receiveCount: 0, deadLetter: null, state: 'ready' });

      // A selection: one redriven, the other deleted.
      await page.goto(`${server.url}/ui/#/queues/${dlq}`);
      await expectRows(page, 2);
      const [second, third] = [ids[1] as string, ids[2] as string];
      await page.getByRole('checkbox', { name: `Select message ${second}` }).check();
      await page.getByText('1 message selected').waitFor();
      await page.getByRole('button', { name: 'Redrive selected' }).click();
      await page.getByRole('status').filter({ hasText: 'Redrove 1 message.' }).waitFor();
      await expectRows(page, 1);
      expect((await call(`${server.url}/v1/queues/${source}/messages/${second}`, 'GET')).status).toBe(200);

      await page.getByRole('checkbox', { name: 'Select all messages shown' }).check();
      expect(await page.getByRole('checkbox', { name: `Select message ${third}` }).isChecked()).toBe(true);
      await screenshot(page, 'queue-selection');
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Delete selected…' }).click();
      await page
        .getByRole('dialog', { name: 'Delete 1 message?' })
        .getByRole('button', { name: 'Delete 1 message' })
        .click();
      await page.getByRole('status').filter({ hasText: 'Deleted 1 message.' }).waitFor();
      await page.getByText('No messages in this state.').waitFor();
      expect(await countOf(dlq)).toMatchObject({ total: 0 });
      expect(await countOf(source)).toMatchObject({ total: 2 });
      expectClean(page);
    },
    FLOW_MS,
  );

  it(
    'reports each message a bulk redrive could not move',
    async () => {
      const queue = name('plain');
      await createQueue(queue);
      const id = await publish(queue, { body: 'not a dead letter' });
      const page = await newPage();
      await page.goto(`${server.url}/ui/#/queues/${queue}`);
      await page.getByRole('checkbox', { name: `Select message ${id}` }).check();
      await page.getByRole('button', { name: 'Redrive selected' }).click();
      await page.getByRole('status').filter({ hasText: 'Redrove 0 messages; 1 failed.' }).waitFor();
      await page.getByText(`${id}: Conflict (409)`).waitFor();
      expect(await countOf(queue)).toMatchObject({ total: 1 });
      expectClean(page);
    },
    FLOW_MS,
  );
});

describe('finding messages', () => {
  it(
    'finds one by id, and by attribute with a scan of at most 1,000 messages a step',
    async () => {
      const queue = name('haystack');
      await createQueue(queue);
      await publishMany(
        queue,
        Array.from({ length: 1_030 }, (_, i) => ({
          body: { n: i },
          attributes: { kind: i === 1_020 ? 'needle' : i % 2 === 0 ? 'even' : 'odd' },
        })),
      );
      const target = await publish(queue, { body: 'find me', attributes: { kind: 'late' } });
      const page = await newPage();
      const browses: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes(`/v1/queues/${queue}/messages?`)) browses.push(request.url());
      });
      await page.goto(`${server.url}/ui/#/queues/${queue}`);
      await expectRows(page, 20);

      // By id: one GET, then the message's page.
      await page.getByLabel('Message id').fill('nosuchmessage');
      await page.getByRole('button', { name: 'Find by id' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: `No message nosuchmessage in queue ${queue}` })
        .waitFor();
      await page.getByLabel('Message id').fill(target);
      await page.getByRole('button', { name: 'Find by id' }).click();
      await page.getByRole('heading', { name: `Message ${target}`, level: 1 }).waitFor();
      await page.goBack();
      await expectRows(page, 20);

      // By attribute: the first step reads 1,000 messages and stops.
      const before = browses.length;
      await page.getByLabel('Attribute key').fill('kind');
      await page.getByLabel('Value', { exact: true }).fill('needle');
      await page.getByRole('button', { name: 'Find by attribute' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: '0 messages with kind = needle among the 1,000 read' })
        .waitFor({ timeout: 30_000 });
      expect(browses.length - before).toBe(10);
      for (const url of browses.slice(before)) expect(new URL(url).searchParams.get('limit')).toBe('100');
      await page.getByRole('button', { name: 'Search further' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: '1 message with kind = needle among the 1,031 read (all of them in this state).' })
        .waitFor({ timeout: 30_000 });
      await expectRows(page, 1);
      await messageRows(page).first().getByText('{"n":1020}').waitFor();
      await screenshot(page, 'queue-search');
      await expectAccessible(page);

      await page.getByRole('button', { name: 'Back to all messages' }).click();
      await expectRows(page, 20);
      expectClean(page);
    },
    FLOW_MS,
  );
});

describe('pause, resume and the rate limit', () => {
  it(
    'pauses the consumed queue with a button (its consumer is not invoked), shows it, and resumes it',
    async () => {
      // Created here or by an earlier test of this file (PUT is idempotent).
      expect((await call(`${server.url}/v1/queues/${CONSUMED}`, 'PUT', {})).status).toBeLessThan(300);
      const page = await newPage();
      await page.goto(`${server.url}/ui/#/queues/${CONSUMED}`);
      await page.getByText('Delivering.').waitFor();
      await page.getByRole('button', { name: 'Pause deliveries' }).click();
      await page.locator('[data-paused="true"]').waitFor();
      await page.getByRole('heading', { name: `Queue ${CONSUMED} paused`, level: 1 }).waitFor();
      expect((await call(`${server.url}/v1/queues/${CONSUMED}`, 'GET')).json).toMatchObject({ paused: true });
      await expectAccessible(page);

      // Earlier tests of this file may have left a failed message waiting out its retry delay.
      const before = (await countOf(CONSUMED)) as { ready: number; total: number };
      const held = await publish(CONSUMED, { body: 'held while paused' });
      // The consumer's long polls look again at least every half second: give it a few rounds.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await countOf(CONSUMED)).toMatchObject({
        ready: before.ready + 1,
        inFlight: 0,
        total: before.total + 1,
      });
      await page.goto(`${server.url}/ui/#/queues`);
      await page.getByRole('row', { name: new RegExp(`${CONSUMED} paused`) }).waitFor();

      await page.goto(`${server.url}/ui/#/queues/${CONSUMED}`);
      await page.getByRole('button', { name: 'Resume deliveries' }).click();
      await page.locator('[data-paused="false"]').waitFor();
      // Delivered and acked once resumed: the held message is gone.
      const gone = async () =>
        (await call(`${server.url}/v1/queues/${CONSUMED}/messages/${held}`, 'GET')).status === 404;
      const deadline = Date.now() + 20_000;
      while (!(await gone()) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await gone()).toBe(true);
      expectClean(page);
    },
    FLOW_MS,
  );

  it(
    'sets and clears a rate limit in the configuration form, refusing a rate of 0',
    async () => {
      const queue = name('limited');
      await createQueue(queue);
      const page = await newPage();
      await page.goto(`${server.url}/ui/#/queues/${queue}`);
      await page.getByText('No rate limit.').waitFor();
      await page.getByLabel('Rate limit (messages/s)').fill('0');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByText('Enter a number above 0.').waitFor();
      await page.getByLabel('Rate limit (messages/s)').fill('2.5');
      await page.getByLabel('Burst').fill('5');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
      expect((await call(`${server.url}/v1/queues/${queue}`, 'GET')).json).toMatchObject({
        rateLimit: { perSecond: 2.5, burst: 5 },
      });
      await page.getByText('Rate limit: 2.5 a second, bursts of 5.').waitFor();
      await page.getByLabel('Rate limit (messages/s)').fill('');
      await page.getByLabel('Burst').fill('');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
      expect((await call(`${server.url}/v1/queues/${queue}`, 'GET')).json).toMatchObject({ rateLimit: null });
      expectClean(page);
    },
    FLOW_MS,
  );

  it(
    'sets and clears groupLimits (maxInFlight, perSecond, key) in the configuration form, refusing 0 and a bad key',
    async () => {
      const queue = name('grouped');
      await createQueue(queue);
      const page = await newPage();
      await page.goto(`${server.url}/ui/#/queues/${queue}`);
      const field = page.getByLabel('In flight per message group');
      await field.fill('0');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByText('Must be between 1 and 1000.').waitFor();
      await field.fill('5');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
      expect((await call(`${server.url}/v1/queues/${queue}`, 'GET')).json).toMatchObject({
        groupLimits: { maxInFlight: 5 },
      });
      const rate = page.getByLabel('Starts per second per message group');
      await rate.fill('0');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByText('Enter a number above 0.').waitFor();
      await rate.fill('2.5');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
      expect((await call(`${server.url}/v1/queues/${queue}`, 'GET')).json).toMatchObject({
        groupLimits: { maxInFlight: 5, perSecond: 2.5 },
      });
      const key = page.getByLabel('Limit key attribute');
      await key.fill('bad key');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByText("An attribute name: 1-64 letters, digits, '_', '.' or '-'.").waitFor();
      await key.fill('tenant');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
      expect((await call(`${server.url}/v1/queues/${queue}`, 'GET')).json).toMatchObject({
        groupLimits: { maxInFlight: 5, perSecond: 2.5, key: 'tenant' },
      });
      await key.fill('');
      await rate.fill('');
      await field.fill('');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
      expect((await call(`${server.url}/v1/queues/${queue}`, 'GET')).json).toMatchObject({
        groupLimits: null,
      });
      expectClean(page);
    },
    FLOW_MS,
  );
});
