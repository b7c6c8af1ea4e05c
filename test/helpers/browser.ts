/**
 * A real headless Chromium for browser tests: the build npm `@sparticuz/chromium` ships
 * (unpacked to /tmp on first use), driven by playwright-core. Nothing to install beyond
 * `npm ci`. Each page records what a test asserts on: uncaught errors, console errors,
 * dialogs and requests that leave the page's origin.
 */
import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';

/** Flags that would make the browser laxer than a user's (same-origin policy, mixed content). */
const LAX_FLAGS = new Set(['--disable-web-security', '--allow-running-insecure-content', '--single-process']);

export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args.filter((a) => !LAX_FLAGS.has(a)), '--no-sandbox'],
    headless: true,
  });
}

export interface WatchedPage {
  page: Page;
  pageErrors: string[];
  consoleErrors: string[];
  dialogs: string[];
  offOrigin: string[];
}

export async function watchedPage(browser: Browser, origin: string): Promise<WatchedPage> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  const watched: WatchedPage = { page, pageErrors: [], consoleErrors: [], dialogs: [], offOrigin: [] };
  page.on('pageerror', (e) => watched.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') watched.consoleErrors.push(m.text());
  });
  page.on('dialog', (d) => {
    watched.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    const url = new URL(r.url());
    const from = url.protocol === 'blob:' ? new URL(url.pathname).origin : url.origin;
    if (from !== origin) watched.offOrigin.push(r.url());
  });
  return watched;
}
