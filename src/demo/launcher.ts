import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { roleUrls } from '../platform/config/load.ts';
import type { Config } from '../platform/config/options.ts';
import type { RoleName } from '../platform/database/connect.ts';
import { legacyEmbeddedDirectories, legacyLayoutAdvice } from '../platform/database/embedded.ts';
import { MailSink } from '../platform/mail/sink.ts';
import { bootRole, type RunningRole } from '../platform/runtime/boot.ts';
import { adminOrigin, assertLoopback, listenRole } from '../platform/runtime/roles.ts';
import { loadSecrets } from '../platform/runtime/secrets.ts';
import { ROLES } from '../roles.ts';
import { demoServiceAccountFile } from '../workspace/emulator/google/service-accounts.ts';
import { prepareEmbeddedDatabase } from './embedded-template.ts';
import { buildLandingApp } from './landing/app.ts';

export interface Demo {
  roles: Map<RoleName, RunningRole>;
  landing: FastifyInstance;
  sink: MailSink;
  urls: ReturnType<typeof roleUrls>;
  close(): Promise<void>;
}

export interface DemoOptions {
  config: Config;
  log: Logger;
  reset?: boolean;
  jobPollMs?: number;
}

/**
 * Runs every role as its own HTTP server on its own port, plus the landing page and the SMTP sink:
 * the whole federation on one machine, on the embedded database unless DATABASE_URL is set (one
 * PGlite instance, each role in its own schema as its own database role: see embedded.ts).
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  let { config } = options;
  const { log } = options;
  if (options.reset) rmSync(config.dataDir, { recursive: true, force: true });
  const secrets = loadSecrets(config);
  const urls = roleUrls(config);
  // Provisioning authenticates as in production, with a service account key file (created once in
  // the data directory; the Google stand-in registers its public key and delegates the scopes).
  if (!config.googleServiceAccountFile) {
    const file = join(config.dataDir, 'google-service-account.json');
    demoServiceAccountFile(file);
    config = {
      ...config,
      googleServiceAccountFile: file,
      googleAdminSubject: config.googleAdminSubject ?? `admin@${config.workspaceDomain}`,
    };
  }
  const sink = new MailSink(join(config.dataDir, 'mailbox.json'));
  const opened: Array<{ close(): Promise<void> }> = [];
  const roles = new Map<RoleName, RunningRole>();
  // The landing page shows the demo accounts' password and every mail: this machine only.
  assertLoopback(config.host, 'The demo (landing page and mailbox)');
  try {
    await sink.listen(config.smtpSinkPort, '127.0.0.1');
    opened.push(sink);
    const legacy = legacyEmbeddedDirectories(config.dataDir);
    if (!config.databaseUrl && legacy.length > 0)
      log.warn({ directories: legacy }, legacyLayoutAdvice(config.dataDir));
    // Every role in one embedded database, made ready (from the cached template) before they boot.
    const embedded = await prepareEmbeddedDatabase(config, ROLES, log);
    if (embedded) opened.push(embedded);
    for (const name of Object.keys(ROLES) as RoleName[]) {
      const running = await bootRole(ROLES[name], {
        config,
        secrets,
        log,
        demo: true,
        ...(options.jobPollMs ? { jobPollMs: options.jobPollMs } : {}),
      });
      opened.push(running);
      await listenRole(running, config);
      roles.set(name, running);
      log.info(
        {
          role: name,
          url: name === 'county' ? `${urls.county}/cyc` : urls[name],
          admin: adminOrigin(config, name),
        },
        'role listening',
      );
    }
    const landing = await buildLandingApp({ logger: log, urls, sink, smtpPort: config.smtpSinkPort });
    await landing.listen({ port: config.landingPort, host: config.host });
    opened.push(landing);
    log.info({ url: urls.landing }, 'EduGate demo is running: open the landing page');
    return {
      roles,
      landing,
      sink,
      urls,
      async close() {
        for (const item of opened.reverse()) await item.close();
      },
    };
  } catch (error) {
    for (const item of opened.reverse()) await item.close().catch(() => {});
    throw error;
  }
}
