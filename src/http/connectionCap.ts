import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What the cap did with a connection beyond it; counts only, for logs and metrics. */
export interface ConnectionCapEvents {
  /** A connection that had not completed a request yet was closed to make room for a new one. */
  readonly evicted?: () => void;
  /** Every open connection has completed a request: the new one was closed at once. */
  readonly refused?: () => void;
}

/**
 * Holds at most `maxConnections` open connections. Node's own `server.maxConnections` closes every new connection
 * once the cap is reached, so a flood of sockets that send nothing — reopened as the header timeout closes them —
 * keeps ZITADEL's new connections out for as long as it lasts. Here a new connection beyond the cap instead closes
 * the oldest connection that has not completed a request yet (ZITADEL sends its request as soon as it has
 * connected; a socket that has been silent longest is the least likely to be anybody's webhook), and is itself
 * refused only when every open connection has completed a request. Connections that did — ZITADEL's keep-alive
 * pool among them — are never closed for room: a webhook sent on a connection closed at that moment is lost (Go
 * never retries a POST). The header timeout still ends each silent connection; this only decides who makes room.
 */
export function capConnections(
  server: Server,
  maxConnections: number,
  events: ConnectionCapEvents = {},
): void {
  const open = new Set<Socket>();
  // Insertion order is connection order: the first is the one that has been waiting longest.
  const withoutRequest = new Set<Socket>();
  const forget = (socket: Socket) => {
    open.delete(socket);
    withoutRequest.delete(socket);
  };
  server.on('connection', (socket: Socket) => {
    socket.once('close', () => forget(socket));
    if (open.size >= maxConnections) {
      const oldestSilent = withoutRequest.values().next().value;
      if (oldestSilent === undefined) {
        socket.destroy();
        events.refused?.();
        return;
      }
      forget(oldestSilent);
      oldestSilent.destroy();
      events.evicted?.();
    }
    open.add(socket);
    withoutRequest.add(socket);
  });
  server.on('request', (request: { socket: Socket }) => {
    withoutRequest.delete(request.socket);
  });
}
