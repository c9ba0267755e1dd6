import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { validateCountyUsername } from '../../identity/index.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { html } from '../../platform/views/html.ts';
import { sendSetPasswordLink } from '../account/password.ts';
import { EMAIL } from '../accounts/import.ts';
import { emailTaken, insertAccount, searchAccounts, usernameTaken } from '../accounts/repository.ts';
import { parseCsvRecords, toCsv } from '../csv.ts';
import { audit, isUniqueViolation } from '../db.ts';
import { withRole } from '../guards.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import {
  findUnit,
  findUnitByMailbox,
  listUnits,
  type Tenant,
  type UnitInput,
  upsertUnit,
} from '../tenants/tenants.ts';
import { unitErrors } from '../tenants/unit-rules.ts';
import { csrfField, errorSummary, field, formValue, textarea } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';
import { hasAny, localize, managePage } from './common.ts';

const IMPORT_MAX_ROWS = 5000;

function unitInput(body: unknown, code?: string): UnitInput {
  return {
    code: code ?? formValue(body, 'code'),
    name: formValue(body, 'name'),
    abbreviation: formValue(body, 'abbreviation') || null,
    mailbox: formValue(body, 'mailbox'),
    active: code ? formValue(body, 'active') === 'yes' : true,
  };
}

export async function registerUnitRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  const unitFields = (
    request: FastifyRequest,
    v: Partial<UnitInput>,
    errors: Record<string, string | undefined>,
    editing: boolean,
  ) => {
    const t = request.t;
    return html`${editing ? html`<input type="hidden" name="code" value="${v.code ?? ''}">` : field({ name: 'code', label: t('unit.code'), value: v.code, error: errors.code, required: true, maxlength: 8 })}
${field({ name: 'name', label: t('unit.name'), value: v.name, error: errors.name, required: true, maxlength: 100 })}
${field({ name: 'abbreviation', label: t('unit.abbreviation'), value: v.abbreviation ?? '', error: errors.abbreviation, maxlength: 30 })}
${field({ name: 'mailbox', label: t('unit.mailbox'), type: 'email', value: v.mailbox, error: errors.mailbox, required: true, hint: t('register.mailbox.hint', { domain: tenant.mail_domain }) })}
${editing ? html`<div class="field"><label><input type="checkbox" name="active" value="yes"${v.active ? html` checked` : ''}> ${t('manage.unit.active')}</label></div>` : ''}`;
  };

  const listPage = async (
    request: FastifyRequest,
    errors: Record<string, string | undefined>,
    values: Partial<UnitInput>,
    importErrors: string[] = [],
    notice?: string,
  ) => {
    const t = request.t;
    const units = await listUnits(county.db, tenant.code);
    return html`<h1>${t('manage.units')}</h1>
${notice ? html`<div class="success" role="status"><p>${notice}</p></div>` : ''}
<table><thead><tr><th scope="col">${t('unit.code')}</th><th scope="col">${t('unit.name')}</th><th scope="col">${t('unit.abbreviation')}</th><th scope="col">${t('unit.mailbox')}</th><th scope="col">${t('manage.unit.active')}</th></tr></thead>
<tbody>${units.map((u) => html`<tr><td><a href="${p(`/manage/units/${encodeURIComponent(u.code)}`)}">${u.code}</a></td><td>${u.name}</td><td>${u.abbreviation ?? ''}</td><td>${u.mailbox}</td><td>${u.active ? t('manage.yes') : t('manage.no')}</td></tr>`)}</tbody></table>
<p><a href="${p('/manage/units.csv')}" download>${t('manage.units.export')}</a></p>
<section class="panel" aria-labelledby="unit-new"><h2 id="unit-new">${t('manage.units.create')}</h2>${errorSummary(request, errors)}
<form method="post" action="${p('/manage/units')}" novalidate>${csrfField(request)}${unitFields(request, values, errors, false)}<button type="submit">${t('manage.create')}</button></form></section>
<section class="panel" aria-labelledby="unit-import"><h2 id="unit-import">${t('manage.units.import')}</h2>
<p class="hint">${t('manage.units.import.hint')}</p>
${importErrors.length > 0 ? html`<div class="alert" role="alert"><p>${t('manage.units.import.failed')}</p><ul>${importErrors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
<form method="post" action="${p('/manage/units/import')}" novalidate>${csrfField(request)}${textarea({ name: 'csv', label: t('manage.units.import.csv'), rows: 8 })}<button type="submit">${t('manage.import')}</button></form></section>`;
  };

  app.get('/manage/units', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    return managePage(request, reply, tenant, request.t('manage.units'), await listPage(request, {}, {}));
  });

  app.post('/manage/units', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const input = unitInput(request.body);
    const errors = unitErrors(input, tenant.mail_domain);
    if (!errors.code && (await findUnit(county.db, tenant.code, input.code)))
      errors.code = { key: 'manage.error.unit_exists' };
    if (!errors.mailbox && (await findUnitByMailbox(county.db, tenant.code, input.mailbox)))
      errors.mailbox = { key: 'manage.error.mailbox_taken' };
    if (hasAny(errors)) {
      return managePage(
        request,
        reply,
        tenant,
        request.t('manage.units'),
        await listPage(request, localize(request, errors), input),
        400,
      );
    }
    await county.db.transaction().execute(async (tx) => {
      await upsertUnit(tx, tenant.code, input);
      await audit(tx, {
        tenant: tenant.code,
        actor: me.username,
        action: 'unit.created',
        target: input.code,
        ip: request.ip,
        details: { unit: input.code, name: input.name, mailbox: input.mailbox },
      });
    });
    return reply.redirect(p('/manage/units'), 303);
  });

  app.get('/manage/units.csv', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const units = await listUnits(county.db, tenant.code);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="units-${tenant.code}.csv"`)
      .send(
        toCsv(
          ['code', 'name', 'abbreviation', 'mailbox', 'active'],
          units.map((u) => [u.code, u.name, u.abbreviation ?? '', u.mailbox, u.active ? 'yes' : 'no']),
        ),
      );
  });

  // All or nothing: any invalid line and no unit is changed.
  app.post('/manage/units/import', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const t = request.t;
    const { header, records } = parseCsvRecords(formValue(request.body, 'csv'));
    const problems: string[] = [];
    if (!['code', 'name', 'mailbox'].every((h) => header.includes(h)))
      problems.push(t('manage.units.import.header'));
    if (records.length === 0 || records.length > IMPORT_MAX_ROWS)
      problems.push(t('manage.units.import.count', { max: IMPORT_MAX_ROWS }));
    const inputs: UnitInput[] = records.map((r) => ({
      code: r.code ?? '',
      name: r.name ?? '',
      abbreviation: r.abbreviation || null,
      mailbox: r.mailbox ?? '',
      active: !['no', 'false', '0'].includes((r.active ?? 'yes').toLowerCase()),
    }));
    const seenCodes = new Set<string>();
    const seenMailboxes = new Map<string, string>();
    inputs.forEach((input, i) => {
      const line = i + 2;
      for (const [name, error] of Object.entries(unitErrors(input, tenant.mail_domain))) {
        if (error)
          problems.push(
            t('manage.units.import.line', { line, field: name, message: t(error.key, error.vars) }),
          );
      }
      if (seenCodes.has(input.code))
        problems.push(
          t('manage.units.import.line', { line, field: 'code', message: t('manage.error.unit_exists') }),
        );
      seenCodes.add(input.code);
      const mailbox = input.mailbox.toLowerCase();
      if (seenMailboxes.has(mailbox))
        problems.push(
          t('manage.units.import.line', { line, field: 'mailbox', message: t('manage.error.mailbox_taken') }),
        );
      seenMailboxes.set(mailbox, input.code);
    });
    if (problems.length === 0) {
      try {
        await county.db.transaction().execute(async (tx) => {
          let created = 0;
          let updated = 0;
          for (const input of inputs) {
            if ((await upsertUnit(tx, tenant.code, input)) === 'created') created++;
            else updated++;
          }
          await audit(tx, {
            tenant: tenant.code,
            actor: me.username,
            action: 'unit.imported',
            ip: request.ip,
            details: { created, updated },
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        problems.push(t('manage.error.mailbox_taken'));
      }
    }
    if (problems.length > 0) {
      return managePage(
        request,
        reply,
        tenant,
        t('manage.units'),
        await listPage(request, {}, {}, problems.slice(0, 50)),
        400,
      );
    }
    return managePage(
      request,
      reply,
      tenant,
      t('manage.units'),
      await listPage(request, {}, {}, [], t('manage.units.import.done', { count: inputs.length })),
    );
  });

  const editPage = (
    request: FastifyRequest,
    v: UnitInput,
    errors: Record<string, string | undefined>,
  ) => html`<h1>${request.t('manage.units.edit')}：${v.code}</h1>${errorSummary(request, errors)}
<form method="post" action="${p(`/manage/units/${encodeURIComponent(v.code)}`)}" novalidate>${csrfField(request)}${unitFields(request, v, errors, true)}<button type="submit">${request.t('profile.save')}</button></form>`;

  app.get('/manage/units/:code', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const unit = await findUnit(
      county.db,
      tenant.code,
      (request.params as { code: string }).code.slice(0, 20),
    );
    if (!unit) throw new AppError('not_found', 404);
    return managePage(request, reply, tenant, request.t('manage.units.edit'), editPage(request, unit, {}));
  });

  app.post('/manage/units/:code', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const unit = await findUnit(
      county.db,
      tenant.code,
      (request.params as { code: string }).code.slice(0, 20),
    );
    if (!unit) throw new AppError('not_found', 404);
    const input = unitInput(request.body, unit.code);
    const errors = unitErrors(input, tenant.mail_domain);
    const other = errors.mailbox ? undefined : await findUnitByMailbox(county.db, tenant.code, input.mailbox);
    if (other && other.code !== unit.code) errors.mailbox = { key: 'manage.error.mailbox_taken' };
    if (hasAny(errors))
      return managePage(
        request,
        reply,
        tenant,
        request.t('manage.units.edit'),
        editPage(request, input, localize(request, errors)),
        400,
      );
    await county.db.transaction().execute(async (tx) => {
      await upsertUnit(tx, tenant.code, input);
      await audit(tx, {
        tenant: tenant.code,
        actor: me.username,
        action: 'unit.updated',
        target: unit.code,
        ip: request.ip,
        details: { unit: unit.code, name: input.name, mailbox: input.mailbox, active: input.active },
      });
    });
    return reply.redirect(p('/manage/units'), 303);
  });

  // Reviewers: accounts bound to one unit, created here; they set their password from a mailed link.
  const reviewersPage = async (
    request: FastifyRequest,
    v: Record<string, string>,
    errors: Record<string, string | undefined>,
    notice?: string,
  ) => {
    const t = request.t;
    const [reviewers, units] = await Promise.all([
      searchAccounts(county.db, tenant.code, { role: 'reviewer', limit: 1000 }),
      listUnits(county.db, tenant.code, { activeOnly: true }),
    ]);
    const unitName = new Map(units.map((u) => [u.code, u.name]));
    return html`<h1>${t('manage.reviewers')}</h1>
${notice ? html`<div class="success" role="status"><p>${notice}</p></div>` : ''}
<table><thead><tr><th scope="col">${t('register.username')}</th><th scope="col">${t('profile.unit')}</th><th scope="col">${t('register.email')}</th><th scope="col">${t('account.status')}</th></tr></thead>
<tbody>${reviewers.map((r) => html`<tr><td><a href="${p(`/manage/accounts/${r.id}`)}">${r.username}</a></td><td>${unitName.get(r.unit_code ?? '') ?? r.unit_code}</td><td>${r.email}</td><td>${t(`status.${r.status}`)}</td></tr>`)}</tbody></table>
<section class="panel" aria-labelledby="rv-new"><h2 id="rv-new">${t('manage.reviewers.create')}</h2>${errorSummary(request, errors)}
<form method="post" action="${p('/manage/reviewers')}" novalidate>${csrfField(request)}
${field({ name: 'username', label: t('register.username'), value: v.username, error: errors.username, required: true, maxlength: 64 })}
${field({ name: 'email', label: t('manage.reviewers.email'), type: 'email', value: v.email, error: errors.email, required: true, hint: t('manage.reviewers.email.hint') })}
<div class="field"><label for="f-unit">${t('profile.unit')}</label><select id="f-unit" name="unit"${errors.unit ? html` aria-invalid="true"` : ''}>${units.map((u) => html`<option value="${u.code}"${u.code === v.unit ? html` selected` : ''}>${u.name}（${u.code}）</option>`)}</select>
${errors.unit ? html`<p class="field-error">${errors.unit}</p>` : ''}</div>
<button type="submit">${t('manage.create')}</button></form></section>`;
  };

  app.get('/manage/reviewers', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    return managePage(
      request,
      reply,
      tenant,
      request.t('manage.reviewers'),
      await reviewersPage(request, {}, {}),
    );
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
    const errors: FieldErrors = {};
    const [violation] =
      v.username === '' ? [{ code: 'required' }] : validateCountyUsername(v.username.slice(0, 64));
    if (violation)
      errors.username = {
        key: violation.code === 'required' ? 'register.error.required' : `register.error.${violation.code}`,
        vars: { term: '' },
      };
    else if (await usernameTaken(county.db, tenant.code, v.username))
      errors.username = { key: 'register.error.username.taken' };
    if (v.email === '' || v.email.length > 254 || !EMAIL.test(v.email))
      errors.email = { key: 'register.error.email.format' };
    else if (await emailTaken(county.db, tenant.code, v.email))
      errors.email = { key: 'register.error.email.taken' };
    const unit = await findUnit(county.db, tenant.code, v.unit);
    if (!unit?.active) errors.unit = { key: 'register.error.mailbox.unknown' };
    if (hasAny(errors) || !unit) {
      const keep = { username: v.username.slice(0, 64), email: v.email.slice(0, 254), unit: v.unit };
      return managePage(
        request,
        reply,
        tenant,
        t('manage.reviewers'),
        await reviewersPage(request, keep, localize(request, errors)),
        400,
      );
    }
    const passwordHash = await county.hasher.hash(randomBytes(32).toString('base64url'));
    try {
      await county.db.transaction().execute(async (tx) => {
        const account = await insertAccount(tx, {
          tenant: tenant.code,
          username: v.username,
          passwordHash,
          email: v.email,
          emailVerified: true,
          role: 'reviewer',
          status: 'active',
          unitCode: unit.code,
          unitConfirmed: true,
        });
        await audit(tx, {
          tenant: tenant.code,
          actor: me.username,
          action: 'reviewer.created',
          target: account.id,
          ip: request.ip,
          details: { unit: unit.code, username: account.username },
        });
        await sendSetPasswordLink(county, tx, tenant, account);
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return managePage(
        request,
        reply,
        tenant,
        t('manage.reviewers'),
        await reviewersPage(request, v, { username: t('register.error.username.taken') }),
        409,
      );
    }
    return managePage(
      request,
      reply,
      tenant,
      t('manage.reviewers'),
      await reviewersPage(
        request,
        {},
        {},
        t('manage.reviewers.created', { username: v.username, email: v.email }),
      ),
    );
  });
}
