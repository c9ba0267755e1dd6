// Checks every page of the browser walk against what a person using it would meet: WCAG 2.1 AA
// (axe-core in the page), phone widths (no sideways scrolling of the page at 390 and 360 px) and
// language (only the page's language, no catalogue keys or event codes shown raw).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { cloudMessages } from '../../src/cloud/messages.ts';
import { samlMessages } from '../../src/cloud/saml/messages.ts';
import { countyMessages } from '../../src/county/messages.ts';
import { countyOidcMessages } from '../../src/county/oidc/messages.ts';
import { landingMessages } from '../../src/demo/landing/messages.ts';
import { DEMO_COUNTY_ACCOUNTS, DEMO_TENANTS } from '../../src/platform/federation/seed-data.ts';
import type { Catalogue, Locale } from '../../src/platform/i18n/i18n.ts';
import { platformMessages } from '../../src/platform/i18n/platform-messages.ts';
import { oidcMessages } from '../../src/platform/oidc/messages.ts';
import { googleMessages } from '../../src/workspace/emulator/google/messages.ts';
import { workspaceMessages } from '../../src/workspace/messages.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const CATALOGUES: Catalogue[] = [
  platformMessages,
  oidcMessages,
  countyMessages,
  countyOidcMessages,
  cloudMessages,
  samlMessages,
  workspaceMessages,
  googleMessages,
  landingMessages,
];
const CATALOGUE_KEYS = new Set(CATALOGUES.flatMap((c) => Object.keys(c['zh-TW'])));

/** Phone widths every page must fit without the page scrolling sideways. */
export const PHONE_WIDTHS = [390, 360] as const;
export const DESKTOP = { width: 1280, height: 900 } as const;
/**
 * How long a test waits for what a page's script shows after a request to the server (the name
 * check): seconds on a busy machine, not the one second `expect.poll` waits by default.
 */
export const ANSWER = { timeout: 10_000 } as const;

/**
 * Proper names a page in English still writes in Chinese: the counties, their portals and
 * schools, and the demo people, all data of the county portals rather than interface text.
 */
const CHINESE_PROPER_NAMES: string[] = [
  ...DEMO_TENANTS.flatMap((t) => [t.name, t.portalName, ...t.units.flatMap((u) => [u.name, u.abbreviation])]),
  ...DEMO_COUNTY_ACCOUNTS.flatMap((a) => [a.realName, a.familyName, a.givenName, ...a.titles]),
  // The demo's school reviewers are named after their school.
  ...DEMO_TENANTS.flatMap((t) => t.units.map((u) => `${u.abbreviation}審核人員`)),
  // Announcement categories, typed by the county's administrators exactly so.
  '本站公告',
  '服務說明',
  // Names of registered applications (OIDC clients) and of the cloud's seeded administrator.
  '教育雲端帳號',
  'G Suite for Education 啟用入口',
  '教育雲管理者',
  // The language switch names the other language in that language.
  '繁體中文',
].sort((a, b) => b.length - a.length);

/**
 * Latin words a page in Chinese may show: product and protocol names, the switch to English,
 * and the names of the demo data.
 */
const LATIN_ALLOWED = new Set(
  [
    'EduGate',
    'Google',
    'Workspace',
    'G',
    'Suite',
    'for',
    'Education',
    'OpenID',
    'Connect',
    'OIDC',
    'SAML',
    'Email',
    'E-mail',
    'ID',
    'CSV',
    'IP',
    'English',
    'SMTP',
    'API',
    'Directory',
    'Admin',
    'SDK',
    'Markdown',
    'HTML',
    'VPN',
    // Wi-Fi roaming and VPN (RADIUS) terms, named as the standards and devices name them.
    'RADIUS',
    'FreeRADIUS',
    'NAS',
    'TANet',
    'MAC',
    'SSID',
    'EAP',
    'TTLS',
    'PAP',
    'CA',
    // Protocol terms of the administrators' pages (OIDC, SAML).
    'Issuer',
    'URI',
    'Scopes',
    'NameID',
    'ACS',
    'IdP',
    'SSO',
    'SP',
    'XML',
    'metadata',
  ].map((w) => w.toLowerCase()),
);

/** Protocol terms of more than one word, left in English on Chinese pages as the standards name them. */
const LATIN_PHRASES =
  /\b(?:client id|client secret|relying parties|redirect uri|entity id|edugate radius config)\b/gi;

/** What was found wrong on one page, as lines for the test's failure message. */
export type Findings = string[];

