// Signs and verifies the short-lived tokens of the "your devices" page (refusal tickets, the page cookie, the OIDC
// login state) with the secrets of DEVICES_KEYS. It exists so that rotation, purpose separation and the refusal of
// anything we did not sign the way we sign live in one place, and every caller gets a typed reason, never an error.
import { createHash, createHmac } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';

export type VerifyFailureReason = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' | 'wrong_purpose';

export type VerifyResult =
  | { readonly ok: true; readonly claims: JWTPayload }
  | { readonly ok: false; readonly reason: VerifyFailureReason };

export interface KeyRing {
  /** A compact HS256 JWT for `purpose`, signed with the first secret, valid for `ttlMs` from `nowMs`. */
  sign(purpose: string, claims: Record<string, unknown>, ttlMs: number, nowMs: number): Promise<string>;
  /** Checks a token against every secret of the ring, for this purpose only, at `nowMs`. Never throws. */
  verify(token: unknown, purpose: string, nowMs: number): Promise<VerifyResult>;
}

// Our tokens are a few hundred bytes; a longer one is hostile and is refused before any base64 or JSON work.
export const MAX_TOKEN_LENGTH = 4096;
// The replicas of the limiter share the secrets but not a clock: a few seconds of skew, never more.
const CLOCK_TOLERANCE_SECONDS = 5;
const ALGORITHM = 'HS256';
const PURPOSE_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;
// Set by sign() itself; a caller's claim of the same name would be silently overwritten, so it is refused instead.
const RESERVED_CLAIMS = ['aud', 'exp', 'iat', 'nbf', 'iss', 'jti'];

/**
 * The key for one purpose, derived from a configured secret with HMAC-SHA256, so that no key ever serves two
 * purposes: a ticket cannot pass for a page cookie even if its header were rewritten, since the MAC would differ.
 */
export function derivePurposeKey(secret: string, purpose: string): Buffer {
  if (!PURPOSE_PATTERN.test(purpose)) throw new TypeError('key purpose must be a short lowercase name');
  return createHmac('sha256', secret).update(`zitadel-session-limiter/devices/v1\0${purpose}`).digest();
}

/** A short public name for a key: a hash of the derived key, so the `kid` header never reveals key material. */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 10);
}

interface PurposeKeys {
  readonly signing: { readonly kid: string; readonly key: Buffer };
  readonly byKid: ReadonlyMap<string, Buffer>;
}

export function createKeyRing(secrets: readonly string[]): KeyRing {
  if (secrets.length === 0) throw new TypeError('a key ring needs at least one secret');
  if (secrets.some((secret) => secret.length < 32))
    throw new TypeError('every key ring secret must be at least 32 characters long');
  // Derived lazily per purpose and kept in this closure: the secrets never leave it.
  const cache = new Map<string, PurposeKeys>();
  function keysFor(purpose: string): PurposeKeys {
    let found = cache.get(purpose);
    if (found === undefined) {
      const derived = secrets.map((secret) => derivePurposeKey(secret, purpose));
      const byKid = new Map(derived.map((key) => [keyIdOf(key), key] as const));
      const first = derived[0] as Buffer;
      found = { signing: { kid: keyIdOf(first), key: first }, byKid };
      cache.set(purpose, found);
    }
    return found;
  }

  return {
    async sign(purpose, claims, ttlMs, nowMs) {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive number');
      if (!Number.isFinite(nowMs)) throw new RangeError('nowMs must be a finite number');
      const reserved = RESERVED_CLAIMS.find((name) => Object.hasOwn(claims, name));
      if (reserved !== undefined) throw new TypeError(`claim "${reserved}" is set by the key ring`);
      const { kid, key } = keysFor(purpose).signing;
      return await new SignJWT(claims)
        .setProtectedHeader({ alg: ALGORITHM, typ: purpose, kid })
        .setAudience(purpose)
        .setIssuedAt(Math.floor(nowMs / 1000))
        .setExpirationTime(Math.floor((nowMs + ttlMs) / 1000))
        .sign(key);
    },

    async verify(token, purpose, nowMs) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
        return { ok: false, reason: 'malformed' };
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      // Only what we sign passes: no `none`, no public-key algorithm whose "key" could be our secret.
      if (header.alg !== ALGORITHM) return { ok: false, reason: 'bad_signature' };
      if (header.typ !== purpose) return { ok: false, reason: 'wrong_purpose' };
      const key = typeof header.kid === 'string' ? keysFor(purpose).byKid.get(header.kid) : undefined;
      if (key === undefined) return { ok: false, reason: 'unknown_key' };
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          typ: purpose,
          audience: purpose,
          requiredClaims: ['exp', 'iat'],
          currentDate: new Date(nowMs),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
        return { ok: true, claims: payload };
      } catch (error) {
        return { ok: false, reason: reasonOf(error) };
      }
    },
  };
}

function reasonOf(error: unknown): VerifyFailureReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') return 'wrong_purpose';
  return 'malformed';
}
