import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config.js';
import { reportSummary, type WebhookOutcome } from '../enforcement/outcome.js';
import type { WebhookProcessor } from '../enforcement/processSessionWebhook.js';
import type { Logger } from '../logging/logger.js';
import type { LimiterMetrics } from '../metrics/limiterMetrics.js';
import {
  checkSignatureHeader,
  verifyZitadelSignature,
  type SignatureFailureReason,
} from '../signature/verifyZitadelSignature.js';
import { parseSessionWebhook, type SessionWebhook } from '../webhook/parseSessionWebhook.js';
import type { AuditLog } from './auditLog.js';
import { answerFor } from './errorHandler.js';
import { HttpProblem } from './httpProblem.js';
import { ReplayCache } from './replayCache.js';

export const WEBHOOK_PATH = '/session/manage';

// ZITADEL's clock and ours may disagree a little; a timestamp further ahead than this is refused.
const FUTURE_SKEW_SECONDS = 60;

const SIGNATURE_FAILURE_STATUS: Record<SignatureFailureReason, number> = {
  signature_missing: 401,
  signature_malformed: 400,
  signature_mismatch: 401,
  signature_expired: 401,
  signature_from_future: 401,
};

export interface WebhookRouteDeps {
  readonly config: Config;
  readonly processWebhook: WebhookProcessor;
  readonly now: () => number;
  readonly metrics: LimiterMetrics;
  /** One record per verified webhook; undefined turns audit records off (tests that do not look at them). */
  readonly audit: AuditLog | undefined;
}

/** Remembers when the webhook arrived, before its body is read: durations are measured from here. */
function stampReceipt(now: () => number): RequestHandler {
  return (_req, res, next) => {
    res.locals.receivedAtMs = now();
    next();
  };
}

/**
 * A refusal sent before the body was read. `Connection: close` makes Node close the socket once the answer is out,
 * instead of reading off (draining) the rest of a body nobody will look at: a large unsigned upload costs the
 * sender a connection, and us no more than the socket's own buffers.
 */
function refuseBeforeReading(res: Response, problem: HttpProblem): HttpProblem {
  res.setHeader('Connection', 'close');
  return problem;
}

/** ZITADEL always sends application/json, even for JWT payloads; anything else was not sent by it. */
const requireJsonContentType: RequestHandler = (req, res, next) => {
  if (req.headers['content-type'] === undefined || !req.is('application/json')) {
    next(refuseBeforeReading(res, new HttpProblem(415, 'unsupported_media_type')));
    return;
  }
  next();
};

function requestLogger(res: Response, fallback: Logger): Logger {
  return (res.locals.logger as Logger | undefined) ?? fallback;
}

function signatureHeaderOf(headers: NodeJS.Dict<string[]>): string | undefined {
  const values = headers['zitadel-signature'];
  if (values === undefined) return undefined;
  // Node would join repeated headers with ", "; two signature headers are never legitimate.
  if (values.length !== 1) throw new HttpProblem(400, 'signature_malformed');
  return values[0];
}

/**
 * The exact bytes ZITADEL signed. When something before us consumed the stream and left a parsed body (Vercel's Node
 * helpers do, unless NODEJS_HELPERS=0), the bytes are gone: re-serialising would never match the HMAC (Go escapes
 * HTML characters, JSON.stringify does not), so this fails loudly instead of refusing every webhook as forged.
 */
function rawBodyOf(req: Request, logger: Logger): Buffer {
  let body: unknown;
  try {
    body = req.body;
  } catch {
    body = null;
  }
  if (Buffer.isBuffer(body)) return body;
  if (body === undefined) return Buffer.alloc(0);
  logger.error(
    'the request body was parsed before the webhook route saw its bytes; on Vercel set NODEJS_HELPERS=0',
  );
  throw new HttpProblem(500, 'raw_body_unavailable');
}

function parseJson(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8')) as unknown;
  } catch {
    throw new HttpProblem(400, 'invalid_json');
  }
}

/** The answer ZITADEL gets (status and JSON). Only a deny carries the forwarded-error fields that fail the call. */
function webhookAnswer(
  outcome: WebhookOutcome,
  denyMessage: string,
): { status: number; body: Record<string, unknown> } {
  if (outcome.outcome === 'ignored') {
    return { status: 200, body: { outcome: 'ignored', reason: outcome.reason } };
  }
  const summary = reportSummary(outcome);
  if (outcome.outcome === 'denied' && !outcome.dryRun) {
    // ZITADEL turns a 2xx body with these fields into an error for the caller (pkg/actions HandleResponse).
    return {
      status: 200,
      body: { forwardedStatusCode: 403, forwardedErrorMessage: denyMessage, ...summary },
    };
  }
  if (outcome.failed.length > 0) return { status: 502, body: { error: 'zitadel_unavailable', ...summary } };
  return { status: 200, body: { ...summary } };
}

// The replay cache: at most this many answers, each of at most this size (about 8 MiB in all). An answer is kept for
// the tolerance plus the future skew: as long as its signature could pass the timestamp check, and no longer.
const REPLAY_CACHE_ENTRIES = 1_000;
const REPLAY_CACHE_MAX_ANSWER_BYTES = 8 * 1024;

