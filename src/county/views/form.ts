import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { FieldErrors } from '../registration/rules.ts';

/** The hidden CSRF field every county form carries. */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">`;
}

export interface FieldOptions {
  name: string;
  label: string;
  type?: 'text' | 'password' | 'email' | 'search' | 'date' | 'datetime-local' | 'number';
  value?: string | undefined;
  /** A localized message shown at the field. */
  error?: string | undefined;
  hint?: string | SafeHtml | undefined;
  required?: boolean;
  autocomplete?: string;
  maxlength?: number;
  inputmode?: 'numeric' | 'email' | 'text';
  id?: string;
}

/** A labelled input with its hint and its own error message (linked by aria-describedby). */
export function field(o: FieldOptions): SafeHtml {
  const id = o.id ?? `f-${o.name}`;
  const describedBy = [o.hint ? `${id}-hint` : '', o.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${id}">${o.label}${o.required ? html` <span aria-hidden="true">*</span>` : ''}</label>
${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
<input id="${id}" name="${o.name}" type="${o.type ?? 'text'}"${o.type === 'password' ? '' : html` value="${o.value ?? ''}"`}${o.required ? html` required` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${o.error ? html` aria-invalid="true"` : ''}>
${o.error ? html`<p class="field-error" id="${id}-error">${o.error}</p>` : ''}
</div>`;
}

export function textarea(o: {
  name: string;
  label: string;
  value?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
  rows?: number;
  /** The language of the text, when it is not the page's (e.g. the county's Chinese content). */
  lang?: string;
}): SafeHtml {
  const id = `f-${o.name}`;
  return html`<div class="field"><label for="${id}">${o.label}</label>
${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
<textarea id="${id}" name="${o.name}" rows="${o.rows ?? 6}"${o.lang ? html` lang="${o.lang}"` : ''}${o.required ? html` required` : ''}${o.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${o.value ?? ''}</textarea>
${o.error ? html`<p class="field-error" id="${id}-error">${o.error}</p>` : ''}</div>`;
}

/** A summary of a form's errors at its top, so screen-reader users hear them first. */
export function errorSummary(request: FastifyRequest, errors: Record<string, string | undefined>): SafeHtml {
  const list = Object.entries(errors).filter(([, message]) => message);
  if (list.length === 0) return html``;
  return html`<div class="alert" role="alert"><p>${request.t('form.errors')}</p><ul>${list.map(
    ([name, message]) => html`<li><a href="#f-${name}">${message}</a></li>`,
  )}</ul></div>`;
}

/** A POST button form (an action on a resource) with its CSRF field. */
export function postButton(
  request: FastifyRequest,
  action: string,
  label: string,
  options: { className?: string; hidden?: Record<string, string> } = {},
): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">${csrfField(request)}${Object.entries(
    options.hidden ?? {},
  ).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit"${options.className ? html` class="${options.className}"` : ''}>${label}</button></form>`;
}

/** Reads a form value as a trimmed string: '' when absent or not a single string (e.g. repeated). */
export function formValue(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** Like formValue but untrimmed (passwords). */
export function formSecret(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** Catches input longer than a field could legitimately be, and markup where none belongs. */
export function tooLong(value: string, max: number): boolean {
  return [...value].length > max;
}

export function hasMarkup(value: string): boolean {
  return /[<>]/.test(value);
}

/** Field errors (catalogue keys with their values) in the request's language, for the form to show. */
export function localize(request: FastifyRequest, errors: FieldErrors): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, error] of Object.entries(errors)) if (error) out[name] = request.t(error.key, error.vars);
  return out;
}

/** Whether any field has an error (keys or localized messages alike). */
export const hasAny = (errors: Record<string, unknown>): boolean => Object.values(errors).some(Boolean);
