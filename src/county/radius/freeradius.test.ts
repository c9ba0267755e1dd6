import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../platform/config/options.ts';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { missingService } from '../../platform/testing/services.ts';
import { departAccount } from '../accounts/lifecycle.ts';
import { findAccountByUsername, insertAccount } from '../accounts/repository.ts';
import type { AccountState } from '../schema.ts';
import { findTenant } from '../tenants/tenants.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';
import { papAccessRequest } from './nas-request.ts';
import { eapolTtlsPap, FREERADIUS, radclient, radiusPeersInstalled } from './peers.ts';
import { addNas, RadiusFront, radiusCli } from './testing.ts';

const NAS_LIFETIME_S = 2;

/**
 * A demo teacher's PAP request to the FreeRADIUS on `port` as a NAS at `address` sends it (radclient
 * sends from the address in Packet-Src-IP-Address: a NAS elsewhere than test-nas).
 */
/** A PAP request as a NAS at `address` would send it; dropped ones ('none') are waited for `timeoutSeconds`. */
const papFrom = (port: number, address: string, nasSecret: string, timeoutSeconds = 1) =>
  radclient(
    port,
    'auth',
    nasSecret,
    [
      `Packet-Src-IP-Address = ${address}`,
      'User-Name = "teacher01@cyc.edu.tw"',
      `User-Password = "${DEMO_PASSWORD}"`,
      'Message-Authenticator = 0x00',
    ],
    { timeoutSeconds },
  );

const skip =
  !radiusPeersInstalled() &&
  missingService(
    'FreeRADIUS (freeradius, freeradius-rest, freeradius-utils, eapoltest)',
    'apt-get install freeradius freeradius-rest freeradius-utils eapoltest',
  );