/** `POST /session/manage`: the Actions V2 target. Same path as ZITADEL's blog sample, so it is a drop-in. */
export function webhookRoute(
  deps: WebhookRouteDeps,
  fallbackLogger: Logger,
): (RequestHandler | ErrorRequestHandler)[] {
  const { config, processWebhook, now, metrics, audit } = deps;
  const readRawBody = express.raw({ type: () => true, limit: config.maxBodyBytes, inflate: false });
  const replays = new ReplayCache({
    maxEntries: REPLAY_CACHE_ENTRIES,
    ttlMs: (config.signatureToleranceSeconds + FUTURE_SKEW_SECONDS) * 1000,
    maxAnswerBytes: REPLAY_CACHE_MAX_ANSWER_BYTES,
    now,
  });

  /** Runs the use case and records its result (metrics, audit) whether it decided or failed. */
  async function decide(webhook: SessionWebhook, res: Response, logger: Logger): Promise<WebhookOutcome> {
    const requestId = res.locals.requestId as string | undefined;
    const receivedAtMs = (res.locals.receivedAtMs as number | undefined) ?? now();
    try {
      const outcome = await processWebhook(webhook, { logger });
      const durationMs = now() - receivedAtMs;
      metrics.webhookDecided(outcome, durationMs);
      audit?.decision(requestId, outcome, durationMs);
      return outcome;
    } catch (error) {
      const durationMs = now() - receivedAtMs;
      metrics.enforcementFailed(durationMs);
      audit?.failure(requestId, answerFor(error).code, durationMs);
      throw error;
    }
  }

  /**
   * What the header alone can tell — present, well formed, `t=` inside the window — is checked before a single body
   * byte is read: traffic without a plausible signature never gets to send (and make us hold) a body.
   */
  const checkHeaderBeforeReading: RequestHandler = (req, res, next) => {
    let check: ReturnType<typeof checkSignatureHeader>;
    try {
      check = checkSignatureHeader({
        header: signatureHeaderOf(req.headersDistinct),
        nowSeconds: Math.floor(now() / 1000),
        toleranceSeconds: config.signatureToleranceSeconds,
        futureSkewSeconds: FUTURE_SKEW_SECONDS,
      });
    } catch (error) {
      next(error instanceof HttpProblem ? refuseBeforeReading(res, error) : error);
      return;
    }
    if (!check.ok) {
      requestLogger(res, fallbackLogger).warn('webhook refused', { reason: check.reason });
      next(refuseBeforeReading(res, new HttpProblem(SIGNATURE_FAILURE_STATUS[check.reason], check.reason)));
      return;
    }
    // body-parser would read off a declared-too-large body before answering 413; answer (and close) at once.
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > config.maxBodyBytes) {
      next(refuseBeforeReading(res, new HttpProblem(413, 'payload_too_large')));
      return;
    }
    next();
  };

  const handle: RequestHandler = async (req, res) => {
    const logger = requestLogger(res, fallbackLogger);
    const rawBody = rawBodyOf(req, logger);
    const verification = verifyZitadelSignature({
      header: signatureHeaderOf(req.headersDistinct),
      rawBody,
      keys: config.signingKeys,
      nowSeconds: Math.floor(now() / 1000),
      toleranceSeconds: config.signatureToleranceSeconds,
      futureSkewSeconds: FUTURE_SKEW_SECONDS,
    });
    if (!verification.ok) {
      logger.warn('webhook refused', { reason: verification.reason });
      throw new HttpProblem(SIGNATURE_FAILURE_STATUS[verification.reason], verification.reason);
    }

    const webhook = parseSessionWebhook(parseJson(rawBody));
    if (config.instanceId !== undefined && webhook.instanceId !== config.instanceId) {
      // Signed with our key but sent for another instance: a target shared by mistake, or a forgery.
      logger.warn('webhook refused', { reason: 'instance_mismatch' });
      throw new HttpProblem(403, 'instance_mismatch');
    }

    // ZITADEL sends each delivery once: the same verified signature again is a replay, answered as the first was.
    const lookup = await replays.lookup(verification.signature);
    if (lookup.kind === 'replay') {
      const { answer } = lookup;
      const durationMs = now() - ((res.locals.receivedAtMs as number | undefined) ?? now());
      logger.info('replayed webhook answered from the cache', { originalOutcome: answer.outcome });
      metrics.webhookReplayed(answer.outcome);
      audit?.replay(res.locals.requestId as string | undefined, answer, durationMs);
      res.status(answer.status).json(answer.body);
      return;
    }

    let outcome: WebhookOutcome;
    try {
      // The audit record (see decide) is the one line that says what was decided; the application log has the rest.
      outcome = await decide(webhook, res, logger);
    } catch (error) {
      lookup.settle(undefined);
      throw error;
    }
    const { status, body } = webhookAnswer(outcome, config.denyMessage);
    // A partly failed enforcement (502) is not remembered: a replay may then finish the job.
    lookup.settle(
      status === 200
        ? {
            status,
            body,
            outcome: outcome.outcome,
            sessionId: outcome.sessionId,
          }
        : undefined,
    );
    res.status(status).json(body);
  };

  /** Counts every error answer of this route (refused or failed) by its code, then lets the error handler answer. */
  const countErrorAnswer: ErrorRequestHandler = (error: unknown, req, res, next) => {
    metrics.webhookAnsweredWithError(answerFor(error));
    // A refusal before the whole body arrived (413, say): close rather than drain what is still coming.
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    next(error);
  };

  return [
    stampReceipt(now),
    requireJsonContentType,
    checkHeaderBeforeReading,
    readRawBody,
    handle,
    countErrorAnswer,
  ];
}
