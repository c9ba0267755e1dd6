// The OIDC operations the throughput benches measure, as load-process scenarios (http-load.ts)
// for one issuer: a token set per simulated relying-party client.
import { OIDC_ROUTES } from '../src/platform/oidc/paths.ts';
import { CookieBrowser } from '../src/platform/testing/cookie-browser.ts';
import { BARE_SCOPE, type BareProvider } from './bare-provider.ts';
import type { Scenario } from './http-load.ts';

export const REDIRECT = 'https://rp.bench.example/cb';
/** Simulated relying-party clients per load process. */
export const CONNECTIONS = 16;

/** What the scenarios need from an issuer. */
export interface Issuer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  resource: string;
  /** Cookie header of a browser signed in (and consented) at the issuer. */
  cookie: string;
}

const basic = (t: Issuer) => `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString('base64')}`;

export const authorizeUrl = (t: Issuer) =>
  `${t.issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({
    client_id: t.clientId,
    response_type: 'code',
    scope: t.scope,
    redirect_uri: REDIRECT,
    state: 'bench',
  })}`;

/** The bare provider as an issuer of the scenarios: a browser signed in there (it asks nothing). */
export async function bareIssuer(bare: BareProvider): Promise<Issuer> {
  const issuer: Issuer = { ...bare, scope: BARE_SCOPE, cookie: '' };
  const browser = new CookieBrowser();
  await browser.follow(authorizeUrl(issuer), { stopBefore: REDIRECT });
  return { ...issuer, cookie: browser.cookieHeader(new URL(authorizeUrl(issuer))) };
}

/** One authorization with the signed-in browser and its code exchange: a token set. */
export async function codeFlow(t: Issuer): Promise<{ access_token: string; refresh_token: string }> {
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
export async function scenarios(t: Issuer): Promise<Record<string, Scenario>> {
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
 * `BENCH_OIDC_SCENARIOS=eduinfo,refresh` measures only the scenarios whose names contain one of
 * the words (for profiling one operation); default all.
 */
export function selectedScenarios<S>(all: Record<string, S>): Array<[string, S]> {
  const words = (process.env.BENCH_OIDC_SCENARIOS ?? '').split(',').filter(Boolean);
  return Object.entries(all).filter(([name]) => words.length === 0 || words.some((w) => name.includes(w)));
}
