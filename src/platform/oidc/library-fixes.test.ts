import type { Server } from 'node:http';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The oidc-provider EduGate installs carries four fixes (patches/oidc-provider+*.patch, applied
// by `npm install`): each request's `ctx.oidc` comes from one getter shared by every request, a
// found access token builds no error, a stored client is found without a digest of its metadata,
// and hundreds of stored clients stay built. These tests fail on the library as published (but
// the one on what EduGate's client store relies on).

const CLIENT = { client_id: 'library-fixes', client_secret: 'library-fixes-secret-0123456789abcdef' };

let provider: Provider;
let server: Server;
let base: string;
let token: string;
const seen: Array<{ getter: unknown; same: boolean }> = [];

beforeAll(async () => {
  provider = new Provider('http://127.0.0.1/', {
    clients: [{ ...CLIENT, redirect_uris: ['https://rp.example.org/cb'] }],
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    ttl: { Grant: 600, AccessToken: 600 },
  });
  provider.use(async (ctx, next) => {
    await next();
    const descriptor = Object.getOwnPropertyDescriptor(ctx, 'oidc');
    const first = ctx.oidc;
    const again = ctx.oidc;
    if (descriptor) seen.push({ getter: descriptor.get, same: first === again });
  });
  const client = await provider.Client.find(CLIENT.client_id);
  if (!client) throw new Error('the test client is configured');
  const grant = new provider.Grant({ accountId: 'teacher-1', clientId: CLIENT.client_id });
  grant.addOIDCScope('openid');
  const grantId = await grant.save();
  token = await new provider.AccessToken({
    accountId: 'teacher-1',
    client,
    grantId,
    scope: 'openid',
    gty: 'authorization_code',
  }).save();
  server = provider.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe('the installed oidc-provider', () => {
  it('gives every request its own OIDC context through one shared getter', async () => {
    seen.length = 0;
    for (let i = 0; i < 2; i++)
      expect((await fetch(`${base}/.well-known/openid-configuration`)).status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(typeof seen[0]?.getter).toBe('function');
    expect(seen[1]?.getter).toBe(seen[0]?.getter);
    expect(seen.every((request) => request.same)).toBe(true);
  });

  it('answers userinfo for a found token without building an error, and refuses an unknown one as before', async () => {
    const captured = vi.spyOn(Error, 'captureStackTrace');
    try {
      const found = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(found.status).toBe(200);
      expect(await found.json()).toEqual({ sub: 'teacher-1' });
      expect(captured).not.toHaveBeenCalled();
    } finally {
      captured.mockRestore();
    }
    const unknown = await fetch(`${base}/me`, { headers: { authorization: 'Bearer not-a-token-we-issued' } });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({
      error: 'invalid_token',
      error_description: 'invalid token provided',
    });
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('finds a stored client again without a digest of its metadata, and rebuilds it when the metadata changes', async () => {
    let metadata: AdapterPayload = {
      client_id: 'stored',
      client_secret: 'stored-client-secret-0123456789abcdef',
      redirect_uris: ['https://rp.example.org/cb'],
    };
    const stored = providerOfStoredClients((id) => (id === 'stored' ? { ...metadata } : undefined));
    const first = await stored.Client.find('stored');
    expect(first?.redirectUris).toEqual(['https://rp.example.org/cb']);
    // oidc-provider imports node:crypto as a namespace: a counting `hash` reaches it once synced.
    const crypto = createRequire(import.meta.url)('node:crypto') as { hash: (...args: unknown[]) => unknown };
    const hash = crypto.hash;
    let digests = 0;
    crypto.hash = (...args: unknown[]) => {
      digests++;
      return hash(...args);
    };
    syncBuiltinESMExports();
    try {
      expect(await stored.Client.find('stored')).toBe(first);
      expect(digests).toBe(0);
    } finally {
      crypto.hash = hash;
      syncBuiltinESMExports();
    }
    metadata = { ...metadata, redirect_uris: ['https://rp.example.org/other'] };
    const changed = await stored.Client.find('stored');
    expect(changed).not.toBe(first);
    expect(changed?.redirectUris).toEqual(['https://rp.example.org/other']);
  });

  // Not a fix: what the client store relies on to hand out one frozen object per client.
  it('builds a stored client from copies of its own, leaving the frozen metadata it was given as it was', async () => {
    const metadata = Object.freeze({
      client_id: 'frozen',
      client_secret: 'frozen-client-secret-0123456789abcdef',
      redirect_uris: Object.freeze(['https://rp.example.org/cb']),
      response_types: Object.freeze(['code']),
      // Building the client adds `authorization_code` to this list.
      grant_types: Object.freeze(['refresh_token']),
    }) as unknown as AdapterPayload;
    const stored = providerOfStoredClients((id) => (id === 'frozen' ? metadata : undefined));
    const client = await stored.Client.find('frozen');
    expect(client?.grantTypes).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(metadata.grant_types).toEqual(['refresh_token']);
  });

  it('keeps hundreds of stored clients built, as a county serves them', async () => {
    const ids = Array.from({ length: 300 }, (_, n) => `app-${n}`);
    const stored = providerOfStoredClients((id) =>
      ids.includes(id)
        ? {
            client_id: id,
            client_secret: `${id}-secret-0123456789abcdef`,
            redirect_uris: ['https://rp.example.org/cb'],
          }
        : undefined,
    );
    const built = new Map<string, unknown>();
    for (const id of ids) built.set(id, await stored.Client.find(id));
    for (const id of ids) expect(await stored.Client.find(id)).toBe(built.get(id));
  });
});

/** A provider whose clients come from its adapter (as EduGate's do), found by `clientMetadata`. */
function providerOfStoredClients(clientMetadata: (id: string) => AdapterPayload | undefined): Provider {
  const nothing = async () => undefined;
  const adapter = (model: string): Adapter => ({
    find: async (id) => (model === 'Client' ? clientMetadata(id) : undefined),
    upsert: nothing,
    findByUid: nothing,
    findByUserCode: nothing,
    consume: nothing,
    destroy: nothing,
    revokeByGrantId: nothing,
  });
  return new Provider('http://127.0.0.1/', { adapter });
}
