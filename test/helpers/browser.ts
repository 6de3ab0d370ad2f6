/**
 * Debian's Chromium for the tests that need a real browser (installed by .ci/run; playwright-core
 * drives it, since browser downloads are not possible here).
 */
import { chromium, type Browser, type Page } from 'playwright-core';

/** Headless Chromium with its own background network traffic turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page with what it logged as errors or warnings and every request it made. */
export interface WatchedPage {
  page: Page;
  errors: string[];
  requests: string[];
}

/** Opens `url` in a new page, recording console errors and requests, and waits for the report to be ready. */
export async function openReport(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 });
  return { page, errors, requests };
}