interface TextPiece {
  text: string;
  lang: string;
  /** Inside translate="no": data shown as it is, not interface text. */
  data: boolean;
}

/** The text a person reads or hears on the page, with the language each piece is marked in. */
async function readableText(page: Page): Promise<TextPiece[]> {
  return page.evaluate(() => {
    const pieces: { text: string; lang: string; data: boolean }[] = [];
    const langOf = (el: Element | null) => el?.closest('[lang]')?.getAttribute('lang') ?? '';
    const dataOf = (el: Element) => el.closest('[translate="no"]') !== null;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      const text = node.textContent?.trim();
      if (!parent || !text) continue;
      if (parent.closest('script, style, template, noscript')) continue;
      if (!parent.checkVisibility({ visibilityProperty: true }) && !parent.closest('.skip')) continue;
      pieces.push({ text, lang: langOf(parent), data: dataOf(parent) });
    }
    const attributes = ['title', 'placeholder', 'aria-label', 'alt', 'aria-description'];
    for (const el of document.querySelectorAll('*')) {
      for (const name of attributes) {
        const value = el.getAttribute(name)?.trim();
        if (value) pieces.push({ text: value, lang: langOf(el), data: dataOf(el) });
      }
      if (el instanceof HTMLInputElement && ['submit', 'button'].includes(el.type) && el.value) {
        pieces.push({ text: el.value, lang: langOf(el), data: dataOf(el) });
      }
    }
    // The title repeats the heading; data in the heading is data in the title too.
    let title = document.title;
    const pageLang = document.documentElement.lang;
    for (const el of document.querySelectorAll('[translate="no"], body [lang]')) {
      if (el.getAttribute('translate') !== 'no' && el.getAttribute('lang') === pageLang) continue;
      for (const part of [el, ...el.querySelectorAll('h1')]) {
        const data = part.textContent?.trim();
        if (data) title = title.split(data).join(' ');
      }
    }
    pieces.push({ text: title, lang: document.documentElement.lang, data: false });
    return pieces;
  });
}

const URL_OR_ADDRESS =
  /\b(?:https?:\/\/\S+|[\w.+-]+@[\w.-]+|[\w-]+(?:\.[\w-]+)*\.(?:tw|org|com|net|test|localhost)\b)/g;
const DOTTED = /\b[a-z][a-z0-9_]+(?:\.[a-z0-9_]+)+\b/g;
/** Certificate fingerprints (AB:CD:…). */
const FINGERPRINTS = /\b[0-9A-F]{2}(?::[0-9A-F]{2})+\b/g;
const FILE_NAMES = /\.(?:csv|css|js|json|xml|png)$/;
/** Paths of a site (/cyc, /admin/clients) and lists of field names (code,name,mailbox). */
const PATHS = /(?<![\w/])\/[\w/.-]*/g;
const FIELD_LISTS = /\b[a-z_]+(?:,[a-z_]+)+\b/g;

