import type { Notifications, NotificationWarning } from './notifications.ts';

export interface AnnouncedCopiesOptions<V> {
  /** Longest a copy is kept, even when no change is announced. */
  maxAgeMs: number;
  /** Most copies kept; the oldest go first. */
  maxEntries: number;
  /** Whether a copy still stands at `now`, besides its age (e.g. not past its own expiry). */
  stands?: (value: V, now: number) => boolean;
  /** Copies made of many rows (a list): every announcement drops every copy, whatever its keys. */
  whole?: boolean;
}

interface Copy<V> {
  value: V;
  until: number;
}

/**
 * This node's copies of values whose every change is announced on a channel (a PostgreSQL
 * `NOTIFY` from a table's trigger, a Redis `PUBLISH` in the script that changes a key): the keys
 * of an announcement (comma-separated; `*` or a lost connection: all) are dropped when it is
 * heard, so a copy is served only while nothing changed it, give or take the delivery.
 *
 * While the announcements are not heard (the listening connection is down or silent) nothing is
 * served from copies and nothing is kept, and the copies are dropped. A read under way when any
 * change is announced is not kept (`mark`, `keep`). Copies are bounded in number (oldest first)
 * and in age. The one map under `NotifiedCache` (rows of the database) and `ArtifactCopies`
 * (artifacts on Redis).
 */
export class AnnouncedCopies<V> {
  readonly #copies = new Map<string, Copy<V>>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #stands: ((value: V, now: number) => boolean) | undefined;
  readonly #whole: boolean;
  #notifications: Notifications | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  /** Counts announcements heard (and losses, and this node's own changes). */
  #changes = 0;

  constructor(options: AnnouncedCopiesOptions<V>) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#maxEntries = options.maxEntries;
    this.#stands = options.stands;
    this.#whole = options.whole ?? false;
  }

  /** Starts hearing the announcements on `channel`; copies are kept from then on, while heard. */
  async follow(notifications: Notifications, channel: string, warn?: NotificationWarning): Promise<void> {
    if (this.#unlisten) return;
    this.#unlisten = await notifications.listen(channel, (payload) => this.#changed(payload), warn);
    this.#notifications = notifications;
  }

  async close(): Promise<void> {
    const unlisten = this.#unlisten;
    this.#notifications = undefined;
    this.#unlisten = undefined;
    this.#changed(undefined);
    await unlisten?.().catch(() => {});
  }

  /** Whether announcements are heard now; when not, the copies are dropped. */
  get heard(): boolean {
    if (this.#notifications?.listening) return true;
    if (this.#copies.size > 0) this.#changed(undefined);
    return false;
  }

  /** This node's copy of `key`, while announcements are heard and the copy stands. */
  get(key: string): V | undefined {
    if (!this.heard) return undefined;
    const copy = this.#copies.get(key);
    if (!copy) return undefined;
    const now = Date.now();
    if (copy.until > now && (this.#stands?.(copy.value, now) ?? true)) return copy.value;
    this.#copies.delete(key);
    return undefined;
  }

  /** Marks the start of a read whose answer may be kept (`keep`). */
  mark(): number {
    return this.#changes;
  }

  /**
   * Keeps `value` as the copy of `key`, unless a change was heard since `since` (`mark()`, before
   * the read began) or announcements are not heard. Returns whether it was kept.
   */
  keep(key: string, value: V, since = this.#changes): boolean {
    if (since !== this.#changes || !this.#notifications?.listening) return false;
    this.#copies.delete(key);
    this.#copies.set(key, { value, until: Date.now() + this.#maxAgeMs });
    if (this.#copies.size > this.#maxEntries) {
      const oldest = this.#copies.keys().next().value;
      if (oldest !== undefined) this.#copies.delete(oldest);
    }
    return true;
  }

  /** Drops the copy of `key` if it is still `value` (a read that found nothing, or failed). */
  drop(key: string, value: V): void {
    if (this.#copies.get(key)?.value === value) this.#copies.delete(key);
  }

  /** Drops this node's copies of `keys` (its own changes; the other nodes hear the announcement). */
  forget(keys: Iterable<string>): void {
    this.#changes++;
    for (const key of keys) this.#copies.delete(key);
  }

  /** How many copies this node keeps (for tests and metrics). */
  get size(): number {
    return this.#copies.size;
  }

  /**
   * Keys announced (comma-separated), or everything (`*`, or `undefined`: announcements lost; any
   * announcement for copies of the `whole` table).
   */
  #changed(payload: string | undefined): void {
    this.#changes++;
    if (payload === undefined || payload === '*' || this.#whole) {
      this.#copies.clear();
      return;
    }
    for (const key of payload.split(',')) this.#copies.delete(key);
  }
}
