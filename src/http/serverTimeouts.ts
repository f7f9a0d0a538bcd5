import http, { type RequestListener, type Server } from 'node:http';

/** How long one client may take to send a request, so that slow or stalled clients cannot hold sockets open. */
export interface ServerTimeouts {
  /** Time allowed to receive the request line and headers. */
  readonly headersTimeoutMs: number;
  /** Time allowed to receive the whole request, body included. Must not be shorter than headersTimeoutMs. */
  readonly requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Longer than the client's own idle timeout (Go's default
   * transport, which ZITADEL's HTTP client builds on, keeps idle connections 90 s), so the client always closes
   * first: a webhook sent on a connection the server is closing at that very moment is lost, because Go never
   * retries a POST, and with interruptOnError that is a failed login. Node's default is 5 s.
   */
  readonly keepAliveTimeoutMs: number;
  /**
   * How often Node looks for connections past those limits. It can only be set when the server is created, and
   * Node's default (30 s) would let a stalled client hold its socket up to 30 s beyond them.
   */
  readonly checkIntervalMs: number;
}

/** Node's own defaults are 60 s and 300 s; ZITADEL sends a small body at once, so seconds are plenty. */
export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 95_000,
  checkIntervalMs: 1_000,
});

/** Sets the header, request and keep-alive timeouts on an existing server (the check interval stays as created). */
export function applyServerTimeouts(
  server: Server,
  timeouts: ServerTimeouts = DEFAULT_SERVER_TIMEOUTS,
): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
}

/**
 * An HTTP server for `listener` that closes connections whose request is not complete in time: Node answers them
 * with 408 and closes the socket. Used by `main` and by the tests that play slow clients.
 */
export function createServerWithTimeouts(
  listener: RequestListener,
  timeouts: ServerTimeouts = DEFAULT_SERVER_TIMEOUTS,
): Server {
  const server = http.createServer({ connectionsCheckingInterval: timeouts.checkIntervalMs }, listener);
  applyServerTimeouts(server, timeouts);
  return server;
}
