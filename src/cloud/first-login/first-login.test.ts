// The first cloud login's screens through HTTP (how-to 二 (四)), for the moves the whole walk in
// broker/county-login.test.ts does not take: back to the name from the password or the consent, the
// name taken meanwhile, and linking an existing account by its name and password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { CookieBrowser, formOn, type PageResult } from '../../platform/testing/cookie-browser.ts';
import { exercises, refuses } from '../../platform/testing/flow-coverage.ts';
import { type CloudInstance, startCloudInstance } from '../testing/cloud-instance.ts';
import { type CountyPeer, peerTeacher, startCountyPeer } from '../testing/county-peer.ts';
import { FIRST_LOGIN } from './transitions.ts';

const SECRET = 'peer-client-secret';
const PASSWORD = 'Correct-horse-77';

let cloud: CloudInstance;
let cyc: CountyPeer;

beforeAll(async () => {
  const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
  cloud = await startCloudInstance(database);
  cyc = await startCountyPeer({
    clientId: 'educloud',
    clientSecret: SECRET,
    redirectUri: `${cloud.url}/cncreturnpage`,
    accounts: [
      peerTeacher('fl-1', 'goes.back', 'A128765434'),
      peerTeacher('fl-2', 'slow.one', 'D220112230'),
      peerTeacher('fl-3', 'fast.one', 'Q123456782'),
      peerTeacher('fl-4', 'has.one', 'A189135648'),
      peerTeacher('fl-5', 'out.of.order', 'R223456785'),
    ],
  });
  await cloud.services.counties.upsert({
    code: 'cyc',
    name: '嘉義縣',
    issuer: cyc.issuer,
    clientId: 'educloud',
    clientSecret: SECRET,
  });
}, 60_000);

afterAll(async () => {
  await cloud?.close();
  await cyc?.close();
});

/** Signs in at 嘉義縣 as the peer account `id`: the first-login screen, and the flow's id. */
async function arrive(browser: CookieBrowser, id: string) {
  cyc.loginAs(id);
  const page = await browser.follow(`${cloud.url}/login/county/cyc?return_to=%2Faccount`);
  expect(page.text).toContain('很抱歉，您沒有教育雲端帳號！');
  return { page, flow: page.url.searchParams.get('flow') ?? '' };
}

function post(browser: CookieBrowser, page: PageResult, action: string, form: Record<string, string> = {}) {
  const { action: url, fields } = formOn(page, action);
  return browser.follow(url, { form: { ...fields, ...form } });
}

const stateOf = async (flow: string) =>
  (
    await cloud.services.db
      .selectFrom('cloud_login_flows')
      .select('state')
      .where('id', '=', flow)
      .executeTakeFirstOrThrow()
  ).state;

/** From the first screen to the password screen, with `name`. */
async function toPassword(browser: CookieBrowser, page: PageResult, name: string) {
  const suggested = await post(browser, page, '/first-login/create');
  return post(browser, suggested, '/first-login/name', { name });
}

function choosePassword(browser: CookieBrowser, page: PageResult) {
  return post(browser, page, '/first-login/password', {
    password: PASSWORD,
    password_confirm: PASSWORD,
    email: '',
    email_confirm: '',
  });
}

