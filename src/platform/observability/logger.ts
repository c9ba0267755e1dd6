import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

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

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * The process logger. `auto` prints JSON lines (one object per line, for the journal or a log
 * collector) unless the destination is a terminal, where lines are printed readably (pino-pretty:
 * time, level, message, then the fields). Redaction happens before either.
 */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  format: LogFormat = 'auto',
): Logger {
  const out = destination ?? process.stdout;
  const readable = format === 'pretty' || (format === 'auto' && (out as { isTTY?: boolean }).isTTY === true);
  const stream = readable
    ? pretty({
        destination: out,
        sync: true,
        colorize: (out as { isTTY?: boolean }).isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
      })
    : destination;
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
    stream as pino.DestinationStream | undefined,
  );
}
