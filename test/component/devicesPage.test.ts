import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyRing } from '../../src/devices/keyRing.js';
import { issueTicket } from '../../src/devices/tickets.js';
import { DEVICES_CONTENT_SECURITY_POLICY } from '../../src/devices/securityHeaders.js';
import { FakeSessionExecutions } from '../support/fakeSessionExecutions.js';
import {
  cookieValue,
  DEVICES_TEST_KEY,
  DEVICES_TEST_USER,
  devicesPageWorld,
  HOUR,
  isLive,
  openPage,
  postForm,
  OTHER_USER,
  SAME_ORIGIN,
  seedDevices as seedSharedDevices,
  signInWithStub,
  type DevicesPageWorld,
  type DevicesPageWorldOptions,
} from '../support/devicesPageWorld.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness, TEST_PAT, TEST_SIGNING_KEY } from '../support/harness.js';

/**
 * The "your devices" page and its API through the real app against the fake ZITADEL's Session Service, with the
 * OIDC side stubbed (who signed in is the stub's answer; test/browser drives the real OIDC round trip). Each
 * security property of issue #18 has its test here: forged, altered, expired and foreign tickets; CSRF and
 * cross-site POSTs; no-store and the CSP; tickets only while at the limit; audit and metrics without secrets.
 */

const USER = DEVICES_TEST_USER;
const KEY = DEVICES_TEST_KEY;
const OLD_KEY = 'o'.repeat(40);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const world = (options: DevicesPageWorldOptions = {}) => devicesPageWorld(cleanups, options);
type World = DevicesPageWorld;
const signIn = (app: World['app']) => signInWithStub(app);
const live = isLive;

/** The shared devices, and the phone's second session (one device, two sessions). */
function seedDevices(zitadel: FakeZitadel, now: number) {
  const seeded = seedSharedDevices(zitadel, now);
  const phoneAgain = zitadel.addSession({
    userId: USER,
    fingerprintId: 'fp-phone',
    userAgentDescription: 'Safari, 18.0, iOS',
    creationDate: new Date(now - HOUR),
  });
  return { ...seeded, phoneAgain };
}

