import express, { type Express } from 'express';
import { WEBHOOK_PATH, type Config } from './vocabulary.js';
import { createDevicesFeature } from './devices/devicesFeature.js';
import type { DevicesOidc } from './zitadel/devicesOidc.js';
import { createWebhookProcessor } from './enforcement/processSessionWebhook.js';
import { checkRules } from './enforcement/ruleCheck.js';
import { accessLog } from './http/accessLog.js';
import { auditLog } from './http/auditLog.js';
import { errorHandler } from './http/errorHandler.js';
import { HttpProblem } from './http/httpProblem.js';
import { metricsRoute } from './http/metricsRoute.js';
import { Readiness, readinessRoute } from './http/readiness.js';
import { requestContext } from './http/requestContext.js';
import { webhookRoute } from './http/webhookRoute.js';
import type { Logger, LogSink } from './logging/logger.js';
import { createLimiterMetrics, type LimiterMetrics } from './metrics/limiterMetrics.js';
import { createPayloadDecoder, instanceKeySet, type JwsKeyResolver } from './webhook/decodePayload.js';
import type { ZitadelLimiterApi } from './zitadel/client.js';
import { deadlineIn } from './zitadel/deadline.js';

export interface AppDeps {
  readonly config: Config;
  readonly zitadel: ZitadelLimiterApi;
  readonly logger: Logger;
  /**
   * The app's metrics. Pass the instance the ZITADEL client's observer feeds (see observeZitadelCalls), so that
   * ZITADEL latencies and "ZITADEL answered lately" (readiness) are known; omit for a fresh, unobserved one.
   */
  readonly metrics?: LimiterMetrics;
  /** Where access-log lines go; omit to turn access logs off (tests). */
  readonly accessLogSink?: LogSink;
  /** Where audit records go (one per verified webhook); omit to turn them off (tests). */
  readonly auditSink?: LogSink;
  readonly now?: () => number;
  /** Where JWT payloads are verified; omit for the instance's JWKS at `${INSTANCE_URL}/oauth/v2/keys`. */
  readonly jwsKeys?: JwsKeyResolver;
  /**
   * `/metrics` without METRICS_TOKEN: `serve` (default: a server on an internal network) or `hide` (404; the Vercel
   * entry, whose every route is public).
   */
  readonly metricsWithoutToken?: 'serve' | 'hide';
  /** The devices page's OIDC side (DEVICES_PUBLIC_URL set); omit for openid-client against INSTANCE_URL. */
  readonly devicesOidc?: DevicesOidc;
}

/**
 * Builds the Express app. Never listens and never reads the environment: `main` (a server), `api/index.ts`
 * (Vercel) and the tests all build it the same way from explicit dependencies.
 */
export function createApp(deps: AppDeps): Express {
  const { config, zitadel, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createLimiterMetrics({ now });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(logger));
  if (deps.accessLogSink !== undefined) app.use(accessLog(deps.accessLogSink));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const readiness = new Readiness({
    checkZitadel: (deadline) => zitadel.checkAccess(deadline),
    lastZitadelSuccessAtMs: () => metrics.lastZitadelSuccessAtMs(),
    lastZitadelFailure: () => metrics.lastZitadelFailure(),
    now,
    checkTimeoutMs: config.zitadelTimeoutMs,
    onVerdict: (verdict) => metrics.readinessDecided(verdict.ready),
    logger,
  });
  app.get('/readyz', readinessRoute(readiness));
  app.locals.readiness = readiness; // for the server's start-up line (main.ts)
  // Which rules the credential's permissions allow, for the same line (never called per request).
  app.locals.checkRules = () => checkRules(zitadel, config, deadlineIn(config.zitadelTimeoutMs, now()));
  app.get(
    '/metrics',
    metricsRoute(metrics.registry, {
      token: config.metricsToken,
      withoutToken: deps.metricsWithoutToken ?? 'serve',
    }),
  );

  const processWebhook = createWebhookProcessor({ config, zitadel, now });
  const audit = deps.auditSink === undefined ? undefined : auditLog(deps.auditSink, config);
  const decodePayload = createPayloadDecoder({
    settings: config.payload,
    jwsKeys:
      deps.jwsKeys ??
      instanceKeySet({ instanceUrl: config.instanceUrl, timeoutMs: config.zitadelTimeoutMs, now }),
  });
  // The "your devices" page and API: off unless DEVICES_PUBLIC_URL is set.
  const devices =
    config.devices === undefined
      ? undefined
      : createDevicesFeature({
          config: { ...config, devices: config.devices },
          zitadel,
          metrics,
          logger,
          auditSink: deps.auditSink,
          now,
          ...(deps.devicesOidc === undefined ? {} : { oidc: deps.devicesOidc }),
        });
  if (devices !== undefined) {
    app.use('/devices', devices.page);
    app.use('/api/devices', devices.api);
  }
  app.post(
    WEBHOOK_PATH,
    ...webhookRoute(
      {
        config,
        processWebhook,
        decodePayload,
        now,
        metrics,
        audit,
        refusalLink: devices === undefined ? undefined : (report) => devices.refusalLink(report),
      },
      logger,
    ),
  );

  app.use((_req, _res, next) => next(new HttpProblem(404, 'not_found')));
  app.use(errorHandler(logger));
  return app;
}
