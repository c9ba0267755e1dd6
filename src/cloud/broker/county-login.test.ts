import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { SecretBox } from '../../platform/security/secret-box.ts';
import { CookieBrowser, formOn, type PageResult } from '../../platform/testing/cookie-browser.ts';
import { exercises } from '../../platform/testing/flow-coverage.ts';
import { FIRST_LOGIN } from '../first-login/transitions.ts';
import { type CloudInstance, startCloudInstance } from '../testing/cloud-instance.ts';
import { type CountyPeer, connectCounty, peerTeacher, startCountyPeer } from '../testing/county-peer.ts';
import { linkedAccount } from '../testing/database.ts';
import { COUNTY_CLIENT_PURPOSE, CountyRegistry } from './counties.ts';

const guidOf = (nationalId: string) => createHash('sha256').update(nationalId).digest('hex');
const SECRET = 'peer-client-secret';

let cloud: CloudInstance;
let cyc: CountyPeer;
let tn: CountyPeer;

const teacher = (id: string, username: string, nationalId: string, schoolid: string) =>
  peerTeacher(id, username, nationalId, { schoolid, titles: ['教師', '資訊組長'] });

beforeAll(async () => {
  const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
  cloud = await startCloudInstance(database);
  const redirectUri = `${cloud.url}/cncreturnpage`;
  cyc = await startCountyPeer({
    clientId: 'educloud',
    clientSecret: SECRET,
    redirectUri,
    accounts: [
      teacher('cyc-1', 'teacher01', 'A128765434', '454503'),
      teacher('cyc-2', 'wanderer', 'D220112230', '454601'),
      teacher('cyc-3', 'stranger', 'Q123456782', '454602'),
      teacher('cyc-7', 'again', 'A189135648', '454503'),
      // Typed teacher02's national ID into the county profile.
      teacher('cyc-5', 'impostor', 'D220112230', '454602'),
      { ...teacher('cyc-9', 'gone', 'R223456785', '454503'), suspended: true },
      // Two county accounts of one person, each linked to a cloud account of its own.
      teacher('cyc-11', 'twice1', 'A100042429', '454503'),
      teacher('cyc-12', 'twice2', 'A100042429', '454503'),
    ],
  });
  tn = await startCountyPeer({
    clientId: 'educloud',
    clientSecret: SECRET,
    redirectUri,
    accounts: [teacher('tn-2', 'teacher02', 'D220112230', '114620')],
  });
  await connectCounty(
    cloud.services.counties,
    { code: 'cyc', name: '嘉義縣', peer: cyc },
    { clientSecret: SECRET },
  );
  await connectCounty(
    cloud.services.counties,
    { code: 'tn', name: '臺南市', peer: tn },
    { clientSecret: SECRET },
  );
}, 60_000);

afterAll(async () => {
  await cloud?.close();
  await cyc?.close();
  await tn?.close();
});

async function countyLogin(
  browser: CookieBrowser,
  county: string,
  returnTo = '/account',
): Promise<PageResult> {
  return browser.follow(`${cloud.url}/login/county/${county}?return_to=${encodeURIComponent(returnTo)}`);
}

async function post(
  browser: CookieBrowser,
  page: PageResult,
  action: string,
  form: Record<string, string> = {},
) {
  const { action: url, fields } = formOn(page, action);
  return browser.follow(url, { form: { ...fields, ...form } });
}

/** Walks the whole first login with the given name and password. */
async function createAccount(browser: CookieBrowser, county: string, name: string, password: string) {
  let page = await countyLogin(browser, county);
  expect(page.text).toContain('很抱歉，您沒有教育雲端帳號！');
  page = await post(browser, page, '/first-login/create');
  const choose = await browser.follow(
    new URL(
      page.text.match(/href="(\/first-login\/choose[^"]*)"/)?.[1]?.replaceAll('&amp;', '&') ?? '',
      cloud.url,
    ),
  );
  page = await post(browser, choose, '/first-login/name', { name });
  page = await post(browser, page, '/first-login/password', {
    password,
    password_confirm: password,
    email: '',
    email_confirm: '',
  });
  return post(browser, page, '/first-login/consent', { decision: 'accept' });
}

