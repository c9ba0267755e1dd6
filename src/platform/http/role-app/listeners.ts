import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyServerFactory } from 'fastify';
import { forwardedHeaderFilter, type TrustProxy } from '../proxy-trust.ts';

/** Fastify's own keep-alive default (the HTTP servers are built here, see `serverFactory`). */
const KEEP_ALIVE_MS = 72_000;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The HTTP servers of a role app: the public one (Fastify's, built by `serverFactory`) and the
 * admin listeners, and which one a request came in by (requests made with `inject()` came in by
 * neither). A request is handed to the front doors first (see front-doors.ts), then to Fastify.
 */
export class Listeners {
  readonly publicRequests = new WeakSet<IncomingMessage>();
  readonly adminRequests = new WeakSet<IncomingMessage>();
  readonly #adminServers: Server[] = [];
  readonly #filterForwarded: ((request: IncomingMessage) => void) | undefined;
  /** Fastify's request handler (set when Fastify builds its server). */
  #route: Handler = () => {};
  /** Ahead of Fastify: true when it served the request (see front-doors.ts). */
  frontDoor: (request: IncomingMessage, response: ServerResponse) => boolean = () => false;

  constructor(trustProxy: TrustProxy | undefined) {
    this.#filterForwarded = forwardedHeaderFilter(trustProxy);
  }

  /** Serves a raw request as the public server does: front doors, then Fastify. */
  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    this.#filterForwarded?.(request);
    if (!this.frontDoor(request, response)) this.#route(request, response);
  };

  readonly serverFactory: FastifyServerFactory = (fastify) => {
    this.#route = fastify;
    const server = createServer((request, response) => {
      this.#filterForwarded?.(request);
      if (this.frontDoor(request, response)) return;
      // Only what Fastify serves is marked (the admin routes' check); a front door needs no mark.
      this.publicRequests.add(request);
      this.#route(request, response);
    });
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    return server;
  };

  /** A second HTTP server for operators, straight into Fastify (no front door). */
  async listenAdmin(listen: { port: number; host: string }): Promise<AddressInfo> {
    const server = createServer((request, response) => {
      this.adminRequests.add(request);
      this.#filterForwarded?.(request);
      this.#route(request, response);
    });
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#adminServers.push(server);
    return server.address() as AddressInfo;
  }

  /** Closes the admin listeners and their kept-alive connections (the requests in flight are done). */
  async closeAdmin(): Promise<void> {
    await Promise.all(
      this.#adminServers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}
