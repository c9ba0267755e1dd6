import type { Page } from 'playwright-core';
import { screenshot } from '../../src/platform/testing/browser.ts';

/** Saves a screenshot of the page at one step of a walk. */
export type Shot = (page: Page, step: string) => Promise<void>;

/** Screenshots of one suite numbered in the order they are taken: `01-home`, `02-terms`, … */
export function numberedShots(suite: string): Shot {
  let count = 0;
  return (page, step) => {
    count += 1;
    return screenshot(page, suite, `${String(count).padStart(2, '0')}-${step}`);
  };
}
