import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { toCsv } from '../csv.ts';
import { withRole } from '../guards.ts';
import type { County } from '../services.ts';
import { findUnit, listUnits, type Tenant, type UnitInput } from '../tenants/tenants.ts';
import { formValue, hasAny, localize } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';
import { managePage } from './common.ts';
import { unitEditPage, unitListPage } from './unit-pages.ts';
import { createUnit, type ImportProblem, importUnits, updateUnit } from './unit-steps.ts';

function unitInput(body: unknown, code?: string): UnitInput {
  return {
    code: code ?? formValue(body, 'code'),
    name: formValue(body, 'name'),
    abbreviation: formValue(body, 'abbreviation') || null,
    mailbox: formValue(body, 'mailbox'),
    active: code ? formValue(body, 'active') === 'yes' : true,
  };
}

function problemText(request: FastifyRequest, problem: ImportProblem): string {
  const message = request.t(problem.key, problem.vars);
  if (problem.line === undefined) return message;
  return request.t('manage.units.import.line', { line: problem.line, field: problem.field ?? '', message });
}

/** The console's units (學校單位): list, create, edit, CSV export and all-or-nothing import. */
export async function registerUnitRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);
  const unitParam = (request: FastifyRequest) => (request.params as { code: string }).code.slice(0, 20);
  const showList = async (
    request: FastifyRequest,
    form: { values: Partial<UnitInput>; errors: Record<string, string | undefined> },
    importResult: { problems?: string[]; notice?: string } = {},
  ) => unitListPage(request, tenant, await listUnits(county.db, tenant.code), form, importResult);

  app.get('/manage/units', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const page = await showList(request, { values: {}, errors: {} });
    return managePage(request, reply, tenant, request.t('manage.units'), page);
  });

  app.post('/manage/units', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const input = unitInput(request.body);
    const errors = await createUnit(county, tenant, input, { username: me.username, ip: request.ip });
    if (!hasAny(errors)) return reply.redirect(p('/manage/units'), 303);
    const page = await showList(request, { values: input, errors: localize(request, errors) });
    return managePage(request, reply, tenant, request.t('manage.units'), page, 400);
  });

  app.get('/manage/units.csv', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const units = await listUnits(county.db, tenant.code);
    const rows = units.map((u) => [u.code, u.name, u.abbreviation ?? '', u.mailbox, u.active ? 'yes' : 'no']);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="units-${tenant.code}.csv"`)
      .send(toCsv(['code', 'name', 'abbreviation', 'mailbox', 'active'], rows));
  });

  app.post('/manage/units/import', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const by = { username: me.username, ip: request.ip };
    const { problems, count } = await importUnits(county, tenant, formValue(request.body, 'csv'), by);
    const result =
      problems.length > 0
        ? { problems: problems.slice(0, 50).map((problem) => problemText(request, problem)) }
        : { notice: request.t('manage.units.import.done', { count }) };
    const page = await showList(request, { values: {}, errors: {} }, result);
    return managePage(
      request,
      reply,
      tenant,
      request.t('manage.units'),
      page,
      problems.length > 0 ? 400 : 200,
    );
  });

  app.get('/manage/units/:code', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const unit = await findUnit(county.db, tenant.code, unitParam(request));
    if (!unit) throw new AppError('not_found', 404);
    return managePage(
      request,
      reply,
      tenant,
      request.t('manage.units.edit'),
      unitEditPage(request, tenant, unit, {}),
    );
  });

  app.post('/manage/units/:code', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const unit = await findUnit(county.db, tenant.code, unitParam(request));
    if (!unit) throw new AppError('not_found', 404);
    const input = unitInput(request.body, unit.code);
    const errors = await updateUnit(county, tenant, unit, input, { username: me.username, ip: request.ip });
    if (!hasAny(errors)) return reply.redirect(p('/manage/units'), 303);
    const page = unitEditPage(request, tenant, input, localize(request, errors));
    return managePage(request, reply, tenant, request.t('manage.units.edit'), page, 400);
  });
}
