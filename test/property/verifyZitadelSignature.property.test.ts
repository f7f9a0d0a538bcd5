import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  verifyZitadelSignature,
  type SignatureVerification,
} from '../../src/signature/verifyZitadelSignature.js';
import { signatureHeader } from '../support/webhooks.js';

const KEY = 'sk_property_key_Q7w';
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const TOLERANCE = 300;
const FUTURE_SKEW = 60;
const RUNS = { numRuns: 300 };

const REASONS = [
  'signature_missing',
  'signature_malformed',
  'signature_mismatch',
  'signature_expired',
  'signature_from_future',
];

function verify(
  header: string | undefined,
  rawBody: Uint8Array,
  keys: readonly string[] = [KEY],
): SignatureVerification {
  return verifyZitadelSignature({
    header,
    rawBody,
    keys,
    nowSeconds: NOW,
    toleranceSeconds: TOLERANCE,
    futureSkewSeconds: FUTURE_SKEW,
  });
}

const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF');
const hex = (length: number) =>
  fc.array(hexDigit, { minLength: length, maxLength: length }).map((digits) => digits.join(''));

/** Header-shaped strings: pieces of the real grammar, shuffled, repeated, truncated and mixed with noise. */
const headerLike = fc
  .array(
    fc.oneof(
      fc.constantFrom('t=', 'v1=', 'v0=', ',', '=', ' ', 'T=', 'V1=', '\u0000', '\u00e9', '😀'),
      fc.integer({ min: NOW - 10_000, max: NOW + 10_000 }).map((t) => `t=${t}`),
      fc
        .integer({ min: 0, max: 70 })
        .chain((length) => hex(length))
        .map((digits) => `v1=${digits}`),
      hex(64),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(''));

const anyHeader = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ maxLength: 3000 }),
  headerLike,
  // The shape of a genuine header with a guessed signature: the strongest forgery a keyless caller can make.
  fc
    .tuple(
      fc.integer({ min: NOW - TOLERANCE, max: NOW + FUTURE_SKEW }),
      fc.array(hex(64), { minLength: 1, maxLength: 8 }),
    )
    .map(([t, signatures]) => [`t=${t}`, ...signatures.map((signature) => `v1=${signature}`)].join(',')),
);

const body = fc.uint8Array({ maxLength: 2048 });
const freshTimestamp = fc.integer({ min: NOW - TOLERANCE, max: NOW + FUTURE_SKEW });

