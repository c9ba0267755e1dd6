import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import * as client from 'openid-client';
import { startCloudInstance } from '../src/cloud/testing/cloud-instance.ts';
import { startCountyPeer } from '../src/cloud/testing/county-peer.ts';
import { openDatabase } from '../src/platform/database/connect.ts';
import type { PlatformTables } from '../src/platform/database/platform-schema.ts';
import { CookieBrowser, formOn } from '../src/platform/testing/cookie-browser.ts';
import { postgresAvailable, TEST_DATABASE_URL } from '../src/platform/testing/services.ts';
import { alternatingLatencies, alternatingThroughput, percentile } from './oidc-measure.ts';
import type { Figure } from './report.ts';

const SECRET = 'bench-county-secret';
const RP_REDIRECT = 'http://127.0.0.1:9/callback';

/**
 * The cloud's brokered county login and its provider, each against a bare oidc-provider measured
 * in the same run (alternating, so other load on the machine weighs on both alike). The county is
 * an oidc-provider issuer that signs the person in without a form, so password hashing is
 * excluded from the login round trip.
 * - login round trip p50/p99: cloud → county authorize → county → `/cncreturnpage` (code exchange
 *   + userinfo at the county, refresh of the cloud's copy) → signed in; baseline: an openid-client
 *   relying party doing authorize → code exchange + userinfo against the bare county directly.
 *   The broker does all the baseline does and then its own callback work (the identity's
 *   freshness, the audit record, the cloud session), so the ratio is the share of the round trip
 *   that is the county's; it has no target.
 * - token (refresh grant) and userinfo throughput of the cloud provider vs the bare county issuer.
 * The cloud runs on PostgreSQL (a schema created for the run and dropped after), as deployed.
 */
