import { describe, expect, it } from 'vitest';
import { FaultProxy } from '../testing/fault-proxy.ts';
import { postgresAvailable, TEST_DATABASE_URL } from '../testing/services.ts';
import { PostgresNotifications } from './notifications.ts';

const until = async (check: () => boolean, within: number) => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > within) throw new Error(`not within ${within} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
};

describe.runIf(await postgresAvailable())('notifications from PostgreSQL', () => {
  it('stops counting as listening when its connection falls silent, and says so when back', async () => {
    const proxy = await FaultProxy.start(TEST_DATABASE_URL);
    const notifications = new PostgresNotifications(proxy.url(TEST_DATABASE_URL));
    try {
      const heard: Array<string | undefined> = [];
      await notifications.listen('edugate_test_silence', (payload) => heard.push(payload));
      expect(notifications.listening).toBe(true);
      // A network that swallows everything: no error, no end; the heartbeat finds it out.
      proxy.blackHole();
      const silentFor = await until(() => !notifications.listening, 8000);
      expect(silentFor).toBeGreaterThan(1000);
      // The next heartbeat gives the connection up and opens another (swallowed too, meanwhile).
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(notifications.listening).toBe(false);
      await proxy.heal();
      await until(() => notifications.listening, 30_000);
      // Notifications sent meanwhile were lost: the handlers hear `undefined`.
      expect(heard).toContain(undefined);
    } finally {
      await notifications.close();
      await proxy.close();
    }
  }, 60_000);
});
