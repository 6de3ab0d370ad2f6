/**
 * Debian's Chromium for the tests that need a real browser (installed by .ci/run; playwright-core
 * drives it, since browser downloads are not possible here).
 */
import { chromium, type Browser } from 'playwright-core';

/** Headless Chromium with its own background network traffic turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