export async function benchCloudBroker(options: { runs?: number; seconds?: number; workers?: number } = {}) {
  if (!(await postgresAvailable())) throw new Error('PostgreSQL is required (EDUGATE_TEST_DATABASE_URL)');
  const runs = options.runs ?? 200;
  const seconds = options.seconds ?? 6;
  const workerCount = options.workers ?? 16;
  const schema = `edugate_bench_cloud_${randomBytes(4).toString('hex')}`;
  const opened = await openDatabase<PlatformTables>({ url: TEST_DATABASE_URL, schema, poolSize: 10 });
  const database = {
    ...opened,
    async close() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(opened.db);
      await opened.close();
    },
  };
  const cloud = await startCloudInstance(database);
  const county = await startCountyPeer({
    clientId: 'educloud',
    clientSecret: SECRET,
    redirectUri: `${cloud.url}/cncreturnpage`,
    refreshTokens: true,
    accounts: [
      {
        id: 'bench-1',
        claims: {
          preferred_username: 'bench01',
          name: '測試者',
          schoolid: '454503',
          titles: [{ schoolid: '454503', titles: ['教師'] }],
        },
      },
    ],
  });
  try {
    const { services } = cloud;
    await services.counties.upsert({
      code: 'cyc',
      name: '嘉義縣',
      issuer: county.issuer,
      clientId: 'educloud',
      clientSecret: SECRET,
    });
    const account = await services.accounts.create({
      name: 'bench01',
      displayName: '測試者',
      passwordHash: await services.hasher.hash('Bench-password-1'),
    });
    await services.accounts.link(account.id, {
      countyCode: 'cyc',
      issuer: county.issuer,
      subject: 'bench-1',
      snapshot: {
        username: 'bench01',
        name: null,
        familyName: null,
        givenName: null,
        email: null,
        schoolid: null,
        titles: [],
        classinfo: [],
        openid2Id: null,
      },
    });

    // Login round trip through the cloud broker (a fresh browser each time: a real first hop),
    // after a warm-up that fills the discovery cache and the JIT.
    const brokerLogin = async () => {
      const browser = new CookieBrowser();
      const page = await browser.follow(`${cloud.url}/login/county/cyc`, {
        stopBefore: `${cloud.url}/account`,
      });
      if (page.url.pathname !== '/account') throw new Error(`broker login ended at ${page.url.href}`);
    };
    // The same against the bare county with openid-client as the relying party.
    const countyConfig = await client.discovery(
      new URL(county.issuer),
      'educloud',
      SECRET,
      client.ClientSecretBasic(SECRET),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    const bareLogin = async () => {
      const browser = new CookieBrowser();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(countyConfig, {
        redirect_uri: `${cloud.url}/cncreturnpage`,
        scope: 'openid exchangedata',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const back = await browser.follow(url, { stopBefore: `${cloud.url}/cncreturnpage` });
      const tokens = await client.authorizationCodeGrant(countyConfig, back.url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      await client.fetchUserInfo(countyConfig, tokens.access_token, client.skipSubjectCheck);
      return tokens;
    };
    const bareOnce = async () => {
      await bareLogin();
    };
    await alternatingLatencies(Math.ceil(runs / 10), bareOnce, brokerLogin);
    const logins = await alternatingLatencies(runs, bareOnce, brokerLogin);

    // Provider throughput: refresh grants and userinfo, one token chain per worker.
    const oidc = services.oidc;
    if (!oidc) throw new Error('cloud provider not mounted');
    const issued = await oidc.clients.add({
      name: 'bench',
      redirectUris: [RP_REDIRECT],
      scopes: ['openid', 'profile', 'email', 'eduinfo'],
    });
    const cloudConfig = await client.discovery(
      new URL(cloud.url),
      issued.client_id,
      issued.client_secret ?? '',
      client.ClientSecretBasic(issued.client_secret ?? ''),
      { execute: [client.allowInsecureRequests] },
    );
    const cloudTokens = async () => {
      const browser = new CookieBrowser();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(cloudConfig, {
        redirect_uri: RP_REDIRECT,
        scope: 'openid profile email eduinfo',
        state,
      });
      let page = await browser.follow(url, { stopBefore: RP_REDIRECT });
      for (let step = 0; step < 4 && !page.url.href.startsWith(RP_REDIRECT); step++) {
        const action = page.url.pathname === '/login' ? '/login' : '/consent';
        const form = formOn(page, action);
        const fields: Record<string, string> =
          action === '/login' ? { name: 'bench01', password: 'Bench-password-1' } : { decision: 'allow' };
        page = await browser.follow(form.action, {
          form: { ...form.fields, ...fields },
          stopBefore: RP_REDIRECT,
        });
      }
      return client.authorizationCodeGrant(cloudConfig, page.url, { expectedState: state });
    };
    const chains = async (obtain: () => Promise<client.TokenEndpointResponse>) => {
      const held = [];
      for (let i = 0; i < workerCount; i++) held.push(await obtain());
      return held;
    };
    const cloudHeld = await chains(cloudTokens);
    const countyHeld = await chains(bareLogin);
    const refreshWorkers = (config: client.Configuration, held: client.TokenEndpointResponse[]) =>
      held.map((tokens) => {
        let refresh = tokens.refresh_token ?? '';
        return async () => {
          const next = await client.refreshTokenGrant(config, refresh);
          refresh = next.refresh_token ?? refresh;
        };
      });
    const userinfoWorkers = (url: string, held: client.TokenEndpointResponse[]) =>
      held.map((tokens) => async () => {
        const response = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        if (response.status !== 200) throw new Error(`userinfo ${response.status}`);
        await response.arrayBuffer();
      });
    const userinfo = await alternatingThroughput(
      seconds,
      userinfoWorkers(countyConfig.serverMetadata().userinfo_endpoint ?? '', countyHeld),
      userinfoWorkers(`${cloud.url}/oidc/v1/userinfo`, cloudHeld),
    );
    const refresh = await alternatingThroughput(
      seconds,
      refreshWorkers(countyConfig, countyHeld),
      refreshWorkers(cloudConfig, cloudHeld),
    );

    const latency = (p: number): Figure => ({
      name: `brokered county login round trip p${p} (cloud on PostgreSQL)`,
      value: percentile(logins.ours, p),
      unit: 'ms',
      baseline: percentile(logins.baseline, p),
      baselineName: 'bare oidc-provider login',
      lowerIsBetter: true,
    });
    const rate = (name: string, measured: { baseline: number; ours: number }): Figure => ({
      name,
      value: measured.ours,
      unit: '/s',
      baseline: measured.baseline,
      baselineName: 'bare oidc-provider',
      target: 0.6,
    });
    return [
      latency(50),
      latency(99),
      rate('cloud token endpoint (refresh grant) on PostgreSQL', refresh),
      rate('cloud userinfo on PostgreSQL', userinfo),
    ];
  } finally {
    await county.close();
    await cloud.close();
  }
}
