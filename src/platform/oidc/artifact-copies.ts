import type { Notifications, NotificationWarning } from '../database/notifications.ts';

/** An artifact as Redis holds it: its JSON, its consumption mark, and when Redis lets it expire. */
export interface StoredArtifact {
  value: string;
  consumed: string | null;
  /** Epoch milliseconds; 0 when Redis keeps it without expiry. */
  expiresAt: number;
}

/** Longest a copy is kept, even when no change is announced. */
const MAX_AGE_MS = 60_000;
/** Most copies kept; the oldest go first. */
const MAX_ENTRIES = 50_000;

interface Copy {
  artifact: StoredArtifact;
  until: number;
}

/**
 * This node's copies of the Redis artifacts it read that are read far more often than written
 * (access tokens on every userinfo and resource API call, sign-in sessions on every authorization
 * and on the session check of a token that ends with its session), keyed by their Redis key.
 *
 * Every change of such an artifact, made by any node through the Redis adapter (a save over a
 * stored one, a revocation, a sign-out, a consumption), announces the keys it touched on `channel`
 * in the same Lua script or transaction as the change, and every node drops its copies of them
 * when it hears that. (A new artifact is not announced: no node has a copy of it.) So a copy is served only while nothing changed it, give or take the delivery (well under a
 * millisecond on one network). The node that made a change drops its copies at once.
 *
 * While the announcements are not heard (the subscriber is down or silent: Redis restarted, the
 * network dropped) nothing is served from copies and nothing is kept; the copies are dropped. A
 * read under way when any change is announced is not kept (its answer may predate the change).
 * Only artifacts found are kept: a request with an unknown token stores nothing. A key changed in
 * Redis by hand (not through EduGate) is seen by each node within a minute (`MAX_AGE_MS`).
 */
export class ArtifactCopies {
  readonly channel: string;
  readonly #copies = new Map<string, Copy>();
  #notifications: Notifications | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  /** Counts announcements heard (and losses): a read started before one is not kept. */
  #changes = 0;

  constructor(channel: string) {
    this.channel = channel;
  }

  /** Starts hearing the announcements; copies are kept from then on, while they are heard. */
  async follow(notifications: Notifications, warn?: NotificationWarning): Promise<void> {
    if (this.#unlisten) return;
    this.#unlisten = await notifications.listen(this.channel, (payload) => this.#changed(payload), warn);
    this.#notifications = notifications;
  }

  async close(): Promise<void> {
    const unlisten = this.#unlisten;
    this.#notifications = undefined;
    this.#unlisten = undefined;
    this.#changed(undefined);
    await unlisten?.().catch(() => {});
  }

  /** This node's copy of `key`, while announcements are heard and it has not expired. */
  get(key: string): StoredArtifact | undefined {
    if (!this.#notifications?.listening) {
      if (this.#copies.size > 0) this.#changed(undefined);
      return undefined;
    }
    const copy = this.#copies.get(key);
    if (!copy) return undefined;
    const now = Date.now();
    if (copy.until > now && (copy.artifact.expiresAt === 0 || copy.artifact.expiresAt > now))
      return copy.artifact;
    this.#copies.delete(key);
    return undefined;
  }

  /** Marks the start of a read whose answer may be kept (`keep`). */
  mark(): number {
    return this.#changes;
  }

  /** Keeps what a read started at `since` (`mark()`) found, unless a change was heard meanwhile. */
  keep(key: string, artifact: StoredArtifact, since: number): void {
    if (since !== this.#changes || !this.#notifications?.listening) return;
    this.#copies.delete(key);
    this.#copies.set(key, { artifact, until: Date.now() + MAX_AGE_MS });
    if (this.#copies.size > MAX_ENTRIES) {
      const oldest = this.#copies.keys().next().value;
      if (oldest !== undefined) this.#copies.delete(oldest);
    }
  }

  /** Drops this node's copies of `keys` (its own changes; the other nodes hear the announcement). */
  forget(keys: readonly string[]): void {
    this.#changes++;
    for (const key of keys) this.#copies.delete(key);
  }

  /** How many copies this node keeps (for tests). */
  get size(): number {
    return this.#copies.size;
  }

  /** Keys announced (comma-separated), or everything (`undefined`: announcements were lost). */
  #changed(payload: string | undefined): void {
    this.#changes++;
    if (payload === undefined) {
      this.#copies.clear();
      return;
    }
    for (const key of payload.split(',')) this.#copies.delete(key);
  }
}
