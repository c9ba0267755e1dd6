// The baseline of the OIDC benches: oidc-provider alone, in a process of its own (started on the
// same Node binary as EduGate's role processes), in-memory storage, the same endpoint paths, TTLs
// and token policy as EduGate's issuers, a resource API like the county's and no login page (every
// interaction signs `bench-user` in and grants what was asked).
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import { OIDC_ROUTES } from '../src/platform/oidc/paths.ts';
import { freePort } from '../src/platform/testing/ports.ts';
import { BARE_TTL, mapAdapter } from './map-adapter.ts';
import { startServerProcess } from './server-process.ts';

export const BARE_SCOPE = 'openid profile email eduinfo';
const CLIENT_SECRET = 'bare-provider-bench-secret-0123456789abcdef';

/**
 * A bare broker: instead of signing in by itself, its login page links to `/login/county/cyc`,
 * which signs in at `upstream` (authorization code flow, code exchange and userinfo there) and
 * comes back to `/cncreturnpage`, as EduGate's cloud does with a county.
 */
export interface Upstream {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface BareOptions {
  redirectUris: string[];
  /** The port to listen on (default: a free one). */
  port?: number;
  upstream?: Upstream;
}

/** What a started bare provider tells its parent (one JSON line on stdout). */
export interface BareProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The county-like resource API (`/cncresource/api/v1/eduinfo`). */
  resource: string;
  pid: number;
  stop(): Promise<void>;
}

const CLAIMS = {
  sub: 'bench-user',
  name: '王小明',
  preferred_username: 'teacher01',
  email: 't@example.org',
  email_verified: true,
  eduinfo: { schoolid: '454503', titles: [{ schoolid: '454503', titles: ['教師'] }] },
};

/**
 * The bare provider's accounts, in memory: rows as a host keeps them, from which its resource API
 * builds the claims on each call (as EduGate's county builds `eduinfo` from its account row).
 */
const ACCOUNTS = new Map([
  [CLAIMS.sub, { id: CLAIMS.sub, status: 'active', unitCode: '454503', titles: ['教師'] as string[] }],
]);

/** The `eduinfo` of an account row, as the county's `eduinfoOf`. */
function eduinfoOf(account: { unitCode: string | null; titles: string[] }) {
  const titles = account.titles.length > 0 ? account.titles : ['教師'];
  return {
    schoolid: account.unitCode,
    titles: account.unitCode ? [{ schoolid: account.unitCode, titles }] : [],
  };
}

