// The baseline of the OIDC benches: oidc-provider alone, in a process of its own (started on the
// same Node binary as EduGate's role processes), in-memory storage, the same endpoint paths, TTLs
// and token policy as EduGate's issuers, a resource API like the county's and no login page (every
// interaction signs `bench-user` in and grants what was asked).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import { OIDC_ROUTES } from '../src/platform/oidc/paths.ts';
import { freePort } from '../src/platform/testing/ports.ts';

export const BARE_SCOPE = 'openid profile email eduinfo';
const CLIENT_SECRET = 'bare-provider-bench-secret-0123456789abcdef';

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

/**
 * oidc-provider's in-memory storage without its 1000-entry LRU bound (which would evict live
 * tokens during a run): plain Maps, expiry checked on read.
 */
function mapAdapter() {
  const store = new Map<string, { payload: AdapterPayload; expires: number }>();
  const uids = new Map<string, string>();
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    const find = async (id: string) => {
      const hit = store.get(key(id));
      return hit && hit.expires > Date.now() ? hit.payload : undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        store.set(key(id), { payload, expires: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
        if (payload.uid) uids.set(payload.uid, id);
      },
      find,
      findByUid: async (uid) => {
        const id = uids.get(uid);
        return id ? find(id) : undefined;
      },
      findByUserCode: async () => undefined,
      async consume(id) {
        const hit = store.get(key(id));
        if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, v] of store)
          if (k.startsWith(`${model}:`) && v.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}

const CLAIMS = {
  sub: 'bench-user',
  name: '王小明',
  preferred_username: 'teacher01',
  email: 't@example.org',
  email_verified: true,
  eduinfo: { schoolid: '454503', titles: [{ schoolid: '454503', titles: ['教師'] }] },
};

async function serve(port: number, redirectUris: string[]) {
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
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ ...CLAIMS, sub }) }),
    routes: OIDC_ROUTES,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 86400,
      Session: 8 * 3600,
      Interaction: 3600,
      Grant: 14 * 86400,
    },
    cookies: { keys: ['bench-cookie-key'] },
  });
  const callback = provider.callback();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
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
      // As the county's: the access token must be live and carry the eduinfo scope.
      void (async () => {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const token = bearer ? await provider.AccessToken.find(bearer) : undefined;
        const allowed = token && !token.isExpired && String(token.scope).split(' ').includes('eduinfo');
        res.writeHead(allowed ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(allowed ? { sub: token.accountId, ...CLAIMS.eduinfo, classinfo: [] } : {}));
      })();
      return;
    }
    void callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, clientId, clientSecret: CLIENT_SECRET };
}

/** Starts a bare provider in a process of its own, on `process.execPath`. */
export async function startBareProvider(options: { redirectUris: string[] }): Promise<BareProvider> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: {
      ...process.env,
      BARE_PROVIDER: JSON.stringify(options),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await gone;
  };
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bare provider exited (${code})`)));
    lines.once('line', resolve);
  });
  const started = JSON.parse(first) as { issuer: string; clientId: string; clientSecret: string };
  return {
    ...started,
    resource: `${started.issuer}/cncresource/api/v1/eduinfo`,
    pid: child.pid ?? 0,
    stop,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env.BARE_PROVIDER) {
  const options = JSON.parse(process.env.BARE_PROVIDER) as { redirectUris: string[] };
  const started = await serve(await freePort(), options.redirectUris);
  process.stdout.write(`${JSON.stringify(started)}\n`);
}
