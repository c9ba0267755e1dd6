// Where a browser goes once the cloud's own sessions ended: the county's RP-initiated logout, then
// 「您已登出」, from there Google's own sign-out and the county portal that started it, and the way
// back to the relying party that asked. What the page reports travels in a short-lived cookie.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceProviders } from '../saml/registry.ts';
import type { CloudServices } from '../services.ts';
import type { SignedOutReport } from './sign-out-pages.ts';

export type SetCookie = (
  name: string,
  value: string,
  options: { path: string; maxAgeSeconds: number },
) => void;

const REPORT_COOKIE = 'edugate_cloud_signed_out';
const REPORT_SECONDS = 600;

/** Sets a cookie of the sign-out on the reply (HTTP only, same site, secure as configured). */
export function replyCookies(cloud: CloudServices, reply: FastifyReply): SetCookie {
  return (name, value, options) =>
    reply.setCookie(name, value, {
      path: options.path,
      httpOnly: true,
      sameSite: 'lax',
      secure: cloud.ctx.config.secureCookies,
      maxAge: options.maxAgeSeconds,
    });
}

/** Keeps the report for 「您已登出」 (its cookie is sent to that page only). */
export function keepReport(setCookie: SetCookie, report: SignedOutReport): void {
  setCookie(REPORT_COOKIE, Buffer.from(JSON.stringify(report)).toString('base64url'), {
    path: '/signed-out',
    maxAgeSeconds: REPORT_SECONDS,
  });
}

export function readReport(request: FastifyRequest): SignedOutReport | undefined {
  const value = request.cookies[REPORT_COOKIE];
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as SignedOutReport;
    return Array.isArray(parsed.apps) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The cloud's own 「您已登出」 page, where the county's logout comes back and the chain ends. */
export function signedOutUrl(cloud: CloudServices): string {
  return `${cloud.ctx.urls.cloud.replace(/\/+$/, '')}/signed-out`;
}

/**
 * Google's front-channel logout, which ends Google's own session of the browser (Google offers its
 * identity provider no back-channel or single logout), coming back to `next`; undefined when no
 * Google service provider is enabled at the cloud's SAML IdP. Real Google (its ACS on
 * `www.google.com`) lets `continue` lead only to its own hosts, so the browser goes on through App
 * Engine's logout, whose `continue` may be any address (the usual chain of identity providers for
 * Google Workspace). Elsewhere (the demo's Google stand-in) the ACS host's `/accounts/Logout`, which
 * takes `continue` to the hosts of its SSO profiles.
 */
export async function googleSignOutUrl(services: CloudServices, next: string): Promise<string | undefined> {
  const acs = await new ServiceProviders(services.db).googleAcsUrl();
  if (!acs) return undefined;
  const origin = new URL(acs).origin;
  if (/^https:\/\/(www\.)?google\.com$/.test(origin)) {
    const appEngine = `https://appengine.google.com/_ah/logout?continue=${encodeURIComponent(next)}`;
    return `https://www.google.com/accounts/Logout?continue=${encodeURIComponent(appEngine)}`;
  }
  return `${origin}/accounts/Logout?continue=${encodeURIComponent(next)}`;
}

/**
 * A county portal's 「您已登出」 page that sent the browser through the cloud's sign-out URL
 * (`?continue=`): only the `/signed-out` page of a county issuer the cloud trusts.
 */
export async function countyContinue(cloud: CloudServices, value: unknown): Promise<string | undefined> {
  if (typeof value !== 'string') return undefined;
  const counties = await cloud.counties.list();
  return counties.some((c) => c.enabled && `${c.issuer.replace(/\/+$/, '')}/signed-out` === value)
    ? value
    : undefined;
}

/** Whether the county's RP-initiated logout came back (now, with its `state`, or before). */
export function countyCameBack(report: SignedOutReport | undefined, state: unknown): boolean {
  return report?.countyDone === true || (!!report?.county && state === report.county.state);
}

/**
 * Where the sign-out chain goes on from 「您已登出」, if anywhere: last Google's own session (then
 * back here), or the county portal whose own sign-out started it. The report cookie records the step.
 */
export async function nextInChain(
  cloud: CloudServices,
  report: SignedOutReport,
  countyDone: boolean,
  setCookie: SetCookie,
): Promise<string | undefined> {
  if (report.google === 'pending') {
    const google = await googleSignOutUrl(cloud, signedOutUrl(cloud));
    keepReport(setCookie, { ...report, google: google ? 'done' : 'none', countyDone });
    if (google) return google;
  }
  if (report.onward) {
    const { onward, ...rest } = report;
    keepReport(setCookie, rest);
    // Checked again: the cookie is only ever the cloud's, but this page sends nobody elsewhere.
    return countyContinue(cloud, onward);
  }
  return undefined;
}

/**
 * The way back to the relying party that asked for the sign-out, if its address is still one it
 * registered (the cookie is only the cloud's, but the page never sends anyone elsewhere).
 */
export async function wayBack(cloud: CloudServices, report: SignedOutReport | undefined) {
  const back = report?.back;
  if (!back || !cloud.oidc) return undefined;
  const client = await cloud.oidc.clients.get(back.clientId).catch(() => undefined);
  let url: URL;
  try {
    url = new URL(back.url);
  } catch {
    return undefined;
  }
  const state = url.searchParams.get('state');
  url.search = '';
  const base = url.href;
  if (!client || client.disabled || !client.postLogoutRedirectUris.includes(base)) return undefined;
  const target = new URL(base);
  if (state !== null) target.searchParams.set('state', state);
  return { name: client.name, url: target.href };
}
