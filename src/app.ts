import express, { type Express } from 'express';
import type { Config } from './config.js';
import { createWebhookProcessor } from './enforcement/processSessionWebhook.js';
import { accessLog } from './http/accessLog.js';
import { errorHandler } from './http/errorHandler.js';
import { HttpProblem } from './http/httpProblem.js';
import { requestContext } from './http/requestContext.js';
import { WEBHOOK_PATH, webhookRoute } from './http/webhookRoute.js';
import type { Logger, LogSink } from './logging/logger.js';
import type { ZitadelSessionApi } from './zitadel/client.js';

export interface AppDeps {
  readonly config: Config;
  readonly zitadel: ZitadelSessionApi;
  readonly logger: Logger;
  /** Where access-log lines go; omit to turn access logs off (tests). */
  readonly accessLogSink?: LogSink;
  readonly now?: () => number;
}

/**
 * Builds the Express app. Never listens and never reads the environment: `main` (a server), `api/index.ts`
 * (Vercel) and the tests all build it the same way from explicit dependencies.
 */
export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? Date.now;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(deps.logger));
  if (deps.accessLogSink !== undefined) app.use(accessLog(deps.accessLogSink));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const processWebhook = createWebhookProcessor({ config: deps.config, zitadel: deps.zitadel, now });
  app.post(WEBHOOK_PATH, ...webhookRoute({ config: deps.config, processWebhook, now }, deps.logger));

  app.use((_req, _res, next) => next(new HttpProblem(404, 'not_found')));
  app.use(errorHandler(deps.logger));
  return app;
}
