import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { missingService } from '../testing/services.ts';

const run = promisify(execFile);
const deploy = new URL('../../../deploy/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'edugate-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function tool(name: string, debianPackage: string): Promise<string | undefined> {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
    const path = join(dir, name);
    try {
      await run(path, ['--version']).catch((error: { code?: unknown }) => {
        if (error.code === 'ENOENT') throw error;
      });
      return path;
    } catch {
      // not in this directory
    }
  }
  missingService(name, `apt-get install ${debianPackage}`);
  return undefined;
}

type Outcome = { code: number; stdout: string; stderr: string };
async function outcome(file: string, args: string[]): Promise<Outcome> {
  try {
    return { code: 0, ...(await run(file, args)) };
  } catch (error) {
    return error as Outcome;
  }
}

describe('systemd unit', async () => {
  const analyze = await tool('systemd-analyze', 'systemd');
  const unit = readFileSync(join(deploy, 'systemd/edugate@.service'), 'utf8');

  it.runIf(analyze)(
    'passes systemd-analyze verify without a warning, as an instance of each role',
    async () => {
      // The unit names /opt/edugate; verify checks that ExecStart exists, so install a stand-in there.
      const prefix = join(work, 'opt-edugate');
      mkdirSync(join(prefix, 'node_modules/.bin'), { recursive: true });
      mkdirSync(join(prefix, 'bin'), { recursive: true });
      symlinkSync(process.execPath, join(prefix, 'node_modules/.bin/node'));
      writeFileSync(join(prefix, 'bin/edugate.js'), '');
      const units = join(work, 'units');
      mkdirSync(units, { recursive: true });
      for (const role of ['county', 'cloud', 'workspace']) {
        const file = join(units, `edugate@${role}.service`);
        writeFileSync(file, unit.replaceAll('/opt/edugate', prefix));
        const result = await outcome(analyze as string, ['verify', file]);
        // Only what concerns our unit: verify also loads the units of the machine's own packages.
        const ours = result.stderr
          .split('\n')
          .filter((line) => line.trim() !== '' && !/^\/(lib|usr\/lib|etc)\/systemd\/system\//.test(line));
        expect(ours).toEqual([]);
        expect(result.code).toBe(0);
      }
      // The check itself catches mistakes.
      const broken = join(units, 'edugate@broken.service');
      writeFileSync(
        broken,
        unit.replaceAll('/opt/edugate', prefix).replace('ProtectHome=yes', 'ProtectHome=perhaps'),
      );
      expect((await outcome(analyze as string, ['verify', broken])).stderr).toMatch(/protect ?home/i);
    },
  );

  it('restarts, reads its role env file, runs as its own user, hardened but with a JIT-able V8', () => {
    const settings = unit.split('\n').filter((l) => /^\w+=/.test(l));
    for (const expected of [
      'Restart=always',
      'EnvironmentFile=/etc/edugate/%i.env',
      'User=edugate',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'ProtectKernelTunables=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    ]) {
      expect(settings).toContain(expected);
    }
    expect(settings.some((l) => l.startsWith('MemoryDenyWriteExecute='))).toBe(false);
    expect(settings.some((l) => l.startsWith('ReadWritePaths='))).toBe(false);
    expect(settings).toContain(
      'ExecStart=/opt/edugate/node_modules/.bin/node /opt/edugate/bin/edugate.js start --role %i',
    );
  });
});

describe('nginx site', async () => {
  const nginx = await tool('nginx', 'nginx');

  it.runIf(nginx)('passes nginx -t in a configuration that includes it', async () => {
    const key = join(work, 'tls.key');
    const cert = join(work, 'tls.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=edugate.test',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const site = readFileSync(join(deploy, 'nginx/edugate.conf'), 'utf8')
      .replace(/\/etc\/ssl\/edugate\/[^;]+\.crt/g, cert)
      .replace(/\/etc\/ssl\/edugate\/[^;]+\.key/g, key);
    const prefix = join(work, 'nginx');
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'edugate.conf'), site);
    const main = join(prefix, 'nginx.conf');
    writeFileSync(
      main,
      `pid ${prefix}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${prefix}/edugate.conf;\n}\n`,
    );
    const ok = await outcome(nginx as string, ['-t', '-q', '-c', main, '-p', `${prefix}/`]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);

    writeFileSync(
      join(prefix, 'edugate.conf'),
      site.replace('proxy_pass http://edugate_cloud;', 'proxy_pass http://edugate_clod;'),
    );
    const broken = await outcome(nginx as string, ['-t', '-q', '-c', main, '-p', `${prefix}/`]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('edugate_clod');
  });

  it('ends TLS, forwards the client address, scheme and host, and balances two nodes per role', () => {
    const site = readFileSync(join(deploy, 'nginx/edugate.conf'), 'utf8');
    for (const header of [
      'X-Forwarded-For $remote_addr',
      'X-Forwarded-Proto $scheme',
      'X-Forwarded-Host $host',
    ]) {
      expect(site.match(new RegExp(`proxy_set_header ${header.replace('$', '\\$')};`, 'g'))).toHaveLength(3);
    }
    for (const role of ['county', 'cloud', 'workspace']) {
      const upstream = site.match(new RegExp(`upstream edugate_${role} \\{([^}]*)\\}`))?.[1] ?? '';
      expect(upstream.match(/^\s*server /gm)).toHaveLength(2);
    }
    expect(site.match(/listen 443 ssl/g)).toHaveLength(3);
  });
});
