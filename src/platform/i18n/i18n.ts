export const LOCALES = ['zh-TW', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-TW';

export type Catalogue<K extends string = string> = {
  readonly 'zh-TW': Record<K, string>;
  readonly en: Record<K, string>;
};

/** Declares a context's messages; the type makes both languages carry the same keys. */
export function defineMessages<K extends string>(catalogue: Catalogue<K>): Catalogue<K> {
  return catalogue;
}

type KeysOf<C> = C extends Catalogue<infer K> ? K : never;

/**
 * One catalogue of several: a context whose flows keep their own messages offers them together where
 * a whole view is needed (the role app, mails, the page walk's check for untranslated keys). A key
 * that two of them define is refused, so one flow never silently rewords another's.
 */
export function mergeMessages<C extends Catalogue[]>(...catalogues: C): Catalogue<KeysOf<C[number]>> {
  const merged: Record<Locale, Record<string, string>> = { 'zh-TW': {}, en: {} };
  for (const catalogue of catalogues) {
    for (const locale of LOCALES) {
      for (const [key, text] of Object.entries(catalogue[locale])) {
        if (key in merged[locale]) throw new Error(`message ${key} is defined twice`);
        merged[locale][key] = text;
      }
    }
  }
  return merged;
}

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** Merges the catalogues of the contexts a role serves and translates keys with `{name}` variables. */
export class I18n {
  readonly #messages: Record<Locale, Map<string, string>> = { 'zh-TW': new Map(), en: new Map() };

  constructor(...catalogues: Catalogue[]) {
    for (const catalogue of catalogues) this.add(catalogue);
  }

  add(catalogue: Catalogue): void {
    for (const locale of LOCALES) {
      for (const [key, text] of Object.entries(catalogue[locale])) this.#messages[locale].set(key, text);
    }
  }

  has(key: string): boolean {
    return this.#messages['zh-TW'].has(key);
  }

  translate(locale: Locale, key: string, vars: Record<string, string | number> = {}): string {
    const text = this.#messages[locale].get(key) ?? this.#messages[DEFAULT_LOCALE].get(key) ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  }

  translator(locale: Locale): Translate {
    return (key, vars) => this.translate(locale, key, vars);
  }
}

/** Picks the locale: explicit choice (query or cookie) first, then Accept-Language, then zh-TW. */
export function negotiateLocale(explicit: string | undefined, acceptLanguage: string | undefined): Locale {
  if (explicit === 'en' || explicit === 'zh-TW') return explicit;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part) => {
        const [tag = '', q] = part.trim().split(';q=');
        return { tag: tag.toLowerCase(), q: q ? Number(q) : 1 };
      })
      .sort((a, b) => b.q - a.q);
    for (const { tag } of ranked) {
      if (tag.startsWith('zh')) return 'zh-TW';
      if (tag.startsWith('en')) return 'en';
    }
  }
  return DEFAULT_LOCALE;
}
