/**
 * Vercel's function: the same Express app the server runs, built by the same buildService, once per cold start.
 * `npm run build` compiles it to dist/vercel.js, and api/index.js (the function Vercel deploys) re-exports it, so
 * Vercel runs what the build produced, as `node dist/main.js` does. Vercel routes /session/manage, /healthz, /readyz
 * and /metrics there (vercel.json; /metrics answers 404 unless METRICS_TOKEN is set, since a function has no
 * internal network to hide it on); the webhook's work is done before its answer is sent, so nothing runs after the
 * function returns.
 *
 * Set NODEJS_HELPERS=0 (vercel.json does it for the build): Vercel's helpers would otherwise parse the body before
 * Express sees it, and the signature can only be checked over the exact bytes ZITADEL sent.
 */
import type { Express } from 'express';
import { loadConfig } from './config.js';
import { ConfigError } from './vocabulary.js';
import { configErrorApp } from './http/configErrorApp.js';
import { createLogger } from './logging/logger.js';
import { buildService } from './service.js';

function buildOncePerColdStart(): Express {
  try {
    // No dotenv: Vercel injects the project's environment variables (and `vercel dev` reads .env itself). A function
    // never listens, so HOST does not apply here, and whatever a platform puts in it must not stop the function.
    const config = loadConfig({ ...process.env, HOST: undefined });
    // Every route of a function is public: /metrics is only served when METRICS_TOKEN protects it.
    return buildService(config, createLogger(config.logLevel), (line) => process.stdout.write(`${line}\n`), {
      metricsWithoutToken: 'hide',
    });
  } catch (error) {
    // A server exits on a bad config (main.ts); a function that throws here would fail every request with an
    // opaque FUNCTION_INVOCATION_FAILED and try again on the next. Answer 503 naming the variables instead.
    if (error instanceof ConfigError) {
      process.stderr.write(`zitadel-session-limiter cannot start.\n${error.message}\n`);
      return configErrorApp(error.problems);
    }
    throw error;
  }
}

export default buildOncePerColdStart();
