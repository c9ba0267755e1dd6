/** Hosts a relying party may use over plain `http`: the person's own machine (RFC 8252 §7.3). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a redirect URI is refused; undefined when it is acceptable. */
export type RedirectUriProblem = 'invalid' | 'scheme' | 'fragment' | 'wildcard';

/**
 * The one rule for the redirect URIs (and post-logout redirect URIs) of every client, whether an
 * administrator enters it in a console or the CLI or a client registers itself: an absolute
 * `https` URL — plain `http` only for loopback addresses (`127.0.0.1`, `localhost`, `[::1]`) —
 * without wildcards, fragment or credentials. The provider then compares them exactly.
 * `allowHttp` is for the demo's own clients, seeded from the operator's configured URLs.
 */
export function redirectUriProblem(
  uri: string,
  options: { allowHttp?: boolean } = {},
): RedirectUriProblem | undefined {
  if (uri.includes('*')) return 'wildcard';
  if (uri.includes('#')) return 'fragment';
  const url = URL.parse(uri);
  if (!url || url.username || url.password || url.hostname === '') return 'invalid';
  if (url.hostname.includes('%2a') || url.hostname.includes('%2A')) return 'wildcard';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (options.allowHttp || LOOPBACK_HOSTS.has(url.hostname))) return undefined;
  return 'scheme';
}
