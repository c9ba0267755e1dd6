import { sql } from 'kysely';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../platform/security/secret-box.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import type { CloudDatabase } from '../db.ts';
import { cloudMigrations } from '../migrations.ts';
import { COUNTY_CLIENT_PURPOSE, CountyRegistry } from './counties.ts';

const CYC = { code: 'cyc', name: '嘉義縣', issuer: 'https://cyc.example/cyc', clientId: 'educloud' };

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
        await there.upsert({ ...CYC, clientSecret: 'first' });
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
  });
}
