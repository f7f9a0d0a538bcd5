import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_LENGTH, createKeyRing, derivePurposeKey } from '../../../src/devices/keyRing.js';

const OLD_SECRET = 'old-secret-old-secret-old-secret-0123';
const NEW_SECRET = 'new-secret-new-secret-new-secret-4567';
const NOW = 1_760_000_000_000;
const MINUTE = 60_000;
const SESSION = 'devices-session';
const TICKET = 'devices-ticket';

function kidOf(token: string): string {
  const kid = decodeProtectedHeader(token).kid;
  if (typeof kid !== 'string') throw new Error('token has no kid');
  return kid;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** A token signed by hand with the key the ring would derive, to reach the checks behind the signature. */
async function handSigned(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: Uint8Array,
) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header }).sign(key);
}

describe('createKeyRing sign and verify', () => {
  const ring = createKeyRing([NEW_SECRET]);

  it('verifies what it signed, for the same purpose, and returns the claims', async () => {
    const token = await ring.sign(SESSION, { sub: 'user-1', via: 'oidc' }, 15 * MINUTE, NOW);
    const result = await ring.verify(token, SESSION, NOW + MINUTE);
    expect(result).toEqual({
      ok: true,
      claims: {
        sub: 'user-1',
        via: 'oidc',
        aud: SESSION,
        iat: seconds(NOW),
        exp: seconds(NOW + 15 * MINUTE),
      },
    });
  });

  it('writes an HS256 header with the purpose as typ and a kid that is neither secret nor derived key', async () => {
    const token = await ring.sign(SESSION, {}, MINUTE, NOW);
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'HS256', typ: SESSION, kid: kidOf(token) });
    const kid = kidOf(token);
    expect(kid).toMatch(/^[A-Za-z0-9_-]{10}$/);
    expect(NEW_SECRET).not.toContain(kid);
    expect(derivePurposeKey(NEW_SECRET, SESSION).toString('base64url')).not.toContain(kid);
    expect(token).not.toContain(Buffer.from(NEW_SECRET).toString('base64url').slice(0, 12));
  });

  it('gives each purpose its own key, hence its own kid', async () => {
    const session = await ring.sign(SESSION, {}, MINUTE, NOW);
    const ticket = await ring.sign(TICKET, {}, MINUTE, NOW);
    expect(kidOf(session)).not.toBe(kidOf(ticket));
    expect(derivePurposeKey(NEW_SECRET, SESSION).equals(derivePurposeKey(NEW_SECRET, TICKET))).toBe(false);
  });

  it('refuses to let a caller set the claims it sets itself', async () => {
    for (const name of ['aud', 'exp', 'iat', 'nbf', 'iss', 'jti'])
      await expect(ring.sign(SESSION, { [name]: 1 }, MINUTE, NOW)).rejects.toThrow(name);
  });

  it('refuses a lifetime that is not a positive number and a purpose that is not a short name', async () => {
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(ring.sign(SESSION, {}, ttl, NOW)).rejects.toThrow(RangeError);
    await expect(ring.sign('Devices Session', {}, MINUTE, NOW)).rejects.toThrow(TypeError);
  });

  it('refuses an empty ring and a secret shorter than 32 characters', () => {
    expect(() => createKeyRing([])).toThrow('at least one secret');
    expect(() => createKeyRing([NEW_SECRET, 'short'])).toThrow('32 characters');
  });
});

