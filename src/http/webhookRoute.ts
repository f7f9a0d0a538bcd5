import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import type { Config } from '../vocabulary.js';
import type { EnforcementReport, WebhookOutcome } from '../enforcement/outcome.js';
import type { WebhookProcessor } from '../enforcement/processSessionWebhook.js';
import type { Logger } from '../logging/logger.js';
import type { LimiterMetrics } from '../metrics/limiterMetrics.js';
import type { PayloadDecoder } from '../webhook/decodePayload.js';
import type { SessionWebhook } from '../webhook/parseSessionWebhook.js';
import type { AuditLog } from './auditLog.js';
import { webhookRecorder, type WebhookReceipt } from './recordWebhook.js';
import { ReplayCache } from './replayCache.js';
import { readVerifiedWebhook } from './verifiedWebhook.js';
import { isFinished, webhookAnswer, type WebhookAnswer } from './webhookAnswer.js';
import {
  FUTURE_SKEW_SECONDS,
  checkHeaderBeforeReading,
  requestLogger,
  requireJsonContentType,
} from './webhookGuards.js';

// Whoever wires a sender (and the tests that play one) reads the expected header form where the route is.
export { SIGNATURE_HEADER_FORM } from './webhookGuards.js';

export interface WebhookRouteDeps {
  readonly config: Config;
  readonly processWebhook: WebhookProcessor;
  /** JSON, JWT or JWE body to the JSON envelope (REQUIRE_PAYLOAD_TYPE, JWKS, decryption keys). */
  readonly decodePayload: PayloadDecoder;
  readonly now: () => number;
  readonly metrics: LimiterMetrics;
  /** One record per verified webhook; undefined turns audit records off (tests that do not look at them). */
  readonly audit: AuditLog | undefined;
  /**
   * The "your devices" link for a user deny-new refused (a signed ticket), when the page is on. Never throws:
   * a link it cannot make leaves the refusal as it was.
   */
  readonly refusalLink?: ((report: EnforcementReport) => Promise<string | undefined>) | undefined;
}

/** Remembers when the webhook arrived, before its body is read: durations are measured from here. */
function stampReceipt(now: () => number): RequestHandler {
  return (_req, res, next) => {
    res.locals.receivedAtMs = now();
    next();
  };
}

function receiptOf(res: Response, now: () => number): WebhookReceipt {
  return {
    requestId: res.locals.requestId as string | undefined,
    receivedAtMs: (res.locals.receivedAtMs as number | undefined) ?? now(),
  };
}

function send(res: Response, { status, body }: WebhookAnswer): void {
  res.status(status).json(body);
}

// The replay cache: at most this many answers, each of at most this size (about 8 MiB in all). An answer is kept for
// the tolerance plus the future skew: as long as its signature could pass the timestamp check, and no longer.
const REPLAY_CACHE_ENTRIES = 1_000;
const REPLAY_CACHE_MAX_ANSWER_BYTES = 8 * 1024;

/**
 * `POST /session/manage`: the Actions V2 target. Same path as ZITADEL's blog sample, so it is a drop-in. HTTP in
 * (guards, verified body), the use case, the answer; recording and the answer's policy live in their own modules.
 */
export function webhookRoute(
  deps: WebhookRouteDeps,
  fallbackLogger: Logger,
): (RequestHandler | ErrorRequestHandler)[] {
  const { config, processWebhook, decodePayload, now } = deps;
  const readRawBody = express.raw({ type: () => true, limit: config.maxBodyBytes, inflate: false });
  const replays = new ReplayCache({
    maxEntries: REPLAY_CACHE_ENTRIES,
    ttlMs: (config.signatureToleranceSeconds + FUTURE_SKEW_SECONDS) * 1000,
    maxAnswerBytes: REPLAY_CACHE_MAX_ANSWER_BYTES,
    now,
  });
  const record = webhookRecorder(deps);

  /** Runs the use case and records its result (metrics, audit) whether it decided or failed. */
  async function decide(
    webhook: SessionWebhook,
    receipt: WebhookReceipt,
    logger: Logger,
  ): Promise<WebhookOutcome> {
    try {
      return record.decided(await processWebhook(webhook, { logger }), receipt);
    } catch (error) {
      record.failed(error, receipt);
      throw error;
    }
  }

  const handle: RequestHandler = async (req, res) => {
    const logger = requestLogger(res, fallbackLogger);
    const receipt = receiptOf(res, now);
    const verified = await readVerifiedWebhook(req, { config, decodePayload, now }, logger);
    if (verified.kind === 'unverifiable') {
      const outcome = record.decided({ outcome: 'undecided', reason: verified.reason }, receipt);
      send(res, webhookAnswer(outcome, config));
      return;
    }

    // ZITADEL sends each delivery once: the same verified signature again is a replay, answered as the first was.
    const lookup = await replays.lookup(verified.signature);
    if (lookup.kind === 'replay') {
      const { answer } = lookup;
      logger.info('replayed webhook answered from the cache', { originalOutcome: answer.outcome });
      record.replayed(answer, receipt);
      send(res, answer);
      return;
    }

    let outcome: WebhookOutcome;
    try {
      // The audit record (see decide) is the one line that says what was decided; the application log has the rest.
      outcome = await decide(verified.webhook, receipt, logger);
    } catch (error) {
      lookup.settle(undefined);
      throw error;
    }
    const devicesLink =
      outcome.outcome === 'denied' && !outcome.dryRun ? await deps.refusalLink?.(outcome) : undefined;
    const answer = webhookAnswer(outcome, config, devicesLink);
    // Only a finished decision is remembered: after an undecided or partly failed one, a replay may finish the job.
    lookup.settle(
      isFinished(outcome) ? { ...answer, outcome: outcome.outcome, sessionId: outcome.sessionId } : undefined,
    );
    send(res, answer);
  };

  /** Counts every error answer of this route (refused or failed) by its code, then lets the error handler answer. */
  const countErrorAnswer: ErrorRequestHandler = (error: unknown, req, res, next) => {
    record.answeredWithError(error);
    // A refusal before the whole body arrived (413, say): close rather than drain what is still coming.
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    next(error);
  };

  return [
    stampReceipt(now),
    requireJsonContentType,
    checkHeaderBeforeReading(config, now, fallbackLogger),
    readRawBody,
    handle,
    countErrorAnswer,
  ];
}
