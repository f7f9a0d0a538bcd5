import morgan from 'morgan';
import type { Request, RequestHandler, Response } from 'express';
import type { LogSink } from '../logging/logger.js';

const POLLED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One JSON line per request: method, path, status, duration, request id. No headers, no query string, no body:
 * the webhook's headers carry the signature and its body carries passwords.
 */
export function accessLog(sink: LogSink): RequestHandler {
  return morgan<Request, Response>(
    (tokens, req, res) =>
      JSON.stringify({
        time: new Date().toISOString(),
        level: 'info',
        log: 'access',
        requestId: res.locals.requestId as string | undefined,
        method: req.method,
        path: req.path,
        status: Number(tokens.status?.(req, res) ?? res.statusCode),
        durationMs: Number(tokens['response-time']?.(req, res, 1) ?? 0),
        bytes: Number(tokens.res?.(req, res, 'content-length') ?? 0),
      }),
    {
      stream: { write: (line: string) => sink(line.trimEnd()) },
      // Probes and scrapers poll every few seconds; only their failures are worth a line.
      skip: (req, res) => POLLED_PATHS.has(req.path) && res.statusCode < 400,
    },
  );
}
