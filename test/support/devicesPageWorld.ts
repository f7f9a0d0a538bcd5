import request from 'supertest';
import { expect } from 'vitest';
import { DevicesLoginError, type DevicesOidc } from '../../src/zitadel/devicesOidc.js';
import { FakeZitadel, type FakeZitadelOptions } from './fakeZitadel.js';
import { buildHarness, TEST_PAT } from './harness.js';

/**
 * The devices page and API through the real app against the fake ZITADEL's Session Service, with the OIDC side
 * stubbed: who signed in is the stub's answer (test/support/devicesWorld.ts drives the real OIDC round trip). One
 * clock of the test's own, moved only by `advance`, so that no test depends on how long a request takes.
 */

export const DEVICES_TEST_USER = '312000000000000001';
export const OTHER_USER = '312000000000000002';
export const PUBLIC_URL = 'https://limiter.test';
export const DEVICES_TEST_KEY = 'k'.repeat(40);
export const CLIENT_SECRET = 'devices-client-secret-never-logged';
export const SAME_ORIGIN = { Origin: PUBLIC_URL, 'Sec-Fetch-Site': 'same-origin' };
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export interface StubOidc extends DevicesOidc {
  /** Which access tokens ZITADEL would say are active, and whose. */
  readonly tokens: Map<string, string>;
  /** Who the next sign-in is; a test may set `sessionId` (the ID token's sid) after seeding sessions. */
  readonly signedIn: { userId: string; sessionId?: string };
}

export function stubOidc(initially: { userId: string; sessionId?: string }): StubOidc {
  const tokens = new Map<string, string>();
  const signedIn = { ...initially };
  return {
    tokens,
    signedIn,
    beginLogin: () =>
      Promise.resolve({
        authorizationUrl: new URL('https://zitadel.test/oauth/v2/authorize?client_id=devices&state=s-1'),
        state: { state: 's-1', nonce: 'n-1', codeVerifier: 'v'.repeat(43) },
      }),
    finishLogin: (url, state) =>
      url.searchParams.get('code') === 'good-code' && url.searchParams.get('state') === state.state
        ? Promise.resolve({ userId: signedIn.userId, sessionId: signedIn.sessionId })
        : Promise.reject(new DevicesLoginError('login_failed')),
    introspect: (token) => Promise.resolve(tokens.get(token)),
  };
}

export interface DevicesPageWorldOptions {
  readonly env?: Record<string, string>;
  readonly signedIn?: { userId: string; sessionId?: string };
  /** Another OIDC side than the stub (one that fails, say); `oidc` in the world is still the stub. */
  readonly oidc?: DevicesOidc;
  /** More options for the fake ZITADEL; `seen` reads its request log (for faults aimed at some calls only). */
  readonly zitadelOptions?: (seen: () => FakeZitadel['seen']) => FakeZitadelOptions;
}

/** Starts the fake ZITADEL and builds the app; `cleanups` gets what stops it. */
export async function devicesPageWorld(
  cleanups: (() => Promise<void>)[],
  options: DevicesPageWorldOptions = {},
) {
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const now = () => clock;
  const holder: { fake?: FakeZitadel } = {};
  const extra = options.zitadelOptions?.(() => holder.fake?.seen ?? []) ?? {};
  const zitadel = await new FakeZitadel({ acceptedTokens: [TEST_PAT], now, ...extra }).start();
  holder.fake = zitadel;
  cleanups.push(() => zitadel.stop());
  const stub = stubOidc(options.signedIn ?? { userId: DEVICES_TEST_USER });
  const { app, logLines } = buildHarness(
    {
      DEVICES_PUBLIC_URL: PUBLIC_URL,
      DEVICES_CLIENT_ID: 'devices-client',
      DEVICES_CLIENT_SECRET: CLIENT_SECRET,
      DEVICES_KEYS: DEVICES_TEST_KEY,
      ...options.env,
    },
    zitadel.url,
    { now, devicesOidc: options.oidc ?? stub },
  );
  return { zitadel, app, logLines, oidc: stub, now, advance: (ms: number) => (clock += ms) };
}
export type DevicesPageWorld = Awaited<ReturnType<typeof devicesPageWorld>>;

export const cookieValue = (setCookie: string[] | string | undefined, name: string): string | undefined => {
  const all = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  return all
    .map((line) => new RegExp(`^${name}=([^;]*)`).exec(line)?.[1])
    .find((value) => value !== undefined && value !== '');
};

/** The whole sign-in round trip with the stub: page → authorize → callback → the page cookie, as a Cookie header. */
export async function signInWithStub(app: DevicesPageWorld['app'], prefix = ''): Promise<string> {
  const start = await request(app).get('/devices');
  expect(start.status).toBe(303);
  const loginState = cookieValue(start.headers['set-cookie'], 'limiter_devices_login');
  expect(loginState).toBeDefined();
  const callback = await request(app)
    .get('/devices/callback?code=good-code&state=s-1')
    .set('Cookie', `limiter_devices_login=${loginState}`);
  expect([callback.status, callback.headers.location]).toEqual([303, `${prefix}/devices`]);
  const page = cookieValue(callback.headers['set-cookie'], 'limiter_devices');
  expect(page).toBeDefined();
  return `limiter_devices=${page}`;
}

/** The page, its CSRF token and the device references of its sign-out forms. */
export async function openPage(app: DevicesPageWorld['app'], cookie: string) {
  const page = await request(app).get('/devices').set('Cookie', cookie).set('Accept-Language', 'en');
  expect(page.status).toBe(200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const refs = [...page.text.matchAll(/name="device" value="([^"]+)"/g)].map((match) => match[1] ?? '');
  return { page, csrf, refs };
}

/** A laptop and a phone of the user, and another user's session on a browser with the laptop's fingerprint. */
export function seedDevices(zitadel: FakeZitadel, now: number) {
  const laptop = zitadel.addSession({
    userId: DEVICES_TEST_USER,
    fingerprintId: 'fp-laptop',
    userAgentDescription: 'Firefox, 133.0, Windows',
    creationDate: new Date(now - 3 * HOUR),
  });
  const phone = zitadel.addSession({
    userId: DEVICES_TEST_USER,
    fingerprintId: 'fp-phone',
    userAgentDescription: 'Safari, 18.0, iOS',
    creationDate: new Date(now - 2 * HOUR),
  });
  const stranger = zitadel.addSession({ userId: OTHER_USER, fingerprintId: 'fp-laptop' });
  return { laptop, phone, stranger };
}

export const isLive = (zitadel: FakeZitadel, id: string) =>
  zitadel.sessions.get(id)?.terminatedAt === undefined;
export const deleteRequests = (zitadel: FakeZitadel) =>
  zitadel.seen.filter((seen) => seen.method === 'DELETE');

/** A form POST from the page itself (same origin, with its cookie), as the browser sends it. */
export const postForm = (
  app: DevicesPageWorld['app'],
  path: string,
  cookie: string,
  /** The fields, or a raw urlencoded body (repeated or extra fields). */
  fields: Record<string, string | undefined> | string,
) => request(app).post(path).set('Cookie', cookie).set(SAME_ORIGIN).type('form').send(fields);
