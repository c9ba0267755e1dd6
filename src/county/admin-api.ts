import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../platform/errors/app-error.ts';
import { importAccounts } from './accounts/import.ts';
import type { County } from './services.ts';
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
    .max(2000),
});

/** The county's local admin API (CLI commands call it; see cli.ts). */
export async function registerAdminApi(api: FastifyInstance, county: County) {
  api.get('/county/tenants', async () => listTenants(county.db));

  api.post('/county/:tenant/import-accounts', async (request) => {
    const { tenant } = request.params as { tenant: string };
    if (!(await findTenant(county.db, tenant))) throw new AppError('county.unknown_tenant', 404, { tenant });
    const parsed = importBody.safeParse(request.body);
    if (!parsed.success) throw new AppError('bad_request', 400);
    return importAccounts(county, tenant, parsed.data.rows, parsed.data.actor);
  });
}
