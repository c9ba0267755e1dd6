import { join } from 'node:path';
import type { Config } from '../../platform/config/options.ts';
import type { RoleName } from '../../platform/database/connect.ts';
import { legacyEmbeddedDirectories, legacyLayoutAdvice } from '../../platform/database/embedded.ts';
import { missingProductionSecrets } from '../../platform/runtime/secrets.ts';
import type { Finding, Setup } from './check.ts';

/** The checks of the configuration itself: secrets, public URLs, cookies, proxy, registration. */

const URL_OPTIONS: Record<RoleName, Array<[keyof Config, string]>> = {
  county: [['countyUrl', 'EDUGATE_COUNTY_URL']],
  cloud: [
    ['cloudUrl', 'EDUGATE_CLOUD_URL'],
    ['workspaceUrl', 'EDUGATE_WORKSPACE_URL'],
  ],
  workspace: [
    ['workspaceUrl', 'EDUGATE_WORKSPACE_URL'],
    ['cloudUrl', 'EDUGATE_CLOUD_URL'],
  ],
  google: [['googleUrl', 'EDUGATE_GOOGLE_URL']],
};

export function configuration({ roles, demo }: Setup): Finding[] {
  const message = `valid; checking ${roles.join(', ')} for ${demo ? 'the demo' : 'production'}`;
  return [{ level: 'ok', check: 'configuration', message }];
}

export function secrets({ config, demo }: Setup): Finding[] {
  const missing = missingProductionSecrets(config);
  if (missing.length === 0) return [{ level: 'ok', check: 'secrets', message: 'all set in the environment' }];
  return [
    {
      level: demo ? 'warn' : 'fail',
      check: 'secrets',
      message:
        `${missing.join(', ')} not set: generated into ${join(config.dataDir, 'secrets.json')} ` +
        '(demo only; every node needs the same values). Run `edugate secrets generate` and put the ' +
        'lines in the environment file of every node (e.g. /etc/edugate/ROLE.env).',
    },
  ];
}

/** A data directory still in the embedded database's old layout (one PGlite directory per role). */
export function embeddedLayout({ config }: Setup): Finding[] {
  if (config.databaseUrl || legacyEmbeddedDirectories(config.dataDir).length === 0) return [];
  return [{ level: 'warn', check: 'embedded database layout', message: legacyLayoutAdvice(config.dataDir) }];
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\./.test(h);
}

/** The public URL options of the roles checked, each once: its key and its variable. */
function urlOptions(roles: readonly RoleName[]): Array<[keyof Config, string]> {
  const options = new Map<string, [keyof Config, string]>();
  for (const role of roles)
    for (const [key, env] of URL_OPTIONS[role]) if (!options.has(env)) options.set(env, [key, env]);
  return [...options.values()];
}

/** Whether any public URL of the roles checked is https (then it runs behind a TLS proxy). */
function servedOverHttps({ config, roles }: Setup): boolean {
  return urlOptions(roles).some(([key]) => {
    const value = config[key] as string | undefined;
    return Boolean(value) && new URL(value as string).protocol === 'https:';
  });
}

export function publicUrls({ config, roles, demo }: Setup): Finding[] {
  return urlOptions(roles).map(([key, env]): Finding => {
    const value = config[key] as string | undefined;
    const check = `url ${env}`;
    if (!value) {
      return {
        level: demo ? 'ok' : 'fail',
        check,
        message: demo
          ? `not set: http://${config.publicHost}:… (demo)`
          : `not set: issuers and links in mails would point at http://${config.publicHost}:…. Set ${env}=https://…`,
      };
    }
    const url = new URL(value);
    if (url.protocol === 'https:') return { level: 'ok', check, message: value };
    if (isLoopback(url.hostname)) return { level: 'ok', check, message: `${value} (loopback)` };
    return {
      level: 'warn',
      check,
      message: `${value} is plain http outside loopback: passwords and tokens would cross the network unencrypted. Serve it over https (TLS at the proxy) and set ${env}=https://…`,
    };
  });
}

export function secureCookies(setup: Setup): Finding[] {
  if (!servedOverHttps(setup) || setup.config.secureCookies) return [];
  return [
    {
      level: 'warn',
      check: 'cookies',
      message: 'public URLs are https but EDUGATE_SECURE_COOKIES is false: set EDUGATE_SECURE_COOKIES=true',
    },
  ];
}

export function trustProxy(setup: Setup): Finding[] {
  if (!servedOverHttps(setup) || setup.config.trustProxy) return [];
  return [
    {
      level: 'warn',
      check: 'proxy',
      message:
        'EDUGATE_TRUST_PROXY not set: behind a TLS proxy every client shares the proxy address (throttling) and requests look like http. Set it to the address of the proxy (see docs/OPERATIONS.md)',
    },
  ];
}

export function registration({ config, roles }: Setup): Finding[] {
  const issuers = roles.filter((r) => r === 'county' || r === 'cloud');
  if (issuers.length === 0) return [];
  if (!config.registrationToken) {
    return [{ level: 'ok', check: 'registration', message: 'Dynamic Client Registration closed (no token)' }];
  }
  return [
    {
      level: 'warn',
      check: 'registration',
      message:
        `EDUGATE_REGISTRATION_TOKEN is set: whoever holds it can register OIDC clients (any redirect URI) at /oidc/v1/registration of every issuer of ${issuers.join(' and ')}. ` +
        'Unset it unless you hand it out on purpose; register clients with `edugate client add` instead.',
    },
  ];
}
