import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { signedIn, withRole } from '../guards.ts';
import { managePage } from '../manage/common.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, formValue, localize, postButton } from '../views/form.ts';
import { formatTime, sendHeadedPage, tenantPath } from '../views/page.ts';
import { type SessionRow, searchSessions, sessionsOfAccount } from './accounting.ts';
import {
  addRadiusClient,
  listRadiusClients,
  removeRadiusClient,
  renewRadiusClientSecret,
} from './clients.ts';
import { isPlainSetting, type RadiusSettings, radiusSettings, saveRadiusSettings } from './settings.ts';

function bytes(value: string): string {
  const n = Number(value);
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function sessionTable(request: FastifyRequest, rows: SessionRow[], withUser: boolean): SafeHtml {
  const t = request.t;
  if (rows.length === 0) return html`<p>${t('radius.records.none')}</p>`;
  return html`<table><thead><tr>${withUser ? html`<th>${t('radius.records.user')}</th>` : ''}<th>${t('radius.records.started')}</th><th>${t('radius.records.stopped')}</th><th>${t('radius.records.nas')}</th><th>${t('radius.records.station')}</th><th>${t('radius.records.ip')}</th><th>${t('radius.records.bytes')}</th></tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr>${withUser ? html`<td>${r.username}</td>` : ''}<td>${formatTime(r.started_at)}</td><td>${r.stopped_at ? formatTime(r.stopped_at) : t('radius.records.ongoing')}</td><td>${r.nas}</td><td>${r.calling_station_id ?? ''}</td><td>${r.framed_ip ?? ''}</td><td>${bytes(r.input_bytes)} / ${bytes(r.output_bytes)}</td></tr>`,
  )}</tbody></table>`;
}

/** 「VPN連線服務」: what a teacher sets on a device for Wi-Fi roaming and the VPN, with their own name. */
function vpnPage(request: FastifyRequest, tenant: Tenant, settings: RadiusSettings): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const realm = settings.realm;
  const username = request.countyAccount?.username ?? t('register.username');
  return html`
<p>${t('radius.vpn.intro', { username, realm })}</p>
<section aria-labelledby="wifi-heading"><h2 id="wifi-heading">${t('radius.vpn.wifi')}</h2>
<dl><dt>${t('radius.vpn.ssid')}</dt><dd><code>${settings.ssid}</code></dd>
<dt>${t('radius.vpn.eap')}</dt><dd>${t('radius.vpn.eap_value')}</dd>
<dt>${t('radius.vpn.identity')}</dt><dd><code>${username}@${realm}</code></dd>
<dt>${t('radius.vpn.anonymous')}</dt><dd><code>@${realm}</code></dd>
<dt>${t('radius.vpn.domain')}</dt><dd><code>radius.${realm}</code></dd>
<dt>${t('radius.vpn.ca')}</dt><dd>${
    settings.caCertificate
      ? html`<a href="${p('/vpn/ca.pem')}" download>${t('radius.vpn.ca_download', { portal: tenant.portal_name })}</a>`
      : t('radius.vpn.ca_missing')
  }</dd></dl>
<p class="hint">${t('radius.vpn.ca_hint')}</p></section>
<section aria-labelledby="vpn-heading"><h2 id="vpn-heading">${t('radius.vpn.vpn')}</h2>
<dl><dt>${t('radius.vpn.vpn_host')}</dt><dd><code>${settings.vpnHost}</code></dd></dl>
<p>${t('radius.vpn.vpn_client', { username, realm })}</p></section>
<ul><li><a href="${p('/account/connections')}">${t('radius.vpn.records')}</a></li>
<li><a href="${p('/help/vpn')}">${t('radius.vpn.howto')}</a></li></ul>`;
}

/** The teacher's pages (「VPN連線服務」, 「我的連線紀錄」) and the administrator's RADIUS console. */
export async function registerRadiusPages(
  app: FastifyInstance,
  county: County,
  tenant: Tenant,
): Promise<void> {
  const p = (path: string) => tenantPath(tenant, path);

  app.get('/vpn', async (request, reply) => {
    const settings = await radiusSettings(county.db, tenant);
    return sendHeadedPage(request, reply, tenant, 'radius.vpn.title', vpnPage(request, tenant, settings));
  });

  app.get('/vpn/ca.pem', async (_request, reply) => {
    const settings = await radiusSettings(county.db, tenant);
    if (!settings.caCertificate) throw new AppError('not_found', 404);
    return reply
      .header('content-type', 'application/x-pem-file')
      .header('content-disposition', `attachment; filename="${tenant.code}-radius-ca.pem"`)
      .send(settings.caCertificate);
  });

  app.get('/account/connections', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const t = request.t;
    const rows = await sessionsOfAccount(county.db, me.id);
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'radius.records.title',
      html`
<p>${t('radius.records.intro', { days: county.ctx.config.radiusRecordDays })}</p>
${sessionTable(request, rows, false)}
<p><a href="${p('/vpn')}">${t('radius.vpn.title')}</a></p>`,
    );
  });

  const consolePage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: {
      notice?: SafeHtml;
      errors?: Record<string, string | undefined>;
      results?: SafeHtml;
      status?: number;
    },
  ) => {
    const t = request.t;
    const clients = await listRadiusClients(county.db, tenant.code);
    const settings = await radiusSettings(county.db, tenant);
    const body = request.body as Record<string, unknown> | undefined;
    return managePage(
      request,
      reply,
      tenant,
      t('radius.console.title'),
      html`<h1>${t('radius.console.title')}</h1>
