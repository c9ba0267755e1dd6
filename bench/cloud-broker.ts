import { randomUUID } from 'node:crypto';
import { sampleNationalId } from '../src/county/testing.ts';
import { formOf } from '../src/platform/testing/cookie-browser.ts';
import { freePort } from '../src/platform/testing/ports.ts';
import { postgresAndRedis } from '../src/platform/testing/process-stage.ts';
import { RoleProcess } from '../src/platform/testing/role-process.ts';
import { BARE_SCOPE, type BareProvider, startBareProvider } from './bare-provider.ts';
import { BENCH_PASSWORD, type CountyUnderTest, startCounty, teacherUsername } from './county-process.ts';
import { Jar, type LoadProcess, runChain, type Scenario, send, startHttpLoad } from './http-load.ts';
import {
  authorizeUrl,
  CONNECTIONS,
  type Issuer,
  REDIRECT,
  scenarios,
  selectedScenarios,
} from './oidc-scenarios.ts';
import {
  alternatingSlices,
  halfCapacityFigure,
  measuredSeconds,
  rateAgainstBaseline,
  type Side,
  type SideFigures,
} from './process-measure.ts';
import type { Figure } from './report.ts';

const CLOUD_SCOPE = 'openid profile email eduinfo';
/** The cloud's resource API measured (the bare broker answers the same checks at its own path). */
const MOERESOURCE_EDUINFO = '/moeresource/api/v1/oidc/eduinfo';
/** The link of the cloud's login page (and of the bare broker's) to the county: 縣市帳號登入. */
const COUNTY_LINK = 'href="(/login/county/cyc[^"]*)"';
const FORM = 'application/x-www-form-urlencoded';

/**
 * A browser's first sign-in through the broker (setup, not measured): redirects, the cloud's
 * login page (its county link), the county's login form and the consent pages, until sent to
 * `stopAt`.
 */
async function firstSignIn(start: string, jar: Jar, username: string): Promise<URL> {
  let url = new URL(start);
  let form: { action: URL; fields: Record<string, string> } | undefined;
  for (let hop = 0; hop < 30; hop++) {
    const answer = form
      ? await send(
          'POST',
          form.action.href,
          { cookie: jar.header(form.action), 'content-type': FORM },
          new URLSearchParams(form.fields).toString(),
        )
      : await send('GET', url.href, { cookie: jar.header(url) });
    const at = form ? form.action : url;
    jar.take(at, answer.setCookie);
    form = undefined;
    if (answer.status >= 300 && answer.status < 400) {
      url = new URL(answer.location, at);
      if (url.href.startsWith(REDIRECT)) return url;
      continue;
    }
    const page = answer.body.replace(/<form[^>]*logout[\s\S]*?<\/form>/g, '');
    const link = new RegExp(COUNTY_LINK).exec(page)?.[1];
    if (link) {
      url = new URL(link.replaceAll('&amp;', '&'), at);
      continue;
    }
    if (answer.status !== 200 || !page.includes('<form'))
      throw new Error(`sign-in stopped at ${at.href} (${answer.status}): ${answer.body.slice(0, 400)}`);
    const found = formOf(page, at);
    form = page.includes('name="password"')
      ? { action: found.action, fields: { ...found.fields, username, password: BENCH_PASSWORD } }
      : { action: found.action, fields: { ...found.fields, decision: 'allow' } };
  }
  throw new Error(`sign-in from ${start} did not reach ${REDIRECT}`);
}

