// The load generator of a bench, in a process of its own: autocannon's work (building requests,
// parsing answers, histograms) then never holds up the event loop of the server it measures, as
// with autocannon run against a running server. (Not a worker thread: autocannon treats a worker
// thread as one of its own workers and leaves its results unaggregated.)
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import autocannon from 'autocannon';

/** A browser that loaded the login form: its cookie and form token. */
export interface FormSession {
  cookie: string;
  csrf: string;
}

export type LoadJob =
  /** Password logins, each with a fresh form session and the next of `accounts` accounts. */
  | { kind: 'logins'; seconds: number; connections: number }
  /** GETs of one URL, as fast as they go or at `overallRate` requests/s. */
  | { kind: 'get'; url: string; seconds: number; connections: number; overallRate?: number }
  /**
   * Anonymous sign-in requests at `overallRate` requests/s, taking turns: SAML AuthnRequests to
   * `/saml/sso` (HTTP-Redirect binding, a fresh ID each) from Google's issuer `google.com/a/<domain>`,
   * and OIDC authorization requests (a fresh state each) to `authorizePath` for `clientId`.
   */
  | {
      kind: 'sign-ins';
      url: string;
      seconds: number;
      connections: number;
      overallRate: number;
      domain: string;
      authorizePath: string;
      clientId: string;
      redirectUri: string;
    };

export interface LoadResult {
  redirects: number;
  refused: number;
  duration: number;
  requestsPerSecond: number;
  p99: number;
}

interface LoginSetup {
  base: string;
  sessions: FormSession[];
  accounts: number;
  password: string;
}

/** A SAML AuthnRequest from Google's issuer for `domain`, deflated and base64-encoded for a query. */
function authnRequest(domain: string): string {
  const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="http://google.test/a/${domain}/acs"><saml:Issuer>google.com/a/${domain}</saml:Issuer><samlp:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"/></samlp:AuthnRequest>`;
  return encodeURIComponent(deflateRawSync(xml).toString('base64'));
}

function signInRequests(job: Extract<LoadJob, { kind: 'sign-ins' }>): autocannon.Request[] {
  return [
    {
      method: 'GET',
      setupRequest: (request) => ({
        ...request,
        path: `/saml/sso?SAMLRequest=${authnRequest(job.domain)}&RelayState=soak`,
      }),
    },
    {
      method: 'GET',
      setupRequest: (request) => ({
        ...request,
        path: `${job.authorizePath}?${new URLSearchParams({
          response_type: 'code',
          client_id: job.clientId,
          redirect_uri: job.redirectUri,
          scope: 'openid profile',
          state: randomBytes(8).toString('hex'),
        })}`,
      }),
    },
  ];
}

const summary = (result: autocannon.Result): LoadResult => ({
  redirects: result['3xx'],
  refused: result['4xx'] + result['5xx'],
  duration: result.duration,
  requestsPerSecond: result.requests.average,
  p99: result.latency.p99,
});

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const CHILD_FLAG = 'EDUGATE_BENCH_LOAD_CHILD';

function serveJobs(setup: LoginSetup, send: (result: LoadResult) => void) {
  let next = 0;
  const loginRequest = (request: autocannon.Request): autocannon.Request => {
    const session = setup.sessions[next % setup.sessions.length] as FormSession;
    const username = `bench${String(next % setup.accounts).padStart(3, '0')}`;
    next++;
    return {
      ...request,
      headers: {
        ...request.headers,
        cookie: session.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ _csrf: session.csrf, username, password: setup.password }).toString(),
    };
  };
  process.on('message', async (job: LoadJob) => {
    const result =
      job.kind === 'logins'
        ? await run({
            url: setup.base,
            connections: job.connections,
            duration: job.seconds,
            requests: [{ method: 'POST', path: '/cyc/login', setupRequest: loginRequest }],
          })
        : job.kind === 'sign-ins'
          ? await run({
              url: job.url,
              connections: job.connections,
              duration: job.seconds,
              overallRate: job.overallRate,
              requests: signInRequests(job),
            })
          : await run({
              url: job.url,
              connections: job.connections,
              duration: job.seconds,
              ...(job.overallRate ? { overallRate: job.overallRate } : {}),
            });
    send(summary(result));
  });
}

if (process.env[CHILD_FLAG] && process.send) {
  const send = process.send.bind(process);
  process.once('message', (setup: LoginSetup) => {
    serveJobs(setup, (result) => send(result));
    send({ ready: true });
  });
}

/** Starts the load process for logins against `setup.base` (`/cyc/login`, accounts bench000…). */
export async function startLoad(
  setup: LoginSetup,
): Promise<{ run(job: LoadJob): Promise<LoadResult>; stop(): Promise<void> }> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_FLAG]: '1' },
    serialization: 'advanced',
  });
  const reply = <T>() =>
    new Promise<T>((resolve, reject) => {
      const failed = (code: number | null) => reject(new Error(`the load process ended (${code})`));
      child.once('exit', failed);
      child.once('message', (message: T) => {
        child.off('exit', failed);
        resolve(message);
      });
    });
  const ready = reply<{ ready: true }>();
  child.send(setup);
  await ready;
  return {
    run: (job) => {
      const result = reply<LoadResult>();
      child.send(job);
      return result;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await gone;
    },
  };
}
