import { OIDC_ROUTES } from '../src/platform/oidc/paths.ts';
import { TestBrowser } from '../src/platform/oidc/testing.ts';
import { postgresAndRedis } from '../src/platform/testing/process-stage.ts';
import { BARE_SCOPE, startBareProvider } from './bare-provider.ts';
import { benchUsername, COUNTY_SCOPE, type CountyUnderTest, startCounty } from './county-process.ts';
import { type LoadProcess, type Scenario, startHttpLoad } from './http-load.ts';
import { alternatingSlices, benchSeconds, describeSide, loadAverage, type Side } from './process-measure.ts';
import type { Figure } from './report.ts';

const REDIRECT = 'https://rp.bench.example/cb';
/** Simulated relying-party clients per load process. */
const CONNECTIONS = 16;

/** What the scenarios need from an issuer. */
interface Issuer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  resource: string;
  /** Cookie header of a browser signed in (and consented) at the issuer. */
  cookie: string;
}

const basic = (t: Issuer) => `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString('base64')}`;

const authorizeUrl = (t: Issuer) =>
  `${t.issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({
    client_id: t.clientId,
    response_type: 'code',
    scope: t.scope,
    redirect_uri: REDIRECT,
    state: 'bench',
  })}`;

/** One authorization with the signed-in browser and its code exchange: a token set. */
async function codeFlow(t: Issuer): Promise<{ access_token: string; refresh_token: string }> {
  const answer = await fetch(authorizeUrl(t), { redirect: 'manual', headers: { cookie: t.cookie } });
  const code = new URL(answer.headers.get('location') ?? '', t.issuer).searchParams.get('code');
  if (!code) throw new Error(`authorization at ${t.issuer} answered ${answer.status} without a code`);
  const response = await fetch(`${t.issuer}${OIDC_ROUTES.token}`, {
    method: 'POST',
    headers: { authorization: basic(t), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }).toString(),
  });
  if (response.status !== 200)
    throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

/** The scenarios measured, each for one issuer: a token set per simulated client. */
async function scenarios(t: Issuer): Promise<Record<string, Scenario>> {
  const sets = [];
  for (let i = 0; i < CONNECTIONS; i++) sets.push(await codeFlow(t));
  const tokens = sets.map((set) => set.access_token);
  return {
    userinfo: { kind: 'bearer-get', url: `${t.issuer}${OIDC_ROUTES.userinfo}`, tokens },
    'eduinfo (resource API)': { kind: 'bearer-get', url: t.resource, tokens },
    'authorization_code (authorize + token)': {
      kind: 'code',
      authorizeUrl: authorizeUrl(t),
      tokenUrl: `${t.issuer}${OIDC_ROUTES.token}`,
      cookie: t.cookie,
      basic: basic(t),
      redirectUri: REDIRECT,
    },
    refresh_token: {
      kind: 'refresh',
      tokenUrl: `${t.issuer}${OIDC_ROUTES.token}`,
      basic: basic(t),
      refreshTokens: sets.map((set) => set.refresh_token),
    },
  };
}

/**
 * The county OIDC provider as operators run it (`edugate start --role county`, its own process,
 * PostgreSQL + Redis) vs a bare oidc-provider in a process of its own, each driven by a load
 * process of its own (see http-load.ts), in alternating one-second slices: userinfo, the eduinfo
 * resource API, authorization_code flows and refresh_token grants. Each figure gives p50/p99 and
 * the CPU time per operation of each process involved.
 */
export async function benchOidcCounty(): Promise<Figure[]> {
  if (!(await postgresAndRedis())) return [];
  const seconds = benchSeconds(8);
  const bare = await startBareProvider({ redirectUris: [REDIRECT] });
  let county: CountyUnderTest | undefined;
  const loads: LoadProcess[] = [];
  try {
    county = await startCounty({ accounts: 1000, redirectUris: [REDIRECT] });
    const bareBrowser = new TestBrowser();
    const bareIssuer: Issuer = { ...bare, scope: BARE_SCOPE, cookie: '' };
    await bareBrowser.follow(authorizeUrl(bareIssuer), REDIRECT);
    bareIssuer.cookie = bareBrowser.cookieHeader(new URL(authorizeUrl(bareIssuer)));
    const ours: Issuer = {
      issuer: county.issuer,
      clientId: county.clientId,
      clientSecret: county.clientSecret,
      scope: COUNTY_SCOPE,
      resource: `${county.issuer}/cncresource/api/v1/eduinfo`,
      cookie: await county.signIn(benchUsername(1), REDIRECT),
    };
    const baseline = await scenarios(bareIssuer);
    const measured = await scenarios(ours);
    const figures: Figure[] = [];
    const countyProcesses = county.processes;
    for (const [name, scenario] of Object.entries(measured)) {
      const oursLoad = await startHttpLoad(scenario, CONNECTIONS);
      loads.push(oursLoad);
      const bareLoad = await startHttpLoad(baseline[name] as Scenario, CONNECTIONS);
      loads.push(bareLoad);
      const sides: Side[] = [
        { load: oursLoad, processes: countyProcesses },
        { load: bareLoad, processes: async () => ({ bare: [bare.pid] }) },
      ];
      const [edugate, base] = await alternatingSlices(seconds, sides);
      await oursLoad.stop();
      await bareLoad.stop();
      if (!edugate || !base) continue;
      figures.push({
        name: `county ${name} (role process, PostgreSQL + Redis)`,
        value: edugate.rate,
        unit: '/s',
        baseline: base.rate,
        baselineName: 'bare oidc-provider process',
        target: 0.6,
        detail: [
          `EduGate ${describeSide(edugate)}`,
          `bare    ${describeSide(base)}`,
          `load average ${loadAverage()}`,
        ],
      });
    }
    return figures;
  } finally {
    for (const load of loads) await load.stop();
    await county?.close();
    await bare.stop();
  }
}
