// A county portal stand-in for the cloud's tests: a real oidc-provider issuer (the certified
// implementation) that offers `openid exchangedata`, signs the person in without a form (the test
// says who is at the keyboard) and refuses suspended accounts the way a county does.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import type { CountyConnection, CountyRegistry } from '../broker/counties.ts';

export interface PeerAccount {
  id: string;
  suspended?: boolean;
  claims: Record<string, unknown>;
}

/**
 * A teacher of the stand-in county with the claims a county releases to the cloud: 王小明 at
 * `schoolid` with `titles`, `guid` derived from the national ID as the county derives it.
 */
export function peerTeacher(
  id: string,
  username: string,
  nationalId: string,
  { schoolid = '454503', titles = ['教師'] }: { schoolid?: string; titles?: string[] } = {},
): PeerAccount {
  return {
    id,
    claims: {
      preferred_username: username,
      name: '王小明',
      family_name: '王',
      given_name: '小明',
      email: `${username}@example.org`,
      guid: createHash('sha256').update(nationalId).digest('hex'),
      schoolid,
      titles: [{ schoolid, titles }],
      classinfo: [],
    },
  };
}

export interface CountyPeer {
  issuer: string;
  accounts: Map<string, PeerAccount>;
  /** The account the next login signs in as. */
  loginAs(id: string): void;
  /**
   * Logins from now on report an authentication made `seconds` ago (0: now), as a county that
   * does not honour `prompt=login` would.
   */
  authenticatedAgo(seconds: number): void;
  /** The `prompt` of each authorization request received, in order. */
  prompts: string[];
  /**
   * Sends the cloud a logout token for the county session `sid` of `sub` (back-channel logout, to
   * the `backchannelLogoutUri` given), as the county does when that session ends.
   */
  logout(sub: string, sid: string): Promise<void>;
  /** The logout tokens sent so far. */
  logoutTokens: string[];
  close(): Promise<void>;
}

const EXCHANGE_CLAIMS = [
  'preferred_username',
  'name',
  'family_name',
  'given_name',
  'email',
  'guid',
  'schoolid',
  'titles',
  'classinfo',
];

export async function startCountyPeer(options: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  accounts: PeerAccount[];
  /** Also issue refresh tokens (benchmarks compare refresh grants with the cloud's). */
  refreshTokens?: boolean;
  /** The cloud's back-channel logout endpoint (ID tokens then carry `sid`). */
  backchannelLogoutUri?: string;
  /** The cloud's 「您已登出」 page, where the county's RP-initiated logout comes back to. */
  postLogoutRedirectUri?: string;
}): Promise<CountyPeer> {
  const logoutTokens: string[] = [];
  const accounts = new Map(options.accounts.map((a) => [a.id, a]));
  let current = options.accounts[0]?.id ?? '';
  let ago = 0;
  const prompts: string[] = [];
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: options.refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(options.postLogoutRedirectUri
          ? { post_logout_redirect_uris: [options.postLogoutRedirectUri] }
          : {}),
        ...(options.backchannelLogoutUri
          ? {
              backchannel_logout_uri: options.backchannelLogoutUri,
              backchannel_logout_session_required: true,
            }
          : {}),
      },
    ],
    scopes: ['openid', 'exchangedata'],
    claims: { openid: ['sub'], exchangedata: EXCHANGE_CLAIMS },
    conformIdTokenClaims: false,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false }, backchannelLogout: { enabled: true } },
    // Every party listens on 127.0.0.1: past oidc-provider's refusal of special-use addresses.
    fetch: (url, init) => {
      const { dispatcher: _protected, ...rest } = init as RequestInit & { dispatcher?: unknown };
      const token = new URLSearchParams(String(rest.body ?? '')).get('logout_token');
      if (token) logoutTokens.push(token);
      return fetch(url, rest);
    },
    cookies: { keys: ['county-peer-cookie-key'] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    findAccount: async (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account || account.suspended) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  async function interact(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      const account = accounts.get(current);
      if (!account || account.suspended) {
        return provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'account suspended',
        });
      }
      const ts = Math.floor(Date.now() / 1000) - ago;
      return provider.interactionFinished(req, res, { login: { accountId: account.id, ts } });
    }
    const grant = new provider.Grant({
      accountId: details.session?.accountId ?? '',
      clientId: options.clientId,
    });
    grant.addOIDCScope('openid exchangedata');
    grant.addOIDCClaims(EXCHANGE_CLAIMS);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } });
  }

  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((error: Error) => {
        res.statusCode = 500;
        res.end(error.message);
      });
      return;
    }
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/auth') prompts.push(url.searchParams.get('prompt') ?? '');
    callback(req, res);
  });

  return {
    issuer,
    accounts,
    loginAs(id) {
      current = id;
    },
    authenticatedAgo(seconds) {
      ago = seconds;
    },
    prompts,
    logoutTokens,
    async logout(sub, sid) {
      const client = (await provider.Client.find(options.clientId)) as unknown as {
        backchannelLogout(sub: string, sid: string): Promise<void>;
      };
      await client.backchannelLogout(sub, sid);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The cloud's connection to a county peer (`CountyRegistry.upsert`): the county's code and name,
 * the peer's issuer, and the cloud's client there (`clientId`, by default `educloud`).
 */
export function connectCounty(
  counties: CountyRegistry,
  county: { code: string; name: string; peer: CountyPeer },
  client: { clientSecret: string; clientId?: string },
): Promise<CountyConnection> {
  const { code, name, peer } = county;
  const clientId = client.clientId ?? 'educloud';
  return counties.upsert({ code, name, issuer: peer.issuer, clientId, clientSecret: client.clientSecret });
}
