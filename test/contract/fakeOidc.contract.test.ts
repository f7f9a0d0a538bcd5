import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeBrowser } from '../support/fakeBrowser.js';
import { FakeOidcProvider } from '../support/fakeOidc.js';
import { LOGIN_TEXT } from '../support/fakeOidcLogin.js';
import { FakeSessionExecutions } from '../support/fakeSessionExecutions.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { FakeJwks, instanceWebKey } from '../support/payloadKeys.js';

/**
 * The fake OIDC provider against what ZITADEL v4 does (internal/api/oidc/*.go, zitadel/oidc v3 pkg/op). Each test
 * names the Go file it imitates; a test that fails means the fake drifted from ZITADEL, not the other way round.
 */

const CLIENT = {
  clientId: 'devices-client@limiter',
  clientSecret: 'devices-secret-never-logged',
  redirectUris: ['http://127.0.0.1:9/devices/callback'],
  projectId: 'project-1',
};
const OTHER = {
  clientId: 'other-client@elsewhere',
  clientSecret: 'other-secret',
  redirectUris: ['http://127.0.0.1:9/other'],
  projectId: 'project-2',
};
const USER = { userId: 'user-alice', loginName: 'alice@example.com', password: 'Al1ce-pw!' };
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0';
const basic = (c: { clientId: string; clientSecret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString('base64')}`;

let clockMs = Date.UTC(2026, 11, 2, 12);
const now = () => clockMs;
let zitadel: FakeZitadel;
let oidc: FakeOidcProvider;
let executions: FakeSessionExecutions;
let target: Server;
/** What the stand-in target answers SetSession: undefined = let it pass, else a deny-new refusal. */
let refuseSetSession = false;

async function startTarget(): Promise<string> {
  const app = express();
  app.use(express.text({ type: '*/*' }));
  app.post('/session/manage', (req, res) => {
    const method = (JSON.parse(String(req.body)) as { fullMethod: string }).fullMethod;
    if (method.endsWith('/SetSession') && refuseSetSession)
      res.json({ forwardedStatusCode: 403, forwardedErrorMessage: 'too many sessions' });
    else if (method.endsWith('/CreateSession') && refuseSetSession && String(req.body).includes('"password"'))
      res.json({ forwardedStatusCode: 403, forwardedErrorMessage: 'too many sessions' });
    else res.json({});
  });
  await new Promise<void>((resolve) => (target = app.listen(0, '127.0.0.1', () => resolve())));
  return `http://127.0.0.1:${(target.address() as AddressInfo).port}/session/manage`;
}

beforeAll(async () => {
  oidc = await FakeOidcProvider.create({ now });
  zitadel = await new FakeZitadel({ now, publicRoutes: oidc.mount }).start();
  const targetUrl = await startTarget();
  executions = new FakeSessionExecutions({ zitadel, targetUrl: () => targetUrl, signingKey: 'k', now });
  oidc.executions = executions;
  oidc.registerClient(CLIENT);
  oidc.registerClient(OTHER);
  oidc.registerUser(USER);
});
afterAll(async () => {
  await zitadel.stop();
  await new Promise((resolve) => target.close(resolve));
});
beforeEach(() => {
  refuseSetSession = false;
  executions.posted.length = 0;
});

function authorizeUrl(params: Record<string, string>): string {
  const url = new URL(`${zitadel.url}/oauth/v2/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

const verifier = () => randomBytes(32).toString('base64url');
const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');

/** Authorize with PKCE, sign in on the fake login page; the redirect back (code, state). */
async function signIn(
  browser: FakeBrowser,
  options: { password?: string; prompt?: string; pkce?: boolean } = {},
) {
  const codeVerifier = verifier();
  const start = await browser.go(
    authorizeUrl({
      client_id: CLIENT.clientId,
      redirect_uri: CLIENT.redirectUris[0]!,
      response_type: 'code',
      scope: 'openid profile',
      state: 'st-1',
      nonce: 'n-1',
      ...(options.pkce === false
        ? {}
        : { code_challenge: challengeOf(codeVerifier), code_challenge_method: 'S256' }),
      ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
    }),
  );
  expect(start.status).toBe(302);
  const loginUrl = start.headers.get('location')!;
  const loginPage = await browser.go(loginUrl);
  if (loginPage.status === 302) return { res: loginPage, codeVerifier, html: '' };
  const html = await loginPage.text();
  const authRequest = /name="authRequest" value="([^"]+)"/.exec(html)![1]!;
  const res = await browser.submit(`${zitadel.url}/ui/v2/login/login`, {
    authRequest,
    loginName: USER.loginName,
    password: options.password ?? USER.password,
  });
  return { res, codeVerifier, html: res.status === 200 ? await res.text() : '' };
}

function exchange(form: Record<string, string>, authorization: string | null = basic(CLIENT)) {
  return fetch(`${zitadel.url}/oauth/v2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(authorization === null ? {} : { Authorization: authorization }),
    },
    body: new URLSearchParams(form).toString(),
  });
}