describe('the devices page', () => {
  it('is off unless DEVICES_PUBLIC_URL is set: /devices and /api/devices are 404', async () => {
    const zitadel = await new FakeZitadel({ acceptedTokens: [TEST_PAT] }).start();
    cleanups.push(() => zitadel.stop());
    const { app } = buildHarness({}, zitadel.url);
    expect((await request(app).get('/devices')).status).toBe(404);
    expect((await request(app).get('/api/devices')).status).toBe(404);
  });

  it('sends a browser without its cookie to ZITADEL, with a signed login-state cookie, never cached', async () => {
    const { app } = await world();
    const response = await request(app).get('/devices');
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^https:\/\/zitadel\.test\/oauth\/v2\/authorize\?/);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(
      /limiter_devices_login=[^;]+; Path=\/devices; Max-Age=600; HttpOnly; Secure; SameSite=Lax/,
    );
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toBe(DEVICES_CONTENT_SECURITY_POLICY);
    expect(DEVICES_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(DEVICES_CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
  });

  it("lists the signed-in user's devices newest first, marks this one, and shows no session id", async () => {
    const w = await world();
    const seeded = seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { page, refs } = await openPage(w.app, cookie);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toBe(DEVICES_CONTENT_SECURITY_POLICY);
    expect(page.text).toContain('Safari');
    expect(page.text).toContain('Firefox');
    expect(page.text.indexOf('Safari')).toBeLessThan(page.text.indexOf('Firefox'));
    expect(refs).toHaveLength(2);
    expect(page.text).not.toContain('<script');
    for (const session of Object.values(seeded)) expect(page.text).not.toContain(session.id);
    expect(page.text).not.toContain('fp-laptop');
  });

  it('marks the device of the sign-in that opened the page and offers no button for it', async () => {
    const probe = await world();
    const seeded = seedDevices(probe.zitadel, probe.now());
    // The ID token's sid: the laptop's session signed in to the page.
    probe.oidc.signedIn.sessionId = seeded.laptop.id;
    const { app } = probe;
    const cookie = await signIn(app);
    const { page, refs } = await openPage(app, cookie);
    expect(refs).toHaveLength(1);
    expect(page.text).toMatch(/This device/);
  });

  it("signs out one device: all its sessions go, nobody else's, and the page no longer lists it", async () => {
    const w = await world();
    const seeded = seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf, refs } = await openPage(w.app, cookie);
    // Newest first: the phone (two sessions) is the first form.
    const response = await postForm(w.app, '/devices/sign-out', cookie, { device: refs[0], csrf });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/devices?done=signed_out');
    expect(live(w.zitadel, seeded.phone.id)).toBe(false);
    expect(live(w.zitadel, seeded.phoneAgain.id)).toBe(false);
    expect(live(w.zitadel, seeded.laptop.id)).toBe(true);
    expect(live(w.zitadel, seeded.stranger.id)).toBe(true);
    const after = await openPage(w.app, cookie);
    expect(after.refs).toHaveLength(1);
    expect(after.page.text).not.toContain('Safari');
    const audit = w.logLines.filter((line) => line.includes('"msg":"devices action"'));
    expect(
      audit.some((line) => line.includes('"action":"sign_out"') && line.includes(`"userId":"${USER}"`)),
    ).toBe(true);
  });

  it('signs out all other devices, keeping the one the user is on', async () => {
    const probe = await world();
    const seeded = seedDevices(probe.zitadel, probe.now());
    // The ID token's sid: the laptop's session signed in to the page.
    probe.oidc.signedIn.sessionId = seeded.laptop.id;
    const { app } = probe;
    const cookie = await signIn(app);
    const { csrf } = await openPage(app, cookie);
    const response = await postForm(app, '/devices/sign-out-others', cookie, { csrf });
    expect(response.status).toBe(303);
    expect(live(probe.zitadel, seeded.laptop.id)).toBe(true);
    expect(live(probe.zitadel, seeded.phone.id)).toBe(false);
    expect(live(probe.zitadel, seeded.stranger.id)).toBe(true);
  });

  it('refuses a POST without the CSRF token, with a wrong one, or from another site, and deletes nothing', async () => {
    const w = await world();
    const seeded = seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf, refs } = await openPage(w.app, cookie);
    const post = (headers: Record<string, string>, body: Record<string, string>) =>
      request(w.app).post('/devices/sign-out').set('Cookie', cookie).set(headers).type('form').send(body);
    const missing = await post(SAME_ORIGIN, { device: refs[0] ?? '' });
    expect([missing.status, missing.text]).toEqual([403, expect.stringContaining('csrf_failed')]);
    const wrong = await post(SAME_ORIGIN, { device: refs[0] ?? '', csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const crossSite = await post(
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      { device: refs[0] ?? '', csrf },
    );
    expect([crossSite.status, crossSite.text]).toEqual([403, expect.stringContaining('cross_site')]);
    const noCookie = await request(w.app)
      .post('/devices/sign-out')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ device: refs[0] ?? '', csrf });
    expect(noCookie.status).toBe(401);
    for (const session of Object.values(seeded)) expect(live(w.zitadel, session.id)).toBe(true);
    expect(w.zitadel.seen.filter((seen) => seen.method === 'DELETE')).toHaveLength(0);
  });

  it("answers a reference that is not one of the user's devices with 404, deleting nothing", async () => {
    const w = await world();
    seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf } = await openPage(w.app, cookie);
    for (const device of ['A'.repeat(22), '../../x', '']) {
      const response = await postForm(w.app, '/devices/sign-out', cookie, { device, csrf });
      expect(response.status).toBe(404);
    }
    expect(w.zitadel.seen.filter((seen) => seen.method === 'DELETE')).toHaveLength(0);
  });

  it('refuses a forged or expired page cookie: the browser is sent to sign in again', async () => {
    const w = await world();
    const cookie = await signIn(w.app);
    const forged = cookie.slice(0, -4) + 'AAAA';
    expect((await request(w.app).get('/devices').set('Cookie', forged)).status).toBe(303);
    w.advance(16 * 60_000); // past DEVICES_SESSION_TTL's default 15m
    expect((await request(w.app).get('/devices').set('Cookie', cookie)).status).toBe(303);
  });

  it('answers a failed sign-in or a callback without its login state with a 400 page', async () => {
    const w = await world();
    const start = await request(w.app).get('/devices');
    const loginState = cookieValue(start.headers['set-cookie'], 'limiter_devices_login');
    const bad = await request(w.app)
      .get('/devices/callback?code=bad-code&state=s-1')
      .set('Cookie', `limiter_devices_login=${loginState}`);
    expect([bad.status, bad.text]).toEqual([400, expect.stringContaining('login_failed')]);
    const stateless = await request(w.app).get('/devices/callback?code=good-code&state=s-1');
    expect(stateless.status).toBe(400);
  });
});

