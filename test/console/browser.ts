/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser: `npx playwright install`
 * cannot reach its download from this machine, so /usr/bin/chromium it is),
 * with the flags that keep it off the network, and what the console tests check on every page:
 * no script error, no Content-Security-Policy violation, no alert, and an axe-core scan.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from '../e2e/local-server-process';

export const CHROMIUM = '/usr/bin/chromium';

/** Chromium would otherwise try Google's hosts at every start (refused here, noisy elsewhere). */
const QUIET_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-quic',
  '--metrics-recording-only',
  '--disable-gpu',
];

/** Fails loudly without Chromium: CI must not pass by skipping the browser tests. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the console's browser tests need it. Install it with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this).',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: QUIET_FLAGS, timeout: 30_000 });
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Script errors, CSP violations and dialogs seen so far: always expected to be empty. */
  problems: string[];
}

/**
 * A fresh context (its own sessionStorage) and page; axe needs a page from newContext(). 1,400 px
 * wide by default: the width the console's layout is checked at (and its screenshots taken at).
 */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1400, height: 900 },
): Promise<TestPage> {
  const context = await browser.newContext({ viewport, locale: 'en-GB' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog ${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  // A string: it runs in the page (this file is type-checked without DOM types).
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    console.error('Content Security Policy violation: ' + event.violatedDirective + ' ' + event.blockedURI);
  });`);
  return { context, page, problems };
}

/** axe-core on the page as it is: the serious and critical violations, in words (none expected). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} — ${violation.nodes
          .slice(0, 3)
          .map((node) => node.target.join(' '))
          .join(', ')}`,
    );
}

/** The pages a test file opened, and the checks every one of them must pass. */
export interface TrackedPages {
  /** A fresh page (openPage) whose problems expectClean later reads. */
  newPage: () => Promise<Page>;
  /** Nothing ran that should not have: no script error, CSP violation or alert. */
  expectClean: (page: Page) => void;
  /** Clean, and axe-core finds no serious or critical violation: once per kind of page (a scan takes seconds). */
  expectAccessible: (page: Page) => Promise<void>;
}

/** `browser` is read when a page is opened: the file's beforeAll launches it. */
export function trackPages(browser: () => Browser): TrackedPages {
  const pages: TestPage[] = [];
  const expectClean = (page: Page): void => {
    expect(pages.find((entry) => entry.page === page)?.problems).toEqual([]);
  };
  return {
    newPage: async () => {
      const opened = await openPage(browser());
      pages.push(opened);
      return opened.page;
    },
    expectClean,
    expectAccessible: async (page) => {
      expect(await accessibilityProblems(page)).toEqual([]);
      expectClean(page);
    },
  };
}

/** With POSTBOX_SCREENSHOTS=1 (`npm run screenshots`): docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.POSTBOX_SCREENSHOTS !== '1') return;
  const dir = join(repoRoot, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