function introspect(token: string, authorization: string | null = basic(CLIENT)) {
  return fetch(`${zitadel.url}/oauth/v2/introspect`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(authorization === null ? {} : { Authorization: authorization }),
    },
    body: new URLSearchParams({ token }).toString(),
  });
}

async function tokensFor(browser = new FakeBrowser(BROWSER)) {
  const { res, codeVerifier } = await signIn(browser);
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  const answer = await exchange({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CLIENT.redirectUris[0]!,
    code_verifier: codeVerifier,
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as { access_token: string; id_token: string; expires_in: number };
}

describe('discovery (server.go createDiscoveryConfig, cmd/defaults.yaml OIDC.CustomEndpoints, zitadel/oidc op/discovery.go)', () => {
  it('names ZITADEL endpoints under the issuer, S256 only, and the auth methods ZITADEL enables', async () => {
    const res = await fetch(`${zitadel.url}/.well-known/openid-configuration`);
    const config = (await res.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      issuer: zitadel.url,
      authorization_endpoint: `${zitadel.url}/oauth/v2/authorize`,
      token_endpoint: `${zitadel.url}/oauth/v2/token`,
      introspection_endpoint: `${zitadel.url}/oauth/v2/introspect`,
      userinfo_endpoint: `${zitadel.url}/oidc/v1/userinfo`,
      end_session_endpoint: `${zitadel.url}/oidc/v1/end_session`,
      jwks_uri: `${zitadel.url}/oauth/v2/keys`,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: [
        'none',
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    });
    expect(config.id_token_signing_alg_values_supported).toContain('RS256');
  });
});

describe('authorize (zitadel/oidc op/auth_request.go Authorize, ValidateAuthRequestClient; api/oidc/auth_request.go)', () => {
  const valid = {
    client_id: CLIENT.clientId,
    redirect_uri: CLIENT.redirectUris[0]!,
    response_type: 'code',
    scope: 'openid',
    state: 's',
  };

  it('an unknown client or a redirect_uri not registered exactly is a 400 page, never a redirect', async () => {
    const unknown = await fetch(authorizeUrl({ ...valid, client_id: 'nobody' }), { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toBe('unable to retrieve client by id');
    const slash = await fetch(authorizeUrl({ ...valid, redirect_uri: `${valid.redirect_uri}/` }), {
      redirect: 'manual',
    });
    expect(slash.status).toBe(400);
    expect(slash.headers.get('location')).toBeNull();
  });

  it('other errors go back to the valid redirect_uri with error, error_description and state', async () => {
    const res = await fetch(authorizeUrl({ ...valid, response_type: '' }), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(valid.redirect_uri);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('s');
  });

  it('a valid request is stored as a V2 auth request and sent to Login V2 on the same origin', async () => {
    const res = await fetch(authorizeUrl(valid), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(
      new RegExp(`^${zitadel.url}/ui/v2/login/login\\?authRequest=V2_\\d+$`),
    );
  });
});

describe('the login page (Login V2: apps/login/src/lib/server/loginname.ts, password.ts, fingerprint.ts)', () => {
  it('makes the session calls Login V2 makes, with the browser fingerprint, User-Agent and address', async () => {
    const browser = new FakeBrowser(BROWSER);
    const { res } = await signIn(browser);
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(CLIENT.redirectUris[0]);
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(executions.posted.map((p) => p.method)).toEqual(['CreateSession', 'SetSession']);
    const session = zitadel.sessions.get(executions.posted[0]!.sessionId)!;
    expect(session).toMatchObject({
      userId: USER.userId,
      loginName: USER.loginName,
      fingerprintId: browser.cookies.get('fingerprintId'),
      userAgentIp: '127.0.0.1',
      userAgentHeader: BROWSER.split(','),
      factors: ['password'],
    });
    expect(session.expirationDate!.getTime() - session.creationDate.getTime()).toBe(24 * 3600_000);
  });

  it('a refused SetSession is retried as CreateSession(user + password); refused again, the page says so', async () => {
    refuseSetSession = true;
    const { res, html } = await signIn(new FakeBrowser(BROWSER));
    expect(res.status).toBe(200);
    expect(html).toContain(LOGIN_TEXT.refused);
    expect(executions.posted.map((p) => p.method)).toEqual(['CreateSession', 'SetSession', 'CreateSession']);
  });

  it('a wrong password is refused before any SetSession, so the target sees no factor', async () => {
    const { html } = await signIn(new FakeBrowser(BROWSER), { password: 'wrong' });
    expect(html).toContain(LOGIN_TEXT.wrongPassword);
    expect(executions.posted.map((p) => p.method)).toEqual(['CreateSession']);
  });

  it('single sign-on: a browser holding a live session finishes without a form or a new session', async () => {
    const browser = new FakeBrowser(BROWSER);
    await signIn(browser);
    const sessionsBefore = zitadel.sessions.size;
    executions.posted.length = 0;
    const again = await signIn(browser);
    expect(again.res.status).toBe(302);
    expect(new URL(again.res.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    expect(zitadel.sessions.size).toBe(sessionsBefore);
    expect(executions.posted).toEqual([]);
    const forced = await signIn(browser, { prompt: 'login' });
    expect(forced.res.status).toBe(302);
    expect(executions.posted.map((p) => p.method)).toEqual(['CreateSession', 'SetSession']);
  });
});

describe('code exchange (api/oidc/token_code.go codeExchangeComplianceChecker, command/oidc_session.go)', () => {
  async function codeAndVerifier() {
    const { res, codeVerifier } = await signIn(new FakeBrowser(BROWSER));
    return { code: new URL(res.headers.get('location')!).searchParams.get('code')!, codeVerifier };
  }
  const form = (code: string, codeVerifier: string) => ({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CLIENT.redirectUris[0]!,
    code_verifier: codeVerifier,
  });

  it('checks the PKCE verifier: missing or wrong is refused, and a refused exchange leaves the code usable', async () => {
    const { code, codeVerifier } = await codeAndVerifier();
    const missing = await exchange({ ...form(code, codeVerifier), code_verifier: '' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: 'invalid_request',
      error_description: 'code_verifier required',
    });
    const wrong = await exchange(form(code, verifier()));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await exchange(form(code, codeVerifier))).status).toBe(200);
  });

  it('a confidential client may leave PKCE out; a verifier for a request without a challenge is refused', async () => {
    const { res } = await signIn(new FakeBrowser(BROWSER), { pkce: false });
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const unexpected = await exchange(form(code, verifier()));
    expect(await unexpected.json()).toMatchObject({
      error: 'invalid_request',
      error_description: 'code_verifier unexpectedly provided',
    });
    expect((await exchange({ ...form(code, ''), code_verifier: '' })).status).toBe(200);
  });

  it('a code works once', async () => {
    const { code, codeVerifier } = await codeAndVerifier();
    expect((await exchange(form(code, codeVerifier))).status).toBe(200);
    const again = await exchange(form(code, codeVerifier));
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({
      error: 'invalid_request',
      error_description: 'Errors.AuthRequest.NoCode',
    });
  });

  it('the redirect_uri must be the one of the authorize request', async () => {
    const { code, codeVerifier } = await codeAndVerifier();
    const res = await exchange({
      ...form(code, codeVerifier),
      redirect_uri: `${CLIENT.redirectUris[0]}?x=1`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('client auth (client.go VerifyClient): a wrong secret is 400 invalid_client; client_secret_post works too', async () => {
    const { code, codeVerifier } = await codeAndVerifier();
    const wrong = await exchange(form(code, codeVerifier), basic({ ...CLIENT, clientSecret: 'nope' }));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: 'invalid_client',
      error_description: 'invalid secret',
    });
    const other = await exchange(form(code, codeVerifier), basic(OTHER));
    expect(await other.json()).toMatchObject({ error: 'invalid_client' });
    const post = await exchange(
      { ...form(code, codeVerifier), client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
      null,
    );
    expect(post.status).toBe(200);
  });

  it('the ID token (token.go createIDToken): RS256 with a kid from /oauth/v2/keys, sid = the ZITADEL session', async () => {
    const tokens = await tokensFor();
    const sessionId = executions.posted[0]!.sessionId;
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 12 * 3600 });
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ alg: 'RS256', kid: oidc.signingKey.kid });
    const { payload } = await jwtVerify(
      tokens.id_token,
      createRemoteJWKSet(new URL(`${zitadel.url}/oauth/v2/keys`)),
      {
        issuer: zitadel.url,
        audience: CLIENT.clientId,
        currentDate: new Date(clockMs),
      },
    );
    expect(payload).toMatchObject({
      sub: USER.userId,
      aud: [CLIENT.clientId, CLIENT.projectId],
      azp: CLIENT.clientId,
      client_id: CLIENT.clientId,
      nonce: 'n-1',
      sid: sessionId,
      amr: ['pwd'],
      at_hash: createHash('sha256')
        .update(tokens.access_token)
        .digest()
        .subarray(0, 16)
        .toString('base64url'),
    });
  });
});

describe('one key set (payloadKeys.ts FakeJwks)', () => {
  it('publishes the ID token key in a key set the test already serves, beside the payload keys', async () => {
    const jwks = new FakeJwks([await instanceWebKey('payload-key')]);
    const shared = await FakeOidcProvider.create({ jwks });
    expect(jwks.keys.map((key) => key.kid)).toEqual(['payload-key', shared.signingKey.kid]);
  });
});

describe('introspection (api/oidc/introspect.go, access_token.go, query/access_token.go)', () => {
  it('is active for a client of the token audience, with what ZITADEL fills in', async () => {
    const tokens = await tokensFor();
    const res = await introspect(tokens.access_token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      active: true,
      sub: USER.userId,
      client_id: CLIENT.clientId,
      aud: [CLIENT.clientId, CLIENT.projectId],
      scope: 'openid profile',
      token_type: 'Bearer',
      iss: zitadel.url,
      username: USER.loginName,
    });
  });

  it('a client outside the audience gets active:false; a failed client auth is 400 unauthorized_client', async () => {
    const tokens = await tokensFor();
    expect(await (await introspect(tokens.access_token, basic(OTHER))).json()).toEqual({ active: false });
    const wrong = await introspect(tokens.access_token, basic({ ...CLIENT, clientSecret: 'nope' }));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized_client' });
    const none = await introspect(tokens.access_token, null);
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('an unknown or expired token is active:false', async () => {
    expect(await (await introspect('not-a-token')).json()).toEqual({ active: false });
    const tokens = await tokensFor();
    clockMs += tokens.expires_in * 1000;
    expect(await (await introspect(tokens.access_token)).json()).toEqual({ active: false });
  });

  it('the access token dies with its ZITADEL session (checkSessionNotTerminatedAfter)', async () => {
    const tokens = await tokensFor();
    const sessionId = executions.posted[0]!.sessionId;
    expect(await (await introspect(tokens.access_token)).json()).toMatchObject({ active: true });
    const deleted = await fetch(`${zitadel.url}/v2/sessions/${sessionId}`, {
      method: 'DELETE',
      headers: { Authorization: 'Bearer test-pat' },
    });
    expect(deleted.status).toBe(200);
    expect(await (await introspect(tokens.access_token)).json()).toEqual({ active: false });
    const userinfo = await fetch(`${zitadel.url}/oidc/v1/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(401);
  });
});

describe('userinfo (api/oidc/userinfo.go UserInfo, zitadel/oidc op/server_http.go userInfoHandler)', () => {
  it('answers the claims for a live token, 401 without one', async () => {
    const tokens = await tokensFor();
    const res = await fetch(`${zitadel.url}/oidc/v1/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await res.json()).toEqual({ sub: USER.userId, preferred_username: USER.loginName });
    const missing = await fetch(`${zitadel.url}/oidc/v1/userinfo`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });
});