/** GET or POST `url` (JSON answer) from the bare broker to its upstream. */
async function upstreamCall(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  if (response.status !== 200) throw new Error(`upstream ${url} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

async function serve(port: number, redirectUris: string[], upstream?: Upstream) {
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'bench';
  const provider = new Provider(issuer, {
    adapter: mapAdapter(),
    clients: [
      {
        client_id: clientId,
        client_secret: CLIENT_SECRET,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        scope: BARE_SCOPE,
      },
    ],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      eduinfo: ['eduinfo'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'eduinfo'],
    conformIdTokenClaims: false,
    pkce: { required: () => false },
    features: { devInteractions: { enabled: false }, resourceIndicators: { enabled: false } },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Claims built from the account row kept in memory (the broker's accounts: its upstream's subjects).
    findAccount: async (_ctx, sub) => {
      const account = ACCOUNTS.get(sub);
      if (account && account.status !== 'active') return undefined;
      return {
        accountId: sub,
        claims: async () => ({ ...CLAIMS, sub, ...(account ? { eduinfo: eduinfoOf(account) } : {}) }),
      };
    },
    routes: OIDC_ROUTES,
    ttl: BARE_TTL,
    cookies: { keys: ['bench-cookie-key'] },
  });
  const callback = provider.callback();
  const finish = async (uid: string, accountId: string) => {
    const interaction = await provider.Interaction.find(uid);
    if (!interaction) throw new Error('interaction gone');
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(interaction.params.scope));
    interaction.result = { login: { accountId }, consent: { grantId: await grant.save() } };
    await interaction.save(Math.max(1, (interaction.exp ?? 0) - Math.floor(Date.now() / 1000)));
    return interaction.returnTo;
  };
  const broker = upstream && {
    ...upstream,
    redirectUri: `${issuer}/cncreturnpage`,
    basic: `Basic ${Buffer.from(`${upstream.clientId}:${upstream.clientSecret}`).toString('base64')}`,
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const here = new URL(url, issuer);
    if (broker && url.startsWith('/interaction/')) {
      const uid = url.split('/')[2] ?? '';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><a href="/login/county/cyc?uid=${uid}">縣市帳號登入</a>`);
      return;
    }
    if (broker && here.pathname === '/login/county/cyc') {
      const authorize = new URL(`${broker.issuer}${OIDC_ROUTES.authorization}`);
      authorize.search = new URLSearchParams({
        client_id: broker.clientId,
        response_type: 'code',
        scope: 'openid profile email eduinfo',
        redirect_uri: broker.redirectUri,
        state: here.searchParams.get('uid') ?? '',
      }).toString();
      res.writeHead(303, { location: authorize.href });
      res.end();
      return;
    }
    if (broker && here.pathname === '/cncreturnpage') {
      void (async () => {
        const tokens = await upstreamCall(`${broker.issuer}${OIDC_ROUTES.token}`, {
          method: 'POST',
          headers: { authorization: broker.basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: here.searchParams.get('code') ?? '',
            redirect_uri: broker.redirectUri,
          }).toString(),
        });
        const claims = await upstreamCall(`${broker.issuer}${OIDC_ROUTES.userinfo}`, {
          headers: { authorization: `Bearer ${String(tokens.access_token)}` },
        });
        const returnTo = await finish(here.searchParams.get('state') ?? '', String(claims.sub));
        res.writeHead(303, { location: returnTo });
        res.end();
      })().catch((error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      });
      return;
    }
    if (url.startsWith('/interaction/')) {
      void (async () => {
        const details = await provider.interactionDetails(req, res);
        const grant = new provider.Grant({ accountId: CLAIMS.sub, clientId });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, {
          login: { accountId: CLAIMS.sub },
          consent: { grantId },
        });
      })();
      return;
    }
    if (url === '/cncresource/api/v1/eduinfo') {
      // The county's checks, from memory: the access token live and carrying the eduinfo scope, its
      // grant and client still there, its account active; then the claims built from the row.
      void (async () => {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const token = bearer ? await provider.AccessToken.find(bearer) : undefined;
        const grant = token?.grantId ? await provider.Grant.find(token.grantId) : undefined;
        const client = token?.clientId ? await provider.Client.find(token.clientId) : undefined;
        const account = token?.accountId ? ACCOUNTS.get(token.accountId) : undefined;
        const allowed =
          token &&
          !token.isExpired &&
          grant?.accountId === token.accountId &&
          client &&
          account?.status === 'active' &&
          String(token.scope).split(' ').includes('eduinfo');
        const body = JSON.stringify(allowed ? { sub: account.id, ...eduinfoOf(account), classinfo: [] } : {});
        // Sent whole with its length, as EduGate's resource APIs answer.
        res.writeHead(allowed ? 200 : 401, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
          'content-length': String(Buffer.byteLength(body)),
        });
        res.end(body);
      })();
      return;
    }
    void callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, clientId, clientSecret: CLIENT_SECRET };
}

/** Starts a bare provider in a process of its own, on `process.execPath`. */
export async function startBareProvider(options: BareOptions): Promise<BareProvider> {
  const { first, pid, stop } = await startServerProcess('bare provider', fileURLToPath(import.meta.url), {
    BARE_PROVIDER: JSON.stringify(options),
  });
  const started = JSON.parse(first) as { issuer: string; clientId: string; clientSecret: string };
  return { ...started, resource: `${started.issuer}/cncresource/api/v1/eduinfo`, pid, stop };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env.BARE_PROVIDER) {
  const options = JSON.parse(process.env.BARE_PROVIDER) as BareOptions;
  const started = await serve(options.port ?? (await freePort()), options.redirectUris, options.upstream);
  process.stdout.write(`${JSON.stringify(started)}\n`);
  // Exit on SIGTERM by process.exit, so that a CPU profile asked for by BENCH_NODE_OPTIONS is written.
  process.once('SIGTERM', () => process.exit(0));
}