describe('county login brokering and the first login', () => {
  it('walks 很抱歉 → 我要建立帳號 → suggested name → password → consent → success', async () => {
    exercises(FIRST_LOGIN, 'no_account', 'create');
    exercises(FIRST_LOGIN, 'choose_name', 'name');
    exercises(FIRST_LOGIN, 'set_password', 'password');
    exercises(FIRST_LOGIN, 'consent', 'accept');
    const browser = new CookieBrowser();
    cyc.loginAs('cyc-1');
    let page = await countyLogin(browser, 'cyc');
    expect(page.url.pathname).toBe('/first-login');
    expect(page.text).toContain('很抱歉，您沒有教育雲端帳號！');
    expect(page.text).toContain('王小明，您還沒有教育雲端帳號');

    page = await post(browser, page, '/first-login/create');
    expect(page.text).toContain('即將為您建立教育雲端帳號');
    expect(page.text).toContain('<strong id="suggested-name">teacher01</strong>@mail.edu.tw');
    expect(page.text).toContain('我不喜歡上面的帳號');

    // The live check behind 「我不喜歡上面的帳號」.
    const flow = page.url.searchParams.get('flow') ?? '';
    const check = async (name: string) => {
      const response = await browser.request(
        `${cloud.url}/first-login/name-check?flow=${flow}&name=${encodeURIComponent(name)}`,
        { accept: 'application/json' },
      );
      return (await response.json()) as { available: boolean; problems: string[] };
    };
    expect(await check('teacher01')).toMatchObject({ available: true });
    expect((await check('admin.1')).problems).toContain('account_name.reserved');
    expect((await check('1abcdef')).problems).toContain('account_name.start');

    page = await post(browser, page, '/first-login/name', { name: 'teacher01' });
    expect(page.text).toContain('申請教育雲端帳號');

    const mismatch = await post(browser, page, '/first-login/password', {
      password: 'Correct-horse-77',
      password_confirm: 'Correct-horse-78',
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.text).toContain('兩次輸入的密碼不一致');

    page = await post(browser, mismatch, '/first-login/password', {
      password: 'Correct-horse-77',
      password_confirm: 'Correct-horse-77',
      email: 'backup@example.org',
      email_confirm: 'backup@example.org',
    });
    for (const line of [
      '檢視您的個人基本資料',
      '檢視您的電子郵件',
      '檢視您的網路認證資料',
      '檢視您的OpenID個人網址',
      '檢視您的任職或就學資料',
      '檢視您的客制化角色別',
    ]) {
      expect(page.text).toContain(line);
    }
    page = await post(browser, page, '/first-login/consent', { decision: 'accept' });
    expect(page.text).toContain('您的教育雲帳號已啟用成功');
    expect(page.text).toContain('teacher01@mail.edu.tw');

    const account = await cloud.services.accounts.byName('teacher01');
    expect(account?.pendingBackupEmail).toBe('backup@example.org');
    expect(account?.guidHash).toMatch(/^[0-9a-f]{64}$/);
    expect(account?.guidHash).not.toBe(guidOf('A128765434'));
    const mails = await cloud.services.db
      .selectFrom('mail_outbox')
      .select(['to_address', 'text_body'])
      .execute();
    expect(
      mails.some(
        (m) =>
          m.to_address === 'backup@example.org' &&
          m.text_body.includes('/account/backup-email/verify?token='),
      ),
    ).toBe(true);

    const accountPage = await browser.follow(`${cloud.url}/account`);
    expect(accountPage.text).toContain('嘉義縣：teacher01');
  });

  it('signs a linked county identity straight in and refreshes the copy of its schools and titles', async () => {
    const peer = cyc.accounts.get('cyc-1');
    if (!peer) throw new Error('missing peer account');
    peer.claims.titles = [{ schoolid: '454503', titles: ['教師', '教務主任'] }];
    const browser = new CookieBrowser();
    cyc.loginAs('cyc-1');
    const page = await countyLogin(browser, 'cyc');
    expect(page.url.pathname).toBe('/account');
    expect(page.text).toContain('teacher01@mail.edu.tw');
    const identity = await cloud.services.accounts.identity(cyc.issuer, 'cyc-1');
    expect(identity?.snapshot.titles).toEqual([{ schoolid: '454503', titles: ['教師', '教務主任'] }]);
  });

  it('refuses a replayed or forged /cncreturnpage', async () => {
    const browser = new CookieBrowser();
    cyc.loginAs('cyc-1');
    const callback = await browser.follow(`${cloud.url}/login/county/cyc`, {
      stopBefore: `${cloud.url}/cncreturnpage`,
    });
    expect(callback.url.pathname).toBe('/cncreturnpage');
    const first = await browser.follow(callback.url);
    expect(first.url.pathname).toBe('/account');

    const replay = await browser.follow(callback.url);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('這個登入回應已失效');

    const forged = new URL(callback.url);
    forged.searchParams.set('state', 'forged-state');
    expect((await browser.follow(forged)).status).toBe(400);

    // Someone else's browser cannot use a callback it intercepted.
    const browser2 = new CookieBrowser();
    const callback2 = await browser2.follow(`${cloud.url}/login/county/cyc`, {
      stopBefore: `${cloud.url}/cncreturnpage`,
    });
    const thief = new CookieBrowser();
    const stolen = await thief.follow(callback2.url);
    expect(stolen.status).toBe(400);
    expect(await thief.follow(`${cloud.url}/account`)).toMatchObject({
      url: expect.objectContaining({ pathname: '/login' }),
    });
  });

  it('a county-A identity cannot reach an account linked to county B without its password', async () => {
    // teacher02 has a cloud account through 臺南市.
    const tnBrowser = new CookieBrowser();
    tn.loginAs('tn-2');
    const done = await createAccount(tnBrowser, 'tn', 'teacher02', 'Tainan-pass-2026');
    expect(done.text).toContain('teacher02@mail.edu.tw');

    // Another person in 嘉義縣 tries to link to it with a guessed password, then with the right one.
    const attacker = new CookieBrowser();
    cyc.loginAs('cyc-3');
    let page = await countyLogin(attacker, 'cyc');
    expect(page.text).toContain('很抱歉，您沒有教育雲端帳號！');
    page = await attacker.follow(
      new URL(
        page.text.match(/href="(\/first-login\/link-existing[^"]*)"/)?.[1]?.replaceAll('&amp;', '&') ?? '',
        cloud.url,
      ),
    );
    const wrong = await post(attacker, page, '/first-login/link', {
      name: 'teacher02@mail.edu.tw',
      password: 'guess-guess-1',
    });
    expect(wrong.status).toBe(401);
    const otherPerson = await post(attacker, wrong, '/first-login/link', {
      name: 'teacher02',
      password: 'Tainan-pass-2026',
    });
    expect(otherPerson.status).toBe(409);
    expect(otherPerson.text).toContain('屬於另一個人');
    expect(await cloud.services.accounts.identity(cyc.issuer, 'cyc-3')).toBeUndefined();
    const teacher02 = await cloud.services.accounts.byName('teacher02');
    expect((await cloud.services.accounts.identities(teacher02?.id ?? '')).map((i) => i.countyCode)).toEqual([
      'tn',
    ]);
  });

  it('a teacher who moved links the new county identity (same guid) only after the cloud password', async () => {
    exercises(FIRST_LOGIN, 'link', 'link');
    const browser = new CookieBrowser();
    cyc.loginAs('cyc-2');
    let page = await countyLogin(browser, 'cyc');
    expect(page.text).toContain('依您的身分證號，已有一個教育雲端帳號屬於您');
    expect(page.text).not.toContain('teacher02');
    expect(await cloud.services.accounts.identity(cyc.issuer, 'cyc-2')).toBeUndefined();
    page = await post(browser, page, '/first-login/link', { password: 'wrong-password-1' });
    expect(page.status).toBe(401);
    expect(await cloud.services.accounts.identity(cyc.issuer, 'cyc-2')).toBeUndefined();
    page = await post(browser, page, '/first-login/link', { password: 'Tainan-pass-2026' });
    expect(page.url.pathname).toBe('/account');
    expect(page.text).toContain('嘉義縣：wanderer');
    expect(page.text).toContain('臺南市：teacher02');

    // Next time 嘉義縣 signs straight in to the same account.
    const again = new CookieBrowser();
    const next = await countyLogin(again, 'cyc');
    expect(next.text).toContain('teacher02@mail.edu.tw');
  });

  it('signs in a linked identity whose national ID another cloud account holds already, and leaves both accounts as they are', async () => {
    const { services } = cloud;
    const link = (name: string, subject: string, username: string) =>
      linkedAccount(
        services,
        { name, familyName: '林', givenName: '重複', password: 'Twice-pass-2026' },
        { countyCode: 'cyc', issuer: cyc.issuer, subject, snapshot: { username } },
      );
    const first = await link('twice01', 'cyc-11', 'twice1');
    const second = await link('twice02', 'cyc-12', 'twice2');
    cyc.loginAs('cyc-11');
    expect((await countyLogin(new CookieBrowser(), 'cyc')).url.pathname).toBe('/account');
    const held = (await services.accounts.byId(first.id))?.guidHash;
    expect(held).toMatch(/^[0-9a-f]{64}$/);

    // The second account cannot take the national ID too; its owner signs in all the same.
    cyc.loginAs('cyc-12');
    const page = await countyLogin(new CookieBrowser(), 'cyc');
    expect(page.status).toBe(200);
    expect(page.url.pathname).toBe('/account');
    expect(page.text).toContain('twice02@mail.edu.tw');
    expect((await services.accounts.byId(second.id))?.guidHash).toBeNull();
    expect((await services.accounts.byId(first.id))?.guidHash).toBe(held);
    const audited = await services.db
      .selectFrom('audit_log')
      .select('actor')
      .where('action', '=', 'login.succeeded')
      .where('actor', '=', 'twice02')
      .execute();
    expect(audited).toHaveLength(1);
  });

  it('shows a clear message when the county refuses a suspended account', async () => {
    const browser = new CookieBrowser();
    cyc.loginAs('cyc-9');
    const page = await countyLogin(browser, 'cyc');
    expect(page.status).toBe(403);
    expect(page.text).toContain('嘉義縣拒絕了這次登入：您的縣市帳號已暫停使用');
    // The county's protocol words are read, never shown.
    expect(page.text).not.toContain('account suspended');
    expect(page.text).not.toContain('重新登入');
  });

  it('a county that is down gives a clear message and the others keep working', async () => {
    await cloud.services.counties.upsert({
      code: 'down',
      name: '停機縣',
      issuer: 'http://127.0.0.1:9',
      clientId: 'educloud',
      clientSecret: SECRET,
    });
    const browser = new CookieBrowser();
    const page = await countyLogin(browser, 'down');
    expect(page.status).toBe(502);
    expect(page.text).toContain('目前無法連線到停機縣的登入服務');
    tn.loginAs('tn-2');
    expect((await countyLogin(browser, 'tn')).text).toContain('teacher02@mail.edu.tw');
    await cloud.services.counties.remove('down');
  });

  it('takes a county client secret corrected on another node of the cloud at once', async () => {
    // Another node: a registry of its own over the same database, whose changes this node only
    // learns from the database.
    const { db, ctx } = cloud.services;
    const otherNode = new CountyRegistry(db, new SecretBox(ctx.secrets.secret, COUNTY_CLIENT_PURPOSE));
    try {
      await connectCounty(
        cloud.services.counties,
        { code: 'tn', name: '臺南市', peer: tn },
        { clientSecret: 'mistyped' },
      );
      tn.loginAs('tn-2');
      const refused = await countyLogin(new CookieBrowser(), 'tn');
      expect(refused.text).not.toContain('teacher02@mail.edu.tw');
      await connectCounty(otherNode, { code: 'tn', name: '臺南市', peer: tn }, { clientSecret: SECRET });
      // This node hears the change when the database's announcement arrives (a moment).
      await expect
        .poll(async () => (await countyLogin(new CookieBrowser(), 'tn')).text, { timeout: 2_000 })
        .toContain('teacher02@mail.edu.tw');
    } finally {
      await connectCounty(
        cloud.services.counties,
        { code: 'tn', name: '臺南市', peer: tn },
        { clientSecret: SECRET },
      );
    }
  });

  it('a suspended cloud account cannot sign in, by county or by password', async () => {
    const account = await cloud.services.accounts.byName('teacher02');
    await cloud.services.accounts.setState(account?.id ?? '', 'suspended');
    tn.loginAs('tn-2');
    const browser = new CookieBrowser();
    const viaCounty = await countyLogin(browser, 'tn');
    expect(viaCounty.status).toBe(403);
    const login = await browser.follow(`${cloud.url}/login`);
    const viaPassword = await post(browser, login, '/login', {
      name: 'teacher02',
      password: 'Tainan-pass-2026',
    });
    expect(viaPassword.status).toBe(403);
    expect(viaPassword.text).toContain('已被停用');
    await cloud.services.accounts.setState(account?.id ?? '', 'active');
    const ok = await post(browser, viaPassword, '/login', {
      name: 'Teacher02@mail.edu.tw',
      password: 'Tainan-pass-2026',
    });
    expect(ok.url.pathname).toBe('/account');
  });

  it('a fresh sign-in (ForceAuthn, prompt=login) does not let a live county session stand in for it', async () => {
    const browser = new CookieBrowser();
    cyc.loginAs('cyc-1');
    expect((await countyLogin(browser, 'cyc')).url.pathname).toBe('/account');
    // The cloud login asked for fresh credentials offers the counties with the same demand…
    const login = await browser.follow(`${cloud.url}/login?return_to=%2Faccount&reauth=1`);
    expect(login.text).toContain('href="/login/county/cyc?return_to=%2Faccount&amp;reauth=1"');
    // …and the county is asked for a new sign-in, not its session.
    const toCounty = await browser.follow(`${cloud.url}/login/county/cyc?return_to=%2Faccount&reauth=1`, {
      stopBefore: cyc.issuer,
    });
    expect(toCounty.url.searchParams.get('prompt')).toBe('login');
    expect(toCounty.url.searchParams.get('max_age')).toBe('0');
    const back = await browser.follow(toCounty.url);
    expect(back.url.pathname).toBe('/account');
    // Without the demand, the county session is enough (single sign-on) and no prompt is sent.
    const plain = await browser.follow(`${cloud.url}/login/county/cyc?return_to=%2Faccount`, {
      stopBefore: cyc.issuer,
    });
    expect(plain.url.searchParams.get('prompt')).toBeNull();
  });
});

