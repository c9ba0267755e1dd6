import { z } from 'zod';
import { parseTrustProxy } from '../http/proxy-trust.ts';

/**
 * Every configuration option of EduGate, in one place. Each entry names its environment variable,
 * its default and what it does; docs/CONFIGURATION.md is generated from this table
 * (`edugate config docs`) and a test keeps the two in sync.
 */
export interface OptionSpec<T extends z.ZodType = z.ZodType> {
  env: string;
  schema: T;
  doc: string;
  group: string;
  secret?: boolean;
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const bool = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
    .default(fallback)
    .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

function option<T extends z.ZodType>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

export const options = {
  dataDir: option({
    env: 'EDUGATE_DATA_DIR',
    schema: z.string().min(1).default('./.edugate'),
    doc: 'Directory of the embedded database (PGlite, in `database/`: one database for every role, each role in its own schema as its own database role) and of generated demo secrets.',
    group: 'Storage',
  }),
  databaseUrl: option({
    env: 'DATABASE_URL',
    schema: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    doc: 'PostgreSQL connection URL. When set, every role uses PostgreSQL (each role in its own schema) instead of the embedded database.',
    group: 'Storage',
    secret: true,
  }),
  databasePoolSize: option({
    env: 'DATABASE_POOL_SIZE',
    schema: z.coerce.number().int().min(1).max(200).default(10),
    doc: 'Connections per role in the PostgreSQL pool; once opened, a connection stays open.',
    group: 'Storage',
  }),
  databasePreparedStatements: option({
    env: 'DATABASE_PREPARED_STATEMENTS',
    schema: bool(true),
    doc: 'Run SQL statements as named prepared statements on PostgreSQL (parsed and planned once per connection). Turn off behind a connection pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).',
    group: 'Storage',
  }),
  databaseConnectTimeoutMs: option({
    env: 'DATABASE_CONNECT_TIMEOUT_MS',
    schema: z.coerce.number().int().min(100).max(600_000).default(5000),
    doc: 'Milliseconds a request waits to open a PostgreSQL connection, or for a free one of the pool; then it gets 503 (service busy) with Retry-After.',
    group: 'Storage',
  }),
  databaseStatementTimeoutMs: option({
    env: 'DATABASE_STATEMENT_TIMEOUT_MS',
    schema: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
    doc: "PostgreSQL `statement_timeout` of the roles' connections (0 = none). A statement without any answer (a stalled network) is given up one second later and its connection replaced. Migrations run without it.",
    group: 'Storage',
  }),
  databaseIdleInTransactionTimeoutMs: option({
    env: 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
    schema: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
    doc: "PostgreSQL `idle_in_transaction_session_timeout` of the roles' connections (0 = none): the server ends a transaction a node left open without a statement for this long (a node cut off mid-transaction), releasing its locks.",
    group: 'Storage',
  }),
  redisUrl: option({
    env: 'REDIS_URL',
    schema: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
    doc: 'Redis URL. When set, sessions, throttling counters and short-lived OIDC artifacts live in Redis (needed for several app nodes).',
    group: 'Storage',
    secret: true,
  }),
  redisConnectTimeoutMs: option({
    env: 'REDIS_CONNECT_TIMEOUT_MS',
    schema: z.coerce.number().int().min(100).max(600_000).default(5000),
    doc: 'Milliseconds to open a Redis connection. While Redis is unreachable, the client reconnects with backoff (up to 2 seconds apart) and requests needing it get 503 at once.',
    group: 'Storage',
  }),
  redisCommandTimeoutMs: option({
    env: 'REDIS_COMMAND_TIMEOUT_MS',
    schema: z.coerce.number().int().min(50).max(600_000).default(2000),
    doc: 'Milliseconds a Redis command may take; then the request gets 503 with Retry-After. A connection that answers nothing for twice as long is replaced.',
    group: 'Storage',
  }),
  host: option({
    env: 'EDUGATE_HOST',
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Address the HTTP listeners bind to.',
    group: 'HTTP',
  }),
  publicHost: option({
    env: 'EDUGATE_PUBLIC_HOST',
    schema: z.string().min(1).default('localhost'),
    doc: 'Host name used in the demo URLs (issuers, links in mails). Production deployments set the *_URL options instead.',
    group: 'HTTP',
  }),
  landingPort: option({
    env: 'EDUGATE_LANDING_PORT',
    schema: port(4000),
    doc: 'Port of the demo landing page.',
    group: 'HTTP',
  }),
  countyPort: option({
    env: 'EDUGATE_COUNTY_PORT',
    schema: port(4001),
    doc: 'Port of the county portals.',
    group: 'HTTP',
  }),
  cloudPort: option({
    env: 'EDUGATE_CLOUD_PORT',
    schema: port(4002),
    doc: 'Port of the education cloud.',
    group: 'HTTP',
  }),
  workspacePort: option({
    env: 'EDUGATE_WORKSPACE_PORT',
    schema: port(4003),
    doc: 'Port of the workspace activation portal.',
    group: 'HTTP',
  }),
  googlePort: option({
    env: 'EDUGATE_GOOGLE_PORT',
    schema: port(4004),
    doc: 'Port of the local Google stand-in (demo and tests only).',
    group: 'HTTP',
  }),
  adminHost: option({
    env: 'EDUGATE_ADMIN_HOST',
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Address the admin listeners bind to: each role process serves `/metrics`, `/admin/api` (bearer admin token) and the health checks there, never on its public port. Keep it on loopback or a management network.',
    group: 'HTTP',
  }),
  adminPort: option({
    env: 'EDUGATE_ADMIN_PORT',
    schema: port(4100),
    doc: 'Base of the admin listener ports: the county role listens on this port + 1, the cloud + 2, the workspace + 3, the Google stand-in + 4 (4101–4104 by default), whether the roles run in one demo process or one per process. The CLI finds a running role there.',
    group: 'HTTP',
  }),
  countyUrl: option({
    env: 'EDUGATE_COUNTY_URL',
    schema: optionalString.pipe(z.url().optional()),
    doc: 'Public base URL of the county portal role; each tenant is a path below it (issuer `URL/{tenant}`). Default `http://PUBLIC_HOST:COUNTY_PORT`.',
    group: 'HTTP',
  }),
  cloudUrl: option({
    env: 'EDUGATE_CLOUD_URL',
    schema: optionalString.pipe(z.url().optional()),
    doc: 'Public base URL (and OIDC issuer) of the education cloud. Default `http://PUBLIC_HOST:CLOUD_PORT`.',
    group: 'HTTP',
  }),
  workspaceUrl: option({
    env: 'EDUGATE_WORKSPACE_URL',
    schema: optionalString.pipe(z.url().optional()),
    doc: 'Public base URL of the workspace activation portal. Default `http://PUBLIC_HOST:WORKSPACE_PORT`.',
    group: 'HTTP',
  }),
  googleUrl: option({
    env: 'EDUGATE_GOOGLE_URL',
    schema: optionalString.pipe(z.url().optional()),
    doc: 'Base URL of the local Google stand-in. Default `http://PUBLIC_HOST:GOOGLE_PORT`.',
    group: 'HTTP',
  }),
  readinessTimeoutMs: option({
    env: 'EDUGATE_READINESS_TIMEOUT_MS',
    schema: z.coerce.number().int().min(50).max(60_000).default(1000),
    doc: '`/readyz` answers 503 when a dependency of the role (database, Redis) has not answered within this many milliseconds.',
    group: 'HTTP',
  }),
  trustProxy: option({
    env: 'EDUGATE_TRUST_PROXY',
    schema: z
      .union([z.boolean(), z.string()])
      .optional()
      .transform((value, ctx) => {
        try {
          return parseTrustProxy(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    doc: 'Reverse proxies whose X-Forwarded-For/-Proto/-Host a node believes (client address for throttling and logs, https, host): a comma-separated list of addresses and CIDR ranges (`10.0.0.5`, `10.0.0.0/24`; `loopback`, `uniquelocal`), or `true` for any peer (only when nothing but the proxy can reach the nodes), `false` for none. The headers of other peers are dropped.',
    group: 'HTTP',
  }),
  secureCookies: option({
    env: 'EDUGATE_SECURE_COOKIES',
    schema: bool(false),
    doc: 'Mark cookies `Secure` (set in production behind HTTPS).',
    group: 'HTTP',
  }),
  secret: option({
    env: 'EDUGATE_SECRET',
    schema: optionalString.pipe(z.string().min(32).optional()),
    doc: 'Installation secret (≥ 32 characters): the keys sealing signing keys and client secrets in the database are derived from it (HKDF), and it signs one-time links and cookies. `edugate secrets generate` makes one, `edugate secrets rotate` changes it (docs/OPERATIONS.md, key hierarchy). The demo generates one in the data directory when unset; production must set it.',
    group: 'Security',
    secret: true,
  }),
  nationalIdKeys: option({
    env: 'EDUGATE_NATIONAL_ID_KEYS',
    schema: optionalString,
    doc: 'Key ring for national-ID encryption: `kid:base64url32bytes,...`, the first is current, the others still decrypt (rotation). Generated in the data directory for the demo.',
    group: 'Security',
    secret: true,
  }),
  blindIndexKey: option({
    env: 'EDUGATE_BLIND_INDEX_KEY',
    schema: optionalString,
    doc: 'base64url key of the keyed hash (blind index) of national IDs used for uniqueness and linking. Generated for the demo; never change it in production without re-indexing.',
    group: 'Security',
    secret: true,
  }),
  adminToken: option({
    env: 'EDUGATE_ADMIN_TOKEN',
    schema: optionalString.pipe(z.string().min(24).optional()),
    doc: 'Bearer token of the local admin API that CLI admin commands use while a server runs. Generated for the demo.',
    group: 'Security',
    secret: true,
  }),
  registrationToken: option({
    env: 'EDUGATE_REGISTRATION_TOKEN',
    schema: optionalString,
    doc: "Opens OpenID Connect Dynamic Client Registration (`/oidc/v1/registration`) on the county and cloud providers: whoever holds it registers clients with `Authorization: Bearer <this token>`. Unset (the default, never generated) = registration closed: no `registration_endpoint` in discovery, 404 at the path. A registered client may ask only for the scopes that are not restricted (`personid` needs an administrator's grant), and its redirect URIs must be `https` (plain `http` on 127.0.0.1, localhost or [::1] only).",
    group: 'Security',
    secret: true,
  }),
  captcha: option({
    env: 'EDUGATE_CAPTCHA',
    schema: z.enum(['always', 'after-failures', 'off']).default('after-failures'),
    doc: 'Challenge policy on the county and cloud password logins (a proof of work the browser computes, ALTCHA): `always` (every attempt), `after-failures` (once an account from unknown browsers, or a client address, has failed `EDUGATE_CAPTCHA_AFTER` times resp. 100 times within the hour) or `off` (never shown; the sign-in budgets still apply). See docs/OPERATIONS.md, "Sign-in budgets".',
    group: 'Security',
  }),
  captchaAfterFailures: option({
    env: 'EDUGATE_CAPTCHA_AFTER',
    schema: z.coerce.number().int().min(1).max(100).default(3),
    doc: 'With `after-failures`, failed logins of an account from browsers without its device cookie (within the hour) before the challenge is asked.',
    group: 'Security',
  }),
  argon2Concurrency: option({
    env: 'EDUGATE_ARGON2_CONCURRENCY',
    schema: z.coerce.number().int().min(0).max(256).default(0),
    doc: 'Password hashes computed at once (0 = number of CPU cores).',
    group: 'Security',
  }),
  argon2Queue: option({
    env: 'EDUGATE_ARGON2_QUEUE',
    schema: z.coerce.number().int().min(1).max(100000).default(256),
    doc: 'Logins allowed to wait for a hashing slot at most (see `EDUGATE_ARGON2_MAX_WAIT_MS`); beyond it requests get 503 with Retry-After.',
    group: 'Security',
  }),
  argon2MaxWaitMs: option({
    env: 'EDUGATE_ARGON2_MAX_WAIT_MS',
    schema: z.coerce.number().int().min(0).max(60_000).default(2000),
    doc: 'Longest a login may be expected to wait for a hashing slot, in milliseconds. The queue admits as many logins as the hashing threads work off in this time at the speed of the last hashes; the others get 503 with Retry-After at once.',
    group: 'Security',
  }),
  samlSsoPerMinute: option({
    env: 'EDUGATE_SAML_SSO_PER_MINUTE',
    schema: z.coerce.number().int().min(0).max(1_000_000).default(600),
    doc: 'SAML AuthnRequests (`/saml/sso`) one client address may send per minute to one cloud node, all at once or spread out; beyond it 429 with Retry-After. 0 = no limit.',
    group: 'Security',
  }),
  jobConcurrency: option({
    env: 'EDUGATE_JOB_CONCURRENCY',
    schema: z.coerce.number().int().min(1).max(256).default(8),
    doc: 'Background jobs (mail, Google Directory calls) one node runs at once. A node claims the next job as soon as one finishes, and is woken when a job is enqueued on any node.',
    group: 'Storage',
  }),
  radiusSessionTimeout: option({
    env: 'EDUGATE_RADIUS_SESSION_TIMEOUT',
    schema: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 86400)
      .default(28800),
    doc: 'Session-Timeout (seconds) returned to a Wi-Fi or VPN device with an accepted RADIUS authentication: the device asks again after it, so a closed account drops off within this time at the latest.',
    group: 'RADIUS',
  }),
  radiusRecordDays: option({
    env: 'EDUGATE_RADIUS_RECORD_DAYS',
    schema: z.coerce.number().int().min(1).max(3650).default(180),
    doc: 'Days the Wi-Fi and VPN connection records (RADIUS accounting) are kept; a daily job deletes older ones.',
    group: 'RADIUS',
  }),
  smtpUrl: option({
    env: 'SMTP_URL',
    schema: z.string().min(1).default('smtp://127.0.0.1:2525'),
    doc: 'SMTP server for outgoing mail (`smtp://user:pass@host:port`, `smtps://…`). The demo runs a local sink on port 2525.',
    group: 'Mail',
    secret: true,
  }),
  smtpTimeoutMs: option({
    env: 'SMTP_TIMEOUT_MS',
    schema: z.coerce.number().int().min(100).max(600_000).default(30_000),
    doc: 'Milliseconds to connect to the SMTP server, to get its greeting, and of silence on the connection; a delivery that times out is retried later.',
    group: 'Mail',
  }),
  mailFrom: option({
    env: 'MAIL_FROM',
    schema: z.string().min(3).default('EduGate <no-reply@edugate.localhost>'),
    doc: 'Sender of outgoing mail.',
    group: 'Mail',
  }),
  smtpSinkPort: option({
    env: 'EDUGATE_SMTP_SINK_PORT',
    schema: port(2525),
    doc: 'Port of the demo SMTP sink (local mailbox shown on the landing page).',
    group: 'Mail',
  }),
  cloudMailDomain: option({
    env: 'EDUGATE_CLOUD_MAIL_DOMAIN',
    schema: z.string().min(3).default('mail.edu.tw'),
    doc: 'Domain of education cloud accounts (`name@mail.edu.tw`).',
    group: 'Roles',
  }),
  cloudEduinfoGzip: option({
    env: 'EDUGATE_CLOUD_EDUINFO_GZIP',
    schema: bool(false),
    doc: 'Send the body of the cloud eduinfo resource APIs (`/moeresource/api/*/oidc/eduinfo`) gzip-compressed with `Content-Encoding: gzip`, as the real education cloud does.',
    group: 'Roles',
  }),
  workspaceDomain: option({
    env: 'EDUGATE_WORKSPACE_DOMAIN',
    schema: z.string().min(3).default('go.edu.tw'),
    doc: 'Google Workspace domain of activated accounts (`name@go.edu.tw`).',
    group: 'Roles',
  }),
  workspaceClientId: option({
    env: 'WORKSPACE_OIDC_CLIENT_ID',
    schema: optionalString,
    doc: 'Client ID of the workspace activation portal at the education cloud (OIDC). The demo uses its own registration.',
    group: 'Google Workspace',
  }),
  workspaceClientSecret: option({
    env: 'WORKSPACE_OIDC_CLIENT_SECRET',
    schema: optionalString,
    doc: 'Client secret of the workspace activation portal at the education cloud.',
    group: 'Google Workspace',
    secret: true,
  }),
  googleQuotaPerMinute: option({
    env: 'GOOGLE_QUOTA_PER_MINUTE',
    schema: z.coerce.number().int().min(1).max(1_000_000).default(2400),
    doc: "Directory API queries per minute this node may send (Google's default quota is 2,400; give each node its share).",
    group: 'Google Workspace',
  }),
  googleConcurrency: option({
    env: 'GOOGLE_CONCURRENCY',
    schema: z.coerce.number().int().min(1).max(100).default(8),
    doc: 'Directory API calls one node keeps in flight at most.',
    group: 'Google Workspace',
  }),
  googleRootUrl: option({
    env: 'GOOGLE_ROOT_URL',
    schema: optionalString.pipe(z.url().optional()),
    doc: 'Root URL of the Google Admin SDK. Unset = real Google (`https://admin.googleapis.com/`). Set to the local Google stand-in (the demo does), it also receives the token requests of the service account (`<root>/token`).',
    group: 'Google Workspace',
  }),
  googleServiceAccountFile: option({
    env: 'GOOGLE_SERVICE_ACCOUNT_FILE',
    schema: optionalString,
    doc: 'Path of the service-account JSON key (domain-wide delegation) provisioning authenticates with (JWT bearer grant), against Google or the stand-in. The demo creates one in its data directory.',
    group: 'Google Workspace',
    secret: true,
  }),
  googleAdminSubject: option({
    env: 'GOOGLE_ADMIN_SUBJECT',
    schema: optionalString,
    doc: 'Workspace super-admin the service account impersonates (domain-wide delegation).',
    group: 'Google Workspace',
  }),
  logLevel: option({
    env: 'LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'Log level (pino). Secrets, passwords, tokens and national IDs are always redacted.',
    group: 'Operations',
  }),
  logFormat: option({
    env: 'LOG_FORMAT',
    schema: z.enum(['auto', 'json', 'pretty']).default('auto'),
    doc: '`json`: one JSON object per line (for the journal or a log collector); `pretty`: readable lines; `auto`: readable on a terminal, JSON otherwise.',
    group: 'Operations',
  }),
} as const;

export type Options = typeof options;
export type Config = { [K in keyof Options]: z.output<Options[K]['schema']> };
