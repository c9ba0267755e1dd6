import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run by its SHA1 (EVALSHA): Redis gets the script's text only when it does not know
 * it (NOSCRIPT: the first run, or after a restart or `SCRIPT FLUSH`), not with every call, and
 * does not hash the text again at each run.
 */
export class RedisScript {
  readonly #text: string;
  readonly #sha: string;

  constructor(text: string) {
    this.#text = text;
    this.#sha = createHash('sha1').update(text).digest('hex');
  }

  /** The script's text (for `SCRIPT LOAD`, before its SHA1 is used in a pipeline). */
  get text(): string {
    return this.#text;
  }

  /** The SHA1 that `EVALSHA` names the script by. */
  get sha(): string {
    return this.#sha;
  }

  /** Runs the script with `keys` (KEYS) and `args` (ARGV); resolves to what it returns. */
  async run(redis: Redis, keys: readonly string[], args: readonly string[] = []): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#text, keys.length, ...keys, ...args);
    }
  }
}
