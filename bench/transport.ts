/**
 * `npm run bench:transport`: what one ZITADEL call costs our process under each transport the axios API can sit on,
 * and what each per-request extra of the limiter costs, in µs per call, measured once side by side (issue #17).
 *
 * Transports (one local HTTP server answering a three-row session search, keep-alive everywhere):
 *   - axios, its default http adapter (node:http), as src/zitadel/transport.ts is configured;
 *   - axios, its fetch adapter over Node's built-in fetch;
 *   - axios, its fetch adapter over the undici package's fetch and a keep-alive Agent (optional: undici is not a
 *     dependency; `npm install --no-save undici@7` — undici 8 needs Node 22.19, 7 installs on Node 20.18.1+);
 *   - bare node:http and bare fetch, the floor under each.
 * Extras: zod parsing of the search answer, AbortSignal.any over the deadline and a per-attempt timeout,
 * AsyncLocalStorage.run around a call, and morgan's access log on one express request.
 *
 * Each line: µs of wall time per call with one call at a time, and µs of CPU (process.cpuUsage: client and server
 * both, the server's share being the same for every transport) per call with 64 in flight.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { type AxiosInstance } from 'axios';
import express from 'express';
import { accessLog } from '../src/http/accessLog.js';
import { listSessionsResponseSchema } from '../src/zitadel/sessionSchema.js';
import { httpClientOptions } from '../src/zitadel/transport.js';

const CALLS = Number(process.env.BENCH_TRANSPORT_CALLS ?? '3000');
const IN_FLIGHT = 64;

const row = (id: string, minutesAgo: number) => ({
  id,
  creationDate: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  changeDate: new Date().toISOString(),
  sequence: '2',
  factors: {
    user: {
      verifiedAt: new Date().toISOString(),
      id: '312909075212468632',
      loginName: 'ada@example.com',
      displayName: 'Ada',
      organizationId: '312909075212468600',
    },
    password: { verifiedAt: new Date().toISOString() },
  },
  userAgent: { fingerprintId: 'fp-1', ip: '203.0.113.7', description: 'Firefox', header: {} },
  expirationDate: new Date(Date.now() + 86_400_000).toISOString(),
});
const SEARCH_ANSWER = {
  details: { totalResult: '3', timestamp: new Date().toISOString() },
  sessions: [row('312909075212468701', 30), row('312909075212468702', 20), row('312909075212468703', 10)],
};
const SEARCH_BODY = {
  query: { offset: '0', limit: 500, asc: false },
  queries: [{ userIdQuery: { id: '312909075212468632' } }],
  sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE',
};

interface Line {
  readonly label: string;
  readonly sequentialUs: number;
  readonly cpuUsAt64: number;
}

async function measure(label: string, once: () => Promise<unknown>): Promise<Line> {
  for (let i = 0; i < CALLS / 10; i++) await once();
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await once();
  const sequentialUs = Number(process.hrtime.bigint() - start) / 1000 / CALLS;
  let left = CALLS;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await once();
    }),
  );
  const used = process.cpuUsage(cpu);
  const line = { label, sequentialUs, cpuUsAt64: (used.user + used.system) / CALLS };
  console.log(
    `${label.padEnd(64)} ${line.sequentialUs.toFixed(1).padStart(8)} µs/call ${line.cpuUsAt64.toFixed(1).padStart(8)} µs CPU/call @64`,
  );
  return line;
}

/** A synchronous extra: µs per operation, a million-ish times in a row. */
function perOp(label: string, count: number, run: () => unknown): number {
  for (let i = 0; i < count / 10; i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) run();
  const us = Number(process.hrtime.bigint() - start) / 1000 / count;
  console.log(`${label.padEnd(64)} ${us.toFixed(2).padStart(8)} µs/op`);
  return us;
}

