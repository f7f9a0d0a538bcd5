import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logging/logger.js';
import { checkSignatureHeader, type SignatureFailureReason } from '../signature/verifyZitadelSignature.js';
import { HttpProblem } from './httpProblem.js';

// ZITADEL's clock and ours may disagree a little; a timestamp further ahead than this is refused.
export const FUTURE_SKEW_SECONDS = 60;

/** What a malformed header should have looked like (pkg/actions/signing.go in ZITADEL), for whoever wires a sender. */
export const SIGNATURE_HEADER_FORM =
  'ZITADEL-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">';

const SIGNATURE_FAILURE_STATUS: Record<SignatureFailureReason, number> = {
  signature_missing: 401,
  signature_malformed: 400,
  signature_mismatch: 401,
  signature_expired: 401,
  signature_from_future: 401,
};

/** The refusal for a signature that does not hold; a malformed header is told the form ZITADEL sends. */
export function signatureProblem(reason: SignatureFailureReason): HttpProblem {
  return new HttpProblem(
    SIGNATURE_FAILURE_STATUS[reason],
    reason,
    reason === 'signature_malformed' ? SIGNATURE_HEADER_FORM : undefined,
  );
}

/** The one ZITADEL-Signature header; two are never legitimate (Node would join them with ", "). */
export function signatureHeaderOf(headers: NodeJS.Dict<string[]>): string | undefined {
  const values = headers['zitadel-signature'];
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new HttpProblem(400, 'signature_malformed', SIGNATURE_HEADER_FORM);
  return values[0];
}

export function requestLogger(res: Response, fallback: Logger): Logger {
  return (res.locals.logger as Logger | undefined) ?? fallback;
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
export const requireJsonContentType: RequestHandler = (req, res, next) => {
  if (req.headers['content-type'] === undefined || !req.is('application/json')) {
    next(refuseBeforeReading(res, new HttpProblem(415, 'unsupported_media_type')));
    return;
  }
  next();
};

export interface HeaderCheckSettings {
  readonly signatureToleranceSeconds: number;
  readonly maxBodyBytes: number;
}

/**
 * What the header alone can tell — present, well formed, `t=` inside the window — is checked before a single body
 * byte is read: traffic without a plausible signature never gets to send (and make us hold) a body.
 */
export function checkHeaderBeforeReading(
  settings: HeaderCheckSettings,
  now: () => number,
  fallbackLogger: Logger,
): RequestHandler {
  return (req, res, next) => {
    let check: ReturnType<typeof checkSignatureHeader>;
    try {
      check = checkSignatureHeader({
        header: signatureHeaderOf(req.headersDistinct),
        nowSeconds: Math.floor(now() / 1000),
        toleranceSeconds: settings.signatureToleranceSeconds,
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
    if (Number.isFinite(declared) && declared > settings.maxBodyBytes) {
      next(refuseBeforeReading(res, new HttpProblem(413, 'payload_too_large')));
      return;
    }
    next();
  };
}
