// The load generator of the throughput benches, in a process of its own (one per measured side):
// its work (building requests, parsing answers, timing) never runs on the event loop of the server
// it measures. One lean keep-alive connection per simulated client where every request goes to one
// host (see `LeanConnection`); node:http with a keep-alive agent for browsers' round trips.
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** What one simulated client does over and over; each repetition is one operation. */
export type Scenario =
  /** GET `url` with a bearer token (one per client). */
  | { kind: 'bearer-get'; url: string; tokens: string[] }
  /** An authorization with a signed-in browser (`cookie`), then the code exchange. */
  | {
      kind: 'code';
      authorizeUrl: string;
      tokenUrl: string;
      cookie: string;
      basic: string;
      redirectUri: string;
    }
  /** refresh_token grants, one refresh token chain per client (rotated tokens followed). */
  | { kind: 'refresh'; tokenUrl: string; basic: string; refreshTokens: string[] }
  /**
   * Password logins: each from a browser of its own that loaded `url` beforehand (`browsers` of
   * them, loaded while setting up), accounts taken in turn from `usernames`.
   */
  | { kind: 'login'; url: string; browsers: number; usernames: string[]; password: string }
  /**
   * A browser's round trip (see `runChain`), e.g. a brokered sign-in: from `start`, following
   * redirects and, on a page, the first link matching `click`, until sent to `stopAt`; then
   * `finish`. Each client's browser starts with the cookies of one of `cookies` (per origin).
   */
  | {
      kind: 'chain';
      start: string;
      cookies: Array<Record<string, string>>;
      click?: string;
      stopAt: string;
      finish?: ChainFinish;
    };

/** After a chain reaches `stopAt` with a code: exchange it at `tokenUrl`. */
export interface ChainFinish {
  tokenUrl: string;
  basic: string;
  redirectUri: string;
}

export interface SliceResult {
  done: number;
  failed: number;
  /** Milliseconds the slice lasted. */
  elapsed: number;
  /** Latency (ms) of every operation completed. */
  latencies: number[];
  /** The first failure seen, for the report. */
  failure?: string;
}

interface Answer {
  status: number;
  location: string;
  setCookie: string[];
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

export function send(
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location ?? '',
          setCookie: res.headers['set-cookie'] ?? [],
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const FORM = 'application/x-www-form-urlencoded';

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * One keep-alive HTTP/1.1 connection for requests all alike (the logins): it writes a request
 * composed by the caller and reads the answer's status, headers and body by their length (or
 * chunks), nothing more. A small part of node:http's client work per request: the load process
 * takes less of the cores it shares with the server it measures, as browsers on other machines
 * would take none.
 */
export class LeanConnection {
  readonly #host: string;
  readonly #port: number;
  #socket: Socket | undefined;
  #received: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | undefined;

  constructor(url: URL) {
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
  }

