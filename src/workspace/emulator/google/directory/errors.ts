/**
 * Google API errors in Google's JSON envelope:
 * `{"error":{"code":…,"message":…,"errors":[{"message","domain","reason"}]}}`.
 */
export class GoogleApiError extends Error {
  override name = 'GoogleApiError';
  readonly code: number;
  readonly reason: string;
  readonly domain: string;
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    reason: string,
    message: string,
    domain = 'global',
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.domain = domain;
    this.headers = headers;
  }

  body() {
    const status: Record<number, string> = {
      400: 'INVALID_ARGUMENT',
      401: 'UNAUTHENTICATED',
      403: 'PERMISSION_DENIED',
      404: 'NOT_FOUND',
      409: 'ALREADY_EXISTS',
      412: 'FAILED_PRECONDITION',
      429: 'RESOURCE_EXHAUSTED',
      500: 'INTERNAL',
      503: 'UNAVAILABLE',
    };
    return {
      error: {
        code: this.code,
        message: this.message,
        errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
        ...(status[this.code] ? { status: status[this.code] } : {}),
      },
    };
  }
}

export const googleErrors = {
  notFound: (what: string) => new GoogleApiError(404, 'notFound', `Resource Not Found: ${what}`),
  duplicate: () => new GoogleApiError(409, 'duplicate', 'Entity already exists.'),
  creationNotComplete: () => new GoogleApiError(412, 'conditionNotMet', 'User creation is not complete.'),
  invalid: (message: string) => new GoogleApiError(400, 'invalid', message),
  required: (field: string) => new GoogleApiError(400, 'required', `Invalid Input: ${field}`),
  loginRequired: () => new GoogleApiError(401, 'required', 'Login Required.'),
  forbidden: () => new GoogleApiError(403, 'forbidden', 'Not Authorized to access this resource/api'),
  userRateLimit: () =>
    new GoogleApiError(
      403,
      'userRateLimitExceeded',
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.",
      'usageLimits',
    ),
  quotaExceeded: () =>
    new GoogleApiError(403, 'quotaExceeded', 'Quota exceeded for the project.', 'usageLimits'),
  rateLimit429: (retryAfter: number) =>
    new GoogleApiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits', {
      'retry-after': String(retryAfter),
    }),
  backendError: () => new GoogleApiError(500, 'backendError', 'Backend Error'),
  unavailable: (retryAfter: number) =>
    new GoogleApiError(503, 'backendError', 'The service is currently unavailable.', 'global', {
      'retry-after': String(retryAfter),
    }),
};
