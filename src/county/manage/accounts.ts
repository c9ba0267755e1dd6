import type { FastifyInstance, FastifyRequest } from 'fastify';
import { queryAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { editAccount } from '../accounts/edit.ts';
import { departAccount, reactivateAccount, suspendAccount, transferAccount } from '../accounts/lifecycle.ts';
import { findAccountById, searchAccounts } from '../accounts/repository.ts';
import { withRole } from '../guards.ts';
import { maskedNationalId } from '../profile/profile.ts';
import { ACCOUNT_STATES } from '../schema.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { formValue } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';
import { accountDetailPage, accountListPage, PAGE_SIZE } from './account-pages.ts';
import { managePage } from './common.ts';

export async function registerAccountAdminRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  app.get('/manage/accounts', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const q = request.query as { q?: unknown; status?: unknown; unit?: unknown; page?: unknown };
    const text = typeof q.q === 'string' ? q.q.trim().slice(0, 64) : '';
    // The query parameter keeps its name (`?status=`): addresses people have bookmarked.
    const state = ACCOUNT_STATES.find((s) => s === q.status);
    const unitCode = typeof q.unit === 'string' && q.unit ? q.unit.slice(0, 20) : undefined;
    const pageNo = Math.max(0, Math.min(10_000, Number.parseInt(String(q.page ?? '0'), 10) || 0));
    const [accounts, units] = await Promise.all([
      searchAccounts(county.db, tenant.code, {
        query: text,
        state,
        unitCode,
        limit: PAGE_SIZE + 1,
        offset: pageNo * PAGE_SIZE,
      }),
      listUnits(county.db, tenant.code),
    ]);
    const page = accountListPage(request, tenant, { text, state, unitCode, pageNo, accounts, units });
    return managePage(request, reply, tenant, request.t('manage.accounts'), page);
  });

  app.get('/manage/accounts/:id', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const account = await findAccountById(county.db, tenant.code, (request.params as { id: string }).id);
    if (!account) throw new AppError('not_found', 404);
    const units = await listUnits(county.db, tenant.code, { activeOnly: true });
    const [history, masked] = await Promise.all([
      queryAudit(county.db, { tenant: tenant.code, target: account.id, limit: 30 }),
      maskedNationalId(county, account),
    ]);
    const view = { account, units, maskedNationalId: masked, history };
    return managePage(request, reply, tenant, account.username, accountDetailPage(request, tenant, view));
  });

  const lifecycle = {
    suspend: suspendAccount,
    reactivate: reactivateAccount,
    depart: departAccount,
  } as const;
  for (const [path, run] of Object.entries(lifecycle)) {
    app.post(`/manage/accounts/:id/${path}`, async (request, reply) => {
      const me = withRole(request, reply, tenant, ['county_admin']);
      if (!me) return;
      const accountId = (request.params as { id: string }).id;
      if (!(await findAccountById(county.db, tenant.code, accountId))) throw new AppError('not_found', 404);
      await county.db.transaction().execute((tx) =>
        run(county, tx, {
          tenant,
          accountId,
          reason: formValue(request.body, 'reason'),
          actor: me.username,
          ip: request.ip,
        }),
      );
      return reply.redirect(p(`/manage/accounts/${accountId}`), 303);
    });
  }

  app.post('/manage/accounts/:id/transfer', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const accountId = (request.params as { id: string }).id;
    if (!(await findAccountById(county.db, tenant.code, accountId))) throw new AppError('not_found', 404);
    await county.db.transaction().execute((tx) =>
      transferAccount(county, tx, {
        tenant,
        accountId,
        toUnit: formValue(request.body, 'unit').slice(0, 20),
        actor: me.username,
        ip: request.ip,
      }),
    );
    return reply.redirect(p(`/manage/accounts/${accountId}`), 303);
  });

  app.post('/manage/accounts/:id/role', async (request: FastifyRequest, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const role = formValue(request.body, 'role');
    if (role !== 'teacher' && role !== 'reviewer') throw new AppError('bad_request', 400);
    const account = await findAccountById(county.db, tenant.code, (request.params as { id: string }).id);
    if (!account || account.role === 'county_admin') throw new AppError('not_found', 404);
    await county.db.transaction().execute(async (tx) => {
      const details = { from: account.role, to: role, unit: account.unit_code };
      await editAccount(
        tx,
        account,
        { role },
        { actor: me.username, action: 'account.role_changed', ip: request.ip, details },
      );
    });
    return reply.redirect(p(`/manage/accounts/${account.id}`), 303);
  });
}
