import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Notifications } from '../../platform/database/notifications.ts';
import { invalidateContent } from '../content/pages.ts';
import type { CountyTx } from '../db.ts';
import { DESCRIPTION_FIELDS } from './tenant-description.ts';
import { listTenants, RESERVED_TENANT_CODES, type Tenant, tenantsChannel } from './tenants.ts';

/** How soon a node notices a tenant that another node created or edited. */
const REFRESH_MS = 30_000;

/** The first path segment: `/hsc/login?x` → `hsc`. */
const firstSegment = (url: string) => /^\/([^/?#]*)/.exec(url)?.[1] ?? '';

/**
 * The portals of the tenants created while the role runs (`edugate county tenants add`), and the
 * records of every tenant the node serves. Tenants present at boot are plugins of the role app;
 * Fastify takes no routes once it listens, so a tenant created later gets an app of its own, built
 * by the same code (`build`), and the role app hands it every request below `/{tenant}`
 * (`addDelegate`, over HTTP and through `app.inject()` alike). The node that creates a tenant serves
 * it before answering; the other nodes hear of it at once (`watch`), or find it within REFRESH_MS.
 *
 * Each served tenant has one record object, the one its portal was built with: every page reads its
 * name, portal name and mail domain from it when it renders. An edit (`edugate county tenants edit`)
 * is copied into that object (`update`): at once on the node that made it, within REFRESH_MS on the
 * others. Closing closes every app opened here.
 */
export class TenantPortals {
  readonly #db: CountyTx;
  readonly #log: Logger;
  readonly #atBoot: ReadonlySet<string>;
  /** The record each served (or opening) tenant's portal reads, kept up to date in place. */
  readonly #records = new Map<string, Tenant>();
  readonly #build: (tenant: Tenant) => Promise<FastifyInstance>;
  readonly #ready = new Map<string, FastifyInstance>();
  readonly #opening = new Map<string, Promise<void>>();
  #refreshing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(options: {
    db: CountyTx;
    log: Logger;
    /** The tenants the role app serves as plugins, with the records their portals were built with. */
    atBoot: readonly Tenant[];
    build: (tenant: Tenant) => Promise<FastifyInstance>;
  }) {
    this.#db = options.db;
    this.#log = options.log;
    this.#atBoot = new Set(options.atBoot.map((tenant) => tenant.code));
    for (const tenant of options.atBoot) this.#records.set(tenant.code, tenant);
    this.#build = options.build;
  }

  /** The app of a tenant created since boot that the request is for, if any. */
  appFor(request: IncomingMessage): FastifyInstance | undefined {
    if (this.#ready.size === 0) return undefined;
    return this.#ready.get(firstSegment(request.url ?? '/'));
  }

  /** True when this node serves the tenant (from boot or opened since). */
  serves(code: string): boolean {
    return this.#atBoot.has(code) || this.#ready.has(code);
  }

  /** Serves a tenant created since boot; resolves once its portal answers. */
  open(tenant: Tenant): Promise<void> {
    if (this.#closed || this.serves(tenant.code) || RESERVED_TENANT_CODES.has(tenant.code)) {
      return Promise.resolve();
    }
    let pending = this.#opening.get(tenant.code);
    if (!pending) {
      const record = { ...tenant };
      this.#records.set(tenant.code, record);
      pending = this.#build(record)
        .then(
          async (app) => {
            if (this.#closed) await app.close();
            else this.#ready.set(tenant.code, app);
          },
          (error: unknown) => {
            this.#records.delete(tenant.code);
            throw error;
          },
        )
        .finally(() => this.#opening.delete(tenant.code));
      this.#opening.set(tenant.code, pending);
    }
    return pending;
  }

  /** Shows a tenant's edited record on its portal from the next request (when this node serves it). */
  update(tenant: Tenant): void {
    const record = this.#records.get(tenant.code);
    if (!record || DESCRIPTION_FIELDS.every((field) => record[field] === tenant[field])) return;
    Object.assign(record, tenant);
    // The home page's cached content includes the built-in pages, written with the tenant's names.
    invalidateContent(tenant.code);
  }

  /** Opens the tenants other nodes created and takes their edits (every REFRESH_MS once `watch()` was called). */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      for (const tenant of await listTenants(this.#db)) {
        if (this.#closed) return;
        if (this.#records.has(tenant.code)) this.update(tenant);
        else await this.open(tenant);
      }
    })()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'county tenant refresh failed'))
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /**
   * Follows the tenants other nodes create and edit: at once when they announce it on `notifications`
   * (`announceTenant`), and every REFRESH_MS in any case (a notification sent while this node's
   * listening connection was down is lost).
   */
  async watch(notifications?: Notifications): Promise<void> {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.#timer.unref();
    if (!notifications) return;
    try {
      this.#unlisten = await notifications.listen(await tenantsChannel(this.#db), () => void this.refresh());
    } catch (error) {
      this.#log.warn({ err: error }, 'county tenant changes are not heard at once; polled instead');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#unlisten?.().catch(() => {});
    await this.#refreshing;
    await Promise.allSettled(this.#opening.values());
    const apps = [...this.#ready.values()];
    this.#ready.clear();
    await Promise.all(apps.map((app) => app.close()));
  }
}
