import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBrowser } from '../support/fakeBrowser.js';
import { FakeOidcProvider } from '../support/fakeOidc.js';
import { LOGIN_TEXT } from '../support/fakeOidcLogin.js';
import { FakeSessionExecutions } from '../support/fakeSessionExecutions.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness, TEST_PAT, TEST_SIGNING_KEY } from '../support/harness.js';

/**
 * The fake ZITADEL's login page with the real limiter as its target (deny-new, one device): what the devices page
 * will be tested against. A sign-in on the fake page reaches the limiter as Login V2's signed webhooks; a second
 * browser is refused and sees Login V2's text; the first browser signs in again without a new session.
 */

const CLIENT = {
  clientId: 'devices@limiter',
  clientSecret: 'devices-secret',
  redirectUris: ['http://127.0.0.1:9/devices/callback'],
  projectId: 'project-1',
};
const USER = { userId: '284021120958301777', loginName: 'bob@example.com', password: 'B0b-pw!' };

let zitadel: FakeZitadel;
let oidc: FakeOidcProvider;
let executions: FakeSessionExecutions;
let limiter: Server;
let logLines: string[];

beforeAll(async () => {
  oidc = await FakeOidcProvider.create();
  zitadel = await new FakeZitadel({ acceptedTokens: [TEST_PAT], publicRoutes: oidc.mount }).start();
  const harness = buildHarness(
    { LIMIT_STRATEGY: 'deny-new', CONCURRENT_SESSIONS: '1', COUNT_BY: 'device' },
    zitadel.url,
  );
  logLines = harness.logLines;
  await new Promise<void>((resolve) => (limiter = harness.app.listen(0, '127.0.0.1', () => resolve())));
  const port = (limiter.address() as AddressInfo).port;
  executions = new FakeSessionExecutions({
    zitadel,
    targetUrl: () => `http://127.0.0.1:${port}/session/manage`,
    signingKey: TEST_SIGNING_KEY,
    now: Date.now,
  });
  oidc.executions = executions;
  oidc.registerClient(CLIENT);
  oidc.registerUser(USER);
});
afterAll(async () => {
  limiter.closeAllConnections();
  await new Promise((resolve) => limiter.close(resolve));
  await zitadel.stop();
});

/** Authorize (no PKCE needed for this check), then the login form if one is shown. */
async function signIn(browser: FakeBrowser): Promise<Response> {
  const authorize = new URL(`${zitadel.url}/oauth/v2/authorize`);
  authorize.search = new URLSearchParams({
    client_id: CLIENT.clientId,
    redirect_uri: CLIENT.redirectUris[0]!,
    response_type: 'code',
    scope: 'openid',
    state: 'st',
  }).toString();
  const login = await browser.go((await browser.go(authorize.toString())).headers.get('location')!);
  if (login.status !== 200) return login;
  const authRequest = /name="authRequest" value="([^"]+)"/.exec(await login.text())![1]!;
  return browser.submit(`${zitadel.url}/ui/v2/login/login`, { authRequest, ...USER });
}

describe('the fake login page against the real limiter (deny-new)', () => {
  it('signs in one browser, refuses a second, and lets the first sign in again without a new session', async () => {
    const laptop = new FakeBrowser('Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
    const first = await signIn(laptop);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:9\/devices\/callback\?code=/);
    expect(zitadel.liveSessionsOf(USER.userId)).toHaveLength(1);

    const phone = await signIn(new FakeBrowser('Mozilla/5.0 (Linux; Android 15) Chrome/140.0 Mobile'));
    expect(phone.status).toBe(200);
    expect(await phone.text()).toContain(LOGIN_TEXT.refused);
    // The username step is ignored; the password and Login V2's retried CreateSession are both refused.
    const outcomes = logLines
      .filter((line) => line.includes('"log":"audit"'))
      .map((line) => (JSON.parse(line) as { outcome: string }).outcome);
    expect(outcomes.slice(-3)).toEqual(['ignored', 'denied', 'denied']);
    expect(zitadel.liveSessionsOf(USER.userId)).toHaveLength(1);

    const posted = executions.posted.length;
    const again = await signIn(laptop);
    expect(again.status).toBe(302);
    expect(executions.posted.length).toBe(posted);
    expect(zitadel.liveSessionsOf(USER.userId)).toHaveLength(1);
  });
});