describe.skipIf(skip)('Wi-Fi and VPN through FreeRADIUS', () => {
  let t: CountyTestApp & { config: Config };
  let front: RadiusFront;
  let secret: string;
  let authPort: number;
  let acctPort: number;
  const cli = (args: string[]) => radiusCli(t.config, args);

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
      caFile: front.caFile,
      domain: 'radius.cyc.edu.tw',
      mac,
    });

  async function account(username: string, state: AccountState, complete = true, password = DEMO_PASSWORD) {
    const hash = await t.county.hasher.hash(password);
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
    const added = await cli([
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
    // FreeRADIUS asks again for a NAS it heard from 2 seconds before (60 by default).
    front = await RadiusFront.start(t.config, ['--nas-lifetime', String(NAS_LIFETIME_S)]);
    authPort = front.authPort;
    acctPort = front.acctPort;
  }, 180_000);

  afterAll(async () => {
    await front?.close();
    await t?.close();
  });

  it('accepts a VPN login (PAP) with the unit code as Class and a Session-Timeout', async () => {
    const r = await pap('teacher01@cyc.edu.tw', DEMO_PASSWORD);
    expect(r.answer, `${r.output}\n${front.freeradius.output}`).toBe('Access-Accept');
    expect(r.output).toContain(`Class = 0x${Buffer.from('454503').toString('hex')}`);
    expect(r.output).toContain('Session-Timeout = 28800');
  });
  it('writes TANet roaming proxy realms that FreeRADIUS accepts', async () => {
    const roamingDir = mkdtempSync(join(tmpdir(), 'edugate-freeradius-roaming-'));
    try {
      const written = await cli([
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

  it('takes a NAS added, given a new secret or removed while FreeRADIUS runs, without a restart', async () => {
    const from = (address: string, nasSecret: string, timeoutSeconds?: number) =>
      papFrom(authPort, address, nasSecret, timeoutSeconds);
    /** Seconds until `address` is answered `expected` with `nasSecret`. */
    const until = async (address: string, nasSecret: string, expected: string) => {
      const started = performance.now();
      for (;;) {
        const r = await from(address, nasSecret);
        if (r.answer === expected) return (performance.now() - started) / 1000;
        if (performance.now() - started > 30_000) throw new Error(`still ${r.answer}:\n${r.output}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    // No NAS at 127.0.0.2: FreeRADIUS asks EduGate, which knows none, and drops the request.
    expect((await from('127.0.0.2', 'guessed-secret')).answer).toBe('none');
    const first = await addNas(t.config, 'moving', '127.0.0.2');
    // Added: answered at once (FreeRADIUS asks on the first request it hears from the address). That
    // first answer waits for EduGate's NAS lookup and the password check: given 5 s on a busy machine.
    expect((await from('127.0.0.2', first, 5)).answer).toBe('Access-Accept');

    const renewed = await cli(['nas', 'secret', '--tenant', 'cyc', '--name', 'moving']);
    expect(renewed.code, renewed.output).toBe(0);
    const second = (JSON.parse(renewed.output) as { name: string; secret: string }).secret;
    expect(second).not.toBe(first);
    // A new secret: taken within the NAS's lifetime; the old one is not answered any more.
    expect(await until('127.0.0.2', second, 'Access-Accept')).toBeLessThan(NAS_LIFETIME_S + 2);
    expect((await from('127.0.0.2', first)).answer).toBe('none');

    const removed = await cli(['nas', 'remove', '--tenant', 'cyc', '--name', 'moving']);
    expect(removed.code, removed.output).toBe(0);
    // Removed: EduGate refuses it at once (Access-Reject while FreeRADIUS still remembers the NAS),
    // and FreeRADIUS drops its requests within the lifetime.
    expect(['Access-Reject', 'none']).toContain((await from('127.0.0.2', second)).answer);
    expect(await until('127.0.0.2', second, 'none')).toBeLessThan(NAS_LIFETIME_S + 2);
    // test-nas carries on.
    expect((await pap('teacher01@cyc.edu.tw', DEMO_PASSWORD)).answer).toBe('Access-Accept');
  }, 120_000);

  it('drops requests from an address with no NAS without asking EduGate again for --unknown-nas-lifetime seconds', async () => {
    const remembering = await RadiusFront.start(t.config, [
      '--nas-lifetime',
      String(NAS_LIFETIME_S),
      '--unknown-nas-lifetime',
      '15',
    ]);
    // The NAS lookups EduGate answered "no NAS at this address" (404), from its metrics.
    const unknownLookups = async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${t.config.adminPort + 1}/metrics`)).text();
      const line = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith('edugate_http_request_duration_seconds_count{') &&
            l.includes('route="/admin/api/radius/v1/client"') &&
            l.includes('status="404"'),
        );
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const from = (address: string, nasSecret: string) => papFrom(remembering.authPort, address, nasSecret);
    try {
      const before = await unknownLookups();
      for (let i = 0; i < 3; i++) expect((await from('127.0.0.4', 'guessed-secret')).answer).toBe('none');
      // Three requests, one question to EduGate.
      expect((await unknownLookups()) - before).toBe(1);
      // A NAS added at that address is answered once FreeRADIUS has forgotten the answer.
      const nasSecret = await addNas(t.config, 'after-guesses', '127.0.0.4');
      const started = performance.now();
      let answer = (await from('127.0.0.4', nasSecret)).answer;
      expect(answer).toBe('none');
      while (answer !== 'Access-Accept' && performance.now() - started < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        answer = (await from('127.0.0.4', nasSecret)).answer;
      }
      expect(answer).toBe('Access-Accept');
      expect((performance.now() - started) / 1000).toBeLessThan(17);
      // The NAS known before keeps being answered through the same FreeRADIUS.
      const known = await radclient(remembering.authPort, 'auth', secret, [
        'User-Name = "teacher01@cyc.edu.tw"',
        `User-Password = "${DEMO_PASSWORD}"`,
        'Message-Authenticator = 0x00',
      ]);
      expect(known.answer).toBe('Access-Accept');
    } finally {
      await remembering.close();
    }
  }, 90_000);

  it('accepts the PAP Access-Request the bench sends (a password over 16 bytes) and drops it under a wrong secret', async () => {
    const password = 'a passphrase of 34 bytes, or more!';
    await account('longpass', 'active', true, password);
    const nasSecret = await addNas(t.config, 'encoder', '127.0.0.3');
    const send = (packet: Buffer) =>
      new Promise<number | undefined>((resolve) => {
        const socket = createSocket('udp4');
        const timer = setTimeout(() => {
          socket.close();
          resolve(undefined);
        }, 3000);
        socket.on('message', (answer) => {
          clearTimeout(timer);
          socket.close();
          resolve(answer[0]);
        });
        socket.bind(0, '127.0.0.3', () => socket.send(packet, authPort, '127.0.0.1'));
      });
    const request = (secretUsed: string, pass: string) =>
      papAccessRequest(7, secretUsed, 'longpass@cyc.edu.tw', pass, '198.51.100.30');
    expect(await send(request(nasSecret, password))).toBe(2); // Access-Accept
    expect(await send(request(nasSecret, password.slice(0, 17)))).toBe(3); // Access-Reject
    expect(await send(request('not-the-secret', password))).toBeUndefined(); // dropped
  }, 60_000);

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
    expect(ok.ok, `${ok.output.slice(-3000)}\n${front.freeradius.output.slice(-3000)}`).toBe(true);
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
    expect(after.ok, front.freeradius.output.slice(-4000)).toBe(true);
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
    await front.freeradius.stop();
    expect((await pap('teacher01@cyc.edu.tw', DEMO_PASSWORD)).answer).toBe('none');
    const c = new TestClient(t.app);
    await c.get('/cyc/login');
    await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD });
    const page = await c.get('/cyc/account/connections');
    expect(page.status).toBe(200);
    expect((await c.get('/cyc/vpn')).body).toContain('EAP-TTLS');
    await front.freeradius.start();
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
