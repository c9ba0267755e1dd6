import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/audit-log.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { OidcProvider } from './provider.ts';

const clientBody = z.object({
  name: z.string().min(1).max(200),
  redirect_uris: z.array(z.string().min(1)).min(1),
  post_logout_redirect_uris: z.array(z.string().min(1)).optional(),
  backchannel_logout_uri: z.string().min(1).optional(),
  scopes: z.array(z.string().min(1)).default(['openid']),
  public: z.boolean().optional(),
  client_id: z.string().optional(),
});

const clientChanges = z.object({
  name: z.string().min(1).max(200).optional(),
  redirect_uris: z.array(z.string().min(1)).min(1).optional(),
  post_logout_redirect_uris: z.array(z.string().min(1)).optional(),
  /** '' removes it. */
  backchannel_logout_uri: z.string().optional(),
  scopes: z.array(z.string().min(1)).optional(),
  disabled: z.boolean().optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new AppError('bad_request', 400);
  return result.data;
}

/**
 * OIDC admin routes for the CLI (`edugate client add`, `edugate keys rotate`), registered inside
 * `adminApi(...)`: `/admin/api/oidc/:tenant/clients[...]` and `/admin/api/oidc/:tenant/keys[...]`.
 * `issuers` maps a tenant key to its provider.
 */
export function oidcAdminRoutes(
  api: FastifyInstance,
  issuers: (tenant: string) => OidcProvider | undefined,
): void {
  const issuer = (tenant: string) => {
    const oidc = issuers(tenant);
    if (!oidc) throw new AppError('oidc_tenant_unknown', 404, { tenant });
    return oidc;
  };
  const audit = (oidc: OidcProvider, action: string, target: string, details: Record<string, unknown> = {}) =>
    recordAudit(oidc.options.db as Kysely<PlatformTables>, {
      tenant: oidc.tenant,
      actor: 'admin-cli',
      action,
      target,
      details,
    });

  api.get<{ Params: { tenant: string } }>('/oidc/:tenant/clients', async (request) => ({
    clients: await issuer(request.params.tenant).clients.list(),
  }));

  api.post<{ Params: { tenant: string } }>('/oidc/:tenant/clients', async (request, reply) => {
    const oidc = issuer(request.params.tenant);
    const body = parse(clientBody, request.body);
    const issued = await oidc.clients.add({
      name: body.name,
      redirectUris: body.redirect_uris,
      postLogoutRedirectUris: body.post_logout_redirect_uris,
      backchannelLogoutUri: body.backchannel_logout_uri,
      scopes: body.scopes,
      public: body.public,
      clientId: body.client_id,
    });
    await audit(oidc, 'oidc.client.added', issued.client_id, { name: body.name, scopes: body.scopes });
    return reply.code(201).send(issued);
  });

  api.put<{ Params: { tenant: string; clientId: string } }>(
    '/oidc/:tenant/clients/:clientId',
    async (request) => {
      const oidc = issuer(request.params.tenant);
      const changes = parse(clientChanges, request.body);
      const record = await oidc.clients.update(request.params.clientId, {
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.redirect_uris !== undefined ? { redirectUris: changes.redirect_uris } : {}),
        ...(changes.backchannel_logout_uri !== undefined
          ? { backchannelLogoutUri: changes.backchannel_logout_uri }
          : {}),
        ...(changes.post_logout_redirect_uris !== undefined
          ? { postLogoutRedirectUris: changes.post_logout_redirect_uris }
          : {}),
        ...(changes.scopes !== undefined ? { scopes: changes.scopes } : {}),
        ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
      });
      await audit(oidc, 'oidc.client.updated', record.clientId, changes);
      return record;
    },
  );

  api.post<{ Params: { tenant: string; clientId: string } }>(
    '/oidc/:tenant/clients/:clientId/secret',
    async (request) => {
      const oidc = issuer(request.params.tenant);
      const issued = await oidc.clients.rotateSecret(request.params.clientId);
      await audit(oidc, 'oidc.client.secret_rotated', issued.client_id);
      return issued;
    },
  );

  api.delete<{ Params: { tenant: string; clientId: string } }>(
    '/oidc/:tenant/clients/:clientId',
    async (request, reply) => {
      const oidc = issuer(request.params.tenant);
      await oidc.clients.remove(request.params.clientId);
      await audit(oidc, 'oidc.client.removed', request.params.clientId);
      return reply.code(204).send();
    },
  );

  api.get<{ Params: { tenant: string } }>('/oidc/:tenant/keys', async (request) => ({
    keys: await issuer(request.params.tenant).keys.list(),
  }));

  api.post<{ Params: { tenant: string } }>('/oidc/:tenant/keys/rotate', async (request) => {
    const oidc = issuer(request.params.tenant);
    const key = await oidc.rotateKeys();
    await audit(oidc, 'oidc.keys.rotated', key.kid);
    return { rotated: key, keys: await oidc.keys.list() };
  });
}
