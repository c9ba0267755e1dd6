import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Notifications } from '../../platform/database/notifications.ts';
import { changeChannel } from '../../platform/database/notified-cache.ts';
import { SecretBox } from '../../platform/security/secret-box.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import type { CloudDatabase } from '../db.ts';
import { cloudMigrations } from '../migrations.ts';
import { COUNTY_CLIENT_PURPOSE, CountyRegistry } from './counties.ts';

const CYC = { code: 'cyc', name: '嘉義縣', issuer: 'https://cyc.example/cyc', clientId: 'educloud' };
const TN = { code: 'tn', name: '臺南市', issuer: 'https://tn.example/tn', clientId: 'educloud' };

/**
 * Runs `change` and waits until `notifications` delivered its announcement (the copies that follow
 * the table heard it first: they listened earlier).
 */
async function announced(db: Kysely<unknown>, notifications: Notifications, change: () => Promise<unknown>) {
  let heard: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    heard = resolve;
  });
  const stop = await notifications.listen(await changeChannel(db, 'cloud_counties'), () => heard());
  try {
    await change();
    await arrived;
  } finally {
    await stop();
  }
}

for (const kind of await testDatabases()) {
  describe(`the counties a cloud node signs in through, on ${kind.name}`, () => {
    it('serves a county sign-in from the node’s copy until any node changes or removes the county', async () => {
      const opened = await kind.open<CloudDatabase>(cloudMigrations);
      const box = new SecretBox('installation-secret-0123456789abcdef', COUNTY_CLIENT_PURPOSE);
      const here = new CountyRegistry(opened.db, box);
      // Another node of the cloud: its changes reach this one through the database only.
      const there = new CountyRegistry(opened.db, box);
      try {
        await here.follow(opened.notifications, pino({ level: 'silent' }));
        await announced(opened.db as unknown as Kysely<unknown>, opened.notifications, () =>
          there.upsert({ ...CYC, clientSecret: 'first' }),
        );
        expect((await here.credentials('cyc'))?.clientSecret).toBe('first');

        // Kept: with the table out of reach, this node still signs in; a node that does not follow
        // the changes reads the table every time.
        await sql`alter table cloud_counties rename to cloud_counties_away`.execute(opened.db);
        try {
          expect((await here.credentials('cyc'))?.connection).toMatchObject({ ...CYC, enabled: true });
          await expect(there.credentials('cyc')).rejects.toThrow();
        } finally {
          await sql`alter table cloud_counties_away rename to cloud_counties`.execute(opened.db);
        }

        await there.upsert({ ...CYC, clientSecret: 'second' });
        await expect.poll(async () => (await here.credentials('cyc'))?.clientSecret).toBe('second');
        await there.setEnabled('cyc', false);
        await expect.poll(async () => (await here.credentials('cyc'))?.connection.enabled).toBe(false);
        await there.remove('cyc');
        await expect.poll(async () => here.credentials('cyc')).toBeUndefined();
      } finally {
        await here.close();
        await opened.close();
      }
    });

    it('serves the list of counties from the node’s copy until any node adds, changes or removes one', async () => {
      const opened = await kind.open<CloudDatabase>(cloudMigrations);
      const box = new SecretBox('installation-secret-0123456789abcdef', COUNTY_CLIENT_PURPOSE);
      const here = new CountyRegistry(opened.db, box);
      const there = new CountyRegistry(opened.db, box);
      const codes = async (options: { enabledOnly?: boolean } = {}) =>
        (await here.list(options)).map((county) => county.code);
      try {
        await here.follow(opened.notifications, pino({ level: 'silent' }));
        await announced(opened.db as unknown as Kysely<unknown>, opened.notifications, () =>
          there.upsert({ ...CYC, clientSecret: 'first' }),
        );
        expect(await codes()).toEqual(['cyc']);

        await sql`alter table cloud_counties rename to cloud_counties_away`.execute(opened.db);
        try {
          expect(await codes({ enabledOnly: true })).toEqual(['cyc']);
          await expect(there.list()).rejects.toThrow();
        } finally {
          await sql`alter table cloud_counties_away rename to cloud_counties`.execute(opened.db);
        }

        // A new county, on another node: the login page lists it at once.
        await there.upsert({ ...TN, clientSecret: 'tn' });
        await expect.poll(() => codes()).toEqual(['cyc', 'tn']);
        await there.setEnabled('tn', false);
        await expect.poll(() => codes({ enabledOnly: true })).toEqual(['cyc']);
        expect(await codes()).toEqual(['cyc', 'tn']);
        await there.remove('cyc');
        await expect.poll(() => codes()).toEqual(['tn']);
        // This node's own change, at once.
        await here.upsert({ ...CYC, clientSecret: 'again' });
        expect(await codes()).toEqual(['cyc', 'tn']);
      } finally {
        await here.close();
        await opened.close();
      }
    });
  });
}
