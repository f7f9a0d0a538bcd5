import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { HttpProblem } from './httpProblem.js';

export interface MetricsAccess {
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** Without a token: serve the metrics to anyone (a server on an internal network) or answer 404 (Vercel). */
  readonly withoutToken: 'serve' | 'hide';
}

// Both sides are hashed first, so the comparison takes the same time whatever the length of what was sent.
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Whether `authorization` is exactly `Bearer <token>`, compared in constant time. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const sent = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(sent), digest(token)) && sent.length > 0;
}

/**
 * `GET /metrics` in Prometheus' text format. Counts, durations and bounded labels only (no ids, no secrets); with
 * METRICS_TOKEN set it also demands that bearer token.
 */
export function metricsRoute(registry: Registry, access: MetricsAccess): RequestHandler {
  return async (req, res, next) => {
    if (access.token === undefined && access.withoutToken === 'hide') {
      next(new HttpProblem(404, 'not_found'));
      return;
    }
    if (access.token !== undefined && !bearerMatches(req.headers.authorization, access.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      res.setHeader('Cache-Control', 'no-store');
      next(new HttpProblem(401, 'unauthorized'));
      return;
    }
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).send(body);
  };
}
