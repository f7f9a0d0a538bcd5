import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../vocabulary.js';
import { reportSummary, type UndecidedReason, type WebhookOutcome } from '../enforcement/outcome.js';
import type { WebhookProcessor } from '../enforcement/processSessionWebhook.js';
import type { Logger } from '../logging/logger.js';
import type { LimiterMetrics } from '../metrics/limiterMetrics.js';
import {
  checkSignatureHeader,
  verifyZitadelSignature,
  type SignatureFailureReason,
} from '../signature/verifyZitadelSignature.js';
import { PayloadRejectedError, type PayloadDecoder } from '../webhook/decodePayload.js';
import {
  InvalidPayloadError,
  parseSessionWebhook,
  type SessionWebhook,
} from '../webhook/parseSessionWebhook.js';
import type { AuditLog } from './auditLog.js';
import { answerFor } from './errorHandler.js';
import { HttpProblem } from './httpProblem.js';
import { ReplayCache } from './replayCache.js';

// ZITADEL's clock and ours may disagree a little; a timestamp further ahead than this is refused.
const FUTURE_SKEW_SECONDS = 60;

/** What a malformed header should have looked like (pkg/actions/signing.go in ZITADEL), for whoever wires a sender. */
export const SIGNATURE_HEADER_FORM =
  'ZITADEL-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">';

/** The refusal for a signature that does not hold; a malformed header is told the form ZITADEL sends. */
function signatureProblem(reason: SignatureFailureReason): HttpProblem {
  return new HttpProblem(
    SIGNATURE_FAILURE_STATUS[reason],
    reason,
    reason === 'signature_malformed' ? SIGNATURE_HEADER_FORM : undefined,
  );
}

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
  /** JSON, JWT or JWE body to the JSON envelope (REQUIRE_PAYLOAD_TYPE, JWKS, decryption keys). */
  readonly decodePayload: PayloadDecoder;
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
  if (values.length !== 1) throw new HttpProblem(400, 'signature_malformed', SIGNATURE_HEADER_FORM);
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

function parseJson(rawBody: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(rawBody).toString('utf8')) as unknown;
  } catch {
    throw new HttpProblem(400, 'invalid_json');
  }
}

/**
 * A signed body that is not a session webhook is answered 400 like any bad input, but it came from ZITADEL (or
 * from someone holding the key), so the log says which part of the shape was wrong: paths and kinds, never values.
 */
function parseVerifiedPayload(json: unknown, logger: Logger): SessionWebhook {
  try {
    return parseSessionWebhook(json);
  } catch (error) {
    if (error instanceof InvalidPayloadError)
      logger.warn('signed webhook refused: not a session webhook', {
        reason: error.code,
        issues: error.issues,
      });
    throw error;
  }
}

// Under ON_FAILURE=refuse: "try again later" when we turned the webhook away, "the upstream failed" otherwise.
const UNDECIDED_STATUS: Record<UndecidedReason, number> = {
  overloaded: 503,
  deadline: 503,
  rate_limited: 503,
  zitadel_unavailable: 502,
  zitadel_rejected: 502,
  zitadel_invalid_response: 502,
  instance_not_found: 502,
  jwks_unavailable: 502,
  internal_error: 500,
};

/**
 * The answer ZITADEL gets (status and JSON). Only a deny carries the forwarded-error fields that fail the user's
 * call; a webhook the limiter could not decide in time passes with 200 under ON_FAILURE=allow and gets a 5xx under
 * refuse (which, with interruptOnError, fails the login).
 */
function webhookAnswer(
  outcome: WebhookOutcome,
  config: Config,
): { status: number; body: Record<string, unknown> } {
  if (outcome.outcome === 'ignored') {
    return { status: 200, body: { outcome: 'ignored', reason: outcome.reason } };
  }
  if (outcome.outcome === 'undecided') {
    return config.onFailure === 'allow'
      ? { status: 200, body: { outcome: 'undecided', reason: outcome.reason } }
      : { status: UNDECIDED_STATUS[outcome.reason], body: { error: outcome.reason } };
  }
  const summary = reportSummary(outcome);
  if (outcome.outcome === 'denied' && !outcome.dryRun) {
    // ZITADEL turns a 2xx body with these fields into an error for the caller (pkg/actions HandleResponse).
    return {
      status: 200,
      body: { forwardedStatusCode: 403, forwardedErrorMessage: config.denyMessage, ...summary },
    };
  }
  if (outcome.failed.length > 0 && config.onFailure === 'refuse')
    return { status: 502, body: { error: 'zitadel_unavailable', ...summary } };
  return { status: 200, body: { ...summary } };
}

/** Whether a replay of this webhook may be answered from memory: it was decided and carried out in full. */
function isFinished(outcome: WebhookOutcome): boolean {
  if (outcome.outcome === 'undecided') return false;
  return outcome.outcome === 'ignored' || (outcome.failed.length === 0 && outcome.remaining === 0);
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
  const { config, processWebhook, decodePayload, now, metrics, audit } = deps;
  const readRawBody = express.raw({ type: () => true, limit: config.maxBodyBytes, inflate: false });
  const replays = new ReplayCache({
    maxEntries: REPLAY_CACHE_ENTRIES,
    ttlMs: (config.signatureToleranceSeconds + FUTURE_SKEW_SECONDS) * 1000,
    maxAnswerBytes: REPLAY_CACHE_MAX_ANSWER_BYTES,
    now,
  });

  /** Records an outcome (metrics, audit record), measured from the webhook's receipt. */
  function record(outcome: WebhookOutcome, res: Response): WebhookOutcome {
    const durationMs = now() - ((res.locals.receivedAtMs as number | undefined) ?? now());
    metrics.webhookDecided(outcome, durationMs);
    audit?.decision(res.locals.requestId as string | undefined, outcome, durationMs);
    return outcome;
  }

  /** Runs the use case and records its result (metrics, audit) whether it decided or failed. */
  async function decide(webhook: SessionWebhook, res: Response, logger: Logger): Promise<WebhookOutcome> {
    const requestId = res.locals.requestId as string | undefined;
    const receivedAtMs = (res.locals.receivedAtMs as number | undefined) ?? now();
    try {
      return record(await processWebhook(webhook, { logger }), res);
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
      next(refuseBeforeReading(res, signatureProblem(check.reason)));
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
      throw signatureProblem(verification.reason);
    }

    // Only a body ZITADEL signed gets this far, so a forged kid can never make us fetch the key set.
    let json: Uint8Array;
    try {
      ({ json } = await decodePayload(rawBody));
    } catch (error) {
      if (!(error instanceof PayloadRejectedError) || error.code !== 'jwks_unavailable') throw error;
      // The HMAC holds but the signed payload cannot be checked now: no decision, as in a ZITADEL outage.
      const { status, body } = webhookAnswer(
        record({ outcome: 'undecided', reason: 'jwks_unavailable' }, res),
        config,
      );
      res.status(status).json(body);
      return;
    }
    const webhook = parseVerifiedPayload(parseJson(json), logger);
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
    const { status, body } = webhookAnswer(outcome, config);
    // Only a finished decision is remembered: after an undecided or partly failed one, a replay may finish the job.
    lookup.settle(
      isFinished(outcome)
        ? { status, body, outcome: outcome.outcome, sessionId: outcome.sessionId }
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
