import { describe, expect, it } from 'vitest';
import { createKeyRing } from '../../../src/devices/keyRing.js';
import {
  LOGIN_STATE_COOKIE,
  PAGE_COOKIE,
  csrfMatches,
  openLoginState,
  openPageSession,
  readPageSession,
  sealLoginState,
  sealPageSession,
} from '../../../src/devices/pageSession.js';

const SECRET = 'page-secret-page-secret-page-secret-page';
const NOW = 1_760_000_000_000;
const TTL = 15 * 60_000;
const ring = createKeyRing([SECRET]);

describe('page session cookie', () => {
  it('names its cookies as the routes and docs expect', () => {
    expect(PAGE_COOKIE).toBe('limiter_devices');
    expect(LOGIN_STATE_COOKIE).toBe('limiter_devices_login');
  });

  it('round-trips an OIDC session with a fresh 32-byte base64url CSRF token and the expiry', async () => {
    const { value, session } = await sealPageSession(
      ring,
      { userId: 'u1', sessionId: 'sid-1', via: 'oidc' },
      TTL,
      NOW,
    );
    expect(session).toEqual({
      userId: 'u1',
      sessionId: 'sid-1',
      via: 'oidc',
      csrf: session.csrf,
      expiresAtMs: NOW + TTL,
    });
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await openPageSession(ring, value, NOW + 1000)).toEqual(session);
  });

  it('round-trips a ticket session with the attempt and fingerprint, and no sessionId', async () => {
    const opened = { userId: 'u1', via: 'ticket', attemptSessionId: 'att', fingerprintId: 'fp' } as const;
    const { value, session } = await sealPageSession(ring, opened, TTL, NOW);
    expect(await openPageSession(ring, value, NOW)).toEqual(session);
    expect(session).not.toHaveProperty('sessionId');
  });

  it('draws a new CSRF token for every seal', async () => {
    const one = await sealPageSession(ring, { userId: 'u1', via: 'oidc' }, TTL, NOW);
    const two = await sealPageSession(ring, { userId: 'u1', via: 'oidc' }, TTL, NOW);
    expect(one.session.csrf).not.toBe(two.session.csrf);
  });

  it('opens nothing from an expired, foreign, malformed or missing cookie, and tells why', async () => {
    const { value } = await sealPageSession(ring, { userId: 'u1', via: 'oidc' }, TTL, NOW);
    expect(await openPageSession(ring, value, NOW + TTL + 60_000)).toBeUndefined();
    expect(await readPageSession(ring, value, NOW + TTL + 60_000)).toEqual({ ok: false, reason: 'expired' });
    const other = createKeyRing(['another-secret-another-secret-another']);
    expect(await readPageSession(other, value, NOW)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(await openPageSession(ring, 'garbage', NOW)).toBeUndefined();
    expect(await openPageSession(ring, undefined, NOW)).toBeUndefined();
  });

  it('does not take a login-state cookie or a ticket for a page session', async () => {
    const login = await sealLoginState(ring, { state: 's', nonce: 'n', codeVerifier: 'v' }, TTL, NOW);
    expect(await readPageSession(ring, login, NOW)).toEqual({ ok: false, reason: 'wrong_purpose' });
    const ticket = await ring.sign('devices-ticket', { sub: 'u', via: 'ticket', csrf: 'x' }, TTL, NOW);
    expect(await readPageSession(ring, ticket, NOW)).toEqual({ ok: false, reason: 'wrong_purpose' });
  });

  it('refuses a correctly signed session with an unknown via or no csrf as invalid_claims', async () => {
    const badVia = await ring.sign('devices-session', { sub: 'u', via: 'admin', csrf: 'x' }, TTL, NOW);
    expect(await readPageSession(ring, badVia, NOW)).toEqual({ ok: false, reason: 'invalid_claims' });
    const noCsrf = await ring.sign('devices-session', { sub: 'u', via: 'oidc' }, TTL, NOW);
    expect(await readPageSession(ring, noCsrf, NOW)).toEqual({ ok: false, reason: 'invalid_claims' });
    const badSid = await ring.sign('devices-session', { sub: 'u', via: 'oidc', csrf: 'x', sid: 5 }, TTL, NOW);
    expect(await readPageSession(ring, badSid, NOW)).toEqual({ ok: false, reason: 'invalid_claims' });
  });
});

describe('login state cookie', () => {
  const state = { state: 'st-1', nonce: 'no-1', codeVerifier: 'cv-1' };

  it('round-trips state, nonce and code verifier', async () => {
    const value = await sealLoginState(ring, state, 5 * 60_000, NOW);
    expect(await openLoginState(ring, value, NOW + 1000)).toEqual(state);
  });

  it('opens nothing once expired, from a page cookie, or from garbage', async () => {
    const value = await sealLoginState(ring, state, 5 * 60_000, NOW);
    expect(await openLoginState(ring, value, NOW + 6 * 60_000)).toBeUndefined();
    const page = await sealPageSession(ring, { userId: 'u', via: 'oidc' }, TTL, NOW);
    expect(await openLoginState(ring, page.value, NOW)).toBeUndefined();
    expect(await openLoginState(ring, '', NOW)).toBeUndefined();
  });

  it('opens nothing from a correctly signed state missing its verifier', async () => {
    const value = await ring.sign('devices-login', { st: 's', non: 'n' }, TTL, NOW);
    expect(await openLoginState(ring, value, NOW)).toBeUndefined();
  });
});

describe('csrfMatches', () => {
  const session = { csrf: 'Q2hlY2tDc3JmVG9rZW5Gb3JUaGVEZXZpY2VzUGFnZTE' };

  it('accepts the session token', () => {
    expect(csrfMatches(session, session.csrf)).toBe(true);
  });

  it.each([
    ['another token of the same length', 'X' + session.csrf.slice(1)],
    ['a prefix', session.csrf.slice(0, 20)],
    ['a longer string', session.csrf + 'x'],
    ['an empty string', ''],
    ['undefined', undefined],
    ['a number', 42],
    ['an array of the token', [session.csrf]],
  ])('refuses %s', (_name, submitted) => {
    expect(csrfMatches(session, submitted)).toBe(false);
  });

  it('refuses everything when the session token is empty', () => {
    expect(csrfMatches({ csrf: '' }, '')).toBe(false);
  });
});
