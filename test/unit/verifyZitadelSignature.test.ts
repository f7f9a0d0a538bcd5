import { describe, expect, it } from 'vitest';
import { zitadelHmac } from '../../src/signature/signZitadelPayload.js';
import {
  verifyZitadelSignature,
  type VerifySignatureInput,
} from '../../src/signature/verifyZitadelSignature.js';
import { headerTimestamp, vectors, type SignatureVector } from '../support/signatureVectors.js';

function vector(index: number): SignatureVector {
  const found = vectors[index];
  if (found === undefined) throw new Error(`signature vector ${index} is missing`);
  return found;
}

const KEY = 'test-signing-key';
const NOW = 1_760_000_000;
const BODY = Buffer.from('{"fullMethod":"/zitadel.session.v2.SessionService/CreateSession"}', 'utf8');

/** A bare `v1` value, for building headers by hand; the shared HMAC is pinned by the known-answer vectors. */
function sign(key: string, timestamp: number | string, body: Uint8Array = BODY): string {
  return zitadelHmac(key, timestamp, body).toString('hex');
}

function verify(overrides: Partial<VerifySignatureInput>) {
  return verifyZitadelSignature({
    header: `t=${NOW},v1=${sign(KEY, NOW)}`,
    rawBody: BODY,
    keys: [KEY],
    nowSeconds: NOW,
    toleranceSeconds: 300,
    futureSkewSeconds: 30,
    ...overrides,
  });
}

describe('verifyZitadelSignature with ZITADEL known-answer vectors', () => {
  it('has the six vectors this suite expects', () => {
    expect(vectors).toHaveLength(6);
  });

  it.each(vectors.map((v, index) => [index + 1, v] as const))('accepts vector %i', (_number, v) => {
    const nowSeconds = headerTimestamp(v.header);
    const result = verifyZitadelSignature({
      header: v.header,
      rawBody: Buffer.from(v.bodyBase64, 'base64'),
      keys: v.keys ?? [v.key],
      nowSeconds,
      toleranceSeconds: 300,
      futureSkewSeconds: 30,
    });
    expect(result.ok && result.timestampSeconds).toBe(nowSeconds);
    // The v1 that matched is reported (vector 6 carries one per key of a rotation).
    expect(v.header).toContain(`v1=${result.ok ? result.signature : 'none'}`);
  });

  it('rejects vector 6 as expired when the clock is its t field, a year after the header timestamp', () => {
    const v = vector(5);
    expect(headerTimestamp(v.header)).toBe(1_767_225_600);
    expect(v.t).not.toBe(headerTimestamp(v.header));
    const result = verifyZitadelSignature({
      header: v.header,
      rawBody: Buffer.from(v.bodyBase64, 'base64'),
      keys: v.keys ?? [v.key],
      nowSeconds: v.t,
      toleranceSeconds: 300,
      futureSkewSeconds: 30,
    });
    expect(result).toEqual({ ok: false, reason: 'signature_expired' });
  });

  it('rejects a vector whose body was re-serialised from parsed JSON (Go escapes such as \\u00e4 are lost)', () => {
    const v = vector(1);
    const raw = Buffer.from(v.bodyBase64, 'base64').toString('utf8');
    expect(raw).toContain('\\u00e4');
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw)), 'utf8');
    const result = verifyZitadelSignature({
      header: v.header,
      rawBody: reserialised,
      keys: [v.key],
      nowSeconds: v.t,
      toleranceSeconds: 300,
      futureSkewSeconds: 30,
    });
    expect(result).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects vector 1 verified with the key of vector 2', () => {
    const v = vector(0);
    const result = verifyZitadelSignature({
      header: v.header,
      rawBody: Buffer.from(v.bodyBase64, 'base64'),
      keys: [vector(1).key],
      nowSeconds: v.t,
      toleranceSeconds: 300,
      futureSkewSeconds: 30,
    });
    expect(result).toEqual({ ok: false, reason: 'signature_mismatch' });
  });
});