describe('the first cloud login (HTTP)', () => {
  it('goes back to the name from the password screen, and from the consent, then ends with the new name', async () => {
    const browser = new CookieBrowser();
    const { page, flow } = await arrive(browser, 'fl-1');
    const password = await toPassword(browser, page, 'goes.back');
    expect(password.text).toContain('申請教育雲端帳號');

    const fromPassword = exercises(FIRST_LOGIN, 'set_password', 'back');
    let choose = await post(browser, password, '/first-login/back');
    expect(choose.url.pathname).toBe('/first-login/choose');
    expect(choose.text).toContain('選擇您的教育雲端帳號');
    expect(await stateOf(flow)).toBe(fromPassword);

    // To the consent, then back with the browser to the password screen and its 回上一步.
    const again = await post(browser, choose, '/first-login/name', { name: 'goes.back2' });
    const consent = await choosePassword(browser, again);
    expect(consent.text).toContain('授權');
    expect(await stateOf(flow)).toBe('consent');
    const fromConsent = exercises(FIRST_LOGIN, 'consent', 'back');
    choose = await post(browser, again, '/first-login/back');
    expect(choose.text).toContain('選擇您的教育雲端帳號');
    expect(await stateOf(flow)).toBe(fromConsent);

    const last = await post(browser, choose, '/first-login/name', { name: 'goes.back3' });
    const done = await post(browser, await choosePassword(browser, last), '/first-login/consent', {
      decision: 'accept',
    });
    expect(done.text).toContain('goes.back3@mail.edu.tw');
    expect(await cloud.services.accounts.byName('goes.back2')).toBeUndefined();
  });

  it('sends the person back to choose a name when someone took it before the consent', async () => {
    const slow = new CookieBrowser();
    const { page, flow } = await arrive(slow, 'fl-2');
    const consent = await choosePassword(slow, await toPassword(slow, page, 'wanted.name'));

    const fast = new CookieBrowser();
    const other = await arrive(fast, 'fl-3');
    const fastConsent = await choosePassword(fast, await toPassword(fast, other.page, 'wanted.name'));
    const taken = await post(fast, fastConsent, '/first-login/consent', { decision: 'accept' });
    expect(taken.text).toContain('wanted.name@mail.edu.tw');

    const to = exercises(FIRST_LOGIN, 'consent', 'nameTaken');
    const late = await post(slow, consent, '/first-login/consent', { decision: 'accept' });
    expect(late.status).toBe(409);
    expect(late.text).toContain('這個帳號名稱已經有人使用了，請換一個。');
    expect(await stateOf(flow)).toBe(to);
    const done = await post(
      slow,
      await choosePassword(slow, await post(slow, late, '/first-login/name', { name: 'wanted.name2' })),
      '/first-login/consent',
      { decision: 'accept' },
    );
    expect(done.text).toContain('wanted.name2@mail.edu.tw');
  });

  it('links the county identity to an existing account by its name and password (我已有教育雲端帳號)', async () => {
    const existing = await cloud.services.accounts.create({
      name: 'old.account',
      displayName: '王小明',
      passwordHash: await cloud.services.hasher.hash(PASSWORD),
    });
    const browser = new CookieBrowser();
    const { page, flow } = await arrive(browser, 'fl-4');
    const link = await browser.follow(
      new URL(
        page.text.match(/href="(\/first-login\/link-existing[^"]*)"/)?.[1]?.replaceAll('&amp;', '&') ?? '',
        cloud.url,
      ),
    );
    const to = exercises(FIRST_LOGIN, 'no_account', 'link');
    const account = await post(browser, link, '/first-login/link', {
      name: 'old.account',
      password: PASSWORD,
    });
    expect(account.url.pathname).toBe('/account');
    expect(account.text).toContain('嘉義縣：has.one');
    expect(await stateOf(flow)).toBe(to);
    expect((await cloud.services.accounts.identity(cyc.issuer, 'fl-4'))?.accountId).toBe(existing.id);
  });

  it('refuses a step out of order: the person sees the screen of where they are, and the flow stays', async () => {
    const browser = new CookieBrowser();
    const { page, flow } = await arrive(browser, 'fl-5');
    const suggested = await post(browser, page, '/first-login/create');
    // The password form sent before a name was chosen (a stale tab): back to choosing a name.
    const at = refuses(FIRST_LOGIN, 'choose_name', 'password');
    const { fields } = formOn(suggested, '/first-login/name');
    const early = await browser.follow(new URL('/first-login/password', cloud.url), {
      form: { ...fields, password: PASSWORD, password_confirm: PASSWORD },
    });
    expect(early.text).toContain('即將為您建立教育雲端帳號');
    expect(await stateOf(flow)).toBe(at);
    expect(await cloud.services.accounts.identity(cyc.issuer, 'fl-5')).toBeUndefined();
  });
});
