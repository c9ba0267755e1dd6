import {
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors/app-error.ts';
import { DatabaseSessionStore, type SessionData, type SessionStore } from './session-store.ts';

export interface SessionOptions {
  store: SessionStore;
  /** Cookie name, unique per role and tenant so that signing in to one never clobbers another. */
  cookieName: string;
  cookiePath?: string;
  secure: boolean;
  ttlSeconds?: number;
  /**
   * Key for the form tokens of visitors without a session. With it, a page with a form gives such a
   * visitor a signed token cookie instead of a stored session: anonymous visits write nothing to
   * the store, and a login form's POST needs no session read. A session keeps a token of its own
   * from sign-in on (rotated by `regenerate()`), and then only that token is accepted. Without the
   * key, every form token lives in the session.
   */
  formTokenKey?: string;
}

const newSessionId = () => randomBytes(32).toString('base64url');
const newFormToken = () => randomBytes(24).toString('base64url');

/** The signed form-token cookie of a visitor without a session (see `formTokenKey`). */
class FormTokenCookie {
  readonly #key: KeyObject;
  readonly #name: string;
  /** The token the request's cookie carried, when its signature holds. */
  readonly sent: string | undefined;
  /** A token issued while answering this request: its cookie goes out with the answer. */
  issued: string | undefined;

  constructor(key: KeyObject, name: string, cookie: string | undefined) {
    this.#key = key;
    this.#name = name;
    const [token = '', signature = ''] = (cookie ?? '').split('.');
    this.sent = token !== '' && safeEqual(signature, this.#sign(token)) ? token : undefined;
  }

  #sign(token: string): string {
    return createHmac('sha256', this.#key).update(`${this.#name}:${token}`).digest('base64url');
  }

  token(): string {
    this.issued ??= this.sent ?? newFormToken();
    return this.issued;
  }

  cookieValue(token: string): string {
    return `${token}.${this.#sign(token)}`;
  }
}

/** A session's row as `DatabaseSessionStore` keeps it, for a statement that writes it itself. */
export interface SessionRow {
  /** The stored id (the hash of the cookie's). */
  id: string;
  /** The stored id of the session this one replaces (to delete), or null. */
  previous: string | null;
  /** The data as JSON. */
  data: string;
  expires: Date;
}

/**
 * A sign-in's session, prepared by `Session.prepareSignIn`. Kept as a row of the role's database,
 * it comes as `row`, for the caller's statement to write; a store elsewhere (Redis) writes it with
 * `save()`, which the caller runs beside its own writes. Once they have all succeeded, `commit()`.
 */
export interface PendingSession {
  /** The row the caller's statement writes; undefined when sessions are not database rows. */
  row: SessionRow | undefined;
  /** Writes the session to a store elsewhere; does nothing when it is a row of the caller's statement. */
  save(): Promise<void>;
  /** The session is the signed-in one from now on: the answer only sets its cookie. */
  commit(): void;
}

/** Writes a session's data under `id` in its store, in place of `previous` when given. */
type StoreSession = (id: string, previous: string | undefined, data: SessionData) => Promise<void>;

/** A server-side session: the cookie holds a random id; the store keeps the data under its hash. */
export class Session {
  #data: SessionData;
  #id: string | undefined;
  #dirty = false;
  #destroyed = false;
  #regenerated: string | undefined;
  /** Stored before the answer (see `prepareSignIn`, `save`): the answer still has to set the cookie. */
  #cookieDue = false;
  readonly #formTokens: FormTokenCookie | undefined;
  /** Lifetime of a row written by the caller; undefined when sessions are not database rows. */
  readonly #rowTtl: number | undefined;
  readonly #store: StoreSession;

  constructor(
    id: string | undefined,
    data: SessionData,
    store: StoreSession,
    formTokens?: FormTokenCookie,
    rowTtl?: number,
  ) {
    this.#id = id;
    this.#data = data;
    this.#formTokens = formTokens;
    this.#rowTtl = rowTtl;
    this.#store = store;
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
  /**
   * New id, same data, new form token: call on every sign-in so that a planted session id or form
   * token is worthless (fixation).
   */
  regenerate(): void {
    this.#regenerated = this.#id;
    this.#id = undefined;
    this.#data._csrf = newFormToken();
    this.#dirty = true;
  }
  /**
   * A sign-in's new session: this session after `regenerate()` and `set()` of each of `values`,
   * in place of this one, written beside the sign-in's other writes (see `PendingSession`): as a
   * row of the caller's statement when sessions live in the role's database, else by `save()`.
   * Nothing changes here until `commit()`, called once those writes succeeded; the answer then
   * only sets the cookie (and a change after the commit is saved as any other).
   */
  prepareSignIn(values: SessionData): PendingSession {
    const id = newSessionId();
    const data: SessionData = { ...this.#data, _csrf: newFormToken(), ...values };
    const previous = this.#id ?? this.#regenerated;
    const row: SessionRow | undefined =
      this.#rowTtl === undefined
        ? undefined
        : {
            id: hashId(id),
            previous: previous === undefined ? null : hashId(previous),
            data: JSON.stringify(data),
            expires: new Date(Date.now() + this.#rowTtl * 1000),
          };
    return {
      row,
      save: async () => {
        if (!row) await this.#store(id, previous, data);
      },
      commit: () => {
        this.#id = id;
        this.#data = data;
        this.#regenerated = undefined;
        this.#dirty = false;
        this.#destroyed = false;
        this.#cookieDue = true;
      },
    };
  }
  /**
   * Writes the session's changes to its store (the answer does, when it goes out); then only its
   * cookie is due, and a change made after this is saved as any other.
   */
  async save(): Promise<void> {
    if (!this.#dirty || this.#destroyed) return;
    const id = this.#id ?? newSessionId();
    await this.#store(id, this.#regenerated, this.#data);
    this.#id = id;
    this.#regenerated = undefined;
    this.#dirty = false;
    this.#cookieDue = true;
  }
  /** Ends the session (sign-out). */
  destroy(): void {
    this.#data = {};
    this.#destroyed = true;
    this.#dirty = true;
  }
  /** The form token of this session, or of the visitor's signed token cookie while there is none. */
  csrfToken(): string {
    let token = this.get<string>('_csrf');
    if (token) return token;
    if (this.#formTokens) return this.#formTokens.token();
    token = newFormToken();
    this.set('_csrf', token);
    return token;
  }
  /** Whether `sent` is this request's form token (the session's own, else the signed cookie's). */
  acceptsFormToken(sent: string): boolean {
    const own = this.get<string>('_csrf');
    if (own) return safeEqual(sent, own);
    const cookie = this.#formTokens?.sent;
    return cookie !== undefined && safeEqual(sent, cookie);
  }
  get state() {
    return {
      id: this.#id,
      dirty: this.#dirty,
      destroyed: this.#destroyed,
      previous: this.#regenerated,
      cookieDue: this.#cookieDue,
      formTokens: this.#formTokens,
    };
  }
}

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

/**
 * The data of the session a cookie value names, read outside the session plugin (e.g. by an
 * OIDC provider asking whether the host's sign-in of this browser still stands).
 */
export async function readSession(
  store: SessionStore,
  cookie: string | undefined,
): Promise<SessionData | undefined> {
  if (!cookie || !/^[\w-]{20,100}$/.test(cookie)) return undefined;
  return store.get(hashId(cookie));
}

/** Ends the session a cookie value names, outside the session plugin; returns the data it had. */
export async function destroySession(
  store: SessionStore,
  cookie: string | undefined,
): Promise<SessionData | undefined> {
  const data = await readSession(store, cookie);
  if (cookie && data) await store.destroy(hashId(cookie));
  return data;
}

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

  // Sessions in the role's database: a sign-in may write its row in its own statement.
  const rowTtl = options.store instanceof DatabaseSessionStore ? ttl : undefined;
  const tokenCookie = `${options.cookieName}_form`;
  const tokenKey = options.formTokenKey
    ? // A key object: an HMAC keyed with one costs a fraction of one keyed with bytes.
      createSecretKey(createHmac('sha256', options.formTokenKey).update('edugate form token cookie').digest())
    : undefined;

  const store: StoreSession = (id, previous, data) =>
    previous
      ? options.store.replace(hashId(previous), hashId(id), data, ttl)
      : options.store.set(hashId(id), data, ttl);

  app.addHook('onRequest', async (request) => {
    const id = request.cookies[options.cookieName];
    const data = id && /^[\w-]{20,100}$/.test(id) ? await options.store.get(hashId(id)) : undefined;
    const formTokens = tokenKey
      ? new FormTokenCookie(tokenKey, tokenCookie, request.cookies[tokenCookie])
      : undefined;
    request.session = new Session(data ? id : undefined, data ?? {}, store, formTokens, rowTtl);
  });

  app.addHook('preHandler', async (request) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(request.method)) return;
    if (request.routeOptions.config?.csrf === false) return;
    const body = request.body as Record<string, unknown> | undefined;
    const sent =
      (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !request.session.acceptsFormToken(sent)) {
      throw new AppError('csrf', 403);
    }
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const session = request.session;
    if (!session) return payload;
    const state = session.state;
    const tokens = state.formTokens;
    if (tokens?.issued !== undefined && tokens.issued !== tokens.sent) {
      reply.setCookie(tokenCookie, tokens.cookieValue(tokens.issued), {
        path,
        httpOnly: true,
        sameSite: 'lax',
        secure: options.secure,
        maxAge: ttl,
      });
    }
    if (state.destroyed) {
      if (state.previous) await options.store.destroy(hashId(state.previous));
      if (state.id) await options.store.destroy(hashId(state.id));
      reply.clearCookie(options.cookieName, { path });
      return payload;
    }
    // `regenerate()` marks the session dirty: a previous id is always replaced by `save()`. Not
    // dirty but due: stored already (`prepareSignIn`, `save()`), only the cookie is left.
    if (state.dirty) await session.save();
    const id = session.state.cookieDue ? session.id : undefined;
    if (id === undefined) return payload;
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
