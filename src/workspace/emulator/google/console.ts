import type { FastifyInstance } from 'fastify';
import { sendPage } from '../../../platform/http/role-app.ts';
import { html } from '../../../platform/views/html.ts';
import { page } from '../../../platform/views/layout.ts';
import type { DirectoryUsers } from './directory/users.ts';
import type { QuotaWindow } from './faults.ts';

/** A read-only view of the stand-in's directory, like the Admin console's user list. */
export function adminConsole(app: FastifyInstance, users: DirectoryUsers, quota: QuotaWindow): void {
  app.get('/admin/console', async (request, reply) => {
    const t = request.t;
    const rows = await users.list();
    const stats = quota.stats();
    return sendPage(
      reply,
      page(request, {
        title: t('google.admin.title'),
        brand: { name: t('google.brand'), href: '/' },
        main: html`<h1>${t('google.admin.title')}</h1>
<p class="meta">${t('google.admin.quota', { used: stats.lastMinute, limit: stats.limit })}</p>
<h2 id="users">${t('google.admin.users')}</h2>
<table aria-labelledby="users"><thead><tr>
<th scope="col">${t('google.admin.email')}</th><th scope="col">${t('google.admin.name')}</th>
<th scope="col">${t('google.admin.ou')}</th><th scope="col">${t('google.admin.state')}</th></tr></thead>
<tbody>${rows.map(
          (u) => html`<tr><td>${u.primary_email}</td><td>${u.family_name}${u.given_name}</td>
<td>${u.org_unit_path}</td><td>${u.suspended ? t('google.admin.suspended') : t('google.admin.active')}</td></tr>`,
        )}</tbody></table>`,
      }),
    );
  });
}
