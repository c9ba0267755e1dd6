import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { missingService } from './services.ts';

export const CHROMIUM_PATH = process.env.EDUGATE_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

/** Debian's Chromium, headless; never a downloaded browser. Undefined when absent outside CI. */
export async function launchBrowser(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM_PATH)) {
    missingService('Chromium', 'install it with `apt-get install chromium` (or set EDUGATE_CHROMIUM)');
    return undefined;
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/** Saves a screenshot of the current step as a test artifact (test-artifacts/<suite>/<step>.png). */
export async function screenshot(page: Page, suite: string, step: string): Promise<void> {
  const dir = join(ARTIFACTS_DIR, suite);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${step}.png`), fullPage: true });
}
