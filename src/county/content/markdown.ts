import { marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { type SafeHtml, trusted } from '../../platform/views/html.ts';

const ALLOWED: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'em',
    'b',
    'i',
    'u',
    's',
    'del',
    'code',
    'pre',
    'blockquote',
    'hr',
    'ul',
    'ol',
    'li',
    'h2',
    'h3',
    'h4',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'a',
  ],
  allowedAttributes: { a: ['href', 'title'], th: ['scope'], ol: ['start'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowProtocolRelative: false,
  transformTags: { h1: 'h2', a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer' }) },
};

/**
 * The language of what the county's administrators write (announcements, help pages, terms):
 * marked on its element, so that an English page reads it out as Chinese (WCAG 3.1.2).
 */
export const CONTENT_LANG = 'zh-TW';

/**
 * Rendered texts by their Markdown: the home page shows the same announcements to every visitor,
 * and parsing and sanitizing one costs about half a millisecond of the event loop. The text is the
 * key, so an edited announcement is rendered anew; the oldest entries go first past the limit.
 */
const rendered = new Map<string, SafeHtml>();
const RENDERED_LIMIT = 500;

/** Administrator-written Markdown as safe HTML: no scripts, styles, frames, images or event handlers. */
export function renderMarkdown(markdown: string): SafeHtml {
  const known = rendered.get(markdown);
  if (known) return known;
  const raw = marked.parse(markdown, { async: false, gfm: true, breaks: true });
  const safe = trusted(sanitizeHtml(raw, ALLOWED));
  if (rendered.size >= RENDERED_LIMIT) {
    const oldest = rendered.keys().next();
    if (!oldest.done) rendered.delete(oldest.value);
  }
  rendered.set(markdown, safe);
  return safe;
}
