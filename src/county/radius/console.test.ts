import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { findAccountByUsername } from '../accounts/repository.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';
import { RADIUS_API_PREFIX } from './api.ts';
import { generateEapCertificates } from './certificates.ts';
import { RADIUS_API_USER, radiusApiPassword } from './credential.ts';
import { RADIUS_PURGE_JOB } from './jobs.ts';

describe('RADIUS pages, console and record retention', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, { radiusRecordDays: 30 });
  });
  afterAll(async () => t?.close());

  async function signIn(username: string) {
    const c = new TestClient(t.app);
    await c.get('/cyc/login');
    await c.post('/cyc/login', { username, password: DEMO_PASSWORD });
    return c;
  }

  const admin = (path: string, method: 'GET' | 'POST' | 'PUT', payload?: unknown) =>
    t.app.inject({
      method,
      url: `/admin/api/county/cyc/radius${path}`,
      headers: { authorization: `Bearer ${t.ctx.secrets.adminToken}` },
      ...(payload ? { payload: payload as Record<string, unknown> } : {}),
    });

  /** What FreeRADIUS is told when it hears from `address` (its dynamic clients). */
  const nasAt = async (address: string) => {
    const answer = await t.app.inject({
      method: 'POST',
      url: `${RADIUS_API_PREFIX}/client?tenant=cyc&address=${encodeURIComponent(address)}`,
      headers: {
        authorization: `Basic ${Buffer.from(`${RADIUS_API_USER}:${radiusApiPassword(t.ctx.secrets.secret)}`).toString('base64')}`,
      },
      payload: {},
    });
    if (answer.statusCode === 404) return undefined;
    const body = answer.json() as Record<string, { value: string[] }>;
    return {
      shortname: body['control:FreeRADIUS-Client-Shortname']?.value[0],
      secret: body['control:FreeRADIUS-Client-Secret']?.value[0],
      requireMessageAuthenticator: body['control:FreeRADIUS-Client-Require-MA']?.value[0],
    };
  };

  it('lets a county administrator add a NAS whose secret is shown once, and refuses bad input clearly', async () => {
    const c = await signIn('cycadmin');
    expect((await c.get('/cyc/manage/radius')).body).toContain('尚未登記任何設備');
    const bad = await c.post('/cyc/manage/radius/clients', { name: 'ap 1', address: '300.1.1.1' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('名稱須為 1 至 32 個英數字');
    expect(bad.body).toContain('請輸入 IPv4／IPv6 位址或網段');
    const added = await c.post('/cyc/manage/radius/clients', { name: 'wlc-pzjh', address: '192.0.2.0/24' });
    expect(added.status).toBe(200);
    const secret = /<code>([A-Za-z0-9_-]{32})<\/code>/.exec(added.body)?.[1];
    expect(secret).toBeDefined();
    const again = await c.get('/cyc/manage/radius');
    expect(again.body).toContain('wlc-pzjh');
    expect(again.body).not.toContain(String(secret));
    const twice = await c.post('/cyc/manage/radius/clients', { name: 'wlc-pzjh', address: '192.0.2.1' });
    expect(twice.status).toBe(409);
    expect(twice.body).toContain('已有同名的設備');
    // The secret is sealed in the database and opens for the FreeRADIUS configuration only.
    const row = await t.county.db
      .selectFrom('county_radius_clients')
      .select('secret_sealed')
      .where('name', '=', 'wlc-pzjh')
      .executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(String(secret));
    const setup = (await admin('/setup', 'GET')).json() as { realm: string; clients: unknown[] };
    expect(setup.realm).toBe('cyc.edu.tw');
    expect(JSON.stringify(setup.clients)).not.toContain(String(secret));
    expect(await nasAt('192.0.2.77')).toEqual({
      shortname: 'cyc.wlc-pzjh',
      secret,
      requireMessageAuthenticator: 'yes',
    });
  });

  it('tells FreeRADIUS the NAS at an address: the most specific network, none elsewhere', async () => {
    const one = (await admin('/clients', 'POST', { name: 'vpn-one', address: '192.0.2.77' })).json() as {
      secret: string;
    };
    expect(await nasAt('192.0.2.77')).toMatchObject({ shortname: 'cyc.vpn-one', secret: one.secret });
    expect(await nasAt('192.0.2.78')).toMatchObject({ shortname: 'cyc.wlc-pzjh' });
    expect(await nasAt('198.51.100.1')).toBeUndefined();
    expect(await nasAt('2001:db8::1')).toBeUndefined();
    expect(await nasAt('not-an-address')).toBeUndefined();
  });

  it('gives a NAS a new secret from the console, shown once and audited; FreeRADIUS is told the new one', async () => {
    const c = await signIn('cycadmin');
    const before = await nasAt('192.0.2.77');
    await c.get('/cyc/manage/radius');
    const renewed = await c.post('/cyc/manage/radius/clients/secret', { name: 'vpn-one' });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toContain('新的共用密鑰');
    const secret = /<code>([A-Za-z0-9_-]{32})<\/code>/.exec(renewed.body)?.[1];
    expect(secret).toBeDefined();
    expect(secret).not.toBe(before?.secret);
    expect((await nasAt('192.0.2.77'))?.secret).toBe(secret);
    expect((await c.get('/cyc/manage/radius')).body).not.toContain(String(secret));
    const audited = await t.county.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('action', '=', 'radius.client_secret_renewed')
      .execute();
    expect(audited).toEqual([{ actor: 'cycadmin', action: 'radius.client_secret_renewed' }]);
    // And from the CLI's admin API; an unknown NAS is refused.
    const cli = await admin('/clients/vpn-one/secret', 'POST', {});
    expect(cli.statusCode).toBe(200);
    expect((await nasAt('192.0.2.77'))?.secret).toBe((cli.json() as { secret: string }).secret);
    expect((await admin('/clients/nobody/secret', 'POST', {})).statusCode).toBe(404);
  });

  it('keeps the console to county administrators', async () => {
    const teacher = await signIn('teacher01');
    expect((await teacher.get('/cyc/manage/radius')).status).toBe(403);
    const cli = await admin('/clients', 'POST', { name: 'x', address: 'not-an-address' });
    expect(cli.statusCode).toBe(400);
    expect(cli.json().message).toContain('IPv4');
  });

  it('explains Wi-Fi and VPN on the 「VPN連線服務」 page and offers the CA certificate once published', async () => {
    const teacher = await signIn('teacher01');
    const before = await teacher.get('/cyc/vpn');
    expect(before.body).toContain('TANetRoaming');
    expect(before.body).toContain('teacher01@cyc.edu.tw');
    expect(before.body).toContain('@cyc.edu.tw');
    expect(before.body).toContain('EAP-TTLS');
    expect(before.body).toContain('縣網中心尚未公布 CA 憑證');
    expect((await teacher.get('/cyc/vpn/ca.pem')).status).toBe(404);
    const { caPem } = await generateEapCertificates('cyc.edu.tw');
    // The admin API refuses what the console refuses.
    expect((await admin('/settings', 'PUT', { ssid: 'CYC"<Roaming>' })).statusCode).toBe(400);
    expect((await admin('/settings', 'PUT', { vpn_host: 'v'.repeat(65) })).statusCode).toBe(400);
    expect((await teacher.get('/cyc/vpn')).body).toContain('TANetRoaming');
    expect((await admin('/settings', 'PUT', { ca_certificate: caPem, ssid: 'CYC-Roaming' })).statusCode).toBe(
      200,
    );
    const after = await teacher.get('/cyc/vpn');
    expect(after.body).toContain('CYC-Roaming');
    const ca = await teacher.get('/cyc/vpn/ca.pem');
    expect(ca.status).toBe(200);
    expect(ca.body).toBe(caPem);
    expect((await t.app.inject({ url: '/cyc' })).body).toContain('href="/cyc/vpn"');
  });

  it('deletes connection records older than the retention with the daily job', async () => {
    const teacher = await findAccountByUsername(t.county.db, 'cyc', 'teacher01');
    if (!teacher) throw new Error('no demo teacher');
    const row = (session: string, daysAgo: number) => {
      const at = new Date(Date.now() - daysAgo * 86400_000);
      return {
        tenant: 'cyc',
        account_id: teacher.id,
        username: 'teacher01',
        nas: 'wlc-pzjh',
        acct_session_id: session,
        calling_station_id: '02:00:00:00:00:01',
        framed_ip: null,
        started_at: at,
        updated_at: at,
        stopped_at: at,
        input_bytes: 1,
        output_bytes: 1,
        terminate_cause: null,
      };
    };
    await t.county.db
      .insertInto('county_radius_sessions')
      .values([row('old', 31), row('recent', 29)])
      .execute();
    // The role queued today's purge when it started; the job runner takes it.
    const queued = await t.county.db
      .selectFrom('jobs')
      .select('id')
      .where('type', '=', RADIUS_PURGE_JOB)
      .execute();
    expect(queued).toHaveLength(1);
    await t.drain();
    const left = await t.county.db.selectFrom('county_radius_sessions').select('acct_session_id').execute();
    expect(left.map((r) => r.acct_session_id)).toEqual(['recent']);
  });
});
