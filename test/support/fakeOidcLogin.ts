import { randomUUID } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import type { FakeSession } from './fakeZitadel.js';
import type { FakeAuthRequest, FakeOidcProvider } from './fakeOidc.js';

/**
 * A stand-in for Login V2 (`/ui/v2/login`), server-rendered and without JavaScript, so a headless browser or plain
 * fetch can sign in. It makes Login V2's session calls (apps/login/src/lib/server/loginname.ts, password.ts; FACTS.md
 * section 4) through the provider's FakeSessionExecutions, so the limiter is called with signed webhooks:
 * CreateSession with the user check at the username step, SetSession with the password; a failed SetSession is
 * retried as CreateSession(user + password), and when that fails too the page says Login V2's
 * "Could not create session for user". Like Login V2 it gives each browser a `fingerprintId` cookie (one year,
 * httpOnly; apps/login/src/lib/fingerprint.ts) sent as `userAgent.fingerprintId`, with the browser's User-Agent
 * split at commas as `header["user-agent"]` and the client address as `ip`; and it keeps the browser's sessions in a
 * `sessions` cookie (apps/login/src/lib/cookies.ts): an authorize request finds a live one and finishes without a
 * form and without a new session (single sign-on), unless it asked for `prompt=login`.
 */

export interface FakeLoginUser {
  readonly userId: string;
  readonly loginName: string;
  readonly password: string;
}

/** Login V2 always sends a lifetime: the login settings' check lifetime, else 24 h (FACTS.md section 4). */
const SESSION_LIFETIME_MS = 24 * 60 * 60 * 1000;
const LOGIN_PATH = '/ui/v2/login/login';

export const LOGIN_TEXT = {
  refused: 'Could not create session for user',
  userNotFound: 'User not found in the system',
  wrongPassword: 'Failed to authenticate.',
} as const;

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cookiesOf(req: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return cookies;
}

function sessionIdsOf(req: Request): string[] {
  try {
    const parsed = JSON.parse(cookiesOf(req).get('sessions') ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function page(res: Response, authRequestId: string, message?: string): void {
  res
    .status(200)
    .type('html')
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in</h1>${message === undefined ? '' : `<p role="alert" id="error">${escapeHtml(message)}</p>`}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="authRequest" value="${escapeHtml(authRequestId)}">
<label>Login name <input name="loginName" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form></body></html>`,
    );
}

export function mountFakeLogin(app: Express, provider: FakeOidcProvider): void {
  const isLive = (session: FakeSession | undefined): session is FakeSession =>
    session !== undefined &&
    session.terminatedAt === undefined &&
    session.factors.includes('password') &&
    (session.expirationDate === undefined || session.expirationDate.getTime() > provider.now());

  const authRequestOf = (req: Request, res: Response): FakeAuthRequest | undefined => {
    const source = req.method === 'POST' ? (req.body as Record<string, unknown>) : req.query;
    const id = typeof source.authRequest === 'string' ? source.authRequest : '';
    const authRequest = provider.authRequests.get(id);
    if (authRequest === undefined || authRequest.phase !== 'added') {
      res.status(400).type('text').send('Errors.AuthRequest.NotExisting');
      return undefined;
    }
    return authRequest;
  };

  /** Browser cookies Login V2 sets: the fingerprint (made once per browser) and the session list. */
  const fingerprintOf = (req: Request, res: Response): string => {
    const existing = cookiesOf(req).get('fingerprintId');
    const fingerprintId = existing ?? randomUUID();
    if (existing === undefined)
      res.cookie('fingerprintId', fingerprintId, { httpOnly: true, path: '/', maxAge: 31_536_000_000 });
    return fingerprintId;
  };

  const finish = (req: Request, res: Response, authRequest: FakeAuthRequest, session: FakeSession) => {
    const ids = [...sessionIdsOf(req).filter((id) => id !== session.id), session.id];
    res.cookie('sessions', JSON.stringify(ids), { httpOnly: true, path: '/', sameSite: 'lax' });
    const authTime = session.factorVerifiedAt?.password ?? session.changeDate;
    res.redirect(302, provider.completeAuthRequest(authRequest, session.id, authTime.getTime()));
  };

  app.get(LOGIN_PATH, (req, res) => {
    const authRequest = authRequestOf(req, res);
    if (authRequest === undefined) return;
    fingerprintOf(req, res);
    if (!authRequest.prompt.includes('login')) {
      // Single sign-on: the newest live session this browser holds.
      const held = sessionIdsOf(req)
        .map((id) => provider.zitadel.sessions.get(id))
        .filter(isLive)
        .sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime());
      if (held[0] !== undefined) return finish(req, res, authRequest, held[0]);
    }
    page(res, authRequest.id);
  });

  app.post(LOGIN_PATH, (req, res) => void signIn(req, res));

  async function signIn(req: Request, res: Response): Promise<void> {
    const authRequest = authRequestOf(req, res);
    if (authRequest === undefined) return;
    const form = req.body as Record<string, unknown>;
    const loginName = typeof form.loginName === 'string' ? form.loginName : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const user = provider.users.get(loginName);
    if (user === undefined) return page(res, authRequest.id, LOGIN_TEXT.userNotFound);
    const fingerprintId = fingerprintOf(req, res);
    const forwarded = req.headers['x-forwarded-for'];
    const userAgent = {
      ip: (typeof forwarded === 'string' ? forwarded : (req.socket.remoteAddress ?? '')).replace(
        /^::ffff:/,
        '',
      ),
      description: req.headers['user-agent'] ?? '',
      header: (req.headers['user-agent'] ?? '').split(','),
    };
    const session = await runLoginCalls(provider, user, password, fingerprintId, userAgent);
    if (typeof session === 'string') return page(res, authRequest.id, session);
    finish(req, res, authRequest, session);
  }
}

/** Login V2's calls for a username + password sign-in; the signed-in session, or the text the page shows. */
async function runLoginCalls(
  provider: FakeOidcProvider,
  user: FakeLoginUser,
  password: string,
  fingerprintId: string,
  userAgent: { ip: string; description: string; header: string[] },
): Promise<FakeSession | string> {
  const zitadel = provider.zitadel;
  const executions = provider.executions;
  const common = { fingerprintId, lifetimeMs: SESSION_LIFETIME_MS, userAgent };
  if (executions === undefined) {
    // No target registered: the session calls write to the fake ZITADEL directly.
    if (password !== user.password) return LOGIN_TEXT.wrongPassword;
    return zitadel.addSession({
      userId: user.userId,
      loginName: user.loginName,
      fingerprintId,
      userAgentIp: userAgent.ip,
      userAgentDescription: userAgent.description,
      userAgentHeader: userAgent.header,
      expirationDate: new Date(provider.now() + SESSION_LIFETIME_MS),
    });
  }
  const created = await executions.createSession({
    user: { loginName: user.loginName, userId: user.userId },
    ...common,
  });
  if (created.status !== 201 || created.sessionId === undefined) return LOGIN_TEXT.refused;
  // ZITADEL refuses a wrong password before any response condition runs: no webhook.
  if (password !== user.password) return LOGIN_TEXT.wrongPassword;
  const set = await executions.setSession(created.sessionId, { password: true });
  if (set.status === 200) return zitadel.sessions.get(created.sessionId)!;
  const retried = await executions.createSession({
    user: { userId: user.userId },
    password: true,
    ...common,
  });
  if (retried.status !== 201 || retried.sessionId === undefined) return LOGIN_TEXT.refused;
  const session = zitadel.sessions.get(retried.sessionId)!;
  session.loginName = user.loginName;
  return session;
}
