import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAdminCommand } from '../../cli/run.ts';
import type { Config } from '../../platform/config/options.ts';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { freePort } from '../../platform/testing/ports.ts';
import { missingService } from '../../platform/testing/services.ts';
import { departAccount } from '../accounts/lifecycle.ts';
import { findAccountByUsername, insertAccount } from '../accounts/repository.ts';
import type { AccountState } from '../schema.ts';
import { findTenant } from '../tenants/tenants.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';
import { radiusCommand } from './cli.ts';
import { eapolTtlsPap, FREERADIUS, FreeradiusProcess, radclient, radiusPeersInstalled } from './peers.ts';

const skip =
  !radiusPeersInstalled() &&
  missingService(
    'FreeRADIUS (freeradius, freeradius-rest, freeradius-utils, eapoltest)',
    'apt-get install freeradius freeradius-rest freeradius-utils eapoltest',
  );

/** Runs an `edugate radius …` command; its exit code and what it printed. */
async function cli(
  config: (CountyTestApp & { config: never }['config']) | Parameters<typeof runAdminCommand>[1],
  args: string[],
) {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    const code = await runAdminCommand(radiusCommand, config, args);
    return { code, output: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe.skipIf(skip)('Wi-Fi and VPN through FreeRADIUS', () => {
  let t: CountyTestApp & { config: Config };
  let radius: FreeradiusProcess;
  let dir: string;
  let secret: string;
  let authPort: number;
  let acctPort: number;

  const pap = (user: string, password: string, station = '198.51.100.20') =>
    radclient(authPort, 'auth', secret, [
      `User-Name = "${user}"`,
      `User-Password = "${password}"`,
      // As ocserv asks: a virtual port, its name, the client's address as the station.
      'NAS-Port-Type = Virtual',
      'NAS-Identifier = "ocserv"',
      'Service-Type = Framed-User',
      `Calling-Station-Id = "${station}"`,
      'Message-Authenticator = 0x00',
    ]);
  const eap = (identity: string, password: string, mac = '02:00:00:00:00:01') =>
    eapolTtlsPap({
      port: authPort,
      secret,
      identity,
      anonymous: '@cyc.edu.tw',
      password,
      caFile: join(dir, 'certs', 'ca.pem'),
      domain: 'radius.cyc.edu.tw',
      mac,
    });

  async function account(username: string, state: AccountState, complete = true) {
    const hash = await t.county.hasher.hash(DEMO_PASSWORD);
    await insertAccount(t.county.db, {
      tenant: 'cyc',
      username,
      passwordHash: hash,
      email: `${username}@school.example.org`,
      emailVerified: true,
      role: 'teacher',
      state,
      unitCode: '454503',
      realName: complete ? '測試老師' : null,
      nationalIdEncrypted: complete ? await t.county.vault.encrypt('A123456789') : null,
      unitConfirmed: complete,
    });
  }

  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, {}, { listen: true });
    dir = mkdtempSync(join(tmpdir(), 'edugate-freeradius-'));
    authPort = await freePort();
    acctPort = await freePort();
    const added = await cli(t.config, [
      'nas',
      'add',
      '--tenant',
      'cyc',
      '--name',
      'test-nas',
      '--address',
      '127.0.0.1',
    ]);
    expect(added.code, added.output).toBe(0);
    const printed = JSON.parse(added.output) as { name: string; secret: string };
    expect(printed.name).toBe('test-nas');
    secret = printed.secret;
    const written = await cli(t.config, [
      'config',
      '--tenant',
      'cyc',
      '--out',
      dir,
      '--listen',
      '127.0.0.1',
      '--auth-port',
      String(authPort),
      '--acct-port',
      String(acctPort),
    ]);
    expect(written.code, written.output).toBe(0);
    radius = new FreeradiusProcess(dir);
    await radius.start();
  }, 180_000);

  afterAll(async () => {
    await radius?.stop();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a VPN login (PAP) with the unit code as Class and a Session-Timeout', async () => {
    const r = await pap('teacher01@cyc.edu.tw', DEMO_PASSWORD);
    expect(r.answer, `${r.output}\n${radius.output}`).toBe('Access-Accept');
    expect(r.output).toContain(`Class = 0x${Buffer.from('454503').toString('hex')}`);
    expect(r.output).toContain('Session-Timeout = 28800');
  });
  it('writes TANet roaming proxy realms that FreeRADIUS accepts', async () => {
    const roamingDir = mkdtempSync(join(tmpdir(), 'edugate-freeradius-roaming-'));
    try {
      const written = await cli(t.config, [
        'config',
        '--tenant',
        'cyc',
        '--out',
        roamingDir,
        '--roaming-server',
        '192.0.2.99:1812',
        '--roaming-secret',
        'roaming-centre-secret',
      ]);
      expect(written.code, written.output).toBe(0);
      const proxy = readFileSync(join(roamingDir, 'proxy.conf'), 'utf8');
      expect(proxy).toMatch(/realm cyc\.edu\.tw \{\s+nostrip/);
      expect(proxy).toMatch(/realm DEFAULT \{\s+pool = tanet_roaming/);
      const check = spawnSync(FREERADIUS, ['-C', '-d', roamingDir], { encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    } finally {
      rmSync(roamingDir, { recursive: true, force: true });
    }
  });

  it('drops an Access-Request without Message-Authenticator (BlastRADIUS)', async () => {
    const r = await radclient(authPort, 'auth', secret, [
      'User-Name = "teacher01@cyc.edu.tw"',
      `User-Password = "${DEMO_PASSWORD}"`,
    ]);
    expect(r.answer).toBe('none');
  });

  it('refuses a wrong password and an unknown realm with the reason, and takes a bare name as the NAS’s county’s', async () => {
    const wrong = await pap('teacher01@cyc.edu.tw', 'not-the-password');
    expect(wrong.answer).toBe('Access-Reject');
    expect(wrong.output).toContain('Reply-Message = "帳號或密碼錯誤。"');
    expect(wrong.output).toContain('Reply-Message = "Wrong username or password."');
    // A bare name on the county's own NAS is the county's account.
    expect((await pap('teacher01', DEMO_PASSWORD)).answer).toBe('Access-Accept');
    const realm = await pap('teacher01@example.org', DEMO_PASSWORD);
    expect(realm.answer).toBe('Access-Reject');
    expect(realm.output).toContain('cyc.edu.tw');
  });

  it('connects a teacher over EAP-TTLS/PAP with the anonymous identity and refuses a wrong password', async () => {
    const ok = await eap('teacher01@cyc.edu.tw', DEMO_PASSWORD);
    expect(ok.ok, `${ok.output.slice(-3000)}\n${radius.output.slice(-3000)}`).toBe(true);
    expect(ok.output).toContain(`Class`);
    const wrong = await eap('teacher01@cyc.edu.tw', 'not-the-password');
    expect(wrong.ok).toBe(false);
  });

  it('refuses pending, suspended, departed and profile-incomplete accounts, on EAP and with the reason on PAP', async () => {
    await account('wifipending', 'pending_review');
    await account('wifisuspended', 'suspended');
    await account('wifidone', 'departed');
    await account('wifinoprofile', 'active', false);
    for (const name of ['wifipending', 'wifisuspended', 'wifidone', 'wifinoprofile']) {
      expect((await eap(`${name}@cyc.edu.tw`, DEMO_PASSWORD)).ok, name).toBe(false);
    }
    expect((await pap('wifisuspended@cyc.edu.tw', DEMO_PASSWORD)).output).toContain('此帳號已暫停使用');
    expect((await pap('wifidone@cyc.edu.tw', DEMO_PASSWORD)).output).toContain('This account is closed');
    expect((await pap('wifinoprofile@cyc.edu.tw', DEMO_PASSWORD)).output).toContain('填寫基本資料');
  });

  it('refuses a teacher at once when the county marks the account departed', async () => {
    await account('wifileaver', 'active');
    expect((await eap('wifileaver@cyc.edu.tw', DEMO_PASSWORD)).ok).toBe(true);
    const tenant = await findTenant(t.county.db, 'cyc');
    const leaver = await findAccountByUsername(t.county.db, 'cyc', 'wifileaver');
    if (!tenant || !leaver) throw new Error('missing test data');
    await t.county.db.transaction().execute((tx) =>
      departAccount(t.county, tx, {
        tenant,
        accountId: leaver.id,
        reason: '退休',
        actor: 'cycadmin',
        ip: null,
      }),
    );
    const started = Date.now();
    expect((await eap('wifileaver@cyc.edu.tw', DEMO_PASSWORD)).ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('a burst of guesses from another device does not lock the teacher out of their own', async () => {
    await account('wifitarget', 'active');
    const own = '02:00:00:00:00:aa';
    const before = await eap('wifitarget@cyc.edu.tw', DEMO_PASSWORD, own);
    expect(before.ok, before.output.slice(-3000)).toBe(true);
    // 60 guesses (more than the account's budget of 50 an hour) from an attacker's device.
    const guesses = await Promise.all(
      Array.from({ length: 6 }, (_, batch) =>
        radclient(
          authPort,
          'auth',
          secret,
          Array.from(
            { length: 10 },
            (_, i) =>
              `${[
                'User-Name = "wifitarget@cyc.edu.tw"',
                `User-Password = "guess-${batch}-${i}"`,
                'Calling-Station-Id = "02-00-00-00-00-BB"',
                'Message-Authenticator = 0x00',
              ].join(', ')}\n`,
          ),
        ),
      ),
    );
    expect(guesses.every((g) => !g.output.includes('Received Access-Accept'))).toBe(true);
    expect(
      guesses.map((g) => g.output.match(/Received Access-Reject/g)?.length ?? 0).reduce((a, b) => a + b),
    ).toBe(60);
    // The attacker's device is now throttled, even with the right password…
    const attacker = await pap('wifitarget@cyc.edu.tw', DEMO_PASSWORD, '02-00-00-00-00-BB');
    expect(attacker.answer).toBe('Access-Reject');
    expect(attacker.output).toContain('密碼錯誤次數過多');
    // …and the teacher's own laptop still connects.
    const after = await eap('wifitarget@cyc.edu.tw', DEMO_PASSWORD, own);
    expect(after.ok, radius.output.slice(-4000)).toBe(true);
  }, 120_000);

  it('shows accounting Start and Stop on the teacher’s 「我的連線紀錄」 and to an audited administrator search', async () => {
    const acct = (status: string, extra: string[]) =>
      radclient(acctPort, 'acct', secret, [
        `Acct-Status-Type = ${status}`,
        'User-Name = "teacher01@cyc.edu.tw"',
        'Acct-Session-Id = "vpn-0001"',
        'Calling-Station-Id = "02-00-00-00-00-CC"',
        'Framed-IP-Address = 10.20.30.40',
        'NAS-Identifier = "ocserv"',
        ...extra,
      ]);
    expect((await acct('Start', [])).answer).toBe('Accounting-Response');
    expect(
      (
        await acct('Stop', [
          'Acct-Input-Octets = 2048',
          'Acct-Output-Octets = 5242880',
          'Acct-Session-Time = 60',
        ])
      ).answer,
    ).toBe('Accounting-Response');
    const c = new TestClient(t.app);
    await c.get('/cyc/login');
    await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD });
    const records = await c.get('/cyc/account/connections');
    expect(records.status).toBe(200);
    expect(records.body).toContain('我的連線紀錄');
    expect(records.body).toContain('test-nas');
    expect(records.body).toContain('02:00:00:00:00:cc');
    expect(records.body).toContain('10.20.30.40');
    expect(records.body).toContain('2.0 KiB / 5.0 MiB');

    const admin = new TestClient(t.app);
    await admin.get('/cyc/login');
    await admin.post('/cyc/login', { username: 'cycadmin', password: DEMO_PASSWORD });
    await admin.get('/cyc/manage/radius');
    const found = await admin.post('/cyc/manage/radius/search', { q: '02-00-00-00-00-CC' });
    expect(found.body).toContain('teacher01');
    expect(found.body).toContain('10.20.30.40');
    const audited = await t.county.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('action', '=', 'radius.records_searched')
      .execute();
    expect(audited.map((a) => a.actor)).toContain('cycadmin');
  });

  it('keeps the portal working while FreeRADIUS is down, and RADIUS works again when it returns', async () => {
    await radius.stop();
    expect((await pap('teacher01@cyc.edu.tw', DEMO_PASSWORD)).answer).toBe('none');
    const c = new TestClient(t.app);
    await c.get('/cyc/login');
    await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD });
    const page = await c.get('/cyc/account/connections');
    expect(page.status).toBe(200);
    expect((await c.get('/cyc/vpn')).body).toContain('EAP-TTLS');
    await radius.start();
    expect((await pap('teacher01@cyc.edu.tw', DEMO_PASSWORD)).answer).toBe('Access-Accept');
  }, 60_000);

  it('serves the RADIUS API on the admin listener to FreeRADIUS only, never on the public port', async () => {
    const body = JSON.stringify({ 'User-Name': { value: ['teacher01@cyc.edu.tw'] } });
    const headers = { 'content-type': 'application/json' };
    const publicAnswer = await fetch(
      `http://127.0.0.1:${t.config.countyPort}/admin/api/radius/v1/authorize?nas=cyc.test-nas`,
      {
        method: 'POST',
        headers,
        body,
      },
    );
    expect(publicAnswer.status).toBe(404);
    const admin = await fetch(
      `http://127.0.0.1:${t.config.adminPort + 1}/admin/api/radius/v1/authorize?nas=cyc.test-nas`,
      {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${t.ctx.secrets.adminToken}` },
        body,
      },
    );
    expect(admin.status).toBe(401);
  });
});
