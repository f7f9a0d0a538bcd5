import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Express } from 'express';
import { createServerWithTimeouts, type ServerTimeouts } from '../../src/http/serverTimeouts.js';
import { SIGNATURE_HEADER_FORM } from '../../src/http/webhookRoute.js';

/**
 * Shared by the hostile suites: nothing here may reach ZITADEL. Every outgoing request that is not loopback traffic
 * (supertest, our own sockets) is refused by nock and recorded, and each test ends by asserting none was made.
 */
export function forbidZitadelCalls(): { readonly attempted: string[] } {
  const attempted: string[] = [];
  const onNoMatch = (request: { hostname?: string; host?: string; method?: string; path?: string }) => {
    const host = request.hostname ?? request.host ?? '';
    if (host === '127.0.0.1' || host.startsWith('127.0.0.1:') || host === 'localhost') return;
    attempted.push(`${request.method ?? '?'} ${host}${request.path ?? ''}`);
  };
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    const calls = attempted.splice(0);
    expect(calls, 'the limiter called ZITADEL').toEqual([]);
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
  });
  return { attempted };
}

/** A refusal: a 4xx with a terse JSON code, never a 2xx, a 5xx or an echo of the input. */
export function expectRefused(res: { status: number; body: unknown }, status?: number): void {
  if (status === undefined) {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  } else {
    expect(res.status).toBe(status);
  }
}

/** The body of a refusal: one terse code, nothing of the caller's input. */
export function expectTerseError(body: unknown, code: RegExp = /^[a-z_]+$/): void {
  const { error, expected } = body as { error: unknown; expected?: unknown };
  // signature_malformed also says which header form was expected: a constant, never built from the input.
  const keys = error === 'signature_malformed' ? ['error', 'expected'] : ['error'];
  expect(typeof body === 'object' && body !== null ? Object.keys(body) : body).toEqual(keys);
  expect(error).toMatch(code);
  if (error === 'signature_malformed') expect(expected).toBe(SIGNATURE_HEADER_FORM);
}

export interface ListeningServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** The app on a real socket (127.0.0.1, port 0), with the same timeout mechanism main.ts uses, made short. */
export async function listen(app: Express, timeouts: ServerTimeouts): Promise<ListeningServer> {
  const server = createServerWithTimeouts(app, timeouts);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawExchange {
  /** The status of the first final response on the connection, if the server sent one. */
  readonly status: number | undefined;
  /** Whether the server closed the connection before `waitMs` ran out. */
  readonly closed: boolean;
  /** How long after connecting the connection closed (or the wait ended). */
  readonly elapsedMs: number;
  readonly response: string;
}

/**
 * Talks HTTP by hand over a socket, for what no well-behaved client sends: raw bytes in headers, stalls, dribbles.
 * `script` writes to the socket; the promise settles when the server closes the connection or `waitMs` passes.
 */
export function rawExchange(
  port: number,
  script: (socket: net.Socket) => unknown,
  waitMs: number,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString('latin1');
      // The first final status: a `100 Continue` is only an interim answer.
      const status = [...response.matchAll(/^HTTP\/1\.[01] ([0-9]{3})/gm)]
        .map((match) => Number(match[1]))
        .find((code) => code >= 200);
      resolve({ status, closed, elapsedMs: Date.now() - started, response });
      socket.destroy();
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset is a close too: the server refused the connection, which is an acceptable answer to abuse.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      void Promise.resolve(script(socket)).catch(() => finish(true));
    });
  });
}

/** Ends an exchange with a 4xx answer or a bare close, and never with a 5xx or a hang. */
export function expectClosedOrRefused(exchange: RawExchange): void {
  expect(exchange.closed, 'the server kept the connection open').toBe(true);
  if (exchange.status !== undefined) {
    expect(exchange.status).toBeGreaterThanOrEqual(400);
    expect(exchange.status).toBeLessThan(500);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