describe('verifyZitadelSignature, for any input', () => {
  it('never throws and never verifies a header made without the key', () => {
    fc.assert(
      fc.property(anyHeader, body, (header, rawBody) => {
        const result = verify(header, rawBody);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(REASONS).toContain(result.reason);
      }),
      RUNS,
    );
  });

  it('never verifies anything when no key is configured', () => {
    fc.assert(
      fc.property(body, freshTimestamp, (rawBody, t) => {
        expect(verify(signatureHeader(Buffer.from(rawBody), KEY, t), rawBody, []).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('never verifies a header signed with a different key', () => {
    fc.assert(
      fc.property(
        body,
        freshTimestamp,
        fc.string({ minLength: 1, maxLength: 64 }),
        (rawBody, t, otherKey) => {
          fc.pre(otherKey !== KEY);
          expect(verify(signatureHeader(Buffer.from(rawBody), otherKey, t), rawBody)).toEqual({
            ok: false,
            reason: 'signature_mismatch',
          });
        },
      ),
      RUNS,
    );
  });
});

describe('verifyZitadelSignature, for bodies signed with the key', () => {
  it('verifies any body signed within the tolerance, with the timestamp it carries', () => {
    fc.assert(
      fc.property(body, freshTimestamp, (rawBody, t) => {
        const header = signatureHeader(Buffer.from(rawBody), KEY, t);
        expect(verify(header, rawBody)).toEqual({
          ok: true,
          timestampSeconds: t,
          signature: header.slice(header.indexOf('v1=') + 3),
        });
      }),
      RUNS,
    );
  });

  it('verifies it among other accepted keys and beside other v1 values (a rotation)', () => {
    fc.assert(
      fc.property(
        body,
        freshTimestamp,
        fc.array(fc.string({ minLength: 1, maxLength: 32 }), { maxLength: 4 }),
        fc.array(hex(64), { maxLength: 6 }),
        fc.nat(),
        (rawBody, t, otherKeys, decoys, position) => {
          const genuine = signatureHeader(Buffer.from(rawBody), KEY, t).split(',v1=')[1]!;
          const signatures = [...decoys];
          signatures.splice(position % (decoys.length + 1), 0, genuine);
          const header = [`t=${t}`, ...signatures.map((signature) => `v1=${signature}`)].join(',');
          const keys = [...otherKeys];
          keys.splice(position % (otherKeys.length + 1), 0, KEY);
          expect(verify(header, rawBody, keys).ok).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('refuses the body once any single byte is changed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2048 }),
        freshTimestamp,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (rawBody, t, index, delta) => {
          const header = signatureHeader(Buffer.from(rawBody), KEY, t);
          const tampered = Uint8Array.from(rawBody);
          const at = index % tampered.length;
          tampered[at] = (tampered[at]! + delta) % 256;
          expect(verify(header, tampered)).toEqual({ ok: false, reason: 'signature_mismatch' });
        },
      ),
      RUNS,
    );
  });

  it('refuses the body once a byte is added or removed', () => {
    fc.assert(
      fc.property(
        body,
        freshTimestamp,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (rawBody, t, index, byte, insert) => {
          const header = signatureHeader(Buffer.from(rawBody), KEY, t);
          const bytes = [...rawBody];
          if (insert) bytes.splice(index % (bytes.length + 1), 0, byte);
          else {
            fc.pre(bytes.length > 0);
            bytes.splice(index % bytes.length, 1);
          }
          expect(verify(header, Uint8Array.from(bytes))).toEqual({ ok: false, reason: 'signature_mismatch' });
        },
      ),
      RUNS,
    );
  });

  it('refuses the header once one hex digit of the signature stands for another value', () => {
    fc.assert(
      fc.property(
        body,
        freshTimestamp,
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 1, max: 15 }),
        (rawBody, t, index, delta) => {
          const header = signatureHeader(Buffer.from(rawBody), KEY, t);
          const start = header.indexOf('v1=') + 3;
          const digit = parseInt(header[start + index]!, 16);
          const changed = ((digit + delta) % 16).toString(16);
          const tampered = header.slice(0, start + index) + changed + header.slice(start + index + 1);
          expect(verify(tampered, rawBody)).toEqual({ ok: false, reason: 'signature_mismatch' });
        },
      ),
      RUNS,
    );
  });

  it('refuses the header once one digit of the timestamp is changed', () => {
    fc.assert(
      fc.property(
        body,
        freshTimestamp,
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (rawBody, t, index, delta) => {
          const header = signatureHeader(Buffer.from(rawBody), KEY, t);
          const digits = String(t);
          const at = 2 + (index % digits.length);
          const changed = String((Number(header[at]) + delta) % 10);
          const tampered = header.slice(0, at) + changed + header.slice(at + 1);
          expect(verify(tampered, rawBody)).toEqual({ ok: false, reason: 'signature_mismatch' });
        },
      ),
      RUNS,
    );
  });

  it('refuses a genuine header once a second t= pair is added anywhere', () => {
    fc.assert(
      fc.property(
        body,
        freshTimestamp,
        fc.integer({ min: 0, max: 999_999_999_999 }),
        fc.boolean(),
        (rawBody, t, other, before) => {
          const header = signatureHeader(Buffer.from(rawBody), KEY, t);
          const tampered = before ? `t=${other},${header}` : `${header},t=${other}`;
          expect(verify(tampered, rawBody)).toEqual({ ok: false, reason: 'signature_malformed' });
        },
      ),
      RUNS,
    );
  });

  it('refuses a genuine signature outside the time window as expired or from the future, never as valid', () => {
    fc.assert(
      fc.property(
        body,
        fc.oneof(
          fc.integer({ min: 0, max: NOW - TOLERANCE - 1 }),
          fc.integer({ min: NOW + FUTURE_SKEW + 1, max: 999_999_999_999 }),
        ),
        (rawBody, t) => {
          const result = verify(signatureHeader(Buffer.from(rawBody), KEY, t), rawBody);
          expect(result).toEqual({
            ok: false,
            reason: t < NOW ? 'signature_expired' : 'signature_from_future',
          });
        },
      ),
      RUNS,
    );
  });
});
