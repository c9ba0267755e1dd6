import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  ChannelHandlers,
  type NotificationHandler,
  type Notifications,
  type NotificationWarning,
} from '../database/notifications.ts';

/** The subscriber connection's name in `CLIENT LIST`. */
export const SUBSCRIBER_NAME = 'edugate-notifications';
/** How often the subscriber publishes to itself (the heartbeat). */
const HEARTBEAT_MS = 2000;
/** A subscriber that heard nothing for this long counts as lost (a silent network). */
const SILENT_MS = 5000;

/**
 * Redis pub/sub as `Notifications`: what one node publishes on a channel (`PUBLISH`, e.g. from
 * the Lua script that changes a key) every node subscribed hears. One connection of its own (a
 * duplicate of `redis`) holds the subscriptions; ioredis reconnects it after a Redis restart or a
 * network fault, and the subscriptions are made again on every reconnection.
 *
 * `listening` is true only while the subscriber is connected and heard its own heartbeat (published
 * every 2 s on a channel of its own through `redis`) in the last 5 s: a subscriber cut off without
 * noticing counts as lost. Whenever it was lost, handlers are called with `undefined` (what was
 * published meanwhile is lost), when it is found lost and again once it listens again.
 */
export class RedisNotifications implements Notifications {
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #handlers = new ChannelHandlers();
  readonly #heartbeatChannel = `edugate:heartbeat:${process.pid}:${randomBytes(6).toString('hex')}`;
  readonly #heartbeat: NodeJS.Timeout;
  #warn: NotificationWarning = () => {};
  #heardAt = 0;
  #subscribed = false;
  #closed = false;
  /** An error was reported and the subscriber has not subscribed again since. */
  #failing = false;

  constructor(redis: Redis) {
    this.#redis = redis;
    this.#subscriber = redis.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: true,
      enableAutoPipelining: false,
      connectionName: SUBSCRIBER_NAME,
      // Connected at the first `listen`: a role that follows nothing holds no subscriber.
      lazyConnect: true,
    });
    // Without an error handler a lost connection would crash the process.
    // One warning per outage (the subscriber retries every 2 s at most; the main client logs too).
    this.#subscriber.on('error', (error: Error) => {
      if (this.#failing) return;
      this.#failing = true;
      this.#warn(
        error,
        'redis subscriber: connection lost; copies kept in memory are dropped until it is back',
      );
    });
    this.#subscriber.on('close', () => this.#lost());
    this.#subscriber.on('ready', () => void this.#subscribe());
    this.#subscriber.on('message', (channel: string, message: string) => {
      this.#heardAt = Date.now();
      if (channel === this.#heartbeatChannel) return;
      this.#handlers.dispatch(channel, message);
    });
    this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  get listening(): boolean {
    return (
      this.#subscribed &&
      !this.#closed &&
      this.#subscriber.status === 'ready' &&
      Date.now() - this.#heardAt < SILENT_MS
    );
  }

  async listen(channel: string, handler: NotificationHandler, warn?: NotificationWarning) {
    if (warn) this.#warn = warn;
    const added = this.#handlers.add(channel, handler);
    if (this.#subscriber.status === 'wait') this.#subscriber.connect().catch(() => {});
    if (added.fresh && this.#subscribed) await this.#subscriber.subscribe(channel).catch(() => this.#lost());
    return async () => {
      if (added.remove() && this.#subscribed) await this.#subscriber.unsubscribe(channel).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#subscriber.disconnect();
  }

  /** (Re)subscribes to every channel on a fresh connection; listening once it hears itself. */
  async #subscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#heartbeatChannel, ...this.#handlers.channels());
    } catch (error) {
      this.#warn(error, 'redis subscriber: subscribing failed; retrying');
      this.#subscriber.disconnect(true);
      return;
    }
    this.#subscribed = true;
    this.#failing = false;
    this.#heardAt = 0;
    this.#beat();
    this.#tellLost();
  }

  #beat(): void {
    if (this.#closed || !this.#subscribed) return;
    if (this.#heardAt > 0 && Date.now() - this.#heardAt >= SILENT_MS) {
      this.#warn(new Error(`heard nothing for ${SILENT_MS} ms`), 'redis subscriber: lost; reconnecting');
      this.#lost();
      this.#subscriber.disconnect(true);
      return;
    }
    this.#redis.publish(this.#heartbeatChannel, '1').catch(() => {});
  }

  #lost(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    this.#tellLost();
  }

  #tellLost(): void {
    this.#handlers.lost();
  }
}
