import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics` in Prometheus' text format. Counts, durations and bounded labels only (no ids, no secrets), so it
 * needs no authentication of its own; keep it off the public internet where you can all the same.
 */
export function metricsRoute(registry: Registry): RequestHandler {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).send(body);
  };
}
