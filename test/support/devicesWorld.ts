import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { FakeBrowser } from './fakeBrowser.js';
import { FakeOidcProvider } from './fakeOidc.js';
import { FakeSessionExecutions, type SessionApiAnswer } from './fakeSessionExecutions.js';
import { FakeZitadel } from './fakeZitadel.js';
import { buildHarness, TEST_PAT, TEST_SIGNING_KEY } from './harness.js';

/**
 * The whole path of the "your devices" page, for the HTTP flow test and the browser test alike: the test ZITADEL
 * as an OIDC provider with its Login V2 stand-in (test/support/fakeOidc.ts), the real limiter as the session
 * target (deny-new, two devices) with the page on, and one user. The limiter is reached as `localhost` and ZITADEL
 * as `127.0.0.1`: two sites, as in production, so the OIDC callback is a cross-site navigation.
 */

export const DEVICES_USER = {
  userId: '313000000000000001',
  loginName: 'alice@example.com',
  password: 'Alice-pw-1!',
} as const;
export const DEVICES_CLIENT = {
  clientId: 'devices@limiter',
  clientSecret: 'devices-client-secret-0001',
} as const;
export const PHONE_USER_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
export const TABLET_USER_AGENT =
  'Mozilla/5.0 (Linux; Android 15; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

export interface DevicesWorld {
  readonly zitadel: FakeZitadel;
  readonly oidc: FakeOidcProvider;
  readonly executions: FakeSessionExecutions;
  /** `http://localhost:<port>`: DEVICES_PUBLIC_URL. */
  readonly limiterUrl: string;
  readonly logLines: string[];
  /** A sign-in from another device, as Login V2 makes it (CreateSession, then SetSession with the password). */
  signInElsewhere(fingerprintId: string, userAgent: string, ip: string): Promise<SessionApiAnswer>;
  /** The OIDC sign-in of a scripted browser through the fake login page; the last answer (302 or the page). */
  signInThroughLoginPage(browser: FakeBrowser): Promise<Response>;
  /** An access token ZITADEL issues to the devices app for the user (what an app would send to the API). */
  accessToken(browser: FakeBrowser): Promise<string>;
  stop(): Promise<void>;
}

export async function startDevicesWorld(): Promise<DevicesWorld> {
  const oidc = await FakeOidcProvider.create();
  const zitadel = await new FakeZitadel({ acceptedTokens: [TEST_PAT], publicRoutes: oidc.mount }).start();
  // The limiter's own address is in its configuration, so the server listens first and gets its app after.
  const handler: { app?: Express } = {};
  const server: Server = createServer((req, res) => {
    handler.app?.(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const limiterUrl = `http://localhost:${port}`;
  const harness = buildHarness(
    {
      LIMIT_STRATEGY: 'deny-new',
      CONCURRENT_SESSIONS: '2',
      COUNT_BY: 'device',
      DENY_MESSAGE: 'You are signed in on two devices already. {devicesUrl}',
      DEVICES_PUBLIC_URL: limiterUrl,
      DEVICES_CLIENT_ID: DEVICES_CLIENT.clientId,
      DEVICES_CLIENT_SECRET: DEVICES_CLIENT.clientSecret,
      DEVICES_KEYS: 'devices-key-for-the-flow-tests-0000000001',
    },
    zitadel.url,
  );
  handler.app = harness.app;
  const executions = new FakeSessionExecutions({
    zitadel,
    targetUrl: () => `http://127.0.0.1:${port}/session/manage`,
    signingKey: TEST_SIGNING_KEY,
    now: Date.now,
  });
  oidc.executions = executions;
  oidc.registerClient({
    ...DEVICES_CLIENT,
    redirectUris: [`${limiterUrl}/devices/callback`],
    projectId: '313000000000000900',
  });
  oidc.registerUser(DEVICES_USER);

  return {
    zitadel,
    oidc,
    executions,
    limiterUrl,
    logLines: harness.logLines,
    async signInElsewhere(fingerprintId, userAgent, ip) {
      const created = await executions.createSession({
        user: { loginName: DEVICES_USER.loginName, userId: DEVICES_USER.userId },
        fingerprintId,
        lifetimeMs: 24 * 3_600_000,
        // Login V2 splits the User-Agent header at its commas (apps/login/src/lib/fingerprint.ts).
        userAgent: { ip, description: userAgent, header: userAgent.split(',') },
      });
      if (created.sessionId === undefined || created.status >= 300) return created;
      return executions.setSession(created.sessionId, { password: true });
    },
    async signInThroughLoginPage(browser) {
      const start = await browser.go(`${limiterUrl}/devices`);
      let hop = await browser.go(start.headers.get('location') ?? '');
      hop = await browser.go(hop.headers.get('location') ?? '');
      if (hop.status !== 200) return hop;
      const authRequest = /name="authRequest" value="([^"]+)"/.exec(await hop.text())?.[1] ?? '';
      return browser.submit(`${zitadel.url}/ui/v2/login/login`, {
        authRequest,
        loginName: DEVICES_USER.loginName,
        password: DEVICES_USER.password,
      });
    },
    async accessToken(browser) {
      const authorize = new URL(`${zitadel.url}/oauth/v2/authorize`);
      const redirectUri = `${limiterUrl}/devices/callback`;
      authorize.search = new URLSearchParams({
        client_id: DEVICES_CLIENT.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid',
        state: 'api-state',
      }).toString();
      const login = await browser.go((await browser.go(authorize.href)).headers.get('location') ?? '');
      const authRequest = /name="authRequest" value="([^"]+)"/.exec(await login.text())?.[1] ?? '';
      const callback = await browser.submit(`${zitadel.url}/ui/v2/login/login`, {
        authRequest,
        loginName: DEVICES_USER.loginName,
        password: DEVICES_USER.password,
      });
      const code = new URL(callback.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const answer = await fetch(`${zitadel.url}/oauth/v2/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${DEVICES_CLIENT.clientId}:${DEVICES_CLIENT.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
        }).toString(),
      });
      const { access_token: accessToken } = (await answer.json()) as { access_token?: string };
      if (accessToken === undefined) throw new Error(`no access token: ${answer.status}`);
      return accessToken;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await zitadel.stop();
    },
  };
}
