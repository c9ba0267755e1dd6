import type { FastifyInstance, FastifyRequest } from 'fastify';
import { searchAccounts } from '../accounts/repository.ts';
import { withRole } from '../guards.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { formValue, localize } from '../views/form.ts';
import { managePage } from './common.ts';
import { reviewersPage } from './unit-pages.ts';
import { createReviewer } from './unit-steps.ts';

/** The console's reviewers (學校審核人員): accounts bound to one unit, created by the county. */
export async function registerReviewerRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const show = async (
    request: FastifyRequest,
    form: { values: Record<string, string>; errors: Record<string, string | undefined> },
    notice?: string,
  ) => {
    const [reviewers, units] = await Promise.all([
      searchAccounts(county.db, tenant.code, { role: 'reviewer', limit: 1000 }),
      listUnits(county.db, tenant.code, { activeOnly: true }),
    ]);
    return reviewersPage(request, tenant, { reviewers, units }, form, notice);
  };

  app.get('/manage/reviewers', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const page = await show(request, { values: {}, errors: {} });
    return managePage(request, reply, tenant, request.t('manage.reviewers'), page);
  });

  app.post('/manage/reviewers', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const t = request.t;
    const v = {
      username: formValue(request.body, 'username'),
      email: formValue(request.body, 'email'),
      unit: formValue(request.body, 'unit').slice(0, 20),
    };
    const result = await createReviewer(county, tenant, v, { username: me.username, ip: request.ip });
    if (result.ok) {
      const notice = t('manage.reviewers.created', { username: v.username, email: v.email });
      return managePage(
        request,
        reply,
        tenant,
        t('manage.reviewers'),
        await show(request, { values: {}, errors: {} }, notice),
      );
    }
    const keep = { username: v.username.slice(0, 64), email: v.email.slice(0, 254), unit: v.unit };
    const page = await show(request, { values: keep, errors: localize(request, result.errors) });
    return managePage(request, reply, tenant, t('manage.reviewers'), page, result.conflict ? 409 : 400);
  });
}
