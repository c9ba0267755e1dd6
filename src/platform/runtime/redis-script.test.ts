import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../testing/services.ts';
import { RedisScript } from './redis-script.ts';

describe('a Redis script run by its SHA', async () => {
  const available = await redisAvailable();
  if (!available) missingService('Redis', `tried ${TEST_REDIS_URL}`);
  const redis = available ? new Redis(TEST_REDIS_URL) : undefined;
  afterAll(() => redis?.disconnect());

  it.skipIf(!available)(
    'sends its text once, when Redis does not know it, and its SHA afterwards',
    async () => {
      const client = redis as Redis;
      // A text no other run has loaded: the first run finds it unknown.
      const script = new RedisScript(`-- ${randomBytes(8).toString('hex')}\nreturn {KEYS[1], ARGV[1]}`);
      const before = await commandCalls(client);
      expect(await script.run(client, ['a'], ['b'])).toEqual(['a', 'b']);
      expect(await script.run(client, ['c'], ['d'])).toEqual(['c', 'd']);
      const after = await commandCalls(client);
      // Two by SHA (the first refused with NOSCRIPT), one with the text. Other clients of a shared
      // Redis may run scripts meanwhile: at least these.
      expect((after.evalsha ?? 0) - (before.evalsha ?? 0)).toBeGreaterThanOrEqual(2);
      expect((after.eval ?? 0) - (before.eval ?? 0)).toBeGreaterThanOrEqual(1);
      await expect(new RedisScript('return redis.call("NOSUCHCOMMAND")').run(client, [])).rejects.toThrow();
    },
  );
});

async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const [, name = '', count] of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+)/gm,
  ))
    calls[name] = Number(count);
  return calls;
}