/** EduGate's cloud in a role process of its own, brokering to the county role process. */
async function startCloud(county: CountyUnderTest) {
  const cloud = await RoleProcess.start('cloud', county.env);
  try {
    await cloud.until(200, '/readyz', 90_000);
    const admin = async (path: string, body: unknown) => {
      const response = await fetch(`${cloud.adminBase}/admin/api${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${county.env.EDUGATE_ADMIN_TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      if (response.status >= 300)
        throw new Error(`cloud ${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as Record<string, string>;
    };
    const atCounty = await county.registerClient([`${cloud.base}/cncreturnpage`], 'openid exchangedata');
    await admin('/cloud/counties', {
      code: 'cyc',
      name: '嘉義縣',
      issuer: county.issuer,
      clientId: atCounty.clientId,
      clientSecret: atCounty.clientSecret,
      enabled: true,
    });
    const rp = await admin('/oidc/default/clients', {
      name: 'bench',
      redirect_uris: [REDIRECT],
      scopes: CLOUD_SCOPE.split(' '),
    });
    return { cloud, clientId: rp.client_id ?? '', clientSecret: rp.client_secret ?? '' };
  } catch (error) {
    await cloud.stop();
    throw new Error(`${(error as Error).message}\n${cloud.output.slice(-2000)}`);
  }
}

/** A returning teacher: a cloud account linked to the county account `username` (as after a first login). */
async function linkTeacher(county: CountyUnderTest, username: string) {
  const { rows } = await county.stage.query(
    'select id from edugate_county.county_accounts where username_normalized = $1',
    [username],
  );
  const subject = String((rows[0] as { id: string }).id);
  const accountId = randomUUID();
  await county.stage.query(
    `insert into edugate_cloud.cloud_accounts (id, name, display_name, state) values ($1, $2, '王小明', 'active')`,
    [accountId, username],
  );
  const snapshot = {
    username,
    name: '王小明',
    familyName: '王',
    givenName: '小明',
    email: null,
    schoolid: '454503',
    titles: [{ schoolid: '454503', titles: ['教師'] }],
    classinfo: [],
    openid2Id: null,
  };
  await county.stage.query(
    `insert into edugate_cloud.cloud_identities (id, account_id, county_code, issuer, subject, snapshot)
     values ($1, $2, 'cyc', $3, $4, $5)`,
    [randomUUID(), accountId, county.issuer, subject, JSON.stringify(snapshot)],
  );
}

const figure = (name: string, ours: SideFigures[], target?: number): Figure =>
  rateAgainstBaseline(name, ours, 'bare oidc-provider processes', target);

/**
 * The education cloud as operators run it: the cloud and county roles each in a process of their
 * own (PostgreSQL + Redis), against two bare oidc-provider processes (a county and a broker in
 * front of it), each side driven by a load process of its own, in alternating slices:
 * - brokered SSO: a returning teacher's full 縣市帳號登入 round trip per second, p50/p99 — a
 *   relying party's authorization at the cloud → the cloud's login page → its county link → the
 *   county (signed in already) → `/cncreturnpage` (code exchange + userinfo at the county) → back
 *   to the relying party with a code → the code exchanged at the cloud;
 * - the cloud provider's userinfo, its eduinfo resource API (`/moeresource/api/v1/oidc/eduinfo`,
 *   against the bare broker's endpoint making the same checks), authorization_code flows of a
 *   browser signed in at the cloud (authorize + code exchange) and refresh_token grants.
 */
export async function benchCloudBroker(): Promise<Figure[]> {
  if (!(await postgresAndRedis())) return [];
  const seconds = measuredSeconds(8);
  const loads: LoadProcess[] = [];
  const bares: BareProvider[] = [];
  let county: CountyUnderTest | undefined;
  let cloud: RoleProcess | undefined;
  try {
    // The bare pair: a county, and a broker (its own port chosen first) signing in there.
    const brokerPort = await freePort();
    const bareCounty = await startBareProvider({
      redirectUris: [`http://127.0.0.1:${brokerPort}/cncreturnpage`],
    });
    bares.push(bareCounty);
    const bareBroker = await startBareProvider({
      redirectUris: [REDIRECT],
      port: brokerPort,
      upstream: bareCounty,
    });
    bares.push(bareBroker);

    county = await startCounty({ accounts: 1000, redirectUris: [REDIRECT] });
    const started = await startCloud(county);
    cloud = started.cloud;
    // One returning teacher per connection, as many teachers sign in at once: the round trips of
    // one teacher would queue on that teacher's rows (their cloud identity, their county session).
    const teachers = Array.from({ length: CONNECTIONS }, (_, n) => teacherUsername(n + 1));
    for (const [n, teacher] of teachers.entries()) {
      // Each a person of their own: the cloud keeps one account per national ID.
      await county.giveNationalId(teacher, sampleNationalId(n + 1));
      await linkTeacher(county, teacher);
    }

    const ours: Issuer = {
      issuer: cloud.base,
      clientId: started.clientId,
      clientSecret: started.clientSecret,
      scope: CLOUD_SCOPE,
      resource: `${cloud.base}${MOERESOURCE_EDUINFO}`,
      cookie: '',
    };
    const bare: Issuer = { ...bareBroker, scope: BARE_SCOPE, cookie: '' };
    // First sign-ins (consents given), then the browsers the round trips start from: each
    // teacher's, signed in at the county only.
    const signInAll = async (t: Issuer) => {
      const jars: Jar[] = [];
      for (const teacher of teachers) {
        const jar = new Jar();
        await firstSignIn(authorizeUrl(t), jar, teacher);
        jars.push(jar);
      }
      return jars;
    };
    const oursJars = await signInAll(ours);
    const bareJars = await signInAll(bare);
    const [oursJar, bareJar] = [oursJars[0] as Jar, bareJars[0] as Jar];
    const countyOnly = (jar: Jar, issuer: string) => {
      const origin = new URL(issuer).origin;
      return { [origin]: jar.header(new URL(origin)) };
    };
    const returning = (t: Issuer, jars: Jar[], countyIssuer: string): Scenario => ({
      kind: 'chain',
      start: authorizeUrl(t),
      cookies: jars.map((jar) => countyOnly(jar, countyIssuer)),
      click: COUNTY_LINK,
      stopAt: REDIRECT,
      finish: {
        tokenUrl: `${t.issuer}/oidc/v1/token`,
        basic: `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString('base64')}`,
        redirectUri: REDIRECT,
      },
    });
    // One round trip each before the load: the chain works as set up.
    await runChain(
      authorizeUrl(ours),
      new Jar(countyOnly(oursJar, county.issuer)),
      REDIRECT,
      new RegExp(COUNTY_LINK),
    );

    const cloudProcesses = async () => {
      const groups = await county?.processes();
      return {
        ...groups,
        edugate: [cloud?.child.pid ?? 0, county?.node.child.pid ?? 0],
      };
    };
    const bareProcesses = async () => ({ bare: bares.map((b) => b.pid) });
    const halves: Figure[] = [];
    const measure = async (
      oursScenario: Scenario,
      bareScenario: Scenario,
      connections: number,
      halfName?: string,
    ) => {
      const oursLoad = await startHttpLoad(oursScenario, connections);
      loads.push(oursLoad);
      const bareLoad = await startHttpLoad(bareScenario, connections);
      loads.push(bareLoad);
      const sides: Side[] = [
        { load: oursLoad, processes: cloudProcesses },
        { load: bareLoad, processes: bareProcesses },
      ];
      const result = await alternatingSlices(seconds, sides);
      // The latency a relying party sees at half of what the cloud measured (target p99 < 50 ms).
      const half = halfName
        ? await halfCapacityFigure(halfName, oursLoad, result[0]?.rate ?? 0, seconds / 2, {
            bare: bareLoad,
            measured: { processes: cloudProcesses, cpuPerOp: result[0]?.cpuPerOp.edugate ?? 0 },
          })
        : undefined;
      await bareLoad.stop();
      await oursLoad.stop();
      if (half) halves.push(half);
      return result;
    };
    const figures: Figure[] = [];
    for (const [name] of selectedScenarios({ 'brokered SSO': true })) {
      figures.push(
        figure(
          `${name} round trips, returning teachers, one per connection (cloud + county role processes)`,
          await measure(
            returning(ours, oursJars, county.issuer),
            returning(bare, bareJars, bareCounty.issuer),
            CONNECTIONS,
          ),
        ),
      );
    }
    // The cloud provider: a browser signed in at the cloud, token sets per simulated client.
    const signedIn = (t: Issuer, jar: Jar): Issuer => ({ ...t, cookie: jar.header(new URL(t.issuer)) });
    const oursScenarios = await scenarios(signedIn(ours, oursJar));
    const bareScenarios = await scenarios(signedIn(bare, bareJar));
    const cloudOperations = {
      userinfo: true,
      'eduinfo (resource API)': true,
      'authorization_code (authorize + token)': true,
      refresh_token: true,
    };
    for (const [name] of selectedScenarios(cloudOperations)) {
      figures.push(
        figure(
          `cloud ${name} (role process, PostgreSQL + Redis)`,
          await measure(
            oursScenarios[name] as Scenario,
            bareScenarios[name] as Scenario,
            CONNECTIONS,
            `cloud ${name}`,
          ),
          0.6,
        ),
      );
    }
    return [...figures, ...halves];
  } finally {
    for (const load of loads) await load.stop();
    await cloud?.stop();
    await county?.close();
    for (const b of bares) await b.stop();
  }
}
