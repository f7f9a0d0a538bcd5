import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { capConnections } from '../../src/http/connectionCap.js';
import { createServerWithTimeouts, DEFAULT_SERVER_TIMEOUTS } from '../../src/http/serverTimeouts.js';

// Every wait below is for an event of the server or a socket, never for a stretch of time.
const CAP = 5;

interface Fixture {
  readonly port: number;
  readonly evicted: number;
  readonly refused: number;
  /** Resolves once the server has seen `count` connections in all. */
  connections(count: number): Promise<void>;
}

let server: http.Server | undefined;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  const closing = server;
  server = undefined;
  if (closing === undefined) return;
  closing.closeAllConnections();
  await new Promise<void>((resolve) => closing.close(() => resolve()));
});

async function start(): Promise<Fixture> {
  const counts = { evicted: 0, refused: 0, seen: 0 };
  const waiters: { count: number; resolve: () => void }[] = [];
  // The header timeout as main.ts sets it (10 s): far longer than the test, so only the cap can close anything.
  const started = createServerWithTimeouts((_req, res) => res.end('ok'), DEFAULT_SERVER_TIMEOUTS);
  capConnections(started, CAP, {
    evicted: () => (counts.evicted += 1),
    refused: () => (counts.refused += 1),
  });
  started.on('connection', () => {
    counts.seen += 1;
    for (const waiter of waiters.filter((w) => counts.seen >= w.count)) waiter.resolve();
  });
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  server = started;
  return {
    port: (started.address() as AddressInfo).port,
    get evicted() {
      return counts.evicted;
    },
    get refused() {
      return counts.refused;
    },
    connections: (count) =>
      counts.seen >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
  };
}

/** A socket that connects and sends nothing; `closed` resolves when the server closes it. */
function silentSocket(port: number): { socket: net.Socket; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  sockets.push(socket);
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

/** One request on a new connection (no agent, no keep-alive): the status, or the error code. */
function getOnNewConnection(port: number, agent: http.Agent | false = false): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('a flood of connections that send nothing cannot keep a webhook out', () => {
  it('a new connection beyond MAX_CONNECTIONS is served: the oldest silent connection makes room', async () => {
    const fixture = await start();
    const silent = Array.from({ length: CAP }, () => silentSocket(fixture.port));
    await fixture.connections(CAP);

    const status = await getOnNewConnection(fixture.port);

    expect(status).toBe(200);
    expect(fixture.evicted).toBe(1);
    expect(fixture.refused).toBe(0);
    await silent[0]!.closed; // the one that waited longest
    expect(silent.slice(1).every(({ socket }) => !socket.destroyed)).toBe(true);
  });

  it('keeps serving while the flood reopens every connection it loses, as often as it likes', async () => {
    const fixture = await start();
    let seen = 0;
    const reopen = () => {
      const { closed } = silentSocket(fixture.port);
      seen += 1;
      void closed.then(() => {
        if (server !== undefined && seen < 200) reopen();
      });
    };
    for (let i = 0; i < CAP; i++) reopen();
    await fixture.connections(CAP);

    const statuses: (number | string)[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await getOnNewConnection(fixture.port));

    expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
  });

  it('never closes a connection that completed a request (a keep-alive pool) to make room', async () => {
    const fixture = await start();
    const pool = new http.Agent({ keepAlive: true, maxSockets: CAP });
    // CAP keep-alive connections, each proven by one request, then idle in the pool.
    const first = await Promise.all(
      Array.from({ length: CAP }, () => getOnNewConnection(fixture.port, pool)),
    );
    expect(first).toEqual(Array.from({ length: CAP }, () => 200));
    await fixture.connections(CAP);

    const { closed } = silentSocket(fixture.port);
    await closed; // refused at once: there is no silent connection to make room

    expect(fixture.refused).toBe(1);
    expect(fixture.evicted).toBe(0);
    // The pool's connections are all still open and serve the next webhook without reconnecting.
    expect(await getOnNewConnection(fixture.port, pool)).toBe(200);
    pool.destroy();
  });
});
