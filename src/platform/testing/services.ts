import pg from 'pg';

/**
 * Outside CI a suite whose server or browser is missing is skipped with a one-line notice; with
 * `CI` set every suite is mandatory and a missing service fails the run.
 */
export function missingService(what: string, how: string): boolean {
  if (process.env.CI) throw new Error(`${what} is required in CI but not available: ${how}`);
  console.warn(`[skipped] ${what} is not available — ${how}`);
  return true;
}

export const TEST_DATABASE_URL =
  process.env.EDUGATE_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function redisAvailable(
  url = process.env.EDUGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1500 });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export const TEST_REDIS_URL = process.env.EDUGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