/** The demo's user names: county accounts, every school's reviewer (rv- + mailbox name), the cloud's. */
const USER_NAMES: string[] = [
  ...DEMO_COUNTY_ACCOUNTS.map((a) => a.username),
  // County codes, client IDs and scope names: identifiers an administrator types.
  ...DEMO_TENANTS.map((t) => t.code),
  'educloud',
  'k12cc-workspace',
  'openid',
  'profile',
  'email',
  'eduinfo',
  'educloudroles',
  'exchangedata',
  ...DEMO_TENANTS.flatMap((t) => t.units.map((u) => `rv-${u.mailbox.split('@')[0]}`)),
  'cloudadmin',
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function languageFindings(pieces: TextPiece[], locale: Locale, names: readonly string[]): Findings {
  const found = new Set<string>();
  const userNames = [...USER_NAMES, ...names].sort((a, b) => b.length - a.length);
  for (const { text, lang, data } of pieces) {
    for (const token of text.match(DOTTED) ?? []) {
      if (CATALOGUE_KEYS.has(token)) found.add(`catalogue key shown raw: "${token}" in "${text}"`);
    }
    // Data marked translate="no" (a device's browser string, a mail as it was sent, record details).
    if (data) continue;
    let plain = text
      .replace(URL_OR_ADDRESS, ' ')
      .replace(PATHS, ' ')
      .replace(FIELD_LISTS, ' ')
      .replace(FINGERPRINTS, ' ')
      .replace(LATIN_PHRASES, ' ');
    for (const name of userNames)
      plain = plain.split(new RegExp(`(?<![\\w.-])${escapeRegExp(name)}(?![\\w-])`)).join(' ');
    for (const token of plain.match(DOTTED) ?? []) {
      if (!CATALOGUE_KEYS.has(token) && !FILE_NAMES.test(token))
        found.add(`code shown raw: "${token}" in "${text}"`);
    }
    // Text marked as another language (lang="…") is read out in that language: not a slip.
    const pieceLocale = lang.startsWith('zh') ? 'zh-TW' : lang.startsWith('en') ? 'en' : locale;
    if (pieceLocale !== locale) continue;
    if (locale === 'en') {
      let rest = plain;
      for (const name of CHINESE_PROPER_NAMES) rest = rest.split(name).join(' ');
      if (/\p{Script=Han}/u.test(rest)) found.add(`Chinese on an English page: "${text}"`);
    } else {
      // Identifiers (user names, codes, versions) hold digits or punctuation; words do not.
      const words = plain
        .split(/[^\p{L}\p{N}._\-']+/u)
        .filter((w) => /^[A-Za-z]+(?:['-][A-Za-z]+)*$/.test(w) && w.length > 1);
      const english = words.filter((w) => !LATIN_ALLOWED.has(w.toLowerCase()));
      if (english.length > 0) found.add(`English on a zh-TW page: "${english.join(' ')}" in "${text}"`);
    }
  }
  return [...found];
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

async function axeFindings(page: Page): Promise<Findings> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    type Axe = {
      run: (
        context: Document,
        options: object,
      ) => Promise<{
        violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
      }>;
    };
    const axe = (window as unknown as { axe: Axe }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')),
    }));
  });
  return (violations as AxeViolation[]).map(
    (v) => `axe ${v.id} (${v.impact ?? '-'}): ${v.help} → ${v.targets.join(' | ')}`,
  );
}

/** At each phone width: whether the page scrolls sideways, and which elements stick out. */
async function widthFindings(page: Page): Promise<Findings> {
  const found: Findings = [];
  const shown = page.viewportSize() ?? DESKTOP;
  for (const width of PHONE_WIDTHS) {
    await page.setViewportSize({ width, height: 780 });
    const overflow = await page.evaluate(() => {
      const root = document.documentElement;
      if (root.scrollWidth <= window.innerWidth) return undefined;
      const limit = window.innerWidth;
      const culprits: string[] = [];
      for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.right <= limit + 0.5 || box.width === 0) continue;
        // Report the outermost element that sticks out, not each of its children.
        const parent = el.parentElement;
        if (parent && parent !== document.body && parent.getBoundingClientRect().right > limit + 0.5)
          continue;
        const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''}`;
        culprits.push(`${name} (${Math.round(box.right)}px)`);
        if (culprits.length >= 4) break;
      }
      return { scrollWidth: root.scrollWidth, culprits };
    });
    if (overflow) {
      found.push(`${width}px: page is ${overflow.scrollWidth}px wide: ${overflow.culprits.join(', ')}`);
    }
  }
  await page.setViewportSize(shown);
  return found;
}

/** Every check of one page as it is shown now; an empty list when it passes them all. */
export async function checkPage(
  page: Page,
  locale: Locale,
  names: readonly string[] = [],
): Promise<Findings> {
  const lang = await page.evaluate(() => document.documentElement.lang);
  const findings: Findings = [];
  if (lang !== locale) findings.push(`page is in "${lang}", expected "${locale}"`);
  findings.push(...(await axeFindings(page)));
  findings.push(...languageFindings(await readableText(page), locale, names));
  findings.push(...(await widthFindings(page)));
  return findings;
}

/** Collects the findings of a walk, page by page, to report them all at once. */
export class WalkReport {
  readonly #lines: string[] = [];
  readonly #visited: string[] = [];

  readonly locale: Locale;
  readonly #names: readonly string[];

  /** `names`: the user names the walk creates, data shown as they are in either language. */
  constructor(locale: Locale, names: readonly string[] = []) {
    this.locale = locale;
    this.#names = names;
  }

  /** Checks the page as it is shown now, under the name of the screen it shows. */
  async check(page: Page, screen: string): Promise<void> {
    const findings = await checkPage(page, this.locale, this.#names);
    const path = new URL(page.url()).pathname;
    this.#visited.push(screen);
    for (const f of findings) this.#lines.push(`[${this.locale}] ${screen} (${path}): ${f}`);
  }

  get visited(): readonly string[] {
    return this.#visited;
  }

  get problems(): readonly string[] {
    return this.#lines;
  }
}