  /** Sends a request for `url` (on this connection's host) with `headers` and `body`; the answer. */
  request(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body = ''): Promise<Answer> {
    let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}`;
    for (const [name, value] of Object.entries(headers)) head += `\r\n${name}: ${value}`;
    return this.send(head, body);
  }

  /** Sends `head` (request line and headers, without the blank line) and `body`; the answer. */
  send(head: string, body: string): Promise<Answer> {
    const socket = this.#socket ?? this.#open();
    return new Promise<Answer>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      socket.write(`${head}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #open(): Socket {
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    this.#socket = socket;
    this.#received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.#received = this.#received.length ? Buffer.concat([this.#received, chunk]) : chunk;
      this.#answer();
    });
    const gone = (error?: Error) => {
      if (this.#socket === socket) this.#socket = undefined;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(error ?? new Error('the server closed the connection'));
    };
    socket.on('error', gone);
    socket.on('close', () => gone());
    return socket;
  }

  /** Resolves the request waiting once its whole answer is in. */
  #answer(): void {
    const data = this.#received;
    const headEnd = data.indexOf(CRLF2);
    if (headEnd < 0 || !this.#waiting) return;
    const head = data.toString('latin1', 0, headEnd);
    let end: number;
    let body: string;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) {
      end = headEnd + 4 + Number(length[1]);
      if (data.length < end) return;
      body = data.toString('utf8', headEnd + 4, end);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const chunks: Buffer[] = [];
      let at = headEnd + 4;
      for (;;) {
        const line = data.indexOf('\r\n', at);
        if (line < 0) return;
        const size = Number.parseInt(data.toString('latin1', at, line), 16);
        if (data.length < line + 2 + size + 2) return;
        if (size === 0) {
          end = line + 4;
          break;
        }
        chunks.push(data.subarray(line + 2, line + 2 + size));
        at = line + 2 + size + 2;
      }
      body = Buffer.concat(chunks).toString('utf8');
    } else {
      end = headEnd + 4;
      body = '';
    }
    this.#received = data.subarray(end);
    const setCookie = [...head.matchAll(/\r\nset-cookie: *([^\r]*)/gi)].map((m) => m[1] ?? '');
    const location = /\r\nlocation: *([^\r]*)/i.exec(head)?.[1] ?? '';
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (/\r\nconnection: *close/i.test(head)) this.close();
    waiting.resolve({ status: Number(head.slice(9, 12)), location, setCookie, body });
  }
}

