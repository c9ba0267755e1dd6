import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { freePort } from './ports.ts';

/**
 * A TCP proxy in front of a dependency (PostgreSQL, Redis) that a test can break the way networks
 * and servers break:
 * - `stall()`: stops forwarding in both directions; connections stay open, bytes wait (a frozen
 *   server, a congested or partitioned network); new connections are accepted and wait too;
 * - `reset()`: destroys every open connection (a restart, a failover, a reset TCP connection);
 *   new ones go through;
 * - `blackHole()`: stops forwarding on the open connections and accepts new ones without ever
 *   answering (a dropped route, a firewall discarding packets);
 * - `refuse()`: closes every connection and stops listening (connections are refused: the server
 *   is down);
 * - `heal()`: back to forwarding (connections that were black-holed are closed, as they would
 *   time out; the stalled ones go on with what waited).
 */
export class FaultProxy {
  readonly port: number;
  readonly #target: { host: string; port: number };
  #server: Server;
  #mode: 'forward' | 'stall' | 'black-hole' | 'refuse' = 'forward';
  readonly #pairs = new Set<Pair>();
  readonly #swallowed = new Set<Socket>();

  private constructor(port: number, target: { host: string; port: number }) {
    this.port = port;
    this.#target = target;
    this.#server = this.#listen();
  }

  /** A proxy on a free local port in front of `target` (a URL such as `postgresql://…@host:port/db`). */
  static async start(target: string): Promise<FaultProxy> {
    const url = new URL(target);
    const proxy = new FaultProxy(await freePort(), {
      host: url.hostname,
      port: Number(url.port || (url.protocol.startsWith('redis') ? 6379 : 5432)),
    });
    await proxy.#listening();
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Connections open through the proxy right now. */
  get connections(): number {
    return this.#pairs.size + this.#swallowed.size;
  }

  /** Local ports of the proxy's connections to the target (`pg_stat_activity.client_port`). */
  get upstreamPorts(): number[] {
    return [...this.#pairs].flatMap((pair) => (pair.upstreamPort ? [pair.upstreamPort] : []));
  }

  stall(): void {
    this.#mode = 'stall';
    for (const pair of this.#pairs) pair.hold();
  }

  reset(): void {
    for (const pair of this.#pairs) pair.destroy();
    this.#pairs.clear();
  }

  blackHole(): void {
    this.#mode = 'black-hole';
    for (const pair of this.#pairs) pair.hold();
  }

  async refuse(): Promise<void> {
    this.#mode = 'refuse';
    this.reset();
    for (const socket of this.#swallowed) socket.destroy();
    this.#swallowed.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async heal(): Promise<void> {
    const was = this.#mode;
    this.#mode = 'forward';
    for (const socket of this.#swallowed) socket.destroy();
    this.#swallowed.clear();
    if (was === 'refuse') {
      this.#server = this.#listen();
      await this.#listening();
    }
    for (const pair of this.#pairs) pair.flow();
  }

  async close(): Promise<void> {
    this.#mode = 'refuse';
    this.reset();
    for (const socket of this.#swallowed) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #listen(): Server {
    const server = createServer((client) => this.#accept(client));
    server.on('error', () => {});
    server.listen(this.port, '127.0.0.1');
    return server;
  }

  #listening(): Promise<void> {
    if (this.#server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#server.once('listening', resolve);
      this.#server.once('error', reject);
    });
  }

  #accept(client: Socket): void {
    client.on('error', () => {});
    if (this.#mode === 'black-hole' || this.#mode === 'refuse') {
      // Read and discard: the connection is open, nothing ever comes back.
      this.#swallowed.add(client);
      client.on('data', () => {});
      client.on('close', () => this.#swallowed.delete(client));
      return;
    }
    const pair = new Pair(client, tcpConnect(this.#target.port, this.#target.host), () =>
      this.#pairs.delete(pair),
    );
    this.#pairs.add(pair);
    if (this.#mode === 'stall') pair.hold();
  }
}

/** One proxied connection: bytes forwarded both ways unless held. */
class Pair {
  readonly #client: Socket;
  readonly #upstream: Socket;
  #held = false;

  constructor(client: Socket, upstream: Socket, onClose: () => void) {
    this.#client = client;
    this.#upstream = upstream;
    upstream.on('error', () => {});
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (!to.write(chunk)) from.pause();
      });
      to.on('drain', () => {
        if (!this.#held) from.resume();
      });
      from.on('close', () => {
        to.destroy();
        onClose();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  }

  get upstreamPort(): number | undefined {
    return this.#upstream.localPort;
  }

  /** Stops reading either side: what is sent waits in the sockets' buffers. */
  hold(): void {
    this.#held = true;
    this.#client.pause();
    this.#upstream.pause();
  }

  flow(): void {
    this.#held = false;
    this.#client.resume();
    this.#upstream.resume();
  }

  destroy(): void {
    this.#client.resetAndDestroy();
    this.#upstream.resetAndDestroy();
  }
}
