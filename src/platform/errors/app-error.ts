/**
 * An error a user may see. `code` is stable (documented, used by API clients and tests);
 * the message shown is the catalogue entry `error.<code>` in the user's language.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: string;
  readonly status: number;
  readonly params: Record<string, string | number>;
  readonly headers: Record<string, string>;

  /** The status under Fastify's name, for error handlers of protocol scopes that read only that. */
  get statusCode(): number {
    return this.status;
  }

  constructor(
    code: string,
    status: number,
    params: Record<string, string | number> = {},
    headers: Record<string, string> = {},
  ) {
    super(code);
    this.code = code;
    this.status = status;
    this.params = params;
    this.headers = headers;
  }
}

export const notFound = () => new AppError('not_found', 404);
export const badRequest = () => new AppError('bad_request', 400);
export const forbidden = () => new AppError('forbidden', 403);
export const unauthorized = () => new AppError('unauthorized', 401);
export const overloaded = (seconds: number) =>
  new AppError('overloaded', 503, { seconds }, { 'retry-after': String(seconds) });
export const rateLimited = (seconds: number) =>
  new AppError('rate_limited', 429, { seconds }, { 'retry-after': String(seconds) });

/**
 * A redirect thrown from a guard deep inside a handler (e.g. to the login page): the handler
 * stops there, and the error handler answers with the redirect alone. Sending it from the guard and
 * returning nothing instead would have Fastify send a second answer while the first one still
 * passes its `onSend` hooks.
 */
export const redirect = (location: string) => new AppError('redirect', 303, {}, { location });
