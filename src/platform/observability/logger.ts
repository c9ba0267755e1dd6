import { type Logger, pino } from 'pino';

/**
 * Paths redacted from every log line, whatever logs them: secrets, passwords, tokens, national IDs,
 * cookies and authorization headers.
 */
export const REDACT_PATHS = [
  'password',
  'newPassword',
  'password_confirm',
  'passwordConfirm',
  'nationalId',
  'national_id',
  'personid',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.password_confirm',
  '*.nationalId',
  '*.national_id',
  '*.personid',
  '*.secret',
  '*.client_secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
];

/** National IDs in free text (e.g. an error message quoting input) are masked too. */
const NATIONAL_ID_IN_TEXT = /\b([A-Za-z])[1289A-Da-d]\d{8}\b/g;

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) =>
            typeof a === 'string' ? a.replace(NATIONAL_ID_IN_TEXT, '$1*********') : a,
          );
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          url: req.url.replace(
            /([?&](?:code|token|state|id_token_hint|SAMLRequest|SAMLResponse)=)[^&]*/g,
            '$1[redacted]',
          ),
          ip: req.ip,
        }),
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