${extra.notice ?? ''}${errorSummary(request, extra.errors ?? {})}
<section aria-labelledby="nas-heading"><h2 id="nas-heading">${t('radius.console.clients')}</h2>
<p>${t('radius.console.clients_intro')}</p>
${
  clients.length === 0
    ? html`<p>${t('radius.console.none')}</p>`
    : html`<table><thead><tr><th scope="col">${t('radius.console.name')}</th><th scope="col">${t('radius.console.address')}</th><th scope="col"><span class="visually-hidden">${t('radius.console.actions')}</span></th></tr></thead><tbody>${clients.map(
        (c) =>
          html`<tr><td>${c.name}</td><td><code>${c.address}</code></td><td>${postButton(request, p('/manage/radius/clients/secret'), t('radius.console.renew'), { className: 'secondary', hidden: { name: c.name } })} ${postButton(request, p('/manage/radius/clients/remove'), t('radius.console.remove'), { className: 'secondary', hidden: { name: c.name } })}</td></tr>`,
      )}</tbody></table>`
}
<form method="post" action="${p('/manage/radius/clients')}">${csrfField(request)}
${field({ name: 'name', label: t('radius.console.name'), required: true, maxlength: 32, value: extra.errors ? formValue(body, 'name') : '', error: extra.errors?.name })}
${field({ name: 'address', label: t('radius.console.address'), required: true, maxlength: 64, value: extra.errors ? formValue(body, 'address') : '', error: extra.errors?.address })}
<button type="submit">${t('radius.console.add')}</button></form></section>
<section aria-labelledby="search-heading"><h2 id="search-heading">${t('radius.console.search')}</h2>
<p>${t('radius.console.search_hint')}</p>
<form method="post" action="${p('/manage/radius/search')}">${csrfField(request)}
${field({ name: 'q', label: t('radius.console.query'), required: true, maxlength: 64, value: formValue(body, 'q'), error: extra.errors?.q })}
<button type="submit">${t('radius.console.search_button')}</button></form>
${extra.results ?? ''}</section>
<section aria-labelledby="settings-heading"><h2 id="settings-heading">${t('radius.console.settings')}</h2>
<form method="post" action="${p('/manage/radius/settings')}">${csrfField(request)}
${field({ name: 'ssid', label: t('radius.console.ssid'), required: true, maxlength: 64, value: settings.ssid, error: extra.errors?.ssid })}
${field({ name: 'vpn_host', label: t('radius.console.vpn_host'), required: true, maxlength: 64, value: settings.vpnHost })}
<button type="submit">${t('radius.console.save')}</button></form></section>`,
      extra.status ?? 200,
    );
  };

  const admin = (request: FastifyRequest, reply: FastifyReply) =>
    withRole(request, reply, tenant, ['county_admin']);

  app.get('/manage/radius', async (request, reply) => {
    if (!admin(request, reply)) return;
    return consolePage(request, reply, {});
  });

  app.post('/manage/radius/clients', async (request, reply) => {
    const me = admin(request, reply);
    if (!me) return;
    const input = { name: formValue(request.body, 'name'), address: formValue(request.body, 'address') };
    const added = await addRadiusClient(county, tenant.code, input, { actor: me.username, ip: request.ip });
    if ('refused' in added) {
      const status = added.refused === 'taken' ? 409 : 400;
      return consolePage(request, reply, { errors: localize(request, added.errors), status });
    }
    return consolePage(request, reply, {
      notice: html`<div class="notice" role="status"><p>${added.client.name}: ${request.t('radius.console.secret_once')}</p><p><code>${added.secret}</code></p></div>`,
    });
  });

  app.post('/manage/radius/clients/secret', async (request, reply) => {
    const me = admin(request, reply);
    if (!me) return;
    const name = formValue(request.body, 'name');
    const secret = await renewRadiusClientSecret(county, tenant.code, name, {
      actor: me.username,
      ip: request.ip,
    });
    if (!secret) return reply.redirect(p('/manage/radius'), 303);
    return consolePage(request, reply, {
      notice: html`<div class="notice" role="status"><p>${name}: ${request.t('radius.console.secret_renewed')}</p><p><code>${secret}</code></p></div>`,
    });
  });

  app.post('/manage/radius/clients/remove', async (request, reply) => {
    const me = admin(request, reply);
    if (!me) return;
    await removeRadiusClient(county, tenant.code, formValue(request.body, 'name'), {
      actor: me.username,
      ip: request.ip,
    });
    return reply.redirect(p('/manage/radius'), 303);
  });

  app.post('/manage/radius/search', async (request, reply) => {
    const me = admin(request, reply);
    if (!me) return;
    const q = formValue(request.body, 'q').slice(0, 64);
    if (!q)
      return consolePage(request, reply, { errors: { q: request.t('radius.error.query') }, status: 400 });
    const rows = await searchSessions(county, tenant.code, q, { actor: me.username, ip: request.ip });
    return consolePage(request, reply, { results: sessionTable(request, rows, true) });
  });

  app.post('/manage/radius/settings', async (request, reply) => {
    const me = admin(request, reply);
    if (!me) return;
    const ssid = formValue(request.body, 'ssid');
    const vpnHost = formValue(request.body, 'vpn_host');
    if (!isPlainSetting(ssid) || !isPlainSetting(vpnHost)) {
      return consolePage(request, reply, {
        errors: { ssid: request.t('radius.error.setting') },
        status: 400,
      });
    }
    await saveRadiusSettings(county.db, tenant, { ssid, vpnHost }, { actor: me.username, ip: request.ip });
    return consolePage(request, reply, {
      notice: html`<div class="notice" role="status"><p>${request.t('radius.console.saved')}</p></div>`,
    });
  });
}
