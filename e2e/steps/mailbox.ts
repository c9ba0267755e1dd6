import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestDemo } from '../../src/platform/testing/demo-harness.ts';
import type { Shot } from './shots.ts';

export interface MailQuery {
  to: string;
  /** A part of the subject. */
  subject: string;
}

interface ListedMail {
  to: string[];
  subject: string;
}

/** Polls the demo mailbox (its JSON view) until a mail matching the query has arrived. */
export async function waitForMail(demo: TestDemo, query: MailQuery, timeout = 15_000): Promise<void> {
  const url = `${demo.urls.landing}/api/mailbox?to=${encodeURIComponent(query.to)}`;
  await expect
    .poll(
      async () => {
        const mails = (await (await fetch(url)).json()) as ListedMail[];
        return mails.some((m) => m.subject.includes(query.subject));
      },
      { timeout, interval: 100, message: `a mail to ${query.to} about "${query.subject}"` },
    )
    .toBe(true);
}

/**
 * Opens the newest matching mail in the demo mailbox, as a person reading their mail would: the
 * landing page, its mailbox filtered by recipient, then the mail by its subject.
 */
export async function openMail(page: Page, demo: TestDemo, query: MailQuery, shot: Shot, step: string) {
  await waitForMail(demo, query);
  await page.goto(demo.urls.landing);
  await page.getByRole('link', { name: '示範信箱', exact: true }).click();
  await page.getByLabel('只看收件人').fill(query.to);
  await page.getByRole('button', { name: '篩選' }).click();
  await page.getByRole('link', { name: query.subject }).first().click();
  await page.getByRole('heading', { level: 1, name: query.subject }).waitFor();
  await shot(page, step);
}

/** Clicks the link of the open mail whose address contains `part`. */
export async function clickMailLink(page: Page, part: string): Promise<void> {
  const link = page.locator(`pre.mail-body a[href*="${part}"]`).first();
  expect(await link.count(), `a link with ${part} in the mail`).toBe(1);
  await link.click();
}

interface StoredMail extends ListedMail {
  id: string;
  text: string;
}

/**
 * Opens the newest mail to `to` whose text matches, whatever the language of its subject: the
 * mail's own page in the demo mailbox.
 */
export async function openMailMatching(
  page: Page,
  demo: TestDemo,
  to: string,
  match: (text: string) => boolean,
): Promise<void> {
  const url = `${demo.urls.landing}/api/mailbox?to=${encodeURIComponent(to)}`;
  let found: StoredMail | undefined;
  await expect
    .poll(
      async () => {
        const mails = (await (await fetch(url)).json()) as StoredMail[];
        // The mailbox lists the newest first.
        found = mails.find((m) => match(m.text));
        return found !== undefined;
      },
      { timeout: 15_000, interval: 100, message: `a matching mail to ${to}` },
    )
    .toBe(true);
  await page.goto(`${demo.urls.landing}/mailbox/${(found as StoredMail).id}`);
}

/** The address of the open mail's link that contains `part`. */
export async function mailLink(page: Page, part: string): Promise<string> {
  const link = page.locator(`pre.mail-body a[href*="${part}"]`).first();
  const href = await link.getAttribute('href');
  if (!href) throw new Error(`no link with ${part} in the mail`);
  return href;
}
