import express, { type RequestHandler, type Response } from 'express';
import type { Config } from '../config.js';
import type { WebhookOutcome } from '../enforcement/outcome.js';
import type { WebhookProcessor } from '../enforcement/processSessionWebhook.js';
import type { Logger } from '../logging/logger.js';
import { verifyZitadelSignature, type SignatureFailureReason } from '../signature/verifyZitadelSignature.js';
import { parseSessionWebhook } from '../webhook/parseSessionWebhook.js';
import { HttpProblem } from './httpProblem.js';

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
}

/** ZITADEL always sends application/json, even for JWT payloads; anything else was not sent by it. */
const requireJsonContentType: RequestHandler = (req, _res, next) => {
  if (req.headers['content-type'] === undefined || !req.is('application/json')) {
    next(new HttpProblem(415, 'unsupported_media_type'));
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

function parseJson(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8')) as unknown;
  } catch {
    throw new HttpProblem(400, 'invalid_json');
  }
}

/** The answer ZITADEL gets. Only a deny carries the forwarded-error fields that fail the user's call. */
function answer(res: Response, outcome: WebhookOutcome, denyMessage: string): void {
  if (outcome.outcome === 'ignored') {
    res.status(200).json({ outcome: 'ignored', reason: outcome.reason });
    return;
  }
  const summary = {
    outcome: outcome.outcome,
    userId: outcome.userId,
    sessionId: outcome.sessionId,
    limit: outcome.limit,
    strategy: outcome.strategy,
    dryRun: outcome.dryRun,
    counted: outcome.counted,
    kept: outcome.kept,
    deleted: outcome.deleted,
    failed: outcome.failed,
  };
  if (outcome.outcome === 'denied' && !outcome.dryRun) {
    // ZITADEL turns a 2xx body with these fields into an error for the caller (pkg/actions HandleResponse).
    res.status(200).json({ forwardedStatusCode: 403, forwardedErrorMessage: denyMessage, ...summary });
    return;
  }
  if (outcome.failed.length > 0) {
    res.status(502).json({ error: 'zitadel_unavailable', ...summary });
    return;
  }
  res.status(200).json(summary);
}

/** `POST /session/manage`: the Actions V2 target. Same path as ZITADEL's blog sample, so it is a drop-in. */
export function webhookRoute(deps: WebhookRouteDeps, fallbackLogger: Logger): RequestHandler[] {
  const { config, processWebhook, now } = deps;
  const readRawBody = express.raw({ type: () => true, limit: config.maxBodyBytes, inflate: false });

  const handle: RequestHandler = async (req, res) => {
    const logger = requestLogger(res, fallbackLogger);
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
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
    const startedMs = now();
    const outcome = await processWebhook(webhook, { sentAtMs: verification.timestampSeconds * 1000, logger });
    const durationMs = now() - startedMs;
    if (outcome.outcome === 'ignored') {
      logger.info('webhook ignored', { reason: outcome.reason, sessionId: outcome.sessionId, durationMs });
    } else {
      logger.info('webhook handled', {
        outcome: outcome.outcome,
        userId: outcome.userId,
        sessionId: outcome.sessionId,
        limit: outcome.limit,
        strategy: outcome.strategy,
        dryRun: outcome.dryRun,
        counted: outcome.counted,
        kept: outcome.kept,
        deleted: outcome.deleted,
        failed: outcome.failed,
        durationMs,
      });
    }
    answer(res, outcome, config.denyMessage);
  };

  return [requireJsonContentType, readRawBody, handle];
}
