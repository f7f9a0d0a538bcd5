// The devices page's own state in the browser: the page cookie (who is looking, how they got in, the CSRF token of
// their forms) and the short-lived OIDC login-state cookie (state, nonce and PKCE verifier between the redirect to
// ZITADEL and the callback). Both are signed tokens from the key ring, each with its own purpose, so the server
// stores nothing and a cookie of one kind can never be played as the other.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyRing, VerifyFailureReason } from './keyRing.js';
import type { LoginState } from '../zitadel/devicesOidc.js';

export const PAGE_COOKIE = 'limiter_devices';
export const LOGIN_STATE_COOKIE = 'limiter_devices_login';
const SESSION_PURPOSE = 'devices-session';
const LOGIN_STATE_PURPOSE = 'devices-login';

export interface PageSession {
  readonly userId: string;
  /** The ZITADEL session id (`sid`) of the login that opened the page, to mark the current device. */
  readonly sessionId?: string;
  /** Signed in with ZITADEL, or let in by a refusal ticket (then only while the user is at their limit). */
  readonly via: 'oidc' | 'ticket';
  readonly csrf: string;
  readonly expiresAtMs: number;
  readonly attemptSessionId?: string;
  readonly fingerprintId?: string;
}

export type NewPageSession = Omit<PageSession, 'csrf' | 'expiresAtMs'>;

export type { LoginState };

export type Opened<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: VerifyFailureReason | 'invalid_claims' };

const MAX_FIELD_LENGTH = 200;
const isField = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH;
const isOptionalField = (value: unknown) => value === undefined || isField(value);

export async function sealPageSession(
  ring: KeyRing,
  session: NewPageSession,
  ttlMs: number,
  nowMs: number,
): Promise<{ value: string; session: PageSession }> {
  const csrf = randomBytes(32).toString('base64url');
  const claims = { sub: session.userId, sid: session.sessionId, via: session.via, csrf };
  const extra = { att: session.attemptSessionId, fpr: session.fingerprintId };
  const value = await ring.sign(SESSION_PURPOSE, { ...claims, ...extra }, ttlMs, nowMs);
  // The expiry the token carries (whole seconds), so the session returned equals the one opened later.
  const expiresAtMs = Math.floor((nowMs + ttlMs) / 1000) * 1000;
  return { value, session: { ...session, csrf, expiresAtMs } };
}

/** The page session a cookie value carries, with the reason when it carries none (for metrics, never for users). */
export async function readPageSession(
  ring: KeyRing,
  value: unknown,
  nowMs: number,
): Promise<Opened<PageSession>> {
  const verified = await ring.verify(value, SESSION_PURPOSE, nowMs);
  if (!verified.ok) return verified;
  const { sub, sid, via, csrf, att, fpr, exp } = verified.claims;
  if (!isField(sub) || !isField(csrf) || (via !== 'oidc' && via !== 'ticket') || typeof exp !== 'number')
    return { ok: false, reason: 'invalid_claims' };
  if (!isOptionalField(sid) || !isOptionalField(att) || !isOptionalField(fpr))
    return { ok: false, reason: 'invalid_claims' };
  const session: PageSession = {
    userId: sub,
    via,
    csrf,
    expiresAtMs: exp * 1000,
    ...(typeof sid === 'string' ? { sessionId: sid } : {}),
    ...(typeof att === 'string' ? { attemptSessionId: att } : {}),
    ...(typeof fpr === 'string' ? { fingerprintId: fpr } : {}),
  };
  return { ok: true, value: session };
}

export async function openPageSession(
  ring: KeyRing,
  value: unknown,
  nowMs: number,
): Promise<PageSession | undefined> {
  const opened = await readPageSession(ring, value, nowMs);
  return opened.ok ? opened.value : undefined;
}

export async function sealLoginState(
  ring: KeyRing,
  state: LoginState,
  ttlMs: number,
  nowMs: number,
): Promise<string> {
  const claims = { st: state.state, non: state.nonce, cv: state.codeVerifier };
  return await ring.sign(LOGIN_STATE_PURPOSE, claims, ttlMs, nowMs);
}

export async function openLoginState(
  ring: KeyRing,
  value: unknown,
  nowMs: number,
): Promise<LoginState | undefined> {
  const verified = await ring.verify(value, LOGIN_STATE_PURPOSE, nowMs);
  if (!verified.ok) return undefined;
  const { st, non, cv } = verified.claims;
  if (!isField(st) || !isField(non) || !isField(cv)) return undefined;
  return { state: st, nonce: non, codeVerifier: cv };
}

/** Whether a submitted form's CSRF token is the session's, compared in constant time. */
export function csrfMatches(session: Pick<PageSession, 'csrf'>, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const expected = Buffer.from(session.csrf, 'utf8');
  const actual = Buffer.from(submitted, 'utf8');
  // Unequal lengths end early: the length of a CSRF token is no secret, its bytes are.
  return expected.length === actual.length && expected.length > 0 && timingSafeEqual(expected, actual);
}

// The cookie headers themselves are written in cookies.ts; re-exported so the routes find the page's cookie API here.
export { clearCookieHeader, cookieHeader, readCookie, type CookieOptions } from './cookies.js';
