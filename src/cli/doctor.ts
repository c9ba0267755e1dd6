import { Redis } from 'ioredis';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import type { Config } from '../platform/config/options.ts';
import { openDatabase, roleDatabaseTarget } from '../platform/database/connect.ts';
import { missingProductionSecrets } from '../platform/runtime/secrets.ts';

type Check = { name: string; run: () => Promise<string> };

/** Checks what an operator needs working and prints one line per check. Exit 1 when any failed. */
export async function runDoctor(config: Config): Promise<number> {
  const checks: Check[] = [
    { name: 'configuration', run: async () => 'valid' },
    {
      name: 'secrets',
      run: async () => {
        const missing = missingProductionSecrets(config);
        return missing.length === 0
          ? 'all configured'
          : `generated (demo only); set ${missing.join(', ')} for production`;
      },
    },
    {
      name: 'database',
      run: async () => {
        if (!config.databaseUrl)
          return `embedded PGlite in ${config.dataDir} (stop the demo first to check it)`;
        const database = await openDatabase(roleDatabaseTarget(config, 'county'));
        try {
          const r = await sql<{ v: string }>`select version() as v`.execute(database.db);
          return r.rows[0]?.v.split(',')[0] ?? 'ok';
        } finally {
          await database.close();
        }
      },
    },
    {
      name: 'smtp',
      run: async () => {
        const transport = nodemailer.createTransport(config.smtpUrl);
        try {
          await transport.verify();
          return `reachable (${new URL(config.smtpUrl).host})`;
        } finally {
          transport.close();
        }
      },
    },
    {
      name: 'redis',
      run: async () => {
        if (!config.redisUrl) return 'not configured (sessions and throttling in the database)';
        const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await redis.connect();
          return `PING ${await redis.ping()}`;
        } finally {
          redis.disconnect();
        }
      },
    },
  ];
  let failed = 0;
  for (const check of checks) {
    try {
      console.log(`ok    ${check.name}: ${await check.run()}`);
    } catch (error) {
      failed++;
      console.log(`FAIL  ${check.name}: ${(error as Error).message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
