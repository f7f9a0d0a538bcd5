import { createHmac } from 'node:crypto';

/**
 * The one HMAC of the `ZITADEL-Signature` scheme: SHA-256 over `"<t>." + raw body`, keyed by the signing key taken
 * as raw UTF-8 bytes, not base64 (zitadel `pkg/actions/signing.go`). The verifier, the CLI probe and the tests'
 * signer all compute it here, so they cannot drift apart; the known-answer vectors from ZITADEL's own code pin it.
 *
 * The timestamp is taken as given, unchecked, so that tests can build deliberately odd headers with it.
 */
export function zitadelHmac(key: string, timestamp: number | string, rawBody: Uint8Array | string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(`${timestamp}.`).update(rawBody).digest();
}

/**
 * Signs a body the way ZITADEL does: `t=<unix seconds>,v1=<lowercase hex>`, with one `v1` per key in the order
 * given (ZITADEL itself sends one; several keys build the header of a key rotation).
 *
 * Throws on a timestamp that is not a whole number of seconds from the epoch on, or on no key: either would make a
 * header that no verifier accepts, which is a bug in the caller, not a signature.
 */
export function signZitadelPayload(
  rawBody: Uint8Array | string,
  key: string | readonly string[],
  timestampSeconds: number,
): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0)
    throw new RangeError('the signature timestamp must be whole unix seconds, 0 or more');
  const keys = typeof key === 'string' ? [key] : key;
  if (keys.length === 0) throw new RangeError('a signature needs at least one key');
  const signatures = keys.map((each) => `v1=${zitadelHmac(each, timestampSeconds, rawBody).toString('hex')}`);
  return `t=${timestampSeconds},${signatures.join(',')}`;
}
