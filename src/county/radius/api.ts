// The HTTP API FreeRADIUS's `rest` module calls (see freeradius-config.ts): below /admin/api, so
// only the admin listener serves it, and only to the holder of the RADIUS API credential.
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import type { I18n } from '../../platform/i18n/i18n.ts';
import type { County } from '../services.ts';
import { recordAccounting } from './accounting.ts';
import { authenticateRadius, type ReplyMessage } from './authenticate.ts';
import { cachedClientByShortname, clientShortname, type RadiusClient, radiusClientFor } from './clients.ts';
import { radiusServerCheck } from './credential.ts';

export const RADIUS_API_PREFIX = '/admin/api/radius/v1';

/** FreeRADIUS's JSON encoding of a request: every attribute with its list of values. */
type RestBody = Record<string, { type?: string; value?: unknown[] } | undefined>;

function attribute(body: unknown, name: string): string | undefined {
  const value = (body as RestBody | null)?.[name]?.value?.[0];
  return value === undefined || value === null ? undefined : String(value);
}

function counter(body: unknown, octets: string, gigawords: string): bigint {
  const low = BigInt(Number.parseInt(attribute(body, octets) ?? '0', 10) || 0);
  const high = BigInt(Number.parseInt(attribute(body, gigawords) ?? '0', 10) || 0);
  return high * 4294967296n + low;
}

/** A reply attribute for the `rest` module: taken as is (no xlat expansion of values that came from users). */
const literal = (...values: string[]) => ({ value: values, op: ':=', do_xlat: false });

function replyMessage(i18n: I18n, message: ReplyMessage) {
  // RADIUS knows no Accept-Language: both, Chinese first.
  return {
    value: [
      i18n.translate('zh-TW', message.key, message.vars),
      i18n.translate('en', message.key, message.vars),
    ],
    op: '+=',
    do_xlat: false,
  };
}

async function nasOf(county: County, request: FastifyRequest): Promise<RadiusClient> {
  const { nas } = request.query as { nas?: string };
  const client = nas ? await cachedClientByShortname(county.db, nas) : undefined;
  // A NAS removed from the county (a FreeRADIUS still running an older clients.conf) is refused.
  if (!client) throw new AppError('forbidden', 403);
  return client;
}

/**
 * FreeRADIUS waits 5 seconds for an answer (`rest` timeout); the county answers within 3, or 503
 * (FreeRADIUS then rejects with a Reply-Message) so that no RADIUS thread hangs on a slow database.
 */
export const RADIUS_DEADLINE_MS = 3_000;

function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  // A late answer's failure is not an unhandled rejection: the request was answered 503.
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export async function registerRadiusApi(app: FastifyInstance, county: County): Promise<void> {
  const isRadiusServer = radiusServerCheck(county.ctx.secrets.secret);
  await app.register(
    async (api) => {
      api.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), csrf: false } as typeof route.config;
      });
      api.addHook('onRequest', async (request) => {
        if (!isRadiusServer(request.headers.authorization)) throw new AppError('unauthorized', 401);
      });

      // Access-Request with a password (PAP, or EAP-TTLS's inner PAP): 200 = accept, 401 = reject.
      // FreeRADIUS calls it from its authorize section (its authenticate section would send the
      // user's own name and password as the HTTP credential).
      api.post('/authorize', async (request, reply: FastifyReply) => {
        const nas = await nasOf(county, request);
        const body = request.body;
        const verdict = await withinDeadline(
          authenticateRadius(county, {
            nasTenant: nas.tenant,
            nas: nas.name,
            userName: (attribute(body, 'User-Name') ?? '').slice(0, 253),
            password: (attribute(body, 'User-Password') ?? '').slice(0, 253),
            station: attribute(body, 'Calling-Station-Id')?.slice(0, 64),
          }),
          RADIUS_DEADLINE_MS,
        );
        if (!verdict) {
          request.log.warn({ nas: nas.name }, 'radius authorize: no answer within the deadline');
          return reply.code(503).header('retry-after', '5').send({ error: 'overloaded' });
        }
        const message = replyMessage(app.i18n, verdict.message);
        if (!verdict.accept) return reply.code(401).send({ 'reply:Reply-Message': message });
        return reply.code(200).send({
          'reply:Reply-Message': message,
          'reply:User-Name': literal(verdict.identity),
          'reply:Class': literal(verdict.account.unit_code ?? ''),
          'reply:Session-Timeout': literal(String(county.ctx.config.radiusSessionTimeout)),
        });
      });

      // A request from an address FreeRADIUS knows no NAS at (or no longer remembers: it asks again
      // when a NAS's `lifetime` is over): the NAS of the county at that address and its secret, as
      // FreeRADIUS's dynamic clients take them; 404 when there is none (the request is dropped).
      api.post('/client', async (request, reply) => {
        const { tenant = '', address = '' } = request.query as { tenant?: string; address?: string };
        const client = await radiusClientFor(county, tenant, address);
        if (!client) return reply.code(404).send();
        return reply.code(200).send({
          [isIP(address) === 6
            ? 'control:FreeRADIUS-Client-IPv6-Address'
            : 'control:FreeRADIUS-Client-IP-Address']: literal(address),
          'control:FreeRADIUS-Client-Secret': literal(client.secret),
          'control:FreeRADIUS-Client-Shortname': literal(clientShortname(client)),
          'control:FreeRADIUS-Client-NAS-Type': literal('other'),
          // BlastRADIUS (CVE-2024-3596): Access-Requests without Message-Authenticator are dropped.
          'control:FreeRADIUS-Client-Require-MA': literal('yes'),
        });
      });

      // Accounting-Request: stored (see accounting.ts); 204 either way, so the NAS does not resend.
      api.post('/accounting', async (request, reply) => {
        const nas = await nasOf(county, request);
        const body = request.body;
        await recordAccounting(county, {
          nasTenant: nas.tenant,
          nas: nas.name,
          status: attribute(body, 'Acct-Status-Type') ?? '',
          userName: (attribute(body, 'User-Name') ?? '').slice(0, 253),
          sessionId: attribute(body, 'Acct-Session-Id') ?? '',
          station: attribute(body, 'Calling-Station-Id'),
          framedIp: attribute(body, 'Framed-IP-Address'),
          inputBytes: counter(body, 'Acct-Input-Octets', 'Acct-Input-Gigawords'),
          outputBytes: counter(body, 'Acct-Output-Octets', 'Acct-Output-Gigawords'),
          delaySeconds: Number.parseInt(attribute(body, 'Acct-Delay-Time') ?? '0', 10) || 0,
          terminateCause: attribute(body, 'Acct-Terminate-Cause'),
        });
        return reply.code(204).send();
      });
    },
    { prefix: RADIUS_API_PREFIX },
  );
}
