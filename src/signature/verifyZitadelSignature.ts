import { timingSafeEqual } from 'node:crypto';
import { zitadelHmac } from './signZitadelPayload.js';

/**
 * Why a `ZITADEL-Signature` header was refused. Terse, stable codes: they are sent to the caller and used as
 * metric labels, so they never carry any part of the header or body.
 */
export type SignatureFailureReason =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_mismatch'
  | 'signature_expired'
  | 'signature_from_future';

export type SignatureVerification =
  | {
      readonly ok: true;
      readonly timestampSeconds: number;
      /** The `v1` value that matched, lowercase hex: what identifies a replay of this very delivery. */
      readonly signature: string;
    }
  | { readonly ok: false; readonly reason: SignatureFailureReason };

/** What can be told from the header alone, before a single body byte is read. */
export type SignatureHeaderCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: Exclude<SignatureFailureReason, 'signature_mismatch'>;
    };

export interface CheckSignatureHeaderInput {
  readonly header: string | undefined;
  readonly nowSeconds: number;
  readonly toleranceSeconds: number;
  readonly futureSkewSeconds: number;
}

export interface VerifySignatureInput {
  /** The raw header value, or undefined when the header is absent (or repeated: see the HTTP layer). */
  readonly header: string | undefined;
  /** The exact bytes ZITADEL sent. Never a re-serialisation: Go's JSON escaping would not survive it. */
  readonly rawBody: Uint8Array;
  /** Every signing key currently accepted (several during a rotation), as configured: raw UTF-8, not base64. */
  readonly keys: readonly string[];
  /** The receiver's clock, in unix seconds. Passed in so the function stays pure and testable. */
  readonly nowSeconds: number;
  /** How old a signature may be. */
  readonly toleranceSeconds: number;
  /** How far ahead of our clock a timestamp may be (clock skew between ZITADEL and us). */
  readonly futureSkewSeconds: number;
}

// A real header is `t=<10 digits>,v1=<64 hex>` plus one v1 per key during a rotation. Anything much longer is
// hostile; refusing it before splitting keeps the work per request small and bounded.
const MAX_HEADER_LENGTH = 1024;
const MAX_SIGNATURES = 8;
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
const V1_PATTERN = /^[0-9a-fA-F]{64}$/;

interface ParsedHeader {
  readonly timestamp: string;
  readonly signatures: readonly Buffer[];
}

/** Parses `t=…,v1=…[,v1=…]`. Unknown schemes are skipped, as ZITADEL may add new ones (Stripe does the same). */
function parseSignatureHeader(header: string): ParsedHeader | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const pair of header.split(',')) {
    const separator = pair.indexOf('=');
    if (separator <= 0) return undefined;
    const scheme = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    if (scheme === 't') {
      // Two timestamps would let a forger pick which one we check against the clock.
      if (timestamp !== undefined || !TIMESTAMP_PATTERN.test(value)) return undefined;
      timestamp = value;
    } else if (scheme === 'v1') {
      if (!V1_PATTERN.test(value) || signatures.length >= MAX_SIGNATURES) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

function timestampWindowFailure(
  timestampSeconds: number,
  input: Pick<CheckSignatureHeaderInput, 'nowSeconds' | 'toleranceSeconds' | 'futureSkewSeconds'>,
): 'signature_expired' | 'signature_from_future' | undefined {
  if (input.nowSeconds - timestampSeconds > input.toleranceSeconds) return 'signature_expired';
  if (timestampSeconds - input.nowSeconds > input.futureSkewSeconds) return 'signature_from_future';
  return undefined;
}

/**
 * The checks that need no body: the header is present, well formed, and its `t=` inside the window. The HTTP layer
 * runs this before it reads the body, so that traffic without a plausible signature never gets to send one.
 * A forger can pass it by writing a fresh `t=` and any 64 hex digits; only verifyZitadelSignature proves origin.
 */
export function checkSignatureHeader(input: CheckSignatureHeaderInput): SignatureHeaderCheck {
  if (input.header === undefined || input.header === '') return { ok: false, reason: 'signature_missing' };
  const parsed = parseSignatureHeader(input.header);
  if (parsed === undefined) return { ok: false, reason: 'signature_malformed' };
  const windowFailure = timestampWindowFailure(Number(parsed.timestamp), input);
  return windowFailure === undefined ? { ok: true } : { ok: false, reason: windowFailure };
}

/**
 * Verifies ZITADEL's webhook signature: HMAC-SHA256 over `"<t>." + raw body`, keyed by the target's signing key
 * (see zitadel `pkg/actions/signing.go`). Every configured key is tried against every `v1` in constant time, and
 * only a genuine signature is then checked against the clock, so "expired" always means "a replay or a late
 * delivery of something ZITADEL really sent".
 */
export function verifyZitadelSignature(input: VerifySignatureInput): SignatureVerification {
  if (input.header === undefined || input.header === '') return { ok: false, reason: 'signature_missing' };
  const parsed = parseSignatureHeader(input.header);
  if (parsed === undefined) return { ok: false, reason: 'signature_malformed' };

  let matched: Buffer | undefined;
  for (const key of input.keys) {
    const expected = zitadelHmac(key, parsed.timestamp, input.rawBody);
    for (const candidate of parsed.signatures) {
      // Both are 32 bytes by construction (64 hex digits), so timingSafeEqual cannot throw on length.
      if (timingSafeEqual(expected, candidate)) matched = candidate;
    }
  }
  if (matched === undefined) return { ok: false, reason: 'signature_mismatch' };

  const timestampSeconds = Number(parsed.timestamp);
  const windowFailure = timestampWindowFailure(timestampSeconds, input);
  if (windowFailure !== undefined) return { ok: false, reason: windowFailure };
  return { ok: true, timestampSeconds, signature: matched.toString('hex') };
}
