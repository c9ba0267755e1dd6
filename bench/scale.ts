import { postgresAndRedis } from '../src/platform/testing/process-stage.ts';
import { BENCH_PASSWORD, COUNTY_SCOPE, startCounty, teacherUsername } from './county-process.ts';
import { startHttpLoad } from './http-load.ts';
import { REDIRECT, scenarios } from './oidc-scenarios.ts';
import {
  alternatingSlices,
  describeSide,
  loadAverage,
  measuredSeconds,
  type SideFigures,
} from './process-measure.ts';
import type { Figure } from './report.ts';

/** Accounts signing in during a run, spread over the whole table (not its first pages only). */
const SIGNING_IN = 1000;

interface AtSize {
  accounts: number;
  login: SideFigures;
  userinfo: SideFigures;
  loadMs: number;
}

/** County login and userinfo, each from a load process, on a county role process with `accounts`. */
async function measureAt(accounts: number, seconds: number): Promise<AtSize> {
  const loading = performance.now();
  const county = await startCounty({ accounts, redirectUris: [REDIRECT] });
  const loadMs = performance.now() - loading;
  try {
    const step = Math.max(1, Math.floor(accounts / SIGNING_IN));
    const usernames = Array.from({ length: Math.min(SIGNING_IN, accounts) }, (_, i) =>
      teacherUsername(i * step),
    );
    // A steady, modest stream of logins (four at a time: latency, not the argon2id ceiling).
    const logins = await startHttpLoad(
      {
        kind: 'login',
        url: `${county.node.base}/cyc/login`,
        // Each login spends a fresh browser: enough for 200 logins/s (four at a time reach about 90).
        browsers: Math.ceil(200 * (seconds + 3)) + 100,
        usernames,
        password: BENCH_PASSWORD,
      },
      4,
    );
    const [login] = await alternatingSlices(
      seconds,
      [{ load: logins, processes: county.processes }],
      1000,
      'fixed',
    );
    await logins.stop();
    const issuer = {
      issuer: county.issuer,
      clientId: county.clientId,
      clientSecret: county.clientSecret,
      scope: COUNTY_SCOPE,
      resource: `${county.issuer}/cncresource/api/v1/eduinfo`,
      cookie: await county.signIn(usernames[usernames.length - 1] ?? teacherUsername(0), REDIRECT),
    };
    const measured = await scenarios(issuer);
    const info = await startHttpLoad(measured.userinfo ?? { kind: 'bearer-get', url: '', tokens: [] }, 16);
    const [userinfo] = await alternatingSlices(seconds, [{ load: info, processes: county.processes }]);
    await info.stop();
    if (!login || !userinfo) throw new Error('nothing measured');
    return { accounts, login, userinfo, loadMs };
  } finally {
    await county.close();
  }
}

function record(at: AtSize) {
  const size = at.accounts.toLocaleString('en');
  console.log(
    `county at ${size} accounts (bulk load ${(at.loadMs / 1000).toFixed(0)} s, load average ${loadAverage()}):`,
  );
  console.log(`    login    ${at.login.rate.toFixed(1)}/s, ${describeSide(at.login)}`);
  console.log(`    userinfo ${at.userinfo.rate.toFixed(1)}/s, ${describeSide(at.userinfo)}`);
}

/**
 * Scale line: county login and userinfo p50/p99 on PostgreSQL at 10,000 accounts, and at 1,000,000
 * when the section is named (`npm run bench -- scale`: the bulk load takes minutes). The 1M
 * figures are given as ratios to the 10k ones (p50/p99: 10k latency / 1M latency, 1 = no slower).
 */
export async function benchScale(): Promise<Figure[]> {
  if (!(await postgresAndRedis())) return [];
  const seconds = measuredSeconds(6);
  const small = await measureAt(10_000, seconds);
  record(small);
  if (!process.argv.slice(2).includes('scale')) {
    console.log('    (1,000,000 accounts only with `npm run bench -- scale`)');
    return [];
  }
  const large = await measureAt(1_000_000, seconds);
  record(large);
  const latency = (what: 'login' | 'userinfo', p: 'p50' | 'p99'): Figure => ({
    name: `county ${what} ${p} at 1,000,000 accounts`,
    value: large[what][p],
    unit: 'ms',
    baseline: small[what][p],
    baselineName: 'at 10,000 accounts',
    lowerIsBetter: true,
    detail: [`load average ${loadAverage()}`],
  });
  return [
    latency('login', 'p50'),
    latency('login', 'p99'),
    latency('userinfo', 'p50'),
    latency('userinfo', 'p99'),
  ];
}
