import type { FieldErrors } from '../registration/rules.ts';
import { formValue } from '../views/form.ts';

/** What the console accepts as announcements and help pages (最新消息, 說明頁面). */

export const TITLE_MAX = 200;
export const BODY_MAX = 50_000;
export const SHORT_MAX = 50;

export interface AnnouncementInput {
  title: string;
  category: string;
  author: string;
  body: string;
  publishedAt: string;
}

export function announcementInput(body: unknown): AnnouncementInput {
  return {
    title: formValue(body, 'title'),
    category: formValue(body, 'category') || '本站公告',
    author: formValue(body, 'author') || '系統管理員',
    body: formValue(body, 'body'),
    publishedAt: formValue(body, 'published_at'),
  };
}

/** `YYYY-MM-DDTHH:mm` from a datetime-local field, read as Taiwan time. */
export function parseLocalTime(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const date = new Date(`${value}${value.length === 16 ? ':00' : ''}+08:00`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function announcementErrors(input: AnnouncementInput): FieldErrors {
  const errors: FieldErrors = {};
  if (input.title === '') errors.title = { key: 'register.error.required' };
  else if ([...input.title].length > TITLE_MAX)
    errors.title = { key: 'manage.error.text', vars: { max: TITLE_MAX } };
  if ([...input.category].length > SHORT_MAX || /[<>]/.test(input.category))
    errors.category = { key: 'manage.error.text', vars: { max: SHORT_MAX } };
  if ([...input.author].length > SHORT_MAX || /[<>]/.test(input.author))
    errors.author = { key: 'manage.error.text', vars: { max: SHORT_MAX } };
  if (input.body === '') errors.body = { key: 'register.error.required' };
  else if (input.body.length > BODY_MAX) errors.body = { key: 'manage.error.text', vars: { max: BODY_MAX } };
  if (input.publishedAt !== '' && !parseLocalTime(input.publishedAt))
    errors.published_at = { key: 'manage.error.datetime' };
  return errors;
}

/** A help page's title and Markdown body. */
export function pageErrors(title: string, body: string): FieldErrors {
  const errors: FieldErrors = {};
  if (title === '') errors.title = { key: 'register.error.required' };
  else if ([...title].length > TITLE_MAX)
    errors.title = { key: 'manage.error.text', vars: { max: TITLE_MAX } };
  if (body === '') errors.body = { key: 'register.error.required' };
  else if (body.length > BODY_MAX) errors.body = { key: 'manage.error.text', vars: { max: BODY_MAX } };
  return errors;
}