describe('verifyZitadelSignature', () => {
  it('accepts a header signed with the configured key', () => {
    expect(verify({})).toEqual({ ok: true, timestampSeconds: NOW, signature: goodV1 });
  });

  it.each([
    ['an absent header', undefined],
    ['an empty header', ''],
  ])('reports %s as signature_missing', (_name, header) => {
    expect(verify({ header })).toEqual({ ok: false, reason: 'signature_missing' });
  });

  const goodV1 = sign(KEY, NOW);
  it.each([
    ['a header without t', `v1=${goodV1}`],
    ['a header without v1', `t=${NOW}`],
    ['a header with only unknown schemes besides t', `t=${NOW},v0=${goodV1}`],
    ['a v1 that is not hex', `t=${NOW},v1=${'z'.repeat(64)}`],
    ['a v1 that is too short', `t=${NOW},v1=${goodV1.slice(0, 62)}`],
    ['a v1 that is too long', `t=${NOW},v1=${goodV1}00`],
    ['a t that is not digits', `t=17x0000000,v1=${goodV1}`],
    ['a negative t', `t=-${NOW},v1=${goodV1}`],
    ['an empty t', `t=,v1=${goodV1}`],
    ['two t values', `t=${NOW},t=${NOW},v1=${goodV1}`],
    ['a pair without =', `t=${NOW},v1=${goodV1},garbage`],
    ['a pair with an empty name', `t=${NOW},=x,v1=${goodV1}`],
    ['an empty pair', `t=${NOW},,v1=${goodV1}`],
    ['spaces after the commas', `t=${NOW}, v1=${goodV1}`],
    ['a header longer than 1024 characters', `t=${NOW},v1=${goodV1},x=${'a'.repeat(1024)}`],
    ['more than 8 signatures', `t=${NOW},${Array.from({ length: 9 }, () => `v1=${goodV1}`).join(',')}`],
  ])('reports %s as signature_malformed', (_name, header) => {
    expect(verify({ header })).toEqual({ ok: false, reason: 'signature_malformed' });
  });

  it('accepts up to 8 signatures when one of them matches', () => {
    const others = Array.from({ length: 7 }, (_, index) => `v1=${sign(`old-key-${index}`, NOW)}`);
    expect(verify({ header: `t=${NOW},${others.join(',')},v1=${goodV1}` })).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: goodV1,
    });
  });

  it('rejects a signature made with another key as signature_mismatch', () => {
    expect(verify({ header: `t=${NOW},v1=${sign('another-key', NOW)}` })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('rejects a body changed by one byte as signature_mismatch', () => {
    const tampered = Buffer.from(BODY);
    tampered[tampered.length - 2] = (tampered[tampered.length - 2] ?? 0) ^ 1;
    expect(verify({ rawBody: tampered })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a signature whose t was changed after signing', () => {
    expect(verify({ header: `t=${NOW + 1},v1=${goodV1}` })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('rejects every signature when no key is configured', () => {
    expect(verify({ keys: [] })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a signature older than the tolerance as signature_expired', () => {
    const t = NOW - 301;
    expect(verify({ header: `t=${t},v1=${sign(KEY, t)}` })).toEqual({
      ok: false,
      reason: 'signature_expired',
    });
  });

  it('accepts a signature exactly as old as the tolerance', () => {
    const t = NOW - 300;
    expect(verify({ header: `t=${t},v1=${sign(KEY, t)}` })).toEqual({
      ok: true,
      timestampSeconds: t,
      signature: sign(KEY, t),
    });
  });

  it('rejects a timestamp further ahead than the clock skew as signature_from_future', () => {
    const t = NOW + 31;
    expect(verify({ header: `t=${t},v1=${sign(KEY, t)}` })).toEqual({
      ok: false,
      reason: 'signature_from_future',
    });
  });

  it('accepts a timestamp ahead of the clock by no more than the skew', () => {
    const t = NOW + 30;
    expect(verify({ header: `t=${t},v1=${sign(KEY, t)}` })).toEqual({
      ok: true,
      timestampSeconds: t,
      signature: sign(KEY, t),
    });
  });

  it('reports a forged old signature as a mismatch, not as expired', () => {
    const t = NOW - 10_000;
    expect(verify({ header: `t=${t},v1=${sign('forger', t)}` })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('accepts a signature made with the second of several keys (rotation)', () => {
    expect(verify({ keys: ['retired-key', KEY] })).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: goodV1,
    });
  });

  it('accepts a header carrying one v1 per key when only the second v1 matches', () => {
    expect(verify({ header: `t=${NOW},v1=${sign('retired-key', NOW)},v1=${goodV1}` })).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: goodV1,
    });
  });

  it('ignores unknown schemes such as v0', () => {
    expect(verify({ header: `t=${NOW},v0=not-a-signature,v1=${goodV1},v2=future` })).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: goodV1,
    });
  });

  it('accepts the signature in uppercase hex', () => {
    expect(verify({ header: `t=${NOW},v1=${goodV1.toUpperCase()}` })).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: goodV1,
    });
  });

  it('accepts the pairs in any order', () => {
    expect(verify({ header: `v1=${goodV1},t=${NOW}` })).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: goodV1,
    });
  });

  it('verifies over the raw bytes, so a key with non-ASCII characters is used as UTF-8', () => {
    const key = 'schlüssel-ß';
    expect(verify({ keys: [key], header: `t=${NOW},v1=${sign(key, NOW)}` })).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: sign(key, NOW),
    });
  });
});
