// First start of a county portal: the operator creates the county and its first administrator
// through the admin API (or the CLI) while the server runs; the new portal is served at once.
import type { IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../cli/run.ts';
import type { Config } from '../../platform/config/options.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { adminOrigin } from '../../platform/runtime/roles.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { findAccountByUsername } from '../accounts/repository.ts';
import { countyCommand } from '../cli.ts';
import { type CountyTestApp, linksIn, startCountyTestApp, TestClient } from '../testing.ts';
import { TenantPortals } from './portals.ts';
import { findTenant, listTenants, type Tenant } from './tenants.ts';

const HSC = { code: 'hsc', name: '新竹縣', portal_name: '新竹縣教育網路中心', mail_domain: 'hcc.edu.tw' };
const PASSWORD = 'Hsinchu-admin-2026';

describe('a new county portal, created while the server runs', () => {
  let t: CountyTestApp & { config: Config };
  let base: string;
  let adminBase: string;
  const adminCall = async (method: string, path: string, body?: unknown, language = 'zh-TW') => {
    const response = await fetch(`${adminBase}/admin/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.ctx.secrets.adminToken}`,
        accept: 'application/json',
        'accept-language': language,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const admin = (path: string, body: unknown, language = 'zh-TW') => adminCall('POST', path, body, language);
  const edit = (code: string, body: unknown, language = 'zh-TW') =>
    adminCall('PATCH', `/county/tenants/${code}`, body, language);
  const brandOf = (body: string) => /<a class="brand" href="[^"]*">([^<]*)<\/a>/.exec(body)?.[1];
  const page = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    return { status: response.status, body: await response.text() };
  };
  const audited = (action: string) =>
    t.county.db.selectFrom('audit_log').selectAll().where('action', '=', action).execute();
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const [log, error] = [console.log, console.error];
    console.log = (m: string) => out.push(String(m));
    console.error = (m: string) => err.push(String(m));
    try {
      const code = await runAdminCommand(countyCommand, t.config, args);
      return { code, stdout: out.join('\n'), stderr: err.join('\n') };
    } finally {
      console.log = log;
      console.error = error;
    }
  };

  /** `edugate county tenants add`: a county's code, names and mail domain. */
  const addTenant = (code: string, name: string, portal: string, domain: string) =>
    cli(['tenants', 'add', '--code', code, '--name', name, '--portal-name', portal, '--mail-domain', domain]);
  /** `edugate county admins add`: an administrator of the county `tenant`, with `--name` when given. */
  const addAdmin = (tenant: string, username: string, email: string, name?: string) => {
    const named = name === undefined ? [] : ['--name', name];
    return cli(['admins', 'add', '--tenant', tenant, '--username', username, '--email', email, ...named]);
  };

  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, {}, { listen: true });
    base = `http://127.0.0.1:${t.config.countyPort}`;
    adminBase = adminOrigin(t.config, 'county');
  });
  afterAll(async () => t?.close());

  it('serves the new county’s home, login, registration and OIDC issuer at once, and lists it on the chooser', async () => {
    expect((await page('/hsc')).status).toBe(404);
    expect((await page('/')).body).not.toContain('新竹縣教育網路中心');

    const created = await admin('/county/tenants', HSC);
    expect(created.status).toBe(201);
    expect(created.body.url).toMatch(/\/hsc$/);

    const home = await page('/hsc');
    expect(home.status).toBe(200);
    expect(home.body).toContain('新竹縣教育網路中心');
    const login = await page('/hsc/login');
    expect(login.status).toBe(200);
    expect(login.body).toContain('使用者登入');
    expect(login.body).toContain('action="/hsc/login"');
    expect((await page('/hsc/register')).status).toBe(200);
    const discovery = await fetch(`${base}/hsc/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toMatch(/\/hsc$/);
    expect((await page('/hsc/no-such-page')).status).toBe(404);
    // The issuer's clients are managed like any other (`edugate client add --tenant hsc`), and an
    // authorization request of one lands on the new county's login page.
    const client = await admin('/oidc/hsc/clients', {
      name: '新竹縣校務系統',
      redirect_uris: ['https://app.example/cb'],
    });
    expect(client.status).toBe(201);
    const browser = new TestClient(base);
    const authorize = await browser.get(
      `/hsc/oidc/v1/azp?${new URLSearchParams({
        client_id: String(client.body.client_id),
        redirect_uri: 'https://app.example/cb',
        response_type: 'code',
        scope: 'openid',
        state: 'state-1',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })}`,
    );
    expect(authorize.status).toBe(303);
    const interaction = await browser.get(String(authorize.headers.location));
    expect(interaction.status).toBe(200);
    expect(interaction.body).toContain('新竹縣教育網路中心');
    expect(interaction.body).toContain('name="password"');

    const chooser = await page('/');
    expect(chooser.body).toContain('<a href="/hsc">新竹縣教育網路中心</a>');
    expect(chooser.body).toContain('<a href="/cyc">');
    // The counties present at boot are served as before, over HTTP and through inject().
    expect((await page('/cyc/login')).status).toBe(200);
    expect((await t.app.inject({ url: '/cyc/login' })).statusCode).toBe(200);
    // The role's metrics count the new portal's pages by route, like any other.
    expect(await (await fetch(`${adminBase}/metrics`)).text()).toMatch(/route="\/hsc\/login"/);
    // Neither the metrics nor the admin API are on the public port, token or not.
    expect((await page('/metrics')).status).toBe(404);
    const publicAdmin = await fetch(`${base}/admin/api/county/tenants`, {
      headers: { authorization: `Bearer ${t.ctx.secrets.adminToken}`, accept: 'application/json' },
    });
    expect(publicAdmin.status).toBe(404);

    const [row] = await audited('tenant.created');
    expect(row).toMatchObject({ tenant: 'hsc', actor: 'cli', target: 'hsc' });
  });

  it('answers app.inject() for the county created at runtime, as over HTTP', async () => {
    const home = await t.app.inject({ url: '/hsc', headers: { accept: 'text/html' } });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('<h1>新竹縣教育網路中心 首頁</h1>');
    expect(brandOf(home.body)).toBe('新竹縣教育網路中心');
    const login = await t.app.inject({ url: '/hsc/login?lang=en' });
    expect(login.statusCode).toBe(200);
    expect(login.body).toContain('action="/hsc/login"');
    const discovery = await t.app.inject({ url: '/hsc/.well-known/openid-configuration' });
    expect(discovery.statusCode).toBe(200);
    expect(discovery.json<{ issuer: string }>().issuer).toMatch(/\/hsc$/);
    expect((await t.app.inject({ url: '/hsc/no-such-page' })).statusCode).toBe(404);
    // A form post through inject() reaches the new county's own routes, CSRF check included.
    const post = await t.app.inject({
      method: 'POST',
      url: '/hsc/login',
      payload: { username: 'nobody', password: 'x' },
    });
    expect(post.statusCode).toBe(403);
  });

  it('refuses a county code that exists (409), bad codes and empty names (400, naming the field)', async () => {
    const again = await admin('/county/tenants', { ...HSC, name: '新竹縣（重複）' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'county.tenant_exists', message: '已經有代碼為 hsc 的縣市。' });
    expect((await audited('tenant.created')).length).toBe(1);

    for (const code of ['HSC', 'h', '1abc', 'hs-c', 'averyveryverylongcode']) {
      const bad = await admin('/county/tenants', { ...HSC, code });
      expect(bad.status, code).toBe(400);
      expect(bad.body.error).toBe('county.invalid_input');
      expect(bad.body.message).toContain('code：縣市代碼須以小寫英文字母開頭');
    }
    const reserved = await admin('/county/tenants', { ...HSC, code: 'admin' });
    expect(reserved.status).toBe(400);
    expect(reserved.body.message).toContain('admin 是系統使用的路徑');

    const empty = await admin('/county/tenants', { code: 'ilc', name: ' ', mail_domain: 'ilc.edu.tw' });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toBe('資料不正確：name：此欄位必須填寫。 portal_name：此欄位必須填寫。');
    const english = await admin(
      '/county/tenants',
      { ...HSC, code: 'ilc', mail_domain: 'not a domain' },
      'en',
    );
    expect(english.body.message).toBe('Invalid input: mail_domain: Give a mail domain such as hcc.edu.tw.');
    expect((await page('/ilc')).status).toBe(404);

    const anonymous = await fetch(`${adminBase}/admin/api/county/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...HSC, code: 'ilc' }),
    });
    expect(anonymous.status).toBe(401);
  });

  it('mails the first administrator a one-time link: it sets the password, signs in and reaches /hsc/manage', async () => {
    const created = await admin('/county/hsc/admins', {
      username: 'adminhsc',
      email: 'admin@hcc.edu.tw',
      real_name: '王大明',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      tenant: 'hsc',
      account: { username: 'adminhsc', role: 'county_admin', status: 'active' },
      set_password_link: { sent_to: 'admin@hcc.edu.tw' },
    });
    expect(JSON.stringify(created.body)).not.toMatch(/token|reset/);
    const account = await findAccountByUsername(t.county.db, 'hsc', 'adminhsc');
    expect(account).toMatchObject({ role: 'county_admin', state: 'active', real_name: '王大明' });
    const [row] = await audited('county_admin.created');
    expect(row).toMatchObject({ tenant: 'hsc', actor: 'cli', target: account?.id });
    expect(JSON.stringify(row)).not.toContain('token');

    // Queued in the outbox with the account, delivered by the job queue.
    const queued = await t.county.db
      .selectFrom('mail_outbox')
      .selectAll()
      .where('to_address', '=', 'admin@hcc.edu.tw')
      .execute();
    expect(queued).toHaveLength(1);
    await t.drain();
    const mail = t.lastMailTo('admin@hcc.edu.tw');
    expect(mail?.subject).toContain('新竹縣教育網路中心');
    const [link = ''] = linksIn(mail?.text ?? '');
    expect(link).toMatch(/\/hsc\/reset\?token=/);

    const browser = new TestClient(base);
    // Before choosing a password nobody can sign in.
    await browser.get('/hsc/login');
    expect((await browser.post('/hsc/login', { username: 'adminhsc', password: PASSWORD })).status).toBe(401);

    const form = await browser.get(link);
    expect(form.status).toBe(200);
    const token = new URL(link).searchParams.get('token') ?? '';
    const done = await browser.post('/hsc/reset', {
      token,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('密碼已重設');
    // The link works once.
    expect((await browser.get(link)).status).toBe(410);
    expect(
      (
        await browser.post('/hsc/reset', {
          token,
          password: 'Another-pass-2026',
          password_confirm: 'Another-pass-2026',
        })
      ).status,
    ).toBe(410);

    await browser.get('/hsc/login');
    const signedIn = await browser.post('/hsc/login', { username: 'AdminHSC', password: PASSWORD });
    expect(signedIn.status).toBe(303);
    const manage = await browser.get('/hsc/manage');
    expect(manage.status).toBe(200);
    expect(manage.body).toContain('縣網管理');
  });

  it('refuses an administrator with a taken (case-insensitive) or bad username, a bad email, an unknown county', async () => {
    const taken = await admin('/county/hsc/admins', { username: 'ADMINHSC', email: 'other@hcc.edu.tw' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('county.username_taken');
    const email = await admin('/county/hsc/admins', { username: 'admin2hsc', email: 'ADMIN@hcc.edu.tw' });
    expect(email.status).toBe(409);
    expect(email.body.error).toBe('county.email_taken');
    const bad = await admin('/county/hsc/admins', { username: 'ab', email: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      '資料不正確：username：帳號需為 5 至 15 個字元。 email：Email 格式不正確。',
    );
    const nationalId = await admin('/county/hsc/admins', { username: 'A123456789', email: 'a@hcc.edu.tw' });
    expect(nationalId.body.message).toContain('請不要用身分證字號');
    const unknown = await admin('/county/nowhere/admins', { username: 'adminx', email: 'x@hcc.edu.tw' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('county.unknown_tenant');
    expect((await audited('county_admin.created')).length).toBe(1);
  });

  it('edugate county tenants add / admins add work against the running server, with clear errors', async () => {
    const added = await addTenant('ilc', '宜蘭縣', '宜蘭縣教育網路中心', 'ilc.edu.tw');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('created the county ilc (宜蘭縣教育網路中心)');
    expect((await page('/ilc/login')).status).toBe(200);

    const twice = await addTenant('ilc', 'x', 'x', 'ilc.edu.tw');
    expect(twice).toMatchObject({ code: 1, stderr: '已經有代碼為 ilc 的縣市。 (county.tenant_exists)' });
    const missing = await cli(['tenants', 'add', '--code', 'tc']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing --name, --portal-name, --mail-domain');
    const unknownOption = await cli(['tenants', 'add', '--colour', 'red']);
    expect(unknownOption.code).toBe(2);

    const adminAdded = await addAdmin('ilc', 'adminilc', 'admin@ilc.edu.tw', '林小華');
    expect(adminAdded.code).toBe(0);
    expect(adminAdded.stdout).toContain(
      'created the county administrator adminilc of ilc; the one-time link to choose a password is mailed to admin@ilc.edu.tw',
    );
    expect(adminAdded.stdout).not.toMatch(/token|http/);
    const badAdmin = await addAdmin('ilc', 'x', 'x@ilc.edu.tw');
    expect(badAdmin.code).toBe(1);
    expect(badAdmin.stderr).toContain('username：帳號需為 5 至 15 個字元。');
  });

  it('edits a county’s names: its pages show them at once, on a county created at runtime and one from boot; audited', async () => {
    const edited = await edit('hsc', { portal_name: ' 新竹縣教育處教網中心 ', name: '新竹縣' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      tenant: { code: 'hsc', name: '新竹縣', portal_name: '新竹縣教育處教網中心', mail_domain: 'hcc.edu.tw' },
      changed: ['portal_name'],
    });
    expect(edited.body.url).toMatch(/\/hsc$/);
    const home = await page('/hsc');
    expect(home.body).toContain('<h1>新竹縣教育處教網中心 首頁</h1>');
    expect(brandOf(home.body)).toBe('新竹縣教育處教網中心');
    expect(home.body).not.toContain('新竹縣教育網路中心');
    expect(brandOf((await page('/hsc/login')).body)).toBe('新竹縣教育處教網中心');
    expect((await page('/')).body).toContain('<a href="/hsc">新竹縣教育處教網中心</a>');
    const [row, ...others] = await audited('tenant.updated');
    expect(others).toEqual([]);
    expect(row).toMatchObject({ tenant: 'hsc', actor: 'cli', target: 'hsc' });
    expect(row?.details).toEqual({
      before: { portal_name: '新竹縣教育網路中心' },
      after: { portal_name: '新竹縣教育處教網中心' },
    });

    // A county present at boot (a plugin of the role app), over HTTP and through inject().
    const cyc = await edit('cyc', { portal_name: '嘉義縣教育網路中心（新）', actor: 'ops' });
    expect(cyc.status).toBe(200);
    expect(brandOf((await page('/cyc')).body)).toBe('嘉義縣教育網路中心（新）');
    const injected = await t.app.inject({ url: '/cyc/login', headers: { accept: 'text/html' } });
    expect(brandOf(injected.body)).toBe('嘉義縣教育網路中心（新）');
    expect((await audited('tenant.updated')).map((r) => r.actor)).toEqual(['cli', 'ops']);

    // The same values again: nothing to write, nothing audited.
    const same = await edit('cyc', { portal_name: '嘉義縣教育網路中心（新）' });
    expect(same.status).toBe(200);
    expect(same.body.changed).toEqual([]);
    expect(await audited('tenant.updated')).toHaveLength(2);
  });

  it('refuses an edit of an unknown county (404) or with bad input (400), and changes nothing', async () => {
    const unknown = await edit('nowhere', { name: '某縣' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'county.unknown_tenant', message: '沒有代碼為 nowhere 的縣市。' });
    const english = await edit('nowhere', { name: 'x' }, 'en');
    expect(english.body.message).toBe('There is no county with the code nowhere.');

    const before = await findTenant(t.county.db, 'hsc');
    const bad = await edit('hsc', { name: ' ', portal_name: '<b>新竹</b>', mail_domain: 'not a domain' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: 'county.invalid_input',
      message:
        '資料不正確：name：此欄位必須填寫。 portal_name：內容過長或含有不允許的字元（最多 60 字）。 ' +
        'mail_domain：請填寫郵件網域，例如 hcc.edu.tw。',
    });
    // Even next to a valid change: the code stays.
    const code = await edit('hsc', { code: 'hsx', name: '新竹市' });
    expect(code.status).toBe(400);
    expect(code.body.message).toBe(
      '資料不正確：code：縣市代碼不能更改（它在網址與 OIDC issuer 之中）；這個縣市的代碼是 hsc。',
    );
    const empty = await edit('hsc', { actor: 'ops' });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({
      error: 'county.tenant_edit_empty',
      message: '請至少給一個要更改的欄位：name、portal_name 或 mail_domain。',
    });
    const notText = await edit('hsc', { name: 42 });
    expect(notText.status).toBe(400);
    expect(notText.body.error).toBe('bad_request');
    const anonymous = await fetch(`${adminBase}/admin/api/county/tenants/hsc`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '新竹市' }),
    });
    expect(anonymous.status).toBe(401);

    expect(await findTenant(t.county.db, 'hsc')).toEqual(before);
    expect(brandOf((await page('/hsc')).body)).toBe('新竹縣教育處教網中心');
    expect(await audited('tenant.updated')).toHaveLength(2);
  });

  it('lists the counties (admin API and `edugate county tenants list`), and edits one with `tenants edit`', async () => {
    const listed = await adminCall('GET', '/county/tenants');
    expect(listed.status).toBe(200);
    const tenants = listed.body as unknown as Array<{ code: string; portal_name: string; url: string }>;
    expect(tenants.map((tenant) => tenant.code)).toEqual(['cyc', 'hsc', 'ilc', 'tn']);
    expect(tenants.find((tenant) => tenant.code === 'hsc')).toMatchObject({
      portal_name: '新竹縣教育處教網中心',
      url: expect.stringMatching(/\/hsc$/),
    });

    const list = await cli(['tenants', 'list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.split('\n');
    expect(lines[0]).toBe('code\tname\tportal name\tmail domain\turl');
    expect(lines).toContainEqual(
      expect.stringMatching(/^hsc\t新竹縣\t新竹縣教育處教網中心\thcc\.edu\.tw\thttp:\/\/.+\/hsc$/),
    );
    expect(lines).toHaveLength(5);
    expect(JSON.parse((await cli(['tenants', '--json'])).stdout)).toEqual(tenants);

    const edited = await cli([
      'tenants',
      'edit',
      'ilc',
      '--portal-name',
      '宜蘭縣教育處網路中心',
      '--actor',
      'ops',
    ]);
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    expect(edited.stdout).toContain('updated the county ilc (宜蘭縣教育處網路中心): portal_name');
    expect(brandOf((await page('/ilc')).body)).toBe('宜蘭縣教育處網路中心');
    const unknown = await cli(['tenants', 'edit', 'nowhere', '--name', '某縣']);
    expect(unknown).toMatchObject({ code: 1, stderr: '沒有代碼為 nowhere 的縣市。 (county.unknown_tenant)' });
    const bad = await cli(['tenants', 'edit', 'ilc', '--mail-domain', 'ilc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      '資料不正確：mail_domain：請填寫郵件網域，例如 hcc.edu.tw。 (county.invalid_input)',
    );
    const code = await cli(['tenants', 'edit', 'ilc', '--code', 'ila']);
    expect(code.code).toBe(1);
    expect(code.stderr).toContain('縣市代碼不能更改');
    const nothing = await cli(['tenants', 'edit', 'ilc']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to change: give --name, --portal-name or --mail-domain');
    expect((await cli(['tenants', 'edit'])).code).toBe(2);
    expect((await findTenant(t.county.db, 'ilc'))?.mail_domain).toBe('ilc.edu.tw');
  });

  it('another node serves a county created elsewhere, and takes edits made elsewhere, once it refreshes; closing closes every portal it opened', async () => {
    const closed: string[] = [];
    const built = new Map<string, Tenant>();
    const atBoot = (await listTenants(t.county.db)).filter((tenant) => ['cyc', 'tn'].includes(tenant.code));
    const portals = new TenantPortals({
      db: t.county.db,
      log: createLogger('silent'),
      atBoot,
      build: async (tenant) => {
        built.set(tenant.code, tenant);
        const app = Fastify();
        app.addHook('onClose', async () => void closed.push(tenant.code));
        await app.ready();
        return app;
      },
    });
    const request = (url: string) => ({ url }) as IncomingMessage;
    await t.county.db
      .insertInto('county_tenants')
      .values({ code: 'tc', name: '臺中市', portal_name: '臺中市教育網路中心', mail_domain: 'tc.edu.tw' })
      .execute();
    expect(portals.appFor(request('/tc/login'))).toBeUndefined();
    await portals.refresh();
    expect(portals.appFor(request('/tc/login'))).toBeDefined();
    expect(portals.appFor(request('/tc?lang=en'))).toBeDefined();
    expect(portals.appFor(request('/tcx/login'))).toBeUndefined();
    // Counties present at boot stay with the role app's own plugins.
    expect(portals.appFor(request('/cyc/login'))).toBeUndefined();
    // Edits made elsewhere reach the records the portals read, whether opened here or there at boot.
    await t.county.db
      .updateTable('county_tenants')
      .set({ portal_name: '臺中市教育局網路中心' })
      .where('code', '=', 'tc')
      .execute();
    await t.county.db
      .updateTable('county_tenants')
      .set({ name: '嘉義縣（改）' })
      .where('code', '=', 'cyc')
      .execute();
    expect(built.get('tc')?.portal_name).toBe('臺中市教育網路中心');
    await portals.refresh();
    expect(built.get('tc')?.portal_name).toBe('臺中市教育局網路中心');
    expect(atBoot.find((tenant) => tenant.code === 'cyc')?.name).toBe('嘉義縣（改）');
    await portals.close();
    expect(closed.sort()).toEqual(['hsc', 'ilc', 'tc']);
    expect(portals.appFor(request('/tc/login'))).toBeUndefined();
  });

  it('another node hears of a county created or edited elsewhere at once, not at its next refresh', async () => {
    const built = new Map<string, Tenant>();
    const portals = new TenantPortals({
      db: t.county.db,
      log: createLogger('silent'),
      atBoot: await listTenants(t.county.db),
      build: async (tenant) => {
        built.set(tenant.code, tenant);
        const app = Fastify();
        await app.ready();
        return app;
      },
    });
    await portals.watch(t.ctx.notifications);
    const request = (url: string) => ({ url }) as IncomingMessage;
    // Created through this node's admin API, which announces it: the watching node needs no refresh.
    expect(
      (
        await admin('/county/tenants', {
          code: 'ptc',
          name: '屏東縣',
          portal_name: '屏東縣教育網路中心',
          mail_domain: 'ptc.edu.tw',
        })
      ).status,
    ).toBe(201);
    await expect.poll(() => portals.appFor(request('/ptc/login')), { timeout: 5_000 }).toBeDefined();
    expect((await edit('ptc', { portal_name: '屏東縣教育處網路中心' })).status).toBe(200);
    await expect.poll(() => built.get('ptc')?.portal_name, { timeout: 5_000 }).toBe('屏東縣教育處網路中心');
    await portals.close();
  });
});
