import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { validateCloudAccountName } from '../../identity/index.ts';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { changeAccountState } from '../account/lifecycle.ts';
import type { CloudServices } from '../services.ts';

const roleBody = z.object({
  code: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  description: z.string().max(1000).default(''),
});
const assignBody = z.object({ account: z.string().min(1).max(200), schoolid: z.string().max(8).default('') });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new AppError('bad_request', 400);
  return result.data;
}

/**
 * The cloud's admin API for the CLI (`edugate cloud …`), registered inside `adminApi(...)`:
 * county connections, account suspension and custom roles under `/admin/api/cloud/...`.
 */
export function cloudAdminRoutes(api: FastifyInstance, services: CloudServices): void {
  const audit = (action: string, target: string, details: Record<string, unknown> = {}) =>
    recordAudit(services.db, { actor: 'admin-cli', action, target, details });
  const accountNamed = async (name: string) => {
    const account = await services.accounts.byName(name.replace(/@.*$/, ''));
    if (!account) throw new AppError('not_found', 404);
    return account;
  };

  api.get('/cloud/counties', async () => ({ counties: await services.counties.list() }));

  api.post('/cloud/counties', async (request) => {
    const county = await services.counties.upsert((request.body ?? {}) as never);
    await audit('county.saved', county.code, { issuer: county.issuer, enabled: county.enabled });
    return { county };
  });

  api.post<{ Params: { code: string; action: string } }>('/cloud/counties/:code/:action', async (request) => {
    const { code, action } = request.params;
    if (action !== 'enable' && action !== 'disable') throw new AppError('not_found', 404);
    await services.counties.setEnabled(code, action === 'enable');
    await audit(`county.${action}d`, code);
    return { county: await services.counties.get(code) };
  });

  api.delete<{ Params: { code: string } }>('/cloud/counties/:code', async (request) => {
    await services.counties.remove(request.params.code);
    await audit('county.removed', request.params.code);
    return { removed: request.params.code };
  });

  // Names made before the rule had its dot clauses: not addresses Google accepts.
  api.get('/cloud/accounts/invalid-names', async () => ({
    accounts: (await services.accounts.withInvalidNames()).map((account) => ({
      id: account.id,
      name: account.name,
      email: services.emailOf(account),
      state: account.state,
      problems: validateCloudAccountName(account.name)
        .map((v) => v.code)
        .filter((code) => code !== 'account_name.reserved'),
    })),
  }));

  api.post<{ Params: { name: string; action: string } }>('/cloud/accounts/:name/:action', async (request) => {
    const { action } = request.params;
    if (action !== 'suspend' && action !== 'reactivate') throw new AppError('not_found', 404);
    const account = await accountNamed(request.params.name);
    // State, audit record and the security event to the cloud's receivers, in one transaction.
    await services.db.transaction().execute((tx) =>
      changeAccountState(services.ctx, tx, {
        accountId: account.id,
        state: action === 'suspend' ? 'suspended' : 'active',
        actor: 'admin-cli',
      }),
    );
    return { account: { name: account.name, state: action === 'suspend' ? 'suspended' : 'active' } };
  });

  api.get('/cloud/roles', async () => ({ roles: await services.roles.list() }));

  api.post('/cloud/roles', async (request) => {
    const role = parse(roleBody, request.body);
    await services.roles.define(role);
    await audit('role.saved', role.code);
    return { role };
  });

  api.post<{ Params: { code: string } }>('/cloud/roles/:code/assign', async (request) => {
    const body = parse(assignBody, request.body);
    const account = await accountNamed(body.account);
    await services.roles.assign(request.params.code, account.id, body.schoolid);
    await audit('role.assigned', account.id, { role: request.params.code, schoolid: body.schoolid });
    return { members: await services.roles.members(request.params.code) };
  });
}
