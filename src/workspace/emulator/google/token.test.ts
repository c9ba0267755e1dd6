import { readFileSync } from 'node:fs';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECTORY_SCOPES, googleTarget } from '../../provisioning/google-auth.ts';
import { type ProvisioningRig, startProvisioningRig } from '../../testing.ts';
import { GOOGLE_TOKEN_URI, newServiceAccountKey, type ServiceAccountKeyFile } from './service-accounts.ts';

// The stand-in's token endpoint as Google's: a service account signs a JWT bearer assertion
// (RFC 7523) with its key and gets an access token for the scopes delegated domain-wide to it,
// acting as a user of the domain. Provisioning gets its tokens through google-auth-library's JWT
// client from the key file (GOOGLE_SERVICE_ACCOUNT_FILE), as against Google.

let rig: ProvisioningRig;
let key: ServiceAccountKeyFile;
let admin: string;

beforeAll(async () => {
  rig = await startProvisioningRig();
  key = JSON.parse(readFileSync(rig.config.googleServiceAccountFile ?? '', 'utf8')) as ServiceAccountKeyFile;
  admin = rig.config.googleAdminSubject ?? '';
});
afterAll(async () => {
  await rig?.close();
});

const NOW = () => Math.floor(Date.now() / 1000);

async function assertion(
  claims: { aud?: string; scope?: string; sub?: string; iat?: number; exp?: number; iss?: string } = {},
  privateKey = key.private_key,
) {
  const iat = claims.iat ?? NOW();
  return new SignJWT({ scope: claims.scope ?? DIRECTORY_SCOPES.join(' ') })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(claims.iss ?? key.client_email)
    .setSubject(claims.sub ?? admin)
    .setAudience(claims.aud ?? GOOGLE_TOKEN_URI)
    .setIssuedAt(iat)
    .setExpirationTime(claims.exp ?? iat + 3600)
    .sign(await importPKCS8(privateKey, 'RS256'));
}

async function token(body: Record<string, string>) {
  const response = await fetch(`${rig.googleUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

const grant = async (jwt: string) =>
  token({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt });

const directory = (accessToken: string) =>
  fetch(`${rig.googleUrl}/admin/directory/v1/users/${encodeURIComponent(admin)}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });

describe('Google stand-in token endpoint (JWT bearer grant)', () => {
  it('gives google-auth-library, with the service account key file, a token the Directory API takes', async () => {
    const target = googleTarget(rig.config);
    expect(target?.kind).toBe('stand-in');
    const { token: accessToken } = await (target?.auth.getAccessToken() ?? Promise.reject());
    expect(accessToken).toMatch(/^ya29\./);
    // Known to the API (404: no such user yet), unlike a made-up token (401).
    expect((await directory(accessToken ?? '')).status).toBe(404);
    expect((await directory('ya29.made-up')).status).toBe(401);
  });

  it('grants the delegated scopes to an assertion signed by the account key', async () => {
    const answer = await grant(await assertion());
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: DIRECTORY_SCOPES.join(' '),
    });
  });

  it('refuses an assertion signed by a key the account does not have', async () => {
    const stranger = newServiceAccountKey({ clientEmail: key.client_email, clientId: key.client_id });
    const answer = await grant(await assertion({}, stranger.private_key));
    expect(answer).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
    expect((await grant(await assertion({ iss: 'nobody@example.iam.gserviceaccount.com' }))).status).toBe(
      400,
    );
  });

  it('refuses another audience, an expired or long-lived assertion, and a user outside the domain', async () => {
    for (const claims of [
      { aud: 'https://example.org/token' },
      { iat: NOW() - 7200, exp: NOW() - 3600 },
      { exp: NOW() + 7200 },
      { sub: 'admin@example.org' },
    ]) {
      const answer = await grant(await assertion(claims));
      expect(answer.status, JSON.stringify(claims)).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
    }
  });

  it('refuses scopes not delegated to the client ID', async () => {
    const answer = await grant(
      await assertion({ scope: `${DIRECTORY_SCOPES[0]} https://www.googleapis.com/auth/gmail.send` }),
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('unauthorized_client');
  });

  it("grants a key made at the stand-in's admin API once the scopes are delegated to its client ID", async () => {
    const made = (await rig.googleAdmin('POST', '/service-accounts/keys', {
      clientEmail: 'operator-made@edugate-rehearsal.iam.gserviceaccount.com',
    })) as ServiceAccountKeyFile;
    expect(made).toMatchObject({ type: 'service_account', token_uri: GOOGLE_TOKEN_URI });
    const claims = { iss: made.client_email };
    expect((await grant(await assertion(claims, made.private_key))).body.error).toBe('unauthorized_client');
    await rig.googleAdmin('PUT', `/delegations/${made.client_id}`, { scopes: DIRECTORY_SCOPES });
    expect((await grant(await assertion(claims, made.private_key))).status).toBe(200);
    // A second key of the same account keeps its client ID; the first key still works.
    const second = (await rig.googleAdmin('POST', '/service-accounts/keys', {
      clientEmail: made.client_email,
    })) as ServiceAccountKeyFile;
    expect(second.client_id).toBe(made.client_id);
    expect(second.private_key_id).not.toBe(made.private_key_id);
    expect((await grant(await assertion(claims, second.private_key))).status).toBe(200);
    await expect(
      rig.googleAdmin('POST', '/service-accounts/keys', { clientEmail: 'no address' }),
    ).rejects.toThrow('400');
  });

  it('accepts no other grant', async () => {
    const answer = await token({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'y' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('unsupported_grant_type');
  });
});