describe('fresh credentials through a county login (prompt=login at the cloud)', () => {
  const RP = 'http://127.0.0.1:9/callback';
  const seconds = () => Math.floor(Date.now() / 1000);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('carries prompt=login to the county, takes its auth_time, and refuses a county that did not ask again', async () => {
    const { services } = cloud;
    await linkedAccount(
      services,
      { name: 'again01', familyName: '王', givenName: '再登', password: 'Again-pass-2026' },
      {
        countyCode: 'cyc',
        issuer: cyc.issuer,
        subject: 'cyc-7',
        snapshot: { username: 'again', email: 'again@example.org' },
      },
    );
    const rp = await services.oidc!.clients.add({ name: '校務系統', redirectUris: [RP], scopes: ['openid'] });
    const config = await client.discovery(
      new URL(cloud.url),
      rp.client_id,
      rp.client_secret,
      client.ClientSecretBasic(rp.client_secret as string),
      { execute: [client.allowInsecureRequests] },
    );
    const browser = new CookieBrowser();
    cyc.loginAs('cyc-7');
    expect((await countyLogin(browser, 'cyc')).url.pathname).toBe('/account');
    await pause(1100);

    const authorize = async () => {
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: RP,
        scope: 'openid',
        prompt: 'login',
        state: 'st',
        nonce,
      });
      // The cloud's login form again, although the browser is signed in.
      const login = await browser.follow(url, { stopBefore: RP });
      expect(login.url.pathname).toBe('/login');
      expect(login.url.searchParams.get('reauth')).toBe('1');
      const county =
        /href="(\/login\/county\/cyc\?[^"]*)"/.exec(login.text)?.[1]?.replaceAll('&amp;', '&') ?? '';
      expect(county).toContain('reauth=1');
      const askedAt = seconds();
      let page = await browser.follow(new URL(county, cloud.url), { stopBefore: RP });
      if (page.text.includes('/consent')) {
        const { action, fields } = formOn(page, '/consent');
        page = await browser.follow(action, { form: { ...fields, decision: 'allow' }, stopBefore: RP });
      }
      return { page, askedAt, nonce };
    };

    const fresh = await authorize();
    expect(cyc.prompts.at(-1)).toBe('login');
    expect(fresh.page.url.href.startsWith(RP), fresh.page.text.slice(0, 300)).toBe(true);
    const tokens = await client.authorizationCodeGrant(config, fresh.page.url, {
      expectedState: 'st',
      expectedNonce: fresh.nonce,
    });
    expect(tokens.claims()?.auth_time).toBeGreaterThanOrEqual(fresh.askedAt);

    // A county that answers with an old sign-in instead of asking again is refused.
    cyc.authenticatedAgo(600);
    try {
      const stale = await authorize();
      expect(stale.page.status).toBe(403);
      expect(stale.page.text).toContain('沒有重新確認您的身分');
    } finally {
      cyc.authenticatedAgo(0);
    }
  });

  it('a county identity carrying someone else’s national ID learns no account name, and its password guesses are throttled and audited', async () => {
    const attacker = new CookieBrowser();
    cyc.loginAs('cyc-5');
    let page = await countyLogin(attacker, 'cyc');
    expect(page.url.pathname).toBe('/first-login');
    expect(page.text).not.toContain('teacher02');
    expect(page.text).not.toContain('mail.edu.tw');
    const english = await attacker.follow(`${page.url.href}&lang=en`);
    expect(english.text).toContain('an education cloud account is already yours');
    expect(english.text).not.toContain('teacher02');
    page = await attacker.follow(`${page.url.href}&lang=zh-TW`);

    // Wrong guesses are answered without the account's name, until the budget is spent (the
    // account's and this address's counters hold the earlier tests' failures as well).
    let failures = 0;
    const form = page;
    for (;;) {
      page = await post(attacker, form, '/first-login/link', { password: `guess-number-${failures}` });
      expect(page.text).not.toContain('teacher02');
      if (page.status === 429) break;
      expect(page.status).toBe(401);
      expect(page.text).toContain('密碼錯誤');
      failures++;
      expect(failures).toBeLessThanOrEqual(5);
    }
    expect(failures).toBeGreaterThan(0);
    const throttled = await post(attacker, form, '/first-login/link', { password: 'Tainan-pass-2026' });
    expect(throttled.status).toBe(429);
    expect(await cloud.services.accounts.identity(cyc.issuer, 'cyc-5')).toBeUndefined();
    const teacher02 = await cloud.services.accounts.byName('teacher02');
    const audit = await cloud.services.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', 'in', ['identity.link_offered', 'identity.link_failed'])
      .where('actor', '=', 'cyc:impostor')
      .orderBy('id')
      .execute();
    expect(audit.map((e) => e.action)).toEqual([
      'identity.link_offered',
      ...Array(failures).fill('identity.link_failed'),
    ]);
    expect(audit.every((e) => e.target === teacher02?.id)).toBe(true);
  });
});
