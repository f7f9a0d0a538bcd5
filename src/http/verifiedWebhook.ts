import type { Request } from 'express';
import type { Config } from '../vocabulary.js';
import type { Logger } from '../logging/logger.js';
import { verifyZitadelSignature } from '../signature/verifyZitadelSignature.js';
import { PayloadRejectedError, type PayloadDecoder } from '../webhook/decodePayload.js';
import {
  InvalidPayloadError,
  parseSessionWebhook,
  type SessionWebhook,
} from '../webhook/parseSessionWebhook.js';
import { HttpProblem } from './httpProblem.js';
import { FUTURE_SKEW_SECONDS, signatureHeaderOf, signatureProblem } from './webhookGuards.js';

/**
 * What a request body came to: a session webhook ZITADEL signed (with the signature that proves it, the replay
 * cache's key), or a signed JWT payload whose own signature cannot be checked now. Anything else is thrown.
 */
export type VerifiedWebhook =
  | { readonly kind: 'webhook'; readonly webhook: SessionWebhook; readonly signature: string }
  | { readonly kind: 'unverifiable'; readonly reason: 'jwks_unavailable' };

export interface VerifiedWebhookDeps {
  readonly config: Pick<Config, 'signingKeys' | 'signatureToleranceSeconds' | 'instanceId'>;
  /** JSON, JWT or JWE body to the JSON envelope (REQUIRE_PAYLOAD_TYPE, JWKS, decryption keys). */
  readonly decodePayload: PayloadDecoder;
  readonly now: () => number;
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

/**
 * From a read request to the session webhook ZITADEL signed: the HMAC over the raw bytes, the payload's own form
 * (JWT, JWE), the JSON, its shape and its instance. Throws an HttpProblem (or the decoder's and parser's own
 * errors) for a body that fails any of them; the error handler turns those into terse 4xx answers.
 */
export async function readVerifiedWebhook(
  req: Request,
  deps: VerifiedWebhookDeps,
  logger: Logger,
): Promise<VerifiedWebhook> {
  const { config, decodePayload, now } = deps;
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
    return { kind: 'unverifiable', reason: 'jwks_unavailable' };
  }
  const webhook = parseVerifiedPayload(parseJson(json), logger);
  if (config.instanceId !== undefined && webhook.instanceId !== config.instanceId) {
    // Signed with our key but sent for another instance: a target shared by mistake, or a forgery.
    logger.warn('webhook refused', { reason: 'instance_mismatch' });
    throw new HttpProblem(403, 'instance_mismatch');
  }
  return { kind: 'webhook', webhook, signature: verification.signature };
}