describe('key rotation', () => {
  it('verifies a token of the old key while the old key is still in the ring, after the new one', async () => {
    const token = await createKeyRing([OLD_SECRET]).sign(TICKET, { sub: 'u' }, MINUTE, NOW);
    expect((await createKeyRing([NEW_SECRET, OLD_SECRET]).verify(token, TICKET, NOW)).ok).toBe(true);
  });

  it('refuses a token of the old key as unknown_key once the old key is removed', async () => {
    const token = await createKeyRing([OLD_SECRET]).sign(TICKET, { sub: 'u' }, MINUTE, NOW);
    expect(await createKeyRing([NEW_SECRET]).verify(token, TICKET, NOW)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('signs with the first secret, so new tokens survive the removal of the old key', async () => {
    const token = await createKeyRing([NEW_SECRET, OLD_SECRET]).sign(TICKET, {}, MINUTE, NOW);
    expect((await createKeyRing([NEW_SECRET]).verify(token, TICKET, NOW)).ok).toBe(true);
    expect(await createKeyRing([OLD_SECRET]).verify(token, TICKET, NOW)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });
});

describe('verify refuses', () => {
  const ring = createKeyRing([NEW_SECRET]);
  const sign = (purpose = SESSION) => ring.sign(purpose, { sub: 'user-1' }, MINUTE, NOW);

  it('a payload changed after signing, as bad_signature', async () => {
    const [header, , signature] = (await sign()).split('.');
    const forged = `${header}.${b64({ sub: 'admin', aud: SESSION, iat: seconds(NOW), exp: seconds(NOW) + 60 })}.${signature}`;
    expect(await ring.verify(forged, SESSION, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a changed signature, as bad_signature', async () => {
    const [header, payload, signature = ''] = (await sign()).split('.');
    const flipped = (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1);
    expect(await ring.verify(`${header}.${payload}.${flipped}`, SESSION, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('a token past its expiry by more than the few seconds of clock tolerance, as expired', async () => {
    const token = await sign();
    expect((await ring.verify(token, SESSION, NOW + MINUTE + 4_999)).ok).toBe(true);
    expect(await ring.verify(token, SESSION, NOW + MINUTE + 5_000)).toEqual({ ok: false, reason: 'expired' });
    expect(await ring.verify(token, SESSION, NOW + 60 * MINUTE)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a ticket offered as a page session and a page session offered as a ticket, as wrong_purpose', async () => {
    expect(await ring.verify(await sign(TICKET), SESSION, NOW)).toEqual({
      ok: false,
      reason: 'wrong_purpose',
    });
    expect(await ring.verify(await sign(SESSION), TICKET, NOW)).toEqual({
      ok: false,
      reason: 'wrong_purpose',
    });
  });

  it('a token dressed as another purpose but MACed with its own purpose key, as bad_signature', async () => {
    const kid = kidOf(await sign(SESSION));
    const payload = { sub: 'u', aud: SESSION, iat: seconds(NOW), exp: seconds(NOW) + 60 };
    const forged = await handSigned({ typ: SESSION, kid }, payload, derivePurposeKey(NEW_SECRET, TICKET));
    expect(await ring.verify(forged, SESSION, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a token MACed with the raw secret rather than the derived key, as bad_signature', async () => {
    const kid = kidOf(await sign(SESSION));
    const payload = { sub: 'u', aud: SESSION, iat: seconds(NOW), exp: seconds(NOW) + 60 };
    const forged = await handSigned({ typ: SESSION, kid }, payload, Buffer.from(NEW_SECRET));
    expect(await ring.verify(forged, SESSION, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a correctly signed token whose audience is another purpose, as wrong_purpose', async () => {
    const kid = kidOf(await sign(SESSION));
    const payload = { aud: TICKET, iat: seconds(NOW), exp: seconds(NOW) + 60 };
    const token = await handSigned({ typ: SESSION, kid }, payload, derivePurposeKey(NEW_SECRET, SESSION));
    expect(await ring.verify(token, SESSION, NOW)).toEqual({ ok: false, reason: 'wrong_purpose' });
  });

  it('a correctly signed token without an expiry, as malformed', async () => {
    const kid = kidOf(await sign(SESSION));
    const payload = { aud: SESSION, iat: seconds(NOW) };
    const token = await handSigned({ typ: SESSION, kid }, payload, derivePurposeKey(NEW_SECRET, SESSION));
    expect(await ring.verify(token, SESSION, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('an unsigned token (alg none), as bad_signature', async () => {
    const kid = kidOf(await sign(SESSION));
    const payload = { sub: 'u', aud: SESSION, iat: seconds(NOW), exp: seconds(NOW) + 60 };
    const unsigned = `${b64({ alg: 'none', typ: SESSION, kid })}.${b64(payload)}.`;
    expect(await ring.verify(unsigned, SESSION, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a token signed with RS256, as bad_signature', async () => {
    const kid = kidOf(await sign(SESSION));
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'RS256', typ: SESSION, kid })
      .setAudience(SESSION)
      .setIssuedAt(seconds(NOW))
      .setExpirationTime(seconds(NOW) + 60)
      .sign(privateKey);
    expect(await ring.verify(token, SESSION, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a token whose kid is missing or not ours, as unknown_key', async () => {
    const payload = { aud: SESSION, iat: seconds(NOW), exp: seconds(NOW) + 60 };
    const key = derivePurposeKey(NEW_SECRET, SESSION);
    expect(await ring.verify(await handSigned({ typ: SESSION }, payload, key), SESSION, NOW)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
    expect(
      await ring.verify(await handSigned({ typ: SESSION, kid: 'nope' }, payload, key), SESSION, NOW),
    ).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it.each([
    ['an empty string', ''],
    ['a word', 'garbage'],
    ['three dots of nothing', '..'],
    ['three segments that are not base64 JSON', 'a.b.c'],
    ['a header that is JSON but not an object', `${b64('x')}.${b64({})}.sig`],
    ['10 KB of token characters', 'a'.repeat(10 * 1024)],
    ['undefined', undefined],
    ['a number', 42],
    ['an array', ['a.b.c']],
  ])('%s, as malformed', async (_name, token) => {
    expect(await ring.verify(token, SESSION, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a well-formed token one character longer than the limit, as malformed, before looking at it', async () => {
    const token = await ring.sign(SESSION, { pad: 'x'.repeat(MAX_TOKEN_LENGTH) }, MINUTE, NOW);
    expect(token.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    expect(await ring.verify(token, SESSION, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});