async function listen(server: http.Server): Promise<string> {
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Undici {
  fetch: typeof fetch;
  Request: unknown;
  Response: unknown;
  Agent: new (options: object) => object;
}

/** Our transport's own options (src/zitadel/transport.ts), with the adapter and fetch swapped. */
function axiosWith(baseURL: string, extra: Parameters<typeof axios.create>[0]): AxiosInstance {
  return axios.create({ ...httpClientOptions(baseURL, IN_FLIGHT), ...extra });
}

async function optionalUndici(): Promise<Undici | undefined> {
  try {
    // A variable, so that the type checker does not look for a package that is not a dependency.
    const name = 'undici';
    return (await import(name)) as Undici;
  } catch {
    console.log('(undici is not installed: npm install --no-save undici@7 to measure it)');
    return undefined;
  }
}

async function main(): Promise<void> {
  const answer = JSON.stringify(SEARCH_ANSWER);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  const url = await listen(server);
  const call = { method: 'POST', url: '/v2/sessions/search', data: SEARCH_BODY } as const;
  const auth = { Authorization: 'Bearer bench-pat' };
  console.log(
    `one session search (${answer.length} bytes answered), ${CALLS} calls each; Node ${process.version}`,
  );

  const lines: Line[] = [];
  const nodeAgent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const body = JSON.stringify(SEARCH_BODY);
  lines.push(
    await measure('node:http, bare (the floor)', () => {
      return new Promise<unknown>((resolve, reject) => {
        const req = http.request(
          `${url}/v2/sessions/search`,
          {
            method: 'POST',
            agent: nodeAgent,
            headers: {
              ...auth,
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }),
  );
  lines.push(
    await measure('fetch (Node built-in), bare', async () => {
      const res = await fetch(`${url}/v2/sessions/search`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body,
      });
      return res.json();
    }),
  );
  const viaHttp = axiosWith(url, {});
  lines.push(
    await measure('axios, http adapter (src/zitadel/transport.ts today)', () =>
      viaHttp.request({ ...call, headers: auth }),
    ),
  );
  const viaFetch = axiosWith(url, { adapter: 'fetch' });
  lines.push(
    await measure("axios, adapter: 'fetch' (Node built-in fetch)", () =>
      viaFetch.request({ ...call, headers: auth }),
    ),
  );
  const undici = await optionalUndici();
  if (undici !== undefined) {
    const dispatcher = new undici.Agent({ keepAliveTimeout: 30_000, connections: IN_FLIGHT });
    const viaUndici = axiosWith(url, {
      adapter: 'fetch',
      // axios builds the Request itself: it must be undici's own, or undici's fetch refuses it.
      env: { fetch: undici.fetch, Request: undici.Request, Response: undici.Response } as object,
      fetchOptions: { dispatcher },
    });
    lines.push(
      await measure("axios, adapter: 'fetch' over undici 7 fetch + Agent", () =>
        viaUndici.request({ ...call, headers: auth }),
      ),
    );
  }

  console.log('\nper-request extras');
  const deadline = new AbortController();
  // 10,000, not a million: AbortSignal.timeout's timer cannot be cleared, so a long loop would measure a timer heap
  // far larger than a server's (a few hundred calls a second, each timer 5 s).
  perOp('AbortSignal.any([deadline, AbortSignal.timeout(5 s)])', 10_000, () =>
    AbortSignal.any([deadline.signal, AbortSignal.timeout(5_000)]),
  );
  perOp('AbortController + setTimeout + deadline listener, cleared after', 10_000, () => {
    const attempt = new AbortController();
    const abort = () => attempt.abort();
    const timer = setTimeout(abort, 5_000);
    deadline.signal.addEventListener('abort', abort, { once: true });
    clearTimeout(timer);
    deadline.signal.removeEventListener('abort', abort);
    return attempt.signal;
  });
  perOp('zod: listSessionsResponseSchema.safeParse (3 rows)', 100_000, () =>
    listSessionsResponseSchema.safeParse(SEARCH_ANSWER),
  );
  perOp('JSON.parse of the same answer (for scale)', 100_000, () => JSON.parse(answer));
  lines.push(
    await measure('axios http adapter + AbortSignal.any attempt signal (today)', () =>
      viaHttp.request({
        ...call,
        headers: auth,
        signal: AbortSignal.any([deadline.signal, AbortSignal.timeout(5_000)]),
      }),
    ),
  );
  lines.push(
    await measure('axios http adapter + cleared AbortController attempt signal', async () => {
      const attempt = new AbortController();
      const abort = () => attempt.abort();
      const timer = setTimeout(abort, 5_000);
      deadline.signal.addEventListener('abort', abort, { once: true });
      try {
        return await viaHttp.request({ ...call, headers: auth, signal: attempt.signal });
      } finally {
        clearTimeout(timer);
        deadline.signal.removeEventListener('abort', abort);
      }
    }),
  );
  const scope = new AsyncLocalStorage<object>();
  const store = {};
  lines.push(
    await measure('axios http adapter inside AsyncLocalStorage.run', () =>
      scope.run(store, () => viaHttp.request({ ...call, headers: auth })),
    ),
  );

  const app = (withMorgan: boolean) => {
    const built = express();
    if (withMorgan) built.use(accessLog(() => undefined));
    built.post('/session/manage', (_req, res) => {
      res.json({ outcome: 'within_limit' });
    });
    return http.createServer(built);
  };
  const plainServer = app(false);
  const loggedServer = app(true);
  const plainUrl = await listen(plainServer);
  const loggedUrl = await listen(loggedServer);
  const post = (base: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(`${base}/session/manage`, { method: 'POST', agent: nodeAgent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end('{}');
    });
  const express1 = await measure('express request, no access log', () => post(plainUrl));
  const express2 = await measure('express request, morgan access log (ours)', () => post(loggedUrl));
  console.log(
    `  morgan: +${(express2.sequentialUs - express1.sequentialUs).toFixed(1)} µs/request wall, ` +
      `+${(express2.cpuUsAt64 - express1.cpuUsAt64).toFixed(1)} µs CPU/request @64`,
  );

  const byLabel = (prefix: string) => lines.find((line) => line.label.startsWith(prefix));
  const today = byLabel('axios, http adapter')!;
  console.log('\nagainst axios with its http adapter (today), CPU per call @64:');
  for (const line of lines)
    console.log(`  ${line.label.padEnd(62)} ${(line.cpuUsAt64 / today.cpuUsAt64).toFixed(2)}×`);
  nodeAgent.destroy();
  await Promise.all([plainServer, loggedServer, server].map((s) => new Promise((r) => s.close(r))));
  process.exit(0);
}

await main();
