import type { Locale } from './i18n.ts';

/** Every time a person reads is Taiwan time: the people served are in Taiwan, whatever the server's zone. */
export const TIME_ZONE = 'Asia/Taipei';
/** How the zone is named next to a time read where it may not be local (mails, English pages). */
export const ZONE_LABEL = 'UTC+8';

const MINUTES = new Intl.DateTimeFormat('sv-SE', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** `2026-12-04 08:15` in Taiwan time; '' for no date. */
export function taiwanTime(date: Date | string | null | undefined): string {
  if (date === null || date === undefined) return '';
  return MINUTES.format(new Date(date));
}

/** `2026-12-04 08:15 (UTC+8)`: a time read in a mail, or by a reader who may be elsewhere. */
export function taiwanTimeWithZone(date: Date | string | null | undefined): string {
  const text = taiwanTime(date);
  return text ? `${text} (${ZONE_LABEL})` : '';
}

/** A time on a page: Taiwan time, with its zone on pages in a language other than zh-TW. */
export function pageTime(locale: Locale, date: Date | string | null | undefined): string {
  return locale === 'zh-TW' ? taiwanTime(date) : taiwanTimeWithZone(date);
}
