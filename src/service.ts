import type { Express } from 'express';
import { createApp, type AppDeps } from './app.js';
import type { Config } from './vocabulary.js';
import { loadConfig } from './config.js';
import { loadEnvFile } from './envFile.js';
import { createLogger, type Logger, type LogSink } from './logging/logger.js';
import { createLimiterMetrics } from './metrics/limiterMetrics.js';
import { observeZitadelCalls } from './metrics/observeZitadelCalls.js';
import { createZitadelClient } from './zitadel/client.js';
import { accessTokenSourceFor } from './zitadel/credentials.js';

/**
 * Wires the production object graph from a loaded config. Shared by the server and the serverless entry.
 * `recordSink` receives the access-log lines and the audit records (stdout in production); omit it for neither.
 */
export function buildService(
  config: Config,
  logger: Logger,
  recordSink?: LogSink,
  options: Pick<AppDeps, 'metricsWithoutToken'> = {},
): Express {
  const metrics = createLimiterMetrics({
    settings: { limit: config.concurrentSessions, strategy: config.limitStrategy, dryRun: config.dryRun },
  });
  // ZITADEL latencies and retries for /metrics, "ZITADEL answered lately" for /readyz, debug lines per request.
  const observer = observeZitadelCalls(metrics, logger);
  const zitadel = createZitadelClient({
    instanceUrl: config.instanceUrl,
    tokens: accessTokenSourceFor(config, observer),
    callTimeoutMs: config.zitadelTimeoutMs,
    maxConcurrency: config.zitadelMaxConcurrency,
    maxRequestsPerSecond: config.zitadelMaxRps,
    observer,
  });
  const sinks = recordSink === undefined ? {} : { accessLogSink: recordSink, auditSink: recordSink };
  return createApp({ config, zitadel, logger, metrics, ...sinks, ...options });
}

/**
 * Everything the server (src/main.ts) does before it listens: the variables file, the configuration, the logger and
 * the wiring. `output` receives the log, the access-log lines and the audit records (stdout in production). Throws a ConfigError for anything it cannot start with (a variable, a key file read while wiring), so
 * the tests can check each refusal in process, through the same steps, without starting a process for each.
 */
export function prepareServer(
  env: NodeJS.ProcessEnv,
  output: LogSink,
  cwd: string = process.cwd(),
): { config: Config; logger: Logger; app: Express } {
  loadEnvFile(env, cwd);
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, output);
  return { config, logger, app: buildService(config, logger, output) };
}
