// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
// signed in to an account gets a signed cookie naming that account and a random device id. Its
// later attempts for that account draw on a budget of that device's own, so guesses from elsewhere,
// which exhaust the account's budget for unknown devices, never lock its owner out.
import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Accounts one browser keeps a device cookie for (a shared staff-room computer, several teachers). */
const MAX_ENTRIES = 8;
const MAX_AGE_SECONDS = 365 * 86400;

export interface DeviceCookieOptions {
  secret: string;
  /** Cookie name, unique per role and tenant. */
  name: string;
  path: string;
  secure: boolean;
}

export class DeviceCookies {
  readonly #key: KeyObject;
  readonly #options: DeviceCookieOptions;

  constructor(options: DeviceCookieOptions) {
    this.#options = options;
    this.#key = createSecretKey(
      createHmac('sha256', options.secret).update(`edugate device cookie ${options.name}`).digest(),
    );
  }

  #sign(login: string, device: string): string {
    return createHmac('sha256', this.#key).update(`${login}\n${device}`).digest('base64url');
  }

  /** The entries of the request's cookie whose signature holds. */
  #entries(request: FastifyRequest): Array<{ login: string; device: string; value: string }> {
    const raw = request.cookies[this.#options.name] ?? '';
    const entries: Array<{ login: string; device: string; value: string }> = [];
    for (const value of raw.split('~').slice(0, MAX_ENTRIES)) {
      const [encoded = '', device = '', signature = ''] = value.split('.');
      if (!/^[\w-]{16,64}$/.test(device)) continue;
      const login = Buffer.from(encoded, 'base64url').toString('utf8');
      if (login === '' || !same(signature, this.#sign(login, device))) continue;
      entries.push({ login, device, value });
    }
    return entries;
  }

  /** The device id this browser holds for `login` (a normalized login name), if its cookie is genuine. */
  deviceFor(request: FastifyRequest, login: string): string | undefined {
    return this.#entries(request).find((e) => e.login === login)?.device;
  }

  /** After a successful sign-in: a fresh device id for `login`, kept with the browser's others. */
  issue(request: FastifyRequest, reply: FastifyReply, login: string): void {
    const device = randomBytes(16).toString('base64url');
    const entry = `${Buffer.from(login).toString('base64url')}.${device}.${this.#sign(login, device)}`;
    const others = this.#entries(request)
      .filter((e) => e.login !== login)
      .map((e) => e.value);
    reply.setCookie(this.#options.name, [entry, ...others].slice(0, MAX_ENTRIES).join('~'), {
      path: this.#options.path,
      httpOnly: true,
      sameSite: 'lax',
      secure: this.#options.secure,
      maxAge: MAX_AGE_SECONDS,
    });
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
