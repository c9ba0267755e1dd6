// Chromium and the whole demo for one test file: the browser launched when the file loads (absent
// when Chromium is missing outside CI, and the file's suite skipped), every role started once
// before the file's tests and closed, with the browser, after them.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Locale } from '../../src/platform/i18n/i18n.ts';
import { launchBrowser } from '../../src/platform/testing/browser.ts';
import { startTestDemo, type TestDemo } from '../../src/platform/testing/demo-harness.ts';

/** Every role's start, seed included: longer than other hooks on a busy machine. */
const START_TIMEOUT = 240_000;

export interface Viewport {
  width: number;
  height: number;
}

export class DemoStack {
  /** Undefined when Chromium is missing: the file's suite is then skipped (`describe.skipIf`). */
  readonly browser: Browser | undefined;
  #demo: TestDemo | undefined;

  private constructor(browser: Browser | undefined) {
    this.browser = browser;
  }

  /** Launches the browser now and registers the demo's start and the closing of both. */
  static async forFile(startTimeout = START_TIMEOUT): Promise<DemoStack> {
    const stack = new DemoStack(await launchBrowser());
    beforeAll(async () => {
      if (stack.browser) stack.#demo = await startTestDemo();
    }, startTimeout);
    afterAll(async () => {
      await stack.browser?.close();
      await stack.#demo?.close();
    });
    return stack;
  }

  /** The running demo (its addresses, roles and mail sink). */
  get demo(): TestDemo {
    if (!this.#demo) throw new Error('the demo is not running: used outside a test, or Chromium is missing');
    return this.#demo;
  }

  /** A browser context of its own (its own cookies), in `locale`. */
  newContext(locale: Locale = 'zh-TW', viewport?: Viewport): Promise<BrowserContext> {
    if (!this.browser) throw new Error('Chromium is missing');
    return this.browser.newContext({ locale, ...(viewport ? { viewport } : {}) });
  }

  /** A page in a browser context of its own, in `locale`. */
  async newPage(locale: Locale = 'zh-TW', viewport?: Viewport): Promise<Page> {
    return (await this.newContext(locale, viewport)).newPage();
  }
}
