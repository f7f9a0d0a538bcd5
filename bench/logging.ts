/**
 * Our logger and access log against pino and pino-http, measured once, side by side (issue 16: switch only if
 * pino is at least as fast). pino and pino-http are not dependencies of the project; install them for a run:
 *
 *   npm install --no-save pino pino-http && npx tsx bench/logging.ts
 *
 * Both write to a sink that drops the line, so the numbers are the cost of building and serialising a line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { accessLog } from '../src/http/accessLog.js';
import { createLogger } from '../src/logging/logger.js';

// pino's types are not installed with the project, so the few calls made here are typed by hand: the bench must
// type-check (and the project build) without pino present.
interface PinoLogger {
  info(fields: object, message: string): void;
  child(bindings: object): PinoLogger;
}
interface Pino {
  pino: ((options: object, stream: { write(line: string): boolean }) => PinoLogger) & {
    stdTimeFunctions: { isoTime: () => string };
  };
}
interface PinoHttp {
  pinoHttp: (options: object) => RequestHandler;
}

async function optional<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    console.error(`${name} is not installed: npm install --no-save pino pino-http`);
    process.exit(2);
  }
}

const LINES = 200_000;
const REQUESTS = 4_000;
const drop = { write: (_line: string) => true };

// The fields one webhook's lines carry (ids, counts, codes), as the route and the audit record log them.
const FIELDS = {
  userId: '312909075212468632',
  sessionId: '312909075212468633',
  deleted: 1,
  outcome: 'enforced',
};

function perCall(label: string, count: number, run: () => void): number {
  for (let i = 0; i < count / 10; i++) run(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) run();
  const ns = Number(process.hrtime.bigint() - start) / count;
  console.log(`${label.padEnd(58)} ${(ns / 1000).toFixed(2).padStart(7)} µs`);
  return ns;
}

async function perRequest(label: string, middleware: RequestHandler | undefined): Promise<number> {
  const app = express();
  if (middleware !== undefined) app.use(middleware);
  app.post('/session/manage', (_req, res) => {
    res.locals.requestId = 'req-1';
    res.json({ ok: true });
  });
  const server = http.createServer(app).listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ port, method: 'POST', path: '/session/manage', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end('{}');
    });
  for (let i = 0; i < REQUESTS / 10; i++) await once();
  const start = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) await once();
  const ns = Number(process.hrtime.bigint() - start) / REQUESTS;
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  console.log(`${label.padEnd(58)} ${(ns / 1000).toFixed(1).padStart(7)} µs`);
  return ns;
}

async function main(): Promise<void> {
  const { pino } = await optional<Pino>('pino');
  const { pinoHttp } = await optional<PinoHttp>('pino-http');

  console.log('one log line (an info line with a child binding and four fields)');
  const ours = createLogger('info', (line) => drop.write(line)).child({ requestId: 'req-1' });
  const oursNs = perCall('  ours (createLogger, regex redaction by field name)', LINES, () =>
    ours.info('session limit decision', FIELDS),
  );
  // The closest pino gets to our line: `level` as a label, ISO `time`, `msg`, and path redaction. Path redaction
  // only covers the names listed; ours covers any field whose name looks like a secret.
  const pinoLogger = pino(
    {
      level: 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
      redact: {
        paths: ['token', 'password', 'authorization', 'signature', 'payload', 'body'],
        censor: '[redacted]',
      },
    },
    drop,
  ).child({ requestId: 'req-1' });
  const pinoNs = perCall('  pino (iso time, level label, path redaction)', LINES, () =>
    pinoLogger.info(FIELDS, 'session limit decision'),
  );
  console.log(`  pino / ours: ${(pinoNs / oursNs).toFixed(2)}`);

  console.log(`\none request through express with its access log (keep-alive, ${REQUESTS} in a row)`);
  const none = await perRequest('  no access log', undefined);
  const morganNs = await perRequest(
    '  ours (morgan, JSON format)',
    accessLog((line) => drop.write(line)),
  );
  const pinoHttpNs = await perRequest(
    '  pino-http (no headers serialised)',
    pinoHttp({
      logger: pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, drop),
      serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }) },
    }),
  );
  console.log(
    `  cost of the access log: morgan ${((morganNs - none) / 1000).toFixed(1)} µs, pino-http ${((pinoHttpNs - none) / 1000).toFixed(1)} µs`,
  );
}

await main();
