import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors/app-error.ts';
import type { SessionData, SessionStore } from './session-store.ts';

export interface SessionOptions {
  store: SessionStore;
  /** Cookie name, unique per role and tenant so that signing in to one never clobbers another. */
  cookieName: string;
  cookiePath?: string;
  secure: boolean;
  ttlSeconds?: number;
}

/** A server-side session: the cookie holds a random id; the store keeps the data under its hash. */
export class Session {
  #data: SessionData;
  #id: string | undefined;
  #dirty = false;
  #destroyed = false;
  #regenerated: string | undefined;

  constructor(id: string | undefined, data: SessionData) {
    this.#id = id;
    this.#data = data;
  }

  get id(): string | undefined {
    return this.#id;
  }
  get<T = unknown>(key: string): T | undefined {
    return this.#data[key] as T | undefined;
  }
  set(key: string, value: unknown): void {
    if (value === undefined) delete this.#data[key];
    else this.#data[key] = value;
    this.#dirty = true;
  }
  delete(key: string): void {
    this.set(key, undefined);
  }
  /** New id, same data: call on every sign-in so a planted session id is worthless (fixation). */
  regenerate(): void {
    this.#regenerated = this.#id;
    this.#id = undefined;
    this.#dirty = true;
  }
  /** Ends the session (sign-out). */
  destroy(): void {
    this.#data = {};
    this.#destroyed = true;
    this.#dirty = true;
  }
  /** The form token bound to this session. */
  csrfToken(): string {
    let token = this.get<string>('_csrf');
    if (!token) {
      token = randomBytes(24).toString('base64url');
      this.set('_csrf', token);
    }
    return token;
  }
  get state() {
    return {
      id: this.#id,
      data: this.#data,
      dirty: this.#dirty,
      destroyed: this.#destroyed,
      previous: this.#regenerated,
    };
  }
  assignId(id: string): void {
    this.#id = id;
  }
}

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

declare module 'fastify' {
  interface FastifyRequest {
    session: Session;
  }
  interface FastifyContextConfig {
    /** Set `csrf: false` on endpoints called by other sites (OIDC token, SAML ACS, APIs with bearer tokens). */
    csrf?: boolean;
  }
}

async function sessionPlugin(app: FastifyInstance, options: SessionOptions) {
  const ttl = options.ttlSeconds ?? 8 * 3600;
  const path = options.cookiePath ?? '/';
  app.decorateRequest('session', null as unknown as Session);

  app.addHook('onRequest', async (request) => {
    const id = request.cookies[options.cookieName];
    const data = id && /^[\w-]{20,100}$/.test(id) ? await options.store.get(hashId(id)) : undefined;
    request.session = new Session(data ? id : undefined, data ?? {});
  });

  app.addHook('preHandler', async (request) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(request.method)) return;
    if (request.routeOptions.config?.csrf === false) return;
    const body = request.body as Record<string, unknown> | undefined;
    const sent =
      (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? request.headers['x-csrf-token'];
    const expected = request.session.get<string>('_csrf');
    if (typeof sent !== 'string' || !expected || !safeEqual(sent, expected)) {
      throw new AppError('csrf', 403);
    }
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const session = request.session;
    if (!session) return payload;
    const state = session.state;
    if (state.destroyed) {
      if (state.previous) await options.store.destroy(hashId(state.previous));
      if (state.id) await options.store.destroy(hashId(state.id));
      reply.clearCookie(options.cookieName, { path });
      return payload;
    }
    // `regenerate()` marks the session dirty: a previous id is always replaced below.
    if (!state.dirty) return payload;
    let id = state.id;
    if (!id) {
      id = randomBytes(32).toString('base64url');
      session.assignId(id);
    }
    if (state.previous) await options.store.replace(hashId(state.previous), hashId(id), state.data, ttl);
    else await options.store.set(hashId(id), state.data, ttl);
    reply.setCookie(options.cookieName, id, {
      path,
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
      maxAge: ttl,
    });
    return payload;
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const sessions = fp(sessionPlugin, { name: 'edugate-sessions', encapsulate: false });
