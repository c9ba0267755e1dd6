import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { postgresAndRedis } from '../../platform/testing/process-stage.ts';
import { missingService } from '../../platform/testing/services.ts';
import { radclient, radiusPeersInstalled } from './peers.ts';
import { addNas, CountyStage, RadiusFront } from './testing.ts';

// FreeRADIUS (configured by `edugate radius config`) in front of `edugate start --role county` in a
// process of its own, whose PostgreSQL and Redis sit behind proxies that can fail: an outage is
// answered at once with a reject that says so, never a hung RADIUS thread or a dropped request,
// and a NAS added while FreeRADIUS runs is taken without a restart.

const services = await postgresAndRedis();
const peers = radiusPeersInstalled();
if (!peers)
  missingService('FreeRADIUS', 'apt-get install freeradius freeradius-rest freeradius-utils eapoltest');

/** FreeRADIUS asks the county again for a NAS it heard from this long ago (60 s by default). */
const NAS_LIFETIME_S = 2;

describe.runIf(services && peers)('RADIUS through a county process and its outages', () => {
  let county: CountyStage;
  let front: RadiusFront;
  let secret = '';

  const pap = () =>
    radclient(front.authPort, 'auth', secret, [
      'User-Name = "teacher01@cyc.edu.tw"',
      `User-Password = "${DEMO_PASSWORD}"`,
      'NAS-Port-Type = Virtual',
      'Calling-Station-Id = "198.51.100.7"',
      'Message-Authenticator = 0x00',
    ]);
  /** Milliseconds until PAP is answered `expected`. */
  async function until(expected: string, within = 20_000) {
    const started = performance.now();
    for (;;) {
      const r = await pap();
      if (r.answer === expected) return performance.now() - started;
      if (performance.now() - started > within)
        throw new Error(`still ${r.answer}:\n${r.output}\n${county.node.output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    county = await CountyStage.start('edugate_radius_outage', {
      throughProxies: true,
      ownRedisDatabase: true,
      env: {
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_STATEMENT_TIMEOUT_MS: '1500',
        REDIS_CONNECT_TIMEOUT_MS: '1000',
        REDIS_COMMAND_TIMEOUT_MS: '500',
      },
    });
    // A NAS elsewhere: requests from this host are not from a NAS of the county, yet.
    await addNas(county.config, 'elsewhere', '192.0.2.10');
    front = await RadiusFront.start(county.config, ['--nas-lifetime', String(NAS_LIFETIME_S)]);
  }, 180_000);

  afterAll(async () => {
    await front?.close();
    await county?.close();
  });

  it('takes a NAS added while FreeRADIUS runs, without a restart', async () => {
    secret = 'not-known-yet';
    expect((await pap()).answer).toBe('none');
    secret = await addNas(county.config, 'here', '127.0.0.1');
    expect((await pap()).answer).toBe('Access-Accept');
  }, 60_000);

  it('rejects at once, saying why, while Redis is down, and accepts again when it returns', async () => {
    await county.stage.redis.refuse();
    try {
      const started = performance.now();
      const r = await pap();
      expect(r.answer, county.node.output).toBe('Access-Reject');
      expect(r.output).toContain('The account service is unavailable');
      // FreeRADIUS's reject_delay (1 s) included.
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await county.stage.redis.heal();
    }
    expect(await until('Access-Accept')).toBeLessThan(20_000);
    expect(county.node.exited).toBe(false);
  }, 60_000);

  it('rejects within the deadline while the database does not answer, and accepts again when it returns', async () => {
    county.stage.database.blackHole();
    try {
      // FreeRADIUS has forgotten the NAS by now and asks for it again: the county answers from
      // what it read before, so the request is refused with the reason rather than dropped.
      await new Promise((resolve) => setTimeout(resolve, (NAS_LIFETIME_S + 1) * 1000));
      const started = performance.now();
      const r = await pap();
      expect(r.answer, county.node.output).toBe('Access-Reject');
      expect(r.output).toContain('The account service is unavailable');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await county.stage.database.heal();
    }
    expect(await until('Access-Accept')).toBeLessThan(20_000);
    expect(county.node.exited).toBe(false);
  }, 60_000);
});
