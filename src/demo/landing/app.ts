import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  DEMO_ACCOUNTS,
  DEMO_PASSWORD,
  DEMO_TENANTS,
  type DemoAccount,
} from '../../platform/federation/seed-data.ts';
import { createRoleApp, sendPage } from '../../platform/http/role-app.ts';
import type { Locale, Translate } from '../../platform/i18n/i18n.ts';
import type { MailSink } from '../../platform/mail/sink.ts';
import type { RoleUrls } from '../../platform/runtime/role.ts';
import { escapeHtml, html, trusted } from '../../platform/views/html.ts';
import { page } from '../../platform/views/layout.ts';
import { landingMessages } from './messages.ts';

export interface LandingOptions {
  logger: Logger;
  urls: RoleUrls;
  sink: MailSink;
  smtpPort: number;
}

/** Escapes mail text and turns its http(s) links into clickable links. */
export function linkify(text: string): string {
  return escapeHtml(text).replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
}

/** The demo landing page: what runs where, the demo accounts, and the mailbox of the SMTP sink. */
export async function buildLandingApp(options: LandingOptions): Promise<FastifyInstance> {
  const app = await createRoleApp({
    role: 'landing',
    logger: options.logger,
    catalogues: [landingMessages],
    brand: { name: 'EduGate', href: '/' },
  });
  const { urls, sink } = options;

  app.get('/', async (request, reply) => {
    const t = request.t;
    const services = [
      { name: t('landing.role.county.cyc'), url: `${urls.county}/cyc` },
      { name: t('landing.role.county.tn'), url: `${urls.county}/tn` },
      { name: t('landing.role.cloud'), url: urls.cloud },
      { name: t('landing.role.workspace'), url: urls.workspace },
      { name: t('landing.role.google'), url: urls.google },
    ];
    const mails = sink.list().slice(0, 20);
    return sendPage(
      reply,
      page(request, {
        title: t('landing.title'),
        main: html`<h1>${t('landing.title')}</h1>
<p>${t('landing.intro')}</p>
<h2 id="services">${t('landing.services')}</h2>
<table aria-labelledby="services"><thead><tr><th scope="col">${t('landing.service')}</th><th scope="col">${t('landing.address')}</th></tr></thead>
<tbody>${services.map((s) => html`<tr><td>${s.name}</td><td><a href="${s.url}">${s.url}</a></td></tr>`)}
<tr><td>${t('landing.role.smtp')}</td><td><code>smtp://127.0.0.1:${options.smtpPort}</code></td></tr></tbody></table>
<h2 id="accounts">${t('landing.accounts')}</h2>
<p>${t('landing.accounts.password', { password: DEMO_PASSWORD })}</p>
<table aria-labelledby="accounts"><thead><tr><th scope="col">${t('landing.account')}</th><th scope="col">${t('landing.role')}</th><th scope="col">${t('landing.where')}</th><th scope="col">${t('landing.note')}</th></tr></thead>
<tbody>${DEMO_ACCOUNTS.map((a) => html`<tr><td><code>${a.username}</code></td><td>${t(`landing.account_role.${a.role}`)}</td><td>${whereOf(t, a)}</td><td>${a.note ? t(`landing.account_note.${a.note}`, { email: `${a.username}@mail.edu.tw` }) : ''}</td></tr>`)}</tbody></table>
<h2 id="mailbox">${t('landing.mailbox')}</h2>
<p>${t('landing.mailbox.intro', { port: options.smtpPort })} <a href="/mailbox">${t('landing.mailbox')}</a></p>
${mailTable(request.t, request.locale, mails)}`,
      }),
    );
  });

  app.get('/mailbox', async (request, reply) => {
    const t = request.t;
    const to = (request.query as { to?: string }).to?.trim() || undefined;
    const mails = sink.list(to ? { to } : undefined);
    return sendPage(
      reply,
      page(request, {
        title: t('landing.mailbox'),
        main: html`<h1>${t('landing.mailbox')}</h1>
<form method="get" action="/mailbox" role="search"><div class="field"><label for="to">${t('landing.mailbox.filter')}</label>
<input id="to" name="to" type="search" value="${to ?? ''}"></div><button type="submit">${t('landing.mailbox.filter.go')}</button></form>
${mailTable(request.t, request.locale, mails)}`,
      }),
    );
  });

  app.get('/mailbox/:id', async (request, reply) => {
    const t = request.t;
    const mail = sink.get((request.params as { id: string }).id);
    if (!mail) return reply.callNotFound();
    return sendPage(
      reply,
      page(request, {
        title: mail.subject,
        main: html`<p><a href="/mailbox">${t('landing.mailbox.back')}</a></p>
<h1 translate="no">${mail.subject}</h1>
<dl><dt>${t('landing.mailbox.from')}</dt><dd>${mail.from}</dd><dt>${t('landing.mailbox.to')}</dt><dd>${mail.to.join(', ')}</dd>
<dt>${t('landing.mailbox.received')}</dt><dd>${receivedAt(request.locale, mail.receivedAt)}</dd></dl>
<pre class="mail-body" translate="no">${trusted(linkify(mail.text))}</pre>`,
      }),
    );
  });

  // JSON view of the mailbox for scripts and tests.
  app.get('/api/mailbox', async (request) => {
    const to = (request.query as { to?: string }).to;
    return sink.list(to ? { to } : undefined);
  });
  return app;
}

/** When a mail arrived, in Taiwan time, written the reader's way. */
function receivedAt(locale: Locale, at: string | number | Date): string {
  return new Date(at).toLocaleString(locale === 'en' ? 'en-GB' : 'zh-TW', { timeZone: 'Asia/Taipei' });
}

/** Where a demo account signs in: the county portal (its name and path) and unit, or the cloud. */
function whereOf(t: Translate, account: DemoAccount): string {
  if (account.where === 'cloud') return t('landing.where.cloud');
  const { tenant: code, unit: unitCode } = account.where;
  const tenant = DEMO_TENANTS.find((c) => c.code === code);
  const unit = tenant?.units.find((u) => u.code === unitCode);
  return [`${tenant?.name ?? code} /${code}`, unit?.name].filter(Boolean).join(' · ');
}

function mailTable(t: Translate, locale: Locale, mails: ReturnType<MailSink['list']>) {
  if (mails.length === 0) return html`<p>${t('landing.mailbox.empty')}</p>`;
  return html`<table><thead><tr><th scope="col">${t('landing.mailbox.received')}</th><th scope="col">${t('landing.mailbox.to')}</th><th scope="col">${t('landing.mailbox.subject')}</th></tr></thead><tbody>
${mails.map(
  (m) =>
    html`<tr><td>${receivedAt(locale, m.receivedAt)}</td><td>${m.to.join(', ')}</td><td translate="no"><a href="/mailbox/${m.id}">${m.subject || t('landing.mailbox.no_subject')}</a></td></tr>`,
)}</tbody></table>`;
}
