import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../platform/errors/app-error.ts';
import { importAccounts } from './accounts/import.ts';
import type { FieldErrors } from './registration/rules.ts';
import type { County } from './services.ts';
import { countyAdminErrors, createCountyAdmin, newCountyAdminBody } from './tenants/county-admins.ts';
import { editTenant, tenantEditBody, tenantEditErrors, tidyTenantEdit } from './tenants/edit-tenant.ts';
import { createTenant, newTenantBody, tenantErrors, tidyTenant } from './tenants/new-tenant.ts';
import type { TenantPortals } from './tenants/portals.ts';
import { findTenant, listTenants } from './tenants/tenants.ts';

const importBody = z.object({
  actor: z.string().min(1).max(64).default('cli'),
  rows: z
    .array(
      z.object({
        line: z.number().int(),
        username: z.string().max(200),
        email: z.string().max(320),
        password_hash: z.string().max(500),
        unit_code: z.string().max(20),
        real_name: z.string().max(100).optional(),
        family_name: z.string().max(50).optional(),
        given_name: z.string().max(50).optional(),
        national_id: z.string().max(20).optional(),
        titles: z.string().max(500).optional(),
        status: z.string().max(20).optional(),
      }),
    )
    .max(1_000_000),
});

/** One import request carries a whole file (all or nothing): 200,000 teachers are some 50 MB of JSON. */
const IMPORT_BODY_LIMIT = 256 * 1024 * 1024;

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new AppError('bad_request', 400);
  return parsed.data;
}

/** 400 naming every field that breaks a rule, in the caller's language. */
function refuseInvalid(request: FastifyRequest, errors: FieldErrors): void {
  const problems = Object.entries(errors).flatMap(([field, error]) =>
    error ? [request.t('tenant.problem', { field, message: request.t(error.key, error.vars) })] : [],
  );
  if (problems.length > 0) throw new AppError('county.invalid_input', 400, { problems: problems.join(' ') });
}

/** The county's local admin API (CLI commands call it; see cli.ts). */
export async function registerAdminApi(api: FastifyInstance, county: County, portals: TenantPortals) {
  api.get('/county/tenants', async () =>
    (await listTenants(county.db)).map((tenant) => ({ ...tenant, url: county.tenantUrl(tenant.code) })),
  );

  // A new county portal, served by this node before the answer (other nodes: see TenantPortals).
  api.post('/county/tenants', async (request, reply) => {
    const body = parse(newTenantBody, request.body);
    const input = tidyTenant(body);
    refuseInvalid(request, tenantErrors(input));
    const tenant = await createTenant(county, input, { actor: body.actor, ip: request.ip });
    await portals.open(tenant);
    return reply.code(201).send({ tenant, url: county.tenantUrl(tenant.code) });
  });

  // A county's description (names, mail domain; never its code), shown by this node's portal from
  // the next request on (other nodes: see TenantPortals).
  api.patch<{ Params: { tenant: string } }>('/county/tenants/:tenant', async (request) => {
    const code = request.params.tenant;
    if (!(await findTenant(county.db, code)))
      throw new AppError('county.unknown_tenant', 404, { tenant: code });
    const body = parse(tenantEditBody, request.body);
    const changes = tidyTenantEdit(body);
    refuseInvalid(request, tenantEditErrors(code, body, changes));
    if (Object.keys(changes).length === 0) throw new AppError('county.tenant_edit_empty', 400);
    const { tenant, changed } = await editTenant(county, code, changes, {
      actor: body.actor,
      ip: request.ip,
    });
    portals.update(tenant);
    return { tenant, changed, url: county.tenantUrl(tenant.code) };
  });

  // A county administrator: active, no usable password, a mailed one-time link to choose one.
  api.post<{ Params: { tenant: string } }>('/county/:tenant/admins', async (request, reply) => {
    const tenant = await findTenant(county.db, request.params.tenant);
    if (!tenant) throw new AppError('county.unknown_tenant', 404, { tenant: request.params.tenant });
    const body = parse(newCountyAdminBody, request.body);
    const input = {
      username: body.username.trim(),
      email: body.email.trim(),
      real_name: body.real_name.trim(),
    };
    refuseInvalid(request, await countyAdminErrors(county, tenant, input));
    const { account, linkExpires } = await createCountyAdmin(county, tenant, input, {
      actor: body.actor,
      ip: request.ip,
    });
    return reply.code(201).send({
      tenant: tenant.code,
      account: { id: account.id, username: account.username, role: account.role, status: account.state },
      set_password_link: { sent_to: account.email, expires_at: linkExpires.toISOString() },
      manage_url: `${county.tenantUrl(tenant.code)}/manage`,
    });
  });

  api.post('/county/:tenant/import-accounts', { bodyLimit: IMPORT_BODY_LIMIT }, async (request) => {
    const { tenant } = request.params as { tenant: string };
    if (!(await findTenant(county.db, tenant))) throw new AppError('county.unknown_tenant', 404, { tenant });
    const parsed = importBody.safeParse(request.body);
    if (!parsed.success) throw new AppError('bad_request', 400);
    return importAccounts(county, tenant, parsed.data.rows, parsed.data.actor);
  });
}
