import { describe, expect, it } from 'vitest';
import { signZitadelPayload, zitadelHmac } from '../../src/signature/signZitadelPayload.js';
import { verifyZitadelSignature } from '../../src/signature/verifyZitadelSignature.js';
import { headerTimestamp, vectors } from '../support/signatureVectors.js';

describe('signZitadelPayload with ZITADEL known-answer vectors', () => {
  it('has the six vectors this suite expects', () => {
    expect(vectors).toHaveLength(6);
  });

  it.each(vectors.map((v, index) => [index + 1, v] as const))(
    'produces the header ZITADEL computed for vector %i',
    (_number, v) => {
      const body = Buffer.from(v.bodyBase64, 'base64');
      expect(signZitadelPayload(body, v.keys ?? v.key, headerTimestamp(v.header))).toBe(v.header);
    },
  );

  it('signs a string body as its UTF-8 bytes (vector 4 carries non-ASCII text in body and key)', () => {
    const v = vectors[3]!;
    const text = Buffer.from(v.bodyBase64, 'base64').toString('utf8');
    expect(Buffer.byteLength(text, 'utf8')).toBeGreaterThan(text.length);
    expect(signZitadelPayload(text, v.key, v.t)).toBe(v.header);
  });

  it('puts one v1 per key in the order the keys are given', () => {
    const v = vectors[5]!;
    const [first, second] = v.keys!;
    const body = Buffer.from(v.bodyBase64, 'base64');
    const t = headerTimestamp(v.header);
    const [v1First, v1Second] = v.header.split(',v1=').slice(1);
    expect(signZitadelPayload(body, [second!, first!], t)).toBe(`t=${t},v1=${v1Second},v1=${v1First}`);
    expect(zitadelHmac(first!, t, body).toString('hex')).toBe(v1First);
  });
});

describe('signZitadelPayload', () => {
  const BODY = '{"fullMethod":"/zitadel.session.v2.SessionService/CreateSession"}';
  const KEY = 'test-signing-key';
  const NOW = 1_760_000_000;
  const verifyNow = (header: string, body: string | Uint8Array, keys: readonly string[]) =>
    verifyZitadelSignature({
      header,
      rawBody: Buffer.from(body),
      keys,
      nowSeconds: NOW,
      toleranceSeconds: 300,
      futureSkewSeconds: 30,
    });

  it.each([
    ['a string body', BODY],
    ['a byte body', Buffer.from(BODY, 'utf8')],
    ['an empty body', ''],
  ])('round-trips with the verifier for %s', (_name, body) => {
    const header = signZitadelPayload(body, KEY, NOW);
    const result = verifyNow(header, body, [KEY]);
    expect(result).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: header.slice(`t=${NOW},v1=`.length),
    });
  });

  it('round-trips a rotation header: the verifier holding only the new key accepts it', () => {
    const header = signZitadelPayload(BODY, ['old-key', 'new-key'], NOW);
    const result = verifyNow(header, BODY, ['new-key']);
    expect(result).toEqual({
      ok: true,
      timestampSeconds: NOW,
      signature: zitadelHmac('new-key', NOW, BODY).toString('hex'),
    });
  });

  it('signs the epoch as t=0', () => {
    expect(signZitadelPayload(BODY, KEY, 0)).toMatch(/^t=0,v1=[0-9a-f]{64}$/);
  });

  it.each([
    ['a fractional timestamp', 1.5],
    ['a negative timestamp', -1],
    ['NaN', Number.NaN],
    ['an unsafe integer', 2 ** 53],
  ])('refuses %s, which no verifier would accept', (_name, t) => {
    expect(() => signZitadelPayload(BODY, KEY, t)).toThrow(
      new RangeError('the signature timestamp must be whole unix seconds, 0 or more'),
    );
  });

  it('refuses an empty key list: a header without v1 is no signature', () => {
    expect(() => signZitadelPayload(BODY, [], NOW)).toThrow(
      new RangeError('a signature needs at least one key'),
    );
  });
});
