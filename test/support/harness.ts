import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import type { DevicesOidc } from '../../src/zitadel/devicesOidc.js';
import { loadConfig } from '../../src/config.js';
import type { Config } from '../../src/vocabulary.js';
import { createLogger } from '../../src/logging/logger.js';
import { createLimiterMetrics } from '../../src/metrics/limiterMetrics.js';
import { observeZitadelCalls } from '../../src/metrics/observeZitadelCalls.js';
import { personalAccessToken } from '../../src/zitadel/accessToken.js';
import { createZitadelClient } from '../../src/zitadel/client.js';
import { signatureHeader } from './webhooks.js';

export const TEST_PAT = 'pat_Zk3yT0k3n-never-logged';
export const TEST_SIGNING_KEY = 'sk_test_signing_key_never_logged';

export interface Harness {
  readonly app: Express;
  readonly config: Config;
  /** Every application, access and audit log line, for asserting what was (and was not) logged. */
  readonly logLines: string[];
}

export interface HarnessOptions {
  /** The app's clock (signature checks, durations, readiness caching); Date.now unless given. */
  readonly now?: () => number;
  /** The devices page's OIDC side (a stub in the component tests); openid-client against the instance unless given. */
  readonly devicesOidc?: DevicesOidc;
}

/** Builds the real app against `instanceUrl` (nock or a fake ZITADEL) with fast retries for tests. */
export function buildHarness(
  env: Record<string, string> = {},
  instanceUrl = 'https://zitadel.test',
  options: HarnessOptions = {},
): Harness {
  const config = loadConfig({
    INSTANCE_URL: instanceUrl,
    PAT: TEST_PAT,
    SIGNING_KEY: TEST_SIGNING_KEY,
    LOG_LEVEL: 'debug',
    // The suites built on this harness script every ZITADEL call with nock; COUNT_WHEN=signed-in adds two reads
    // (authentication methods, login policy), so only the tests about it ask for it (test/component/devices.test.ts).
    COUNT_WHEN: 'any-factor',
    // A test's bursts of scripted calls would otherwise wait for the request budget on the test's own clock; the
    // tests about the budget ask for one (test/component/rateLimit.test.ts).
    ZITADEL_MAX_RPS: 'off',
    ...env,
  });
  const logLines: string[] = [];
  const sink = (line: string) => logLines.push(line);
  const logger = createLogger(config.logLevel, sink);
  const clock = options.now === undefined ? {} : { now: options.now };
  // Wired as buildService wires it: the observer feeds the app's metrics and readiness.
  const metrics = createLimiterMetrics(clock);
  const zitadel = createZitadelClient({
    instanceUrl: config.instanceUrl,
    tokens: personalAccessToken(TEST_PAT),
    callTimeoutMs: config.zitadelTimeoutMs,
    maxConcurrency: config.zitadelMaxConcurrency,
    maxRequestsPerSecond: config.zitadelMaxRps,
    retryPolicy: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    observer: observeZitadelCalls(metrics, logger),
    // One clock for the app and its ZITADEL client, as in production: deadlines are set by one and checked by the other.
    ...clock,
  });
  return {
    app: createApp({
      config,
      zitadel,
      logger,
      metrics,
      accessLogSink: sink,
      auditSink: sink,
      ...clock,
      ...(options.devicesOidc === undefined ? {} : { devicesOidc: options.devicesOidc }),
    }),
    config,
    logLines,
  };
}

/** POSTs a body to the webhook route signed with the test key (or as told). */
export function postWebhook(
  app: Express,
  body: string,
  options: { key?: string; timestampSeconds?: number; header?: string | null; contentType?: string } = {},
) {
  const req = request(app)
    .post('/session/manage')
    .set('Content-Type', options.contentType ?? 'application/json');
  const header =
    options.header === undefined
      ? signatureHeader(body, options.key ?? TEST_SIGNING_KEY, options.timestampSeconds)
      : options.header;
  if (header !== null) void req.set('ZITADEL-Signature', header);
  return req.send(body);
}