function expect(answer: Answer, ok: (status: number) => boolean, what: string): Answer {
  if (!ok(answer.status)) throw new Error(`${what} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  return answer;
}

/**
 * Cookie jar of one simulated browser: name=value pairs per origin (the roles of a deployment live
 * on hosts of their own), no paths or expiry.
 */
export class Jar {
  readonly #cookies = new Map<string, Map<string, string>>();
  constructor(headers: Record<string, string> = {}) {
    for (const [origin, header] of Object.entries(headers))
      for (const pair of header.split('; ').filter(Boolean)) this.#set(origin, pair);
  }
  #set(origin: string, pair: string) {
    const at = pair.indexOf('=');
    const cookies = this.#cookies.get(origin) ?? new Map<string, string>();
    this.#cookies.set(origin, cookies);
    if (at > 0 && pair.length > at + 1) cookies.set(pair.slice(0, at), pair.slice(at + 1));
    else if (at > 0) cookies.delete(pair.slice(0, at));
  }
  take(url: URL, setCookie: string[]) {
    for (const line of setCookie) {
      const pair = line.split(';')[0] ?? '';
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.#set(url.origin, `${pair.split('=')[0]}=`);
      else this.#set(url.origin, pair);
    }
  }
  header(url: URL): string {
    return [...(this.#cookies.get(url.origin) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  /** The cookie header of every origin, to start other browsers from. */
  all(): Record<string, string> {
    return Object.fromEntries(
      [...this.#cookies.keys()].map((origin) => [origin, this.header(new URL(origin))]),
    );
  }
}

async function codeExchange(tokenUrl: string, basic: string, redirectUri: string, code: string) {
  const answer = await send(
    'POST',
    tokenUrl,
    { authorization: basic, 'content-type': FORM },
    new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }).toString(),
  );
  return JSON.parse(expect(answer, (s) => s === 200, 'token endpoint').body) as { refresh_token?: string };
}

/**
 * Follows redirects from `start` (one browser, `jar`), and on a page the first link matching
 * `click`, until sent to a URL starting with `stopAt`; returns that URL.
 */
export async function runChain(start: string, jar: Jar, stopAt: string, click?: RegExp): Promise<URL> {
  let url = new URL(start);
  for (let hop = 0; hop < 20; hop++) {
    const answer = await send('GET', url.href, { cookie: jar.header(url) });
    jar.take(url, answer.setCookie);
    const link = answer.status === 200 && click ? click.exec(answer.body)?.[1] : undefined;
    if (link) url = new URL(link.replaceAll('&amp;', '&'), url);
    else if (answer.status >= 300 && answer.status < 400) url = new URL(answer.location, url);
    else throw new Error(`chain stopped at ${url.href} with ${answer.status}: ${answer.body.slice(0, 300)}`);
    if (url.href.startsWith(stopAt)) return url;
  }
  throw new Error(`chain from ${start} did not reach ${stopAt}`);
}

/**
 * One lean connection per simulated client (see `LeanConnection`), for the scenarios whose
 * requests all go to one host: the load's own work per request stays small and does not grow with
 * the number of headers an answer carries.
 */
function leanConnections(url: URL, connections: number): (client: number) => LeanConnection {
  const all = Array.from({ length: connections }, () => new LeanConnection(url));
  return (client) => {
    const connection = all[client];
    if (!connection) throw new Error(`no connection for client ${client}`);
    return connection;
  };
}

/** One operation function per simulated client for `scenario`. */
async function clientsFor(scenario: Scenario, connections: number): Promise<Array<() => Promise<void>>> {
  const each = (once: (client: number) => Promise<void>) =>
    Array.from({ length: connections }, (_, client) => () => once(client));
  switch (scenario.kind) {
    case 'bearer-get': {
      const url = new URL(scenario.url);
      const lean = leanConnections(url, connections);
      return each(async (client) => {
        const token = scenario.tokens[client % scenario.tokens.length] ?? '';
        expect(
          await lean(client).request('GET', url, { authorization: `Bearer ${token}` }),
          (s) => s === 200,
          scenario.url,
        );
      });
    }
    case 'code': {
      const authorizeUrl = new URL(scenario.authorizeUrl);
      const tokenUrl = new URL(scenario.tokenUrl);
      const lean = leanConnections(authorizeUrl, connections);
      return each(async (client) => {
        const connection = lean(client);
        const answer = await connection.request('GET', authorizeUrl, { cookie: scenario.cookie });
        const code = new URL(answer.location || 'http://none/', authorizeUrl).searchParams.get('code');
        if (!code) throw new Error(`authorization answered ${answer.status} ${answer.location}`);
        const body = new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: scenario.redirectUri,
        });
        const issued = await connection.request(
          'POST',
          tokenUrl,
          { authorization: scenario.basic, 'content-type': FORM },
          body.toString(),
        );
        expect(issued, (s) => s === 200, 'token endpoint');
      });
    }
    case 'refresh': {
      const chains = [...scenario.refreshTokens];
      const tokenUrl = new URL(scenario.tokenUrl);
      const lean = leanConnections(tokenUrl, connections);
      return each(async (client) => {
        const at = client % chains.length;
        const answer = await lean(client).request(
          'POST',
          tokenUrl,
          { authorization: scenario.basic, 'content-type': FORM },
          new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chains[at] ?? '' }).toString(),
        );
        const issued = JSON.parse(expect(answer, (s) => s === 200, 'refresh grant').body) as {
          refresh_token?: string;
        };
        if (issued.refresh_token) chains[at] = issued.refresh_token;
      });
    }
    case 'login': {
      const browsers: Array<{ cookie: string; csrf: string }> = [];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (browsers.length < scenario.browsers) {
            const page = await send('GET', scenario.url, {});
            const cookie = (page.setCookie[0] ?? '').split(';')[0] ?? '';
            const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
            if (!cookie || !csrf) throw new Error(`login page answered ${page.status} without a form`);
            browsers.push({ cookie, csrf });
          }
        }),
      );
      let next = 0;
      const url = new URL(scenario.url);
      const password = encodeURIComponent(scenario.password);
      const lean = leanConnections(url, connections);
      return each(async (client) => {
        const turn = next++;
        const browser = browsers[turn % browsers.length];
        if (turn >= browsers.length) throw new Error('ran out of login browsers; give more');
        const username = scenario.usernames[turn % scenario.usernames.length] ?? '';
        const answer = await lean(client).send(
          `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncookie: ${browser?.cookie ?? ''}\r\ncontent-type: ${FORM}`,
          `_csrf=${encodeURIComponent(browser?.csrf ?? '')}&username=${encodeURIComponent(username)}&password=${password}`,
        );
        // A sign-in redirects onwards; a refused one shows the form again (200) or sheds (503).
        expect(answer, (s) => s === 302 || s === 303, 'login');
      });
    }
    case 'chain': {
      const click = scenario.click ? new RegExp(scenario.click) : undefined;
      return each(async (client) => {
        const jar = new Jar(scenario.cookies[client % scenario.cookies.length]);
        const end = await runChain(scenario.start, jar, scenario.stopAt, click);
        const code = end.searchParams.get('code');
        if (scenario.finish) {
          if (!code) throw new Error(`chain ended without a code: ${end.href}`);
          await codeExchange(
            scenario.finish.tokenUrl,
            scenario.finish.basic,
            scenario.finish.redirectUri,
            code,
          );
        }
      });
    }
  }
}

/**
 * Runs the clients for `ms`. With `rate` (operations per second over all clients), each client
 * starts its operations on a fixed schedule instead of back to back, and a latency counts from the
 * scheduled start: an operation that waited for the one before it shows the wait (no coordinated
 * omission).
 */
async function slice(clients: Array<() => Promise<void>>, ms: number, rate?: number): Promise<SliceResult> {
  const started = performance.now();
  const end = started + ms;
  const latencies: number[] = [];
  let failed = 0;
  let failure: string | undefined;
  const interval = rate ? (clients.length * 1000) / rate : 0;
  await Promise.all(
    clients.map(async (once, index) => {
      let scheduled = started + (interval * index) / clients.length;
      while (performance.now() < end && scheduled < end) {
        if (interval) {
          const wait = scheduled - performance.now();
          // Timers count whole milliseconds: rounded up, an operation does not start early.
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
        }
        // From the scheduled start when it is late (the wait shows), from the start itself otherwise.
        const at = interval ? Math.min(scheduled, performance.now()) : performance.now();
        scheduled += interval;
        try {
          await once();
          latencies.push(performance.now() - at);
        } catch (error) {
          failed++;
          failure ??= (error as Error).message;
          if (failed > 1000) return;
        }
      }
    }),
  );
  return { done: latencies.length, failed, elapsed: performance.now() - started, latencies, failure };
}

const CHILD_FLAG = 'EDUGATE_BENCH_HTTP_LOAD';

if (process.env[CHILD_FLAG] && process.send) {
  const reply = process.send.bind(process);
  let clients: Array<() => Promise<void>> = [];
  process.on(
    'message',
    async (message: { scenario: Scenario; connections: number } | { ms: number; rate?: number }) => {
      try {
        if ('scenario' in message) {
          clients = await clientsFor(message.scenario, message.connections);
          reply({ ready: true });
        } else reply(await slice(clients, message.ms, message.rate));
      } catch (error) {
        reply({ error: (error as Error).message });
      }
    },
  );
}

/**
 * A load process: `run(ms)` runs one slice of `scenario` and gives its counts and latencies;
 * `run(ms, rate)` paces it at `rate` operations per second (see `slice`).
 */
export interface LoadProcess {
  pid: number;
  run(ms: number, rate?: number): Promise<SliceResult>;
  stop(): Promise<void>;
}

/** Forks a load process for `scenario` with `connections` simulated clients. */
export async function startHttpLoad(scenario: Scenario, connections: number): Promise<LoadProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_FLAG]: '1' },
    serialization: 'advanced',
  });
  const ask = <T>(message: unknown) =>
    new Promise<T>((resolve, reject) => {
      const failed = (code: number | null) => reject(new Error(`the load process ended (${code})`));
      child.once('exit', failed);
      child.once('message', (answer: T | { error: string }) => {
        child.off('exit', failed);
        if (answer && typeof answer === 'object' && 'error' in answer) reject(new Error(answer.error));
        else resolve(answer as T);
      });
      child.send(message as object);
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await gone;
  };
  try {
    await ask<{ ready: true }>({ scenario, connections });
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid ?? 0, run: (ms, rate) => ask<SliceResult>({ ms, rate }), stop };
}
