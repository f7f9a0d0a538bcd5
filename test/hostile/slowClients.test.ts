import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SERVER_TIMEOUTS,
  createServerWithTimeouts,
  type ServerTimeouts,
} from '../../src/http/serverTimeouts.js';
import { buildHarness, TEST_SIGNING_KEY } from '../support/harness.js';
import { createSessionResponse, signatureHeader } from '../support/webhooks.js';
import {
  expectClosedOrRefused,
  forbidZitadelCalls,
  listen,
  rawExchange,
  sleep,
  type ListeningServer,
} from './hostileSupport.js';

// The same mechanism main.ts uses, with the limits cut from 10 s / 15 s to fractions of a second.
const TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 50,
};
// How long a test waits for the server to close: far beyond every limit above, far below Node's own defaults
// (60 s for headers, 300 s for a request). A close before it is the server's timeouts at work, and nothing here
// times the close with a stopwatch, which on a busy machine would measure the machine.
const WAIT_MS = 15_000;
// A dribbling client never stops by itself: it writes until the socket is gone. A timeout that activity resets
// would therefore never close it, and the exchange would end on WAIT_MS with the connection still open; a close is
// the server cutting it off mid-dribble. Nothing compares how far it got with a time budget.
const BODY = createSessionResponse({
  id: '300000000000000001',
  userId: '300000000000000777',
  creationDate: new Date(),
});
const HEADERS = `POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\nZITADEL-Signature: ${signatureHeader(BODY, TEST_SIGNING_KEY)}\r\n\r\n`;

forbidZitadelCalls();

describe('slow and stalled clients are cut off by the server timeouts', () => {
  let server: ListeningServer;
  beforeAll(async () => {
    server = await listen(buildHarness().app, TIMEOUTS);
  });
  afterAll(() => server.close());

  it('closes a connection that sends nothing', async () => {
    const exchange = await rawExchange(server.port, () => undefined, WAIT_MS);
    expectClosedOrRefused(exchange);
  });

  it('closes a connection that stalls inside the request line', async () => {
    const exchange = await rawExchange(server.port, (socket) => socket.write('POST /session/man'), WAIT_MS);
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(408);
  });

  it('closes a connection that stalls in the middle of the headers', async () => {
    const exchange = await rawExchange(server.port, (socket) => socket.write(HEADERS.slice(0, 80)), WAIT_MS);
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(408);
  });

  it('closes a slow-loris connection that dribbles header bytes to stay active', async () => {
    let dribbled = 0;
    const exchange = await rawExchange(
      server.port,
      async (socket) => {
        socket.write('POST /session/manage HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        for (; !socket.destroyed; dribbled++) {
          socket.write('a');
          await sleep(25);
        }
      },
      WAIT_MS,
    );
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(408);
    // Cut off while it was still dribbling (it never stops on its own): activity did not keep the connection open.
    expect(dribbled).toBeGreaterThan(0);
  });

  it('closes a connection that sends complete headers and then no body', async () => {
    const exchange = await rawExchange(server.port, (socket) => socket.write(HEADERS), WAIT_MS);
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(408);
  });

  it('closes a connection that sends half the body and stalls', async () => {
    const exchange = await rawExchange(
      server.port,
      (socket) => socket.write(HEADERS + BODY.slice(0, Math.floor(BODY.length / 2))),
      WAIT_MS,
    );
    expectClosedOrRefused(exchange);
    expect(exchange.status).toBe(408);
  });

  it('closes a connection that dribbles a chunked body forever', async () => {
    let dribbled = 0;
    const exchange = await rawExchange(
      server.port,
      async (socket) => {
        socket.write(HEADERS.replace(/Content-Length: [0-9]+\r\n/, 'Transfer-Encoding: chunked\r\n'));
        for (; !socket.destroyed; dribbled++) {
          socket.write('1\r\n \r\n');
          await sleep(20);
        }
      },
      WAIT_MS,
    );
    expectClosedOrRefused(exchange);
    // Cut off while it was still dribbling (it never stops on its own).
    expect(dribbled).toBeGreaterThan(0);
  });

  it('keeps answering prompt clients while five others stall, then closes the stalled ones', async () => {
    const stalled = [1, 2, 3, 4, 5].map(() =>
      rawExchange(server.port, (socket) => socket.write(HEADERS), WAIT_MS),
    );
    // While five clients stall, a prompt one is answered at once.
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: server.port, path: '/healthz' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    for (const exchange of await Promise.all(stalled)) expectClosedOrRefused(exchange);
  });
});

describe('the timeouts main.ts uses', () => {
  it('are seconds, not Node’s minutes, and are checked every second', () => {
    expect(DEFAULT_SERVER_TIMEOUTS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      keepAliveTimeoutMs: 95_000,
      checkIntervalMs: 1_000,
    });
    const server = createServerWithTimeouts(() => undefined);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(15_000);
  });

  it('tell keep-alive clients that an idle connection stays open 95 s, past Go’s 90 s idle timeout', async () => {
    const server = createServerWithTimeouts((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const exchange = await rawExchange(
        port,
        (socket) => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'),
        500,
      );
      expect(exchange.status).toBe(200);
      expect(exchange.closed).toBe(false);
      expect(exchange.response).toMatch(/\r\nKeep-Alive: timeout=95\r\n/i);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
