import pg from 'pg';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { embeddedTestDatabase, postgresTestDatabase } from '../../platform/testing/databases.ts';
import { TEST_DATABASE_URL } from '../../platform/testing/services.ts';
import { ServiceProviders } from '../saml/registry.ts';
import { startCloudInstance } from './cloud-instance.ts';

/**
 * The cloud role in a process of its own, for soak tests that load it over HTTP from outside and
 * read its memory: `node --expose-gc soak-server.ts pglite|postgres [unthrottled]`, forked with an
 * IPC channel. It sends `{ url, clientId }` once it listens, answers `'memory'` with its RSS and
 * heap after full garbage collections, `'rss'` with its RSS as it is (no collection: under load),
 * and closes on `'close'`. A Google Workspace domain `go.edu.tw` is registered as SAML service
 * provider, so AuthnRequests from `google.com/a/go.edu.tw` reach the schema check, and an OIDC
 * client (`clientId`, `redirectUri`) for authorization requests.
 * `unthrottled`: no per-address limit on `/saml/sso` (a load from one address).
 */
const REDIRECT_URI = 'https://rp.test/callback';

const kind = process.argv[2] === 'postgres' ? postgresTestDatabase : embeddedTestDatabase;
const database = await kind.open<PlatformTables>();
const cloud = await startCloudInstance(
  database,
  process.argv[3] === 'unthrottled' ? { samlSsoPerMinute: 0 } : {},
);
await new ServiceProviders(cloud.services.db).register({
  entityId: 'google.com/a/go.edu.tw',
  acsUrls: ['http://google.test/a/go.edu.tw/acs'],
});
const client = await cloud.services.oidc?.clients.add({
  name: 'soak',
  redirectUris: [REDIRECT_URI],
  scopes: ['openid', 'profile'],
});

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with --expose-gc');

process.on('message', async (message) => {
  if (message === 'rss') {
    process.send?.({ rss: process.memoryUsage.rss() });
  } else if (message === 'memory') {
    for (let i = 0; i < 3; i++) {
      collect();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ rss, heapUsed });
  } else if (message === 'close') {
    // Closing the role closes its database; a PostgreSQL test schema is then dropped here.
    await cloud.close();
    if (database.kind === 'postgres') {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists "${database.schema}" cascade`);
      await client.end();
    }
    process.exit(0);
  }
});
process.send?.({ url: cloud.url, clientId: client?.client_id, redirectUri: REDIRECT_URI });
