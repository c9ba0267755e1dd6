import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../../platform/database/platform-schema.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { adminApi } from '../../../platform/http/admin-api.ts';
import { GoogleApiError } from './directory/errors.ts';
import { type DirectoryUsers, type UserInput, userResource } from './directory/users.ts';
import { FAULT_KINDS, type FaultInjector, type FaultKind, type QuotaWindow } from './faults.ts';
import type { GoogleTables } from './schema.ts';
import { delegateDomainWide, newServiceAccountKey, registerServiceAccountKey } from './service-accounts.ts';
import { trustedIdp } from './signin/idp-trust.ts';

export interface StandInAdminDeps {
  db: Kysely<GoogleTables & PlatformTables>;
  adminToken: string;
  faults: FaultInjector;
  quota: QuotaWindow;
  users: DirectoryUsers;
}

/**
 * The stand-in's own admin API (bearer admin token): inject faults, set the quota, look at the
 * directory, add a user as an administrator would in the Admin console, and register a domain
 * with its IdP. Real Google has no such thing; tests and the
 * bench use it.
 */
export async function standInAdmin(app: FastifyInstance, deps: StandInAdminDeps): Promise<void> {
  await adminApi(app, deps.adminToken, (api) => {
    api.get('/faults', async () => deps.faults.settings(deps.quota.limit));
    api.post('/faults', async (request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const kind = body.kind as FaultKind;
      if (!FAULT_KINDS.includes(kind)) throw new AppError('bad_request', 400);
      const count = typeof body.count === 'number' && body.count > 0 ? Math.floor(body.count) : 1;
      deps.faults.add({
        kind,
        method: typeof body.method === 'string' ? body.method : '*',
        count,
        ...(typeof body.retryAfterSeconds === 'number' ? { retryAfterSeconds: body.retryAfterSeconds } : {}),
      });
      return deps.faults.settings(deps.quota.limit);
    });
    api.put('/faults/creation-lag', async (request) => {
      const ms = Number((request.body as { ms?: unknown } | undefined)?.ms);
      if (!Number.isFinite(ms) || ms < 0 || ms > 600_000) throw new AppError('bad_request', 400);
      deps.faults.creationLagMs = ms;
      return deps.faults.settings(deps.quota.limit);
    });
    api.delete('/faults', async () => {
      deps.faults.clear();
      return deps.faults.settings(deps.quota.limit);
    });
    api.get('/quota', async () => deps.quota.stats());
    api.put('/quota', async (request) => {
      const perMinute = Number((request.body as { perMinute?: unknown } | undefined)?.perMinute);
      if (!Number.isInteger(perMinute) || perMinute < 1) throw new AppError('bad_request', 400);
      deps.quota.limit = perMinute;
      deps.quota.reset();
      return deps.quota.stats();
    });
    api.get('/users', async () => ({ users: (await deps.users.list()).map(userResource) }));
    // The Admin console's 「新增使用者」: a user made at Google, outside EduGate (no external id
    // unless given), checked by the same rules as users.insert; refusals in Google's envelope.
    api.post('/users', async (request, reply) => {
      try {
        return userResource(await deps.users.insert((request.body ?? {}) as UserInput));
      } catch (error) {
        if (!(error instanceof GoogleApiError)) throw error;
        return reply.code(error.code).send(error.body());
      }
    });
    api.post('/domains', async (request) => {
      const body = (request.body ?? {}) as {
        domain?: unknown;
        idpMetadataUrl?: unknown;
        signOutUrl?: unknown;
      };
      if (typeof body.domain !== 'string' || !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(body.domain)) {
        throw new AppError('bad_request', 400);
      }
      const url = typeof body.idpMetadataUrl === 'string' ? body.idpMetadataUrl : null;
      const signOut =
        typeof body.signOutUrl === 'string' && URL.canParse(body.signOutUrl) ? body.signOutUrl : null;
      await deps.db
        .insertInto('google_domains')
        .values({ domain: body.domain, idp_metadata_url: url, idp_certificates: '[]', sign_out_url: signOut })
        .onConflict((oc) =>
          oc.column('domain').doUpdateSet({
            idp_metadata_url: url,
            sign_out_url: signOut,
            idp_entity_id: null,
            idp_sso_url: null,
            idp_certificates: '[]',
            idp_fetched_at: null,
          }),
        )
        .execute();
      return { domain: body.domain, idpMetadataUrl: url, signOutUrl: signOut };
    });
    // The Cloud console's 「建立金鑰」: a new key of a service account, registered here by its public
    // half; the JSON key file (private key included) is answered once and kept nowhere else.
    api.post('/service-accounts/keys', async (request) => {
      const body = (request.body ?? {}) as { clientEmail?: unknown };
      if (
        typeof body.clientEmail !== 'string' ||
        !/^[a-z0-9-]+@[a-z0-9.-]+\.[a-z]{2,}$/.test(body.clientEmail)
      ) {
        throw new AppError('bad_request', 400);
      }
      const existing = await deps.db
        .selectFrom('google_service_account_keys')
        .select('client_id')
        .where('client_email', '=', body.clientEmail)
        .executeTakeFirst();
      const clientId =
        existing?.client_id ??
        String(randomInt(10 ** 11, 10 ** 12 - 1)) + String(randomInt(10 ** 8, 10 ** 9 - 1));
      const key = newServiceAccountKey({ clientEmail: body.clientEmail, clientId });
      await registerServiceAccountKey(deps.db, key);
      return key;
    });
    // The Admin console's domain-wide delegation: the client ID may use exactly these scopes.
    api.put('/delegations/:clientId', async (request) => {
      const { clientId } = request.params as { clientId: string };
      const scopes = (request.body as { scopes?: unknown } | undefined)?.scopes;
      if (
        !/^\d{6,30}$/.test(clientId) ||
        !Array.isArray(scopes) ||
        scopes.length === 0 ||
        !scopes.every((scope) => typeof scope === 'string' && /^https:\/\/\S+$/.test(scope))
      ) {
        throw new AppError('bad_request', 400);
      }
      await delegateDomainWide(deps.db, clientId, scopes as string[]);
      return { clientId, scopes };
    });
    api.post('/domains/:domain/refresh-idp', async (request) => {
      const { domain } = request.params as { domain: string };
      const idp = await trustedIdp(deps.db, domain, true);
      if (!idp) throw new AppError('not_found', 404);
      return idp;
    });
  });
}
