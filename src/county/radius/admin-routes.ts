import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.ts';
import type { County } from '../services.ts';
import { findTenant, type Tenant } from '../tenants/tenants.ts';
import { localize } from '../views/form.ts';
import {
  addRadiusClient,
  listRadiusClients,
  removeRadiusClient,
  renewRadiusClientSecret,
} from './clients.ts';
import { RADIUS_API_USER, radiusApiPassword } from './credential.ts';
import { realmOf } from './realm.ts';
import { isPlainSetting, radiusSettings, saveRadiusSettings } from './settings.ts';

const clientBody = z.object({
  actor: z.string().min(1).max(64).default('cli'),
  name: z.string().max(100).default(''),
  address: z.string().max(100).default(''),
});

const settingsBody = z.object({
  actor: z.string().min(1).max(64).default('cli'),
  realm: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/)
    .optional(),
  ssid: z.string().refine(isPlainSetting).optional(),
  vpn_host: z.string().refine(isPlainSetting).optional(),
  ca_certificate: z
    .string()
    .max(20_000)
    .regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/)
    .optional(),
});

async function tenantOf(county: County, code: string): Promise<Tenant> {
  const tenant = await findTenant(county.db, code);
  if (!tenant) throw new AppError('county.unknown_tenant', 404, { tenant: code });
  return tenant;
}

/** The CLI's RADIUS routes (`edugate radius …`) on the county admin API. */
export async function registerRadiusAdminRoutes(api: FastifyInstance, county: County): Promise<void> {
  api.get<{ Params: { tenant: string } }>('/county/:tenant/radius/clients', async (request) => {
    const tenant = await tenantOf(county, request.params.tenant);
    return listRadiusClients(county.db, tenant.code);
  });

  // A new NAS: its shared secret is in this answer and nowhere else in clear.
  api.post<{ Params: { tenant: string } }>('/county/:tenant/radius/clients', async (request, reply) => {
    const tenant = await tenantOf(county, request.params.tenant);
    const parsed = clientBody.safeParse(request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    const { actor, ...input } = parsed.data;
    const added = await addRadiusClient(county, tenant.code, input, { actor, ip: request.ip });
    if ('refused' in added) {
      const problems = Object.values(localize(request, added.errors)).join(' ');
      throw new AppError('radius.invalid_client', added.refused === 'taken' ? 409 : 400, { problems });
    }
    return reply.code(201).send({ name: added.client.name, secret: added.secret });
  });

  api.delete<{ Params: { tenant: string; name: string } }>(
    '/county/:tenant/radius/clients/:name',
    async (request, reply) => {
      const tenant = await tenantOf(county, request.params.tenant);
      const removed = await removeRadiusClient(county, tenant.code, request.params.name, {
        actor: 'cli',
        ip: request.ip,
      });
      if (!removed) throw new AppError('radius.unknown_client', 404);
      return reply.code(204).send();
    },
  );

  // A new shared secret for a NAS, in this answer and nowhere else in clear.
  api.post<{ Params: { tenant: string; name: string } }>(
    '/county/:tenant/radius/clients/:name/secret',
    async (request) => {
      const tenant = await tenantOf(county, request.params.tenant);
      const parsed = clientBody.safeParse(request.body ?? {});
      if (!parsed.success) throw new AppError('bad_request', 400);
      const secret = await renewRadiusClientSecret(county, tenant.code, request.params.name, {
        actor: parsed.data.actor,
        ip: request.ip,
      });
      if (!secret) throw new AppError('radius.unknown_client', 404);
      return { name: request.params.name, secret };
    },
  );

  // What `edugate radius config` writes into FreeRADIUS's directory: the realm and the credential
  // of the RADIUS API (FreeRADIUS asks for the NAS clients and their secrets as they come).
  api.get<{ Params: { tenant: string } }>('/county/:tenant/radius/setup', async (request) => {
    const tenant = await tenantOf(county, request.params.tenant);
    const clients = await listRadiusClients(county.db, tenant.code);
    return {
      tenant: tenant.code,
      realm: await realmOf(county.db, tenant),
      mail_domain: tenant.mail_domain.toLowerCase(),
      portal_name: tenant.portal_name,
      api: { user: RADIUS_API_USER, password: radiusApiPassword(county.ctx.secrets.secret) },
      clients: clients.map((c) => ({ name: c.name, address: c.address })),
    };
  });

  api.put<{ Params: { tenant: string } }>('/county/:tenant/radius/settings', async (request) => {
    const tenant = await tenantOf(county, request.params.tenant);
    const parsed = settingsBody.safeParse(request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    const { actor, realm, ssid, vpn_host, ca_certificate } = parsed.data;
    await saveRadiusSettings(
      county.db,
      tenant,
      {
        ...(realm ? { realm } : {}),
        ...(ssid ? { ssid } : {}),
        ...(vpn_host ? { vpnHost: vpn_host } : {}),
        ...(ca_certificate ? { caCertificate: ca_certificate } : {}),
      },
      { actor, ip: request.ip },
    );
    return radiusSettings(county.db, tenant);
  });
}