describe('refusal tickets', () => {
  const DENY = {
    LIMIT_STRATEGY: 'deny-new',
    CONCURRENT_SESSIONS: '2',
    DENY_MESSAGE: 'Two devices at most. {devicesUrl}',
  };

  async function ticketWorld() {
    const w = await world({ env: DENY });
    const seeded = seedDevices(w.zitadel, w.now());
    return { ...w, seeded };
  }
  const ticketFor = (now: number, key = KEY, ttlMs = 10 * 60_000) =>
    issueTicket(createKeyRing([key]), { userId: USER, attemptSessionId: '312000000000000099' }, ttlMs, now);

  async function openTicket(app: World['app'], ticket: string) {
    const response = await request(app).get(`/devices/ticket?t=${encodeURIComponent(ticket)}`);
    return {
      response,
      cookie: `limiter_devices=${cookieValue(response.headers['set-cookie'], 'limiter_devices') ?? ''}`,
    };
  }

  it('a deny-new refusal carries the ticket link in the message the login UI shows', async () => {
    const w = await ticketWorld();
    const server: Server = await new Promise((resolve) => {
      const listening = w.app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const api = new FakeSessionExecutions({
      zitadel: w.zitadel,
      targetUrl: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/session/manage`,
      signingKey: TEST_SIGNING_KEY,
      now: w.now,
    });
    const answer = await api.createSession({
      user: { userId: USER },
      password: true,
      fingerprintId: 'fp-tablet',
    });
    expect(answer.status).toBe(403);
    const link = /https:\/\/limiter\.test\/devices\/ticket\?t=\S+/.exec(answer.message ?? '')?.[0];
    expect(answer.message).toMatch(/^Two devices at most\. https:\/\/limiter\.test\/devices\/ticket\?t=/);
    const opened = await request(w.app).get(
      new URL(link ?? 'https://x').pathname + new URL(link ?? 'https://x').search,
    );
    expect(opened.status).toBe(303);
    expect(w.logLines.join('\n')).not.toContain(
      new URL(link ?? 'https://x').searchParams.get('t') ?? 'no-ticket',
    );
  });

  it("opens the page for the ticket's user while at the limit, and ends one device — then no more", async () => {
    const w = await ticketWorld();
    const { response, cookie } = await openTicket(w.app, await ticketFor(w.now()));
    expect(response.status).toBe(303);
    const { page, csrf, refs } = await openPage(w.app, cookie);
    expect(page.text).not.toContain('sign-out-others');
    expect(refs).toHaveLength(2);
    const first = await postForm(w.app, '/devices/sign-out', cookie, { device: refs[1], csrf });
    expect(first.status).toBe(303);
    expect(live(w.zitadel, w.seeded.laptop.id)).toBe(false);
    // Now under the limit: the same ticket cannot end the other device.
    const second = await postForm(w.app, '/devices/sign-out', cookie, { device: refs[0], csrf });
    expect([second.status, second.text]).toEqual([403, expect.stringContaining('not_at_limit')]);
    expect(live(w.zitadel, w.seeded.phone.id)).toBe(true);
    const others = await postForm(w.app, '/devices/sign-out-others', cookie, { csrf });
    expect(others.status).toBe(403);
    expect(live(w.zitadel, w.seeded.phone.id)).toBe(true);
  });

  it('cannot end a device while the user is under the limit', async () => {
    const w = await world({ env: { ...DENY, CONCURRENT_SESSIONS: '5' } });
    const seeded = seedDevices(w.zitadel, w.now());
    const { cookie } = await openTicket(w.app, await ticketFor(w.now()));
    const { csrf, refs } = await openPage(w.app, cookie);
    const response = await postForm(w.app, '/devices/sign-out', cookie, { device: refs[0], csrf });
    expect(response.status).toBe(403);
    for (const session of Object.values(seeded)) expect(live(w.zitadel, session.id)).toBe(true);
  });

  it('refuses forged, altered, expired and foreign tickets with a 4xx page and no cookie', async () => {
    const w = await ticketWorld();
    const good = await ticketFor(w.now());
    const [header, payload, signature] = good.split('.');
    const altered = `${header}.${Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), sub: OTHER_USER }),
    ).toString('base64url')}.${signature}`;
    const cases = {
      forged: 'not-a-ticket',
      altered,
      foreign: await ticketFor(w.now(), OLD_KEY),
      expired: await ticketFor(w.now() - HOUR),
    };
    for (const [name, ticket] of Object.entries(cases)) {
      const { response } = await openTicket(w.app, ticket);
      expect([name, response.status]).toEqual([name, name === 'expired' ? 410 : 400]);
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  it('a ticket signed with a key that was rotated out of first place still opens the page', async () => {
    const w = await world({ env: { ...DENY, DEVICES_KEYS: `${KEY},${OLD_KEY}` } });
    const { response } = await openTicket(w.app, await ticketFor(w.now(), OLD_KEY));
    expect(response.status).toBe(303);
  });
});

describe('the devices API', () => {
  it('needs an active ZITADEL access token: none, malformed or inactive is 401 with WWW-Authenticate', async () => {
    const w = await world();
    for (const authorization of [undefined, 'Basic abc', 'Bearer short', `Bearer ${'x'.repeat(40)}`]) {
      const call = request(w.app).get('/api/devices');
      const response = await (authorization === undefined ? call : call.set('Authorization', authorization));
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((response.body as { error: string }).error).toMatch(/^token_(missing|invalid)$/);
    }
  });

  it("lists and signs out the token owner's devices, in JSON with no session id", async () => {
    const w = await world();
    const seeded = seedDevices(w.zitadel, w.now());
    const token = 'access-token-of-the-user-000000';
    w.oidc.tokens.set(token, USER);
    const list = await request(w.app).get('/api/devices').set('Authorization', `Bearer ${token}`);
    expect(list.status).toBe(200);
    expect(list.headers['cache-control']).toBe('no-store');
    expect((list.body as { devices: unknown[] }).devices).toHaveLength(2);
    for (const session of Object.values(seeded)) expect(list.text).not.toContain(session.id);
    const ref = (list.body as { devices: { ref: string }[] }).devices[1]?.ref ?? '';
    const signOut = await request(w.app)
      .post(`/api/devices/${ref}/sign-out`)
      .set('Authorization', `Bearer ${token}`);
    expect(signOut.status).toBe(200);
    expect(live(w.zitadel, seeded.laptop.id)).toBe(false);
    expect(live(w.zitadel, seeded.stranger.id)).toBe(true);
    expect(w.logLines.join('\n')).not.toContain(token);
    const metrics = await request(w.app).get('/metrics');
    expect(metrics.text).toMatch(/devices_actions_total\{action="sign_out",via="api",outcome="ok"\} 1/);
  });

  it("another user's token cannot name this user's device", async () => {
    const w = await world();
    seedDevices(w.zitadel, w.now());
    w.oidc.tokens.set('token-of-the-user-000000000000', USER);
    w.oidc.tokens.set('token-of-someone-else-00000000', OTHER_USER);
    const list = await request(w.app)
      .get('/api/devices')
      .set('Authorization', 'Bearer token-of-the-user-000000000000');
    const ref = (list.body as { devices: { ref: string }[] }).devices[0]?.ref ?? '';
    const response = await request(w.app)
      .post(`/api/devices/${ref}/sign-out`)
      .set('Authorization', 'Bearer token-of-someone-else-00000000');
    expect(response.status).toBe(404);
    expect(w.zitadel.seen.filter((seen) => seen.method === 'DELETE')).toHaveLength(0);
  });
});
