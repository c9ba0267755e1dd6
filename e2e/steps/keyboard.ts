// A person who uses only the keyboard: Tab moves the focus, Enter and Space act, characters type.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const MAX_TABS = 60;

/**
 * Presses Tab until the element matching `selector` has the focus, and checks that the focus
 * can be seen there (an outline). Fails when Tab never reaches it.
 */
export async function tabTo(page: Page, selector: string): Promise<void> {
  for (let presses = 0; presses < MAX_TABS; presses += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
    if (focused) {
      const outline = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement as Element);
        return style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
      });
      expect(outline, `the focus on ${selector} can be seen`).toBe(true);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector} on ${page.url()}`);
}

/** Tabs to a field and types into it. */
export async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

/** Tabs to a link or button and presses a key on it (Enter or Space); waits for the next page. */
export async function activate(
  page: Page,
  selector: string,
  key: 'Enter' | 'Space' = 'Enter',
): Promise<void> {
  await tabTo(page, selector);
  await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
}
