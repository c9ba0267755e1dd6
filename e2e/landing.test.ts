import { describe, expect, it } from 'vitest';
import { screenshot } from '../src/platform/testing/browser.ts';
import { DemoStack } from './steps/stack.ts';

const stack = await DemoStack.forFile();

describe.skipIf(!stack.browser)('demo landing page', () => {
  it('lists every service, switches to English and back', async () => {
    const { demo } = stack;
    const page = await stack.newPage('zh-TW');
    await page.goto(demo.urls.landing);
    expect(await page.locator('h1').textContent()).toBe('EduGate 示範環境');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-TW');
    const links = await page.locator('table a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(
      expect.arrayContaining([
        `${demo.urls.county}/cyc`,
        `${demo.urls.county}/tn`,
        demo.urls.cloud,
        demo.urls.workspace,
        demo.urls.google,
      ]),
    );
    expect(await page.content()).toContain('EduGate-demo-2026');
    await screenshot(page, 'landing', '01-zh-TW');

    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.locator('h1').textContent()).toBe('EduGate demo');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await screenshot(page, 'landing', '02-en');

    await page.getByRole('link', { name: '繁體中文' }).click();
    expect(await page.locator('h1').textContent()).toBe('EduGate 示範環境');
    await page.close();
  });

  it('answers on every role with a page, never an error', async () => {
    const { demo } = stack;
    for (const url of [`${demo.urls.county}/cyc`, demo.urls.cloud, demo.urls.workspace, demo.urls.google]) {
      const response = await fetch(url, { headers: { accept: 'text/html' } });
      expect(response.status, url).toBeLessThan(400);
      expect((await fetch(`${url.replace(/\/cyc$/, '')}/readyz`)).status, url).toBe(200);
    }
  });
});
