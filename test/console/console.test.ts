/**
 * The web console in a real browser (Debian's Chromium through playwright-core), against the
 * local server as a user runs it (a child process, on the test run's DynamoDB Local), and
 * through `postbox ui`. Every page is also scanned with axe-core, and no page may raise a script
 * error, a Content-Security-Policy violation or an alert.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildConsole } from '../../console/build';
import { binPath } from '../cli/run-cli';
import { call, killEverything, type RunningServer, startServer } from '../e2e/local-server-process';
import { launchBrowser, screenshot, trackPages } from './browser';

const TOKEN = `console-token-${randomUUID()}`;
/** A flow takes a few seconds; much more only on a loaded machine. */
const FLOW_MS = 120_000;

let browser: Browser;
let open: RunningServer;
let guarded: RunningServer;

const serverEnv = (extra: Record<string, string> = {}) => ({
  PORT: '0',
  DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
  POSTBOX_TABLE: `console-${randomUUID()}`,
  ...extra,
});

beforeAll(async () => {
  // The console as its sources are now (npm test builds it first too).
  await buildConsole();
  [browser, open, guarded] = await Promise.all([
    launchBrowser(),
    startServer(serverEnv()),
    startServer(serverEnv({ POSTBOX_TOKEN: TOKEN })),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  killEverything();
});

const { newPage, expectClean, expectAccessible } = trackPages(() => browser);

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function createQueue(url: string, queue: string, config: object = {}, headers = {}): Promise<void> {
  const { status } = await call(`${url}/v1/queues/${queue}`, 'PUT', config, headers);
  expect(status).toBe(201);
}

async function publishMany(url: string, queue: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 25) {
    const messages = Array.from({ length: Math.min(25, count - start) }, (_, i) => ({
      body: { n: start + i },
    }));
    const { status } = await call(`${url}/v1/queues/${queue}/messages/batch`, 'POST', { messages });
    expect(status).toBe(200);
  }
}

const count = (page: Page, key: string, value: number) =>
  page.locator(`dd[data-count="${key}"]`, { hasText: new RegExp(`^${value}$`) }).waitFor();

const messageRows = (page: Page) => page.locator('table.messages tbody tr');

describe('queues page', () => {
  it(
    'creates a queue through the form, checked like the API checks it, and shows API errors with their code',
    async () => {
      // Two queues from elsewhere first: a bounded one with a dead-letter queue, and messages.
      const jobs = name('jobs');
      await createQueue(open.url, `${jobs}-dlq`);
      await createQueue(open.url, jobs, {
        deadLetterQueue: `${jobs}-dlq`,
        maxReceiveCount: 5,
        maxMessages: 1000,
      });
      await publishMany(open.url, jobs, 3);
      await call(`${open.url}/v1/queues/${jobs}/messages`, 'POST', { body: 'later', delaySeconds: 600 });

      const page = await newPage();
      await page.goto(`${open.url}/ui/`);
      await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();
      const jobsRow = page
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: jobs, exact: true }) });
      await jobsRow.getByText(`${jobs}-dlq after 5 receives`).waitFor();
      await jobsRow.getByText('1,000 messages').waitFor();
      await jobsRow.locator('td[data-count="ready"]', { hasText: /^3$/ }).waitFor();
      await jobsRow.locator('td[data-count="delayed"]', { hasText: /^1$/ }).waitFor();

      await page.getByLabel('Queue name').fill('not a name!');
      await page.getByRole('button', { name: 'Create queue' }).click();
      await page.getByText("A queue name is 1-80 letters, digits, '_' or '-'").waitFor();
      expect(await page.getByLabel('Queue name').getAttribute('aria-invalid')).toBe('true');

      const queue = name('created');
      await page.getByLabel('Queue name').fill(queue);
      await page.getByLabel('Dead-letter queue').fill('no-such-queue');
      await page.getByRole('button', { name: 'Create queue' }).click();
      await page.getByRole('alert').filter({ hasText: 'QueueNotFound (404)' }).waitFor();

      await page.getByLabel('Dead-letter queue').fill('');
      await page.getByLabel('Visibility timeout (s)').fill('45');
      await page.getByRole('button', { name: 'Create queue' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Queue ${queue} created.` })
        .waitFor();
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: queue, exact: true }) });
      await row.getByText('45 s').waitFor();
      // The counts come from one GET of the queue, not from the list.
      await row.locator('td[data-count="total"]', { hasText: /^0$/ }).waitFor();
      await screenshot(page, 'queues');
      await expectAccessible(page);
    },
    FLOW_MS,
  );
});

describe('queue page', () => {
  it(
    'publishes through the form, shows the counts change, browses by state a page at a time, opens, cancels, purges',
    async () => {
      const queue = name('orders');
      await createQueue(open.url, queue);
      const page = await newPage();
      const browses: string[] = [];
      page.on('request', (request: Request) => {
        if (request.url().includes(`/v1/queues/${queue}/messages?`)) browses.push(request.url());
      });
      await page.goto(`${open.url}/ui/#/queues/${queue}`);
      await count(page, 'total', 0);

      // Publish through the form: a JSON body, a priority, an attribute.
      await page.getByLabel('Body', { exact: true }).fill('{"orderId": 42, "items": ["book", "pen"]}');
      await page.getByLabel('Priority', { exact: true }).fill('7');
      await page.getByLabel('Key 1').fill('type');
      await page.getByLabel('Value 1').fill('created');
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Published message' }).waitFor();
      await count(page, 'ready', 1);

      // A delayed one.
      await page.getByLabel('Body', { exact: true }).fill('{"later": true}');
      await page.getByLabel('After a delay').check();
      await page.getByLabel('Delay in seconds').fill('600');
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await count(page, 'delayed', 1);

      // More than a page: 45 more ready messages, from another client; the counts follow.
      await publishMany(open.url, queue, 45);
      await count(page, 'ready', 46);
      await count(page, 'total', 47);

      await page.getByLabel('State').selectOption('ready');
      await page.getByRole('button', { name: 'Refresh list' }).click();
      await expectRows(page, 20);
      // Delivery order: the priority-7 message first.
      await messageRows(page).first().getByText('"orderId":42').waitFor();
      await screenshot(page, 'queue');
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.getByText('Page 2').waitFor();
      await expectRows(page, 20);
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.getByText('Page 3').waitFor();
      await expectRows(page, 6);
      expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Previous page' }).first().click();
      await page.getByText('Page 2').waitFor();
      // Never the whole queue: pages of 20 through the cursor.
      expect(browses.length).toBeGreaterThanOrEqual(4);
      for (const url of browses) expect(new URL(url).searchParams.get('limit')).toBe('20');
      expect(browses.some((url) => new URL(url).searchParams.has('cursor'))).toBe(true);

      await page.getByLabel('State').selectOption('delayed');
      await expectRows(page, 1);
      await messageRows(page).first().getByText('delayed').waitFor();
      await expectAccessible(page);

      // Open the form-published message.
      await page.getByLabel('State').selectOption('ready');
      await expectRows(page, 20);
      await messageRows(page).first().getByRole('link').click();
      await page.getByRole('heading', { name: /^Message / }).waitFor();
      expect(await page.locator('pre.body').textContent()).toBe(
        JSON.stringify({ orderId: 42, items: ['book', 'pen'] }, null, 2),
      );
      await page.getByRole('row', { name: 'type created' }).waitFor();
      await page.locator('dl.details div', { hasText: 'Priority' }).getByText('7').waitFor();
      await screenshot(page, 'message');
      await expectAccessible(page);

      // Reschedule it: five minutes from now, priority 3.
      await page.getByLabel('After a delay from now').check();
      await page.getByLabel('Delay in seconds').fill('300');
      await page.getByLabel('Priority', { exact: true }).fill('3');
      await page.getByRole('button', { name: 'Reschedule', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Rescheduled.' }).waitFor();
      await page.locator('dl.details div', { hasText: 'State' }).getByText('delayed').waitFor();
      await page.locator('dl.details div', { hasText: 'Priority' }).getByText('3').waitFor();

      // Cancel it.
      const id = decodeURIComponent(page.url().split('/messages/')[1] ?? '');
      await page.getByRole('button', { name: 'Cancel message…' }).click();
      await page
        .getByRole('dialog', { name: 'Cancel this message?' })
        .getByRole('button', { name: 'Cancel message' })
        .click();
      await page.getByRole('status').filter({ hasText: 'cancelled' }).waitFor();
      expect((await call(`${open.url}/v1/queues/${queue}/messages/${id}`, 'GET')).status).toBe(404);

      // Change the configuration.
      await page.getByRole('link', { name: queue, exact: true }).first().click();
      await count(page, 'total', 46);
      await page.getByLabel('Visibility timeout (s)').fill('90');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
      const saved = await call(`${open.url}/v1/queues/${queue}`, 'GET');
      expect(saved.json).toMatchObject({ visibilityTimeoutSeconds: 90, order: 'fifo' });

      // Purge, after a confirmation that names the queue.
      await page.getByRole('button', { name: 'Purge queue…' }).click();
      const dialog = page.getByRole('dialog', { name: `Purge queue ${queue}?` });
      const confirm = dialog.getByRole('button', { name: `Purge ${queue}` });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(`Type ${queue} to confirm`).fill(queue);
      await confirm.click();
      await page
        .getByRole('status')
        .filter({ hasText: `Queue ${queue} purged.` })
        .waitFor();
      await count(page, 'total', 0);
      expectClean(page);
    },
    FLOW_MS,
  );

  it(
    'shows a dead letter’s source queue and redrives it back',
    async () => {
      const source = name('work');
      const dlq = name('work-dlq');
      await createQueue(open.url, dlq);
      await createQueue(open.url, source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
      await call(`${open.url}/v1/queues/${source}/messages`, 'POST', { body: { job: 1 } });
      // One delivery whose lease ends at once: dead-lettered, at the latest before the next receive returns.
      await call(`${open.url}/v1/queues/${source}/receive`, 'POST', { visibilityTimeoutSeconds: 0 });
      await call(`${open.url}/v1/queues/${source}/receive`, 'POST', {});

      const page = await newPage();
      await page.goto(`${open.url}/ui/#/queues/${dlq}`);
      await messageRows(page).first().getByText(`from ${source}`).waitFor();
      await messageRows(page).first().getByRole('link').click();
      await page
        .locator('dl.details div', { hasText: 'Dead-lettered from' })
        .getByRole('link', { name: source })
        .waitFor();
      await page.getByRole('link', { name: dlq, exact: true }).first().click();
      await page.getByRole('button', { name: 'Redrive', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Moved 1 message.' }).waitFor();
      await count(page, 'total', 0);
      const back = await call(`${open.url}/v1/queues/${source}`, 'GET');
      expect((back.json as { counts: { ready: number } }).counts.ready).toBe(1);
      expectClean(page);
    },
    FLOW_MS,
  );
});

/** Waits until the message table shows `n` rows (a new page replaces the old one's rows). */
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

describe('user data is text, never markup', () => {
  it(
    'shows bodies and attributes with HTML in them as text and runs nothing',
    async () => {
      const queue = name('xss');
      await createQueue(open.url, queue);
      const img = '<img src=x onerror=alert(1)>';
      const script = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
      await call(`${open.url}/v1/queues/${queue}/messages`, 'POST', {
        body: { html: script },
        attributes: { note: '<b onmouseover=alert(2)>bold</b>' },
      });
      const page = await newPage();
      await page.goto(`${open.url}/ui/#/queues/${queue}`);
      await count(page, 'total', 1);
      // And one through the form, as text.
      await page.getByLabel('Body', { exact: true }).fill(img);
      await page.getByLabel('Body is JSON').uncheck();
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await count(page, 'total', 2);
      await page.getByRole('button', { name: 'Refresh list' }).click();
      await expectRows(page, 2);
      await page.locator('td.preview', { hasText: img }).waitFor();

      await messageRows(page).filter({ hasText: '__pwned' }).getByRole('link').click();
      await page.locator('pre.body', { hasText: '<script>window.__pwned = 1</script>' }).waitFor();
      await page.getByRole('cell', { name: '<b onmouseover=alert(2)>bold</b>' }).waitFor();
      await page.goBack();
      await messageRows(page).filter({ hasText: img }).getByRole('link').click();
      expect(await page.locator('pre.body').textContent()).toBe(img);

      expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
      expect(await page.locator('#main img, #main script, #main b').count()).toBe(0);
      expect(await page.evaluate('document.scripts.length')).toBe(1);
      expectClean(page);
    },
    FLOW_MS,
  );
});

describe('topics', () => {
  it(
    'creates a topic with a filtered subscription and publishes to it',
    async () => {
      const queue = name('events');
      const topic = name('orders-topic');
      await createQueue(open.url, queue);
      const page = await newPage();
      await page.goto(`${open.url}/ui/#/topics`);
      await page.getByLabel('Topic name').fill(topic);
      await page.getByLabel('Queue 1').fill(queue);
      await page.getByLabel('Filter 1 (optional JSON)').fill('{"type": ["created"]}');
      await page.getByRole('button', { name: 'Create topic' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Topic ${topic} created.` })
        .waitFor();
      await page.getByRole('row').filter({ hasText: '{"type":["created"]}' }).first().waitFor();
      await screenshot(page, 'topics');
      await expectAccessible(page);

      await page.getByRole('link', { name: topic, exact: true }).click();
      await page.getByLabel('Body', { exact: true }).fill('{"orderId": 7}');
      await page.getByLabel('Key 1').fill('type');
      await page.getByLabel('Value 1').fill('created');
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Published to 1 queue: ${queue}.` })
        .waitFor();
      await page.getByLabel('Value 1').fill('deleted');
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'no subscription matched' }).waitFor();
      await screenshot(page, 'topic');
      await expectAccessible(page);
      const counts = await call(`${open.url}/v1/queues/${queue}`, 'GET');
      expect((counts.json as { counts: { total: number } }).counts.total).toBe(1);
    },
    FLOW_MS,
  );
});

describe('schedules', () => {
  it(
    'lists a schedule with its next firings, shows it firing on the local timer, and pauses it',
    async () => {
      const queue = name('ticks');
      const schedule = name('every-second');
      await createQueue(open.url, queue);
      const put = await call(`${open.url}/v1/schedules/${schedule}`, 'PUT', {
        everySeconds: 1,
        target: { queue },
        message: { body: { tick: true } },
      });
      expect(put.status).toBe(201);
      const page = await newPage();
      await page.goto(`${open.url}/ui/#/schedules`);
      const row = page.getByRole('row').filter({ hasText: schedule });
      await row.filter({ hasText: 'every 1 s' }).waitFor();
      expect(await row.locator('li').count()).toBe(5);
      // The local server's schedule timer fires it on time: messages arrive without any sweep.
      await expect
        .poll(
          async () => {
            const answer = await call(`${open.url}/v1/queues/${queue}`, 'GET');
            return (answer.json as { counts: { total: number } }).counts.total;
          },
          { timeout: 10_000 },
        )
        .toBeGreaterThanOrEqual(2);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await row.filter({ hasNotText: 'never' }).waitFor();
      await screenshot(page, 'schedules');
      await expectAccessible(page);

      await page.getByRole('button', { name: `Pause ${schedule}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Schedule ${schedule} paused.` })
        .waitFor();
      await row.filter({ hasText: 'paused' }).waitFor();
      const got = await call(`${open.url}/v1/schedules/${schedule}`, 'GET');
      expect(got.json).toMatchObject({ paused: true, nextFirings: [] });
      expectClean(page);
    },
    FLOW_MS,
  );
});

describe('a server with POSTBOX_TOKEN', () => {
  it(
    'asks for the token, refuses a wrong one, then works, keeping it in sessionStorage only',
    async () => {
      const queue = name('guarded');
      await createQueue(guarded.url, queue, {}, { authorization: `Bearer ${TOKEN}` });
      const page = await newPage();
      await page.goto(`${guarded.url}/ui/`);
      const dialog = page.getByRole('dialog', { name: 'This server needs a token' });
      await dialog.waitFor();
      await screenshot(page, 'token');
      await expectAccessible(page);

      await dialog.getByLabel('Token').fill('not-the-token');
      await dialog.getByRole('button', { name: 'Use token' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'refused that token' }).waitFor();

      await dialog.getByLabel('Token').fill(TOKEN);
      await dialog.getByRole('button', { name: 'Use token' }).click();
      await page.getByRole('link', { name: queue, exact: true }).waitFor();
      await dialog.waitFor({ state: 'hidden' });

      expect(page.url()).not.toContain(TOKEN);
      const stored = (await page.evaluate(
        '({ session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage), cookie: document.cookie })',
      )) as { session: string; local: string; cookie: string };
      expect(stored.session).toContain(TOKEN);
      expect(stored.local).not.toContain(TOKEN);
      expect(stored.cookie).toBe('');
    },
    FLOW_MS,
  );
});

describe('postbox ui', () => {
  let cli: ChildProcess | undefined;
  afterAll(() => {
    cli?.kill('SIGTERM');
  });

  it(
    'serves the console and forwards /v1 with the token, which the browser never sees',
    async () => {
      const queue = name('via-ui');
      await createQueue(guarded.url, queue, {}, { authorization: `Bearer ${TOKEN}` });
      cli = spawn(process.execPath, [binPath, 'ui', '--url', guarded.url, '--port', '0'], {
        env: { ...withoutPostboxVariables(), POSTBOX_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const ui = await readyUrl(cli);

      const page = await newPage();
      const seen: string[] = [];
      page.on('request', (request) => {
        seen.push(JSON.stringify(request.headers()), request.url(), request.postData() ?? '');
      });
      page.on('response', async (response) => {
        seen.push(JSON.stringify(response.headers()));
        seen.push(await response.text().catch(() => ''));
      });
      await page.goto(`${ui}/ui/`);
      await page.getByRole('link', { name: queue, exact: true }).waitFor();
      await page.getByRole('link', { name: queue, exact: true }).click();
      await count(page, 'total', 0);
      expect(await page.getByRole('dialog', { name: 'This server needs a token' }).isVisible()).toBe(false);
      const storage = await page.evaluate('JSON.stringify([sessionStorage, localStorage, document.cookie])');
      expect(seen.length).toBeGreaterThan(5);
      expect(seen.filter((entry) => entry.includes(TOKEN))).toEqual([]);
      expect(storage).not.toContain(TOKEN);
      expectClean(page);

      // Only the console's own requests are forwarded with the token.
      const bare = await call(`${ui}/v1/queues`, 'GET');
      expect(bare.status).toBe(403);
      const foreign = await call(`${ui}/v1/queues`, 'GET', undefined, {
        'x-postbox-console': '1',
        origin: 'http://evil.example',
      });
      expect(foreign.status).toBe(403);
      const own = await call(`${ui}/v1/queues`, 'GET', undefined, { 'x-postbox-console': '1' });
      expect(own.status).toBe(200);
    },
    FLOW_MS,
  );
});

function withoutPostboxVariables(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.POSTBOX_URL;
  delete env.POSTBOX_TOKEN;
  return env;
}

/** The console URL from `postbox ui`'s ready line. */
function readyUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`postbox ui not ready: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /Postbox console on (http:\/\/127\.0\.0\.1:\d+)\/ui\//.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`postbox ui exited (${code}): ${out}`)));
  });
}
