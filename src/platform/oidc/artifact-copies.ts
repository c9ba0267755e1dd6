import { AnnouncedCopies } from '../database/announced-copies.ts';

/** An artifact as Redis holds it: its JSON, its consumption mark, and when Redis lets it expire. */
export interface StoredArtifact {
  value: string;
  consumed: string | null;
  /** Epoch milliseconds; 0 when Redis keeps it without expiry. */
  expiresAt: number;
  /**
   * The payload parsed once, on the first read, and frozen. A read gets it as it is when none of
   * its values is an object or an array (`flat`, an access token's): oidc-provider copies a
   * payload's top-level values into the model it builds, so such a payload is never changed. Else
   * each read gets a copy of its own: oidc-provider changes the nested objects it reads (a
   * session's `authorizations`).
   */
  parsed?: Readonly<Record<string, unknown>>;
  flat?: boolean;
}

/** Longest a copy is kept, even when no change is announced. */
const MAX_AGE_MS = 60_000;
/** Most copies kept; the oldest go first. */
const MAX_ENTRIES = 50_000;

/**
 * This node's copies of the Redis artifacts it read that are read far more often than written
 * (access tokens on every userinfo and resource API call, sign-in sessions on every authorization
 * and on the session check of a token that ends with its session), keyed by their Redis key.
 *
 * Every change of such an artifact, made by any node through the Redis adapter (a save over a
 * stored one, a revocation, a sign-out, a consumption), announces the keys it touched on `channel`
 * in the same Lua script or transaction as the change, and every node drops its copies of them
 * when it hears that. (A new artifact is not announced: only the node that wrote it may have a
 * copy, see `keepWritten`. Nor is a code's consumption: only the first consumption in Redis
 * succeeds, whatever a copy says.) So a copy is served only while nothing changed it, give or take
 * the delivery (well under a millisecond on one network). The node that made a change drops its
 * copies at once.
 *
 * While the announcements are not heard (the subscriber is down or silent: Redis restarted, the
 * network dropped) nothing is served from copies and nothing is kept; the copies are dropped. A
 * read under way when any change is announced is not kept (its answer may predate the change).
 * Only artifacts found are kept: a request with an unknown token stores nothing. A key changed in
 * Redis by hand (not through EduGate) is seen by each node within a minute (`MAX_AGE_MS`). The
 * map itself is AnnouncedCopies, as under the database's NotifiedCache.
 */
export class ArtifactCopies extends AnnouncedCopies<StoredArtifact> {
  /** Where the changes are announced (the adapter's scripts publish there). */
  readonly channel: string;

  constructor(channel: string) {
    super({
      maxAgeMs: MAX_AGE_MS,
      maxEntries: MAX_ENTRIES,
      stands: (artifact, now) => artifact.expiresAt === 0 || artifact.expiresAt > now,
    });
    this.channel = channel;
  }
}
