import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { safeReturnTo } from '../../platform/http/return-to.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import { html } from '../../platform/views/html.ts';
import { profileCompleteness } from '../accounts/profile.ts';
import { type Account, findAccountById } from '../accounts/repository.ts';
import { signedIn } from '../guards.ts';
import type { County } from '../services.ts';
import { findUnit, searchUnits, type Tenant } from '../tenants/tenants.ts';
import { pendingTransferOf } from '../transfer/repository.ts';
import { cancelTransfer, requestTransfer } from '../transfer/requests.ts';
import { csrfField, errorSummary, field, formValue, hasAny, localize, postButton } from '../views/form.ts';
import { sendHeadedPage, tenantPath } from '../views/page.ts';
import { nextHidden, profileCheckPage, withNext } from './check-page.ts';
import {
  confirmUnit,
  maskedNationalId,
  maskedSubmission,
  NAME_MAX,
  nameErrors,
  saveName,
  saveNationalId,
} from './profile.ts';

export async function registerProfileRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);
  /**
   * The authorization a teacher was on when the profile check interrupted it (an OIDC interaction
   * of this portal, `next`): carried through every step of the check and continued once the
   * profile is complete.
   */
  const pendingNext = (request: FastifyRequest): string | undefined => {
    const raw =
      request.method === 'GET'
        ? (request.query as { next?: unknown }).next
        : formValue(request.body, 'next') || undefined;
    const next = safeReturnTo(raw, { fallback: '', within: `/${tenant.code}/` });
    return next === '' ? undefined : next;
  };
  const nextField = (next: string | undefined) =>
    next ? html`<input type="hidden" name="next" value="${next}">` : html``;
  /** After a step: on to the pending authorization once the profile is complete, else back to the check. */
  const afterStep = async (reply: FastifyReply, me: Account, next: string | undefined) => {
    if (next) {
      const fresh = await findAccountById(county.db, tenant.code, me.id);
      if (fresh && profileCompleteness(fresh).complete) return reply.redirect(next, 303);
    }
    return reply.redirect(withNext(p('/profile/check'), next), 303);
  };

  // 「OpenID認證資料檢核」: what is still missing, each with the way to fix it.
  app.get('/profile/check', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const next = pendingNext(request);
    const { missing, complete } = profileCompleteness(me);
    const unit = me.unit_code ? await findUnit(county.db, tenant.code, me.unit_code) : undefined;
    const transfer = await pendingTransferOf(county.db, me.id);
    const transferUnit = transfer ? await findUnit(county.db, tenant.code, transfer.to_unit) : undefined;
    const masked = await maskedNationalId(county, me);
    const submitted = await maskedSubmission(county, me);
    return sendPage(
      reply,
      profileCheckPage(request, tenant, {
        me,
        missing,
        complete,
        unit,
        transfer,
        transferUnit,
        masked,
        submitted,
        next,
      }),
    );
  });

  const nameForm = (
    request: FastifyRequest,
    values: { real_name: string; family_name: string; given_name: string },
    errors: Record<string, string | undefined>,
  ) => {
    const t = request.t;
    return html`${errorSummary(request, errors)}
<form method="post" action="${p('/profile/name')}" novalidate>${csrfField(request)}${nextField(pendingNext(request))}
${field({ name: 'real_name', label: t('profile.real_name'), value: values.real_name, error: errors.real_name, required: true, autocomplete: 'name', maxlength: NAME_MAX, hint: t('profile.real_name.hint') })}
${field({ name: 'family_name', label: t('profile.family_name'), value: values.family_name, error: errors.family_name, autocomplete: 'family-name', maxlength: 20 })}
${field({ name: 'given_name', label: t('profile.given_name'), value: values.given_name, error: errors.given_name, autocomplete: 'given-name', maxlength: 20, hint: t('profile.name_parts.hint') })}
<button type="submit">${t('profile.save')}</button></form>`;
  };

  /** The name form with `values`; with `errors`, marked and answered 400. */
  const showNameForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    values: { real_name: string; family_name: string; given_name: string },
    errors: Record<string, string | undefined> = {},
  ) =>
    sendHeadedPage(
      request,
      reply,
      tenant,
      'profile.name.title',
      nameForm(request, values, errors),
      hasAny(errors) ? 400 : 200,
    );

  app.get('/profile/name', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const name = {
      real_name: me.real_name ?? '',
      family_name: me.family_name ?? '',
      given_name: me.given_name ?? '',
    };
    return showNameForm(request, reply, name);
  });

  app.post('/profile/name', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const input = {
      realName: formValue(request.body, 'real_name'),
      familyName: formValue(request.body, 'family_name'),
      givenName: formValue(request.body, 'given_name'),
    };
    const errors = localize(request, nameErrors(input));
    if (Object.values(errors).some(Boolean)) {
      const keep = (v: string) => v.slice(0, 60);
      const typed = {
        real_name: keep(input.realName),
        family_name: keep(input.familyName),
        given_name: keep(input.givenName),
      };
      return showNameForm(request, reply, typed, errors);
    }
    await saveName(county, me, input, request.ip);
    return afterStep(reply, me, pendingNext(request));
  });

  const nationalIdForm = (request: FastifyRequest, errors: Record<string, string | undefined>) => {
    const t = request.t;
    return html`${errorSummary(request, errors)}
<p>${t('profile.national_id.why')}</p>
<form method="post" action="${p('/profile/national-id')}" novalidate autocomplete="off">${csrfField(request)}${nextField(pendingNext(request))}
${field({ name: 'national_id', label: t('profile.national_id'), error: errors.national_id, required: true, maxlength: 10, hint: t('profile.national_id.hint') })}
<button type="submit">${t('profile.save')}</button></form>`;
  };

  app.get('/profile/national-id', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    if (me.national_id_encrypted || me.national_id_submitted_encrypted)
      return reply.redirect(withNext(p('/profile/check'), pendingNext(request)), 303);
    return sendHeadedPage(request, reply, tenant, 'profile.national_id.title', nationalIdForm(request, {}));
  });

  app.post('/profile/national-id', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const result = await saveNationalId(
      county,
      tenant,
      me,
      formValue(request.body, 'national_id'),
      request.ip,
    );
    if (!result.ok) {
      // The number typed is never echoed back.
      return sendHeadedPage(
        request,
        reply,
        tenant,
        'profile.national_id.title',
        nationalIdForm(request, localize(request, result.errors)),
        result.status,
      );
    }
    return afterStep(reply, me, pendingNext(request));
  });

  app.post('/profile/unit/confirm', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    await confirmUnit(county, me, request.ip);
    return afterStep(reply, me, pendingNext(request));
  });

  app.post('/profile/unit/cancel', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    await cancelTransfer(county, me, request.ip);
    return afterStep(reply, me, pendingNext(request));
  });

  // 變更服務單位: pick the new unit; its reviewer approves the move.
  app.get('/profile/unit/change', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const t = request.t;
    const q = String((request.query as { q?: unknown }).q ?? '')
      .trim()
      .slice(0, 50);
    const results = q ? await searchUnits(county.db, tenant.code, q) : [];
    const next = pendingNext(request);
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'profile.unit.change',
      html`<p>${t('profile.unit.change.intro')}</p>
<form method="get" action="${p('/profile/unit/change')}" role="search">${nextField(next)}<div class="field"><label for="f-q">${t('register.unit.search')}</label>
<input id="f-q" name="q" type="search" value="${q}" maxlength="50"></div><button type="submit" class="secondary">${t('register.unit.search.go')}</button></form>
${q && results.length === 0 ? html`<p role="status">${t('register.unit.search.none')}</p>` : ''}
${results.length > 0 ? html`<ul class="unit-results">${results.filter((u) => u.code !== me.unit_code).map((u) => html`<li>${u.name}（${u.code}） ${postButton(request, p('/profile/unit/change'), t('profile.unit.request'), { hidden: { unit: u.code, ...nextHidden(next) } })}</li>`)}</ul>` : ''}`,
    );
  });

  app.post('/profile/unit/change', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    await requestTransfer(county, tenant, me, formValue(request.body, 'unit').slice(0, 20), request.ip);
    return reply.redirect(withNext(p('/profile/check'), pendingNext(request)), 303);
  });
}
