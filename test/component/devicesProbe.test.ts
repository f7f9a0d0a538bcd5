import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { DevicesLoginError } from '../../src/zitadel/devicesOidc.js';
import {
  CLIENT_SECRET,
  cookieValue,
  deleteRequests,
  DEVICES_TEST_KEY,
  DEVICES_TEST_USER,
  devicesPageWorld,
  HOUR,
  MINUTE,
  openPage,
  postForm,
  PUBLIC_URL,
  SAME_ORIGIN,
  seedDevices,
  signInWithStub,
  type DevicesPageWorldOptions,
} from '../support/devicesPageWorld.js';
import { createKeyRing } from '../../src/devices/keyRing.js';
import { issueTicket } from '../../src/devices/tickets.js';
import { DEVICES_CONTENT_SECURITY_POLICY } from '../../src/devices/securityHeaders.js';
import { FakeBrowser } from '../support/fakeBrowser.js';
import { startDevicesWorld, type DevicesWorld } from '../support/devicesWorld.js';

/**
 * Adversarial probes of the "your devices" page and API (issue #18): hostile bodies, cookies, headers and query
 * strings, ZITADEL failing, tickets at the edge of their life, a DEVICES_PUBLIC_URL with a path prefix. Each test
 * pins a property an attack tried to break; the OIDC side is stubbed as in devicesPage.test.ts.
 */

const USER = DEVICES_TEST_USER;
const KEY = DEVICES_TEST_KEY;
const DENY = { LIMIT_STRATEGY: 'deny-new', CONCURRENT_SESSIONS: '2' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const world = (options: DevicesPageWorldOptions = {}) => devicesPageWorld(cleanups, options);
const signIn = signInWithStub;

/** The terse code of a JSON error answer. */
const errorOf = (response: { body: unknown }) => (response.body as { error?: string }).error;
const deletes = deleteRequests;
const ticketFor = (now: number, ttlMs = 10 * MINUTE) =>
  issueTicket(createKeyRing([KEY]), { userId: USER, attemptSessionId: '312000000000000099' }, ttlMs, now);

describe('form POSTs with hostile bodies', () => {
  it('answers more form fields than the forms have with a 4xx, never a 500, and deletes nothing', async () => {
    const w = await world();
    seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf, refs } = await openPage(w.app, cookie);
    const response = await postForm(
      w.app,
      '/devices/sign-out',
      cookie,
      `device=${refs[0]}&csrf=${csrf}&a=1&b=2&c=3`,
    );
    expect([response.status, errorOf(response)]).toEqual([413, 'too_many_parameters']);
    expect(deletes(w.zitadel)).toHaveLength(0);
  });
});

describe('tickets at the edge of their life', () => {
  it('a ticket just past its expiry (within the clock tolerance) is refused as expired, never a 500', async () => {
    const w = await world({ env: DENY });
    seedDevices(w.zitadel, w.now());
    const ticket = await ticketFor(w.now());
    w.advance(10 * MINUTE + 2_000);
    const response = await request(w.app).get(`/devices/ticket?t=${encodeURIComponent(ticket)}`);
    expect(response.status).toBe(410);
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('headers on every answer under /devices and /api/devices', () => {
  it('no-store and the CSP on 404s and on error answers', async () => {
    const w = await world();
    for (const path of ['/devices/nope', '/api/devices/nope', '/api/devices/x/y/z']) {
      const response = await request(w.app).get(path);
      expect([path, response.status]).toEqual([path, 404]);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-security-policy']).toBe(DEVICES_CONTENT_SECURITY_POLICY);
    }
  });
});

describe('more hostile form POSTs', () => {
  it('JSON, multipart and repeated fields never pass the CSRF check or name a device', async () => {
    const w = await world();
    seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf, refs } = await openPage(w.app, cookie);
    const post = (path: string) => request(w.app).post(path).set('Cookie', cookie).set(SAME_ORIGIN);
    const json = await post('/devices/sign-out').type('json').send({ device: refs[0], csrf });
    expect([json.status, json.text]).toEqual([403, expect.stringContaining('csrf_failed')]);
    const multipart = await post('/devices/sign-out')
      .field('device', refs[0] ?? '')
      .field('csrf', csrf);
    expect(multipart.status).toBe(403);
    const twoCsrf = await post('/devices/sign-out')
      .type('form')
      .send(`device=${refs[0]}&csrf=${csrf}&csrf=${csrf}`);
    expect(twoCsrf.status).toBe(403);
    const twoDevices = await post('/devices/sign-out')
      .type('form')
      .send(`device=${refs[0]}&device=${refs[1]}&csrf=${csrf}`);
    expect(twoDevices.status).toBe(404);
    const arrays = await post('/devices/sign-out').type('form').send(`device[]=${refs[0]}&csrf=${csrf}`);
    expect(arrays.status).toBe(404);
    const huge = await post('/devices/sign-out-others')
      .type('form')
      .send(`csrf=${csrf}&pad=${'x'.repeat(10_000)}`);
    expect(huge.status).toBe(413);
    const utf16 = await post('/devices/sign-out-others')
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=utf-16')
      .send(`csrf=${csrf}`);
    expect(utf16.status).toBe(415);
    const proto = await post('/devices/sign-out')
      .type('form')
      .send(`__proto__=x&constructor=y&device=${refs[0]}`);
    expect(proto.status).toBe(403);
    const overridden = await request(w.app)
      .get(`/devices/sign-out?device=${refs[0]}&csrf=${csrf}&_method=POST`)
      .set('Cookie', cookie)
      .set('X-HTTP-Method-Override', 'POST');
    expect(overridden.status).toBe(404);
    expect(deletes(w.zitadel)).toHaveLength(0);
  });

  it('a POST without Origin and Sec-Fetch-Site, or with Origin null, is refused as cross-site', async () => {
    const w = await world();
    seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf } = await openPage(w.app, cookie);
    for (const headers of [
      {},
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'same-site' },
      { Origin: `${PUBLIC_URL}.evil.example` },
    ]) {
      const response = await request(w.app)
        .post('/devices/sign-out-others')
        .set('Cookie', cookie)
        .set(headers)
        .type('form')
        .send({ csrf });
      expect([JSON.stringify(headers), response.status]).toEqual([JSON.stringify(headers), 403]);
    }
    expect(deletes(w.zitadel)).toHaveLength(0);
  });
});

describe('malformed cookies, headers and query strings', () => {
  it('bad page and login-state cookies send the browser to sign in or to a 400, never a 500', async () => {
    const w = await world();
    const values = ['%zz', 'é'.repeat(50), '"', '""', 'a.b.c', 'e30.e30.e30', `${'A'.repeat(5000)}`, '=;=;;'];
    for (const value of values) {
      const page = await request(w.app).get('/devices').set('Cookie', `limiter_devices=${value}`);
      expect([value, page.status]).toEqual([value, 303]);
      const callback = await request(w.app)
        .get('/devices/callback?code=good-code&state=s-1')
        .set('Cookie', `limiter_devices_login=${value}`);
      expect([value, callback.status]).toEqual([value, 400]);
    }
    // A login-state cookie is no page cookie, and a page cookie no login state.
    const start = await request(w.app).get('/devices');
    const loginState = cookieValue(start.headers['set-cookie'], 'limiter_devices_login');
    expect((await request(w.app).get('/devices').set('Cookie', `limiter_devices=${loginState}`)).status).toBe(
      303,
    );
  });

  it('odd Authorization headers are a 401, never a 500', async () => {
    const w = await world();
    for (const authorization of [
      'Bearer',
      'Bearer ',
      'Bearer  abcdefghijklmnopqrstu',
      'Bearer a b',
      `Bearer ${'é'.repeat(20)}`,
      `Bearer ${'a'.repeat(5000)}`,
      'Bearer\tabcdefghijklmnopqrstu',
    ]) {
      const response = await request(w.app).get('/api/devices').set('Authorization', authorization);
      expect([authorization.slice(0, 30), response.status]).toEqual([authorization.slice(0, 30), 401]);
    }
  });

  it('reflects nothing from the query, Accept-Language, user agents or IPs unescaped', async () => {
    const w = await world();
    w.zitadel.addSession({
      userId: USER,
      fingerprintId: 'fp-x',
      userAgentDescription: '<script>alert(1)</script>',
      userAgentHeader: ['"><img src=x onerror=alert(2)> <script>'],
      userAgentIp: '"><svg onload=alert(3)>',
      creationDate: new Date(w.now() - HOUR),
    });
    const cookie = await signIn(w.app);
    const page = await request(w.app)
      .get('/devices?done=<script>x</script>&n=<b>')
      .set('Cookie', cookie)
      .set('Accept-Language', '<script>,de;q=0.5');
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/<script|<img|<svg|<b>/);
    expect(page.text).toContain('&quot;&gt;&lt;svg onload=alert(3)&gt;');
    expect(page.text).toContain('lang="de"');
    const problem = await request(w.app)
      .get('/devices/ticket?t=<script>x</script>')
      .set('Accept-Language', '"><x');
    expect(problem.status).toBe(400);
    expect(problem.text).not.toMatch(/<script|"><x/);
  });
});

describe('ZITADEL failing under the page and the API', () => {
  it('a listing that fails is a 502 page or JSON with the security headers, never a 500 or a success', async () => {
    const w = await world();
    seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    w.oidc.tokens.set('access-token-of-the-user-000000', USER);
    w.zitadel.queuedFaults.push(...Array.from({ length: 40 }, () => 503 as const));
    const page = await request(w.app).get('/devices').set('Cookie', cookie);
    expect([page.status, page.type]).toEqual([502, 'text/html']);
    expect(page.text).toContain('zitadel_unavailable');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toBe(DEVICES_CONTENT_SECURITY_POLICY);
    const api = await request(w.app)
      .get('/api/devices')
      .set('Authorization', 'Bearer access-token-of-the-user-000000');
    expect([api.status, errorOf(api)]).toEqual([502, 'zitadel_unavailable']);
    expect(api.headers['cache-control']).toBe('no-store');
  });

  it('a sign-out whose deletes fail is a 502, never the "signed out" redirect', async () => {
    let failDeletes = false;
    const w = await world({
      zitadelOptions: (seen) => ({
        faults: { rate: 0.5, kinds: [503] },
        random: () => (failDeletes && seen().at(-1)?.method === 'DELETE' ? 0 : 1),
      }),
    });
    seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf, refs } = await openPage(w.app, cookie);
    w.oidc.tokens.set('access-token-of-the-user-000000', USER);
    failDeletes = true;
    const form = await postForm(w.app, '/devices/sign-out', cookie, { device: refs[0], csrf });
    expect([form.status, form.headers.location]).toEqual([502, undefined]);
    expect(form.text).toContain('zitadel_unavailable');
    const api = await request(w.app)
      .post(`/api/devices/${refs[0]}/sign-out`)
      .set('Authorization', 'Bearer access-token-of-the-user-000000');
    expect([api.status, errorOf(api)]).toEqual([502, 'zitadel_unavailable']);
    const audit = w.logLines.filter(
      (line) => line.includes('"msg":"devices action"') && line.includes('"action":"sign_out"'),
    );
    expect(audit.every((line) => line.includes('"outcome":"partly_failed"'))).toBe(true);
    expect(audit).toHaveLength(2);
  });

  it('OIDC failing (discovery, token exchange, introspection) is a 502, never a 500', async () => {
    const down = () => Promise.reject(new DevicesLoginError('zitadel_unavailable'));
    const w = await world({ oidc: { beginLogin: down, finishLogin: down, introspect: down } });
    const start = await request(w.app).get('/devices');
    expect([start.status, start.headers['set-cookie']]).toEqual([502, undefined]);
    const api = await request(w.app)
      .get('/api/devices')
      .set('Authorization', 'Bearer access-token-of-the-user-000000');
    expect([api.status, errorOf(api)]).toEqual([502, 'zitadel_unavailable']);
  });
});

describe('DEVICES_PUBLIC_URL with a path prefix (a proxy that strips /limiter)', () => {
  it('links, the stylesheet, cookie paths and every redirect carry the prefix', async () => {
    const w = await world({ env: { DEVICES_PUBLIC_URL: `${PUBLIC_URL}/limiter` } });
    seedDevices(w.zitadel, w.now());
    const start = await request(w.app).get('/devices');
    expect(String(start.headers['set-cookie'])).toContain('Path=/limiter/devices;');
    const cookie = await signIn(w.app, '/limiter');
    const { page, csrf, refs } = await openPage(w.app, cookie);
    expect(page.text).toContain('href="/limiter/devices/style.css"');
    expect(page.text).toContain('action="/limiter/devices/sign-out"');
    const css = await request(w.app).get('/devices/style.css');
    expect([css.status, css.type]).toEqual([200, 'text/css']);
    const out = await postForm(w.app, '/devices/sign-out', cookie, { device: refs[0], csrf });
    expect([out.status, out.headers.location]).toEqual([303, '/limiter/devices?done=signed_out']);
    const ticket = await request(w.app).get(
      `/devices/ticket?t=${encodeURIComponent(await ticketFor(w.now()))}`,
    );
    expect([ticket.status, ticket.headers.location]).toEqual([303, '/limiter/devices']);
    expect(String(ticket.headers['set-cookie'])).toContain('Path=/limiter/devices;');
  });
});

describe('secrets stay out of logs, metrics and audit records', () => {
  it('no client secret, cookie, CSRF token, ticket or access token in any line, after successes and failures', async () => {
    const w = await world({ env: DENY });
    seedDevices(w.zitadel, w.now());
    const cookie = await signIn(w.app);
    const { csrf, refs } = await openPage(w.app, cookie);
    const ticket = await ticketFor(w.now());
    const opened = await request(w.app).get(`/devices/ticket?t=${encodeURIComponent(ticket)}`);
    const ticketCookie = cookieValue(opened.headers['set-cookie'], 'limiter_devices') ?? 'no-ticket-cookie';
    await request(w.app).get(`/devices/ticket?t=${encodeURIComponent(ticket)}x`);
    await postForm(w.app, '/devices/sign-out', cookie, { device: refs[0], csrf });
    await postForm(w.app, '/devices/sign-out', cookie, { device: refs[0], csrf: `${csrf}x` });
    w.oidc.tokens.set('access-token-of-the-user-000000', USER);
    await request(w.app).get('/api/devices').set('Authorization', 'Bearer access-token-of-the-user-000000');
    await request(w.app).get('/api/devices').set('Authorization', 'Bearer inactive-token-00000000000000');
    w.zitadel.queuedFaults.push(...Array.from({ length: 40 }, () => 503 as const));
    await request(w.app).get('/devices').set('Cookie', cookie);
    const metrics = await request(w.app).get('/metrics');
    const everything = [...w.logLines, metrics.text].join('\n');
    expect(everything).toContain('devices_actions_total');
    for (const secret of [
      CLIENT_SECRET,
      KEY,
      cookie.split('=')[1] ?? '',
      csrf,
      ticket,
      ticketCookie,
      'access-token-of-the-user',
      'inactive-token',
      'good-code',
    ])
      expect([secret.slice(0, 12), everything.includes(secret)]).toEqual([secret.slice(0, 12), false]);
  });
});

describe('the real OIDC round trip, replayed (openid-client against the fake ZITADEL)', () => {
  let flow: DevicesWorld | undefined;
  afterEach(async () => {
    await flow?.stop();
    flow = undefined;
  });

  it('a callback played twice, or with another login attempt’s state cookie, opens no page', async () => {
    const w = (flow = await startDevicesWorld());
    const browser = new FakeBrowser();
    const callback = await w.signInThroughLoginPage(browser);
    const location = callback.headers.get('location') ?? '';
    expect(location.startsWith(`${w.limiterUrl}/devices/callback?code=`)).toBe(true);
    const loginState = browser.cookies.get('limiter_devices_login') ?? '';
    const first = await browser.go(location);
    expect(first.status).toBe(303);
    // The browser dropped the login state; a thief who kept it and the URL replays both.
    const replay = await fetch(location, {
      redirect: 'manual',
      headers: { Cookie: `limiter_devices_login=${loginState}` },
    });
    expect(replay.status).toBe(400);
    expect(
      replay.headers
        .getSetCookie()
        .some((line) => line.startsWith('limiter_devices=') && !line.startsWith('limiter_devices=;')),
    ).toBe(false);
    // Login CSRF: the attacker's fresh code with the victim's own (other) login state.
    const victim = new FakeBrowser();
    await victim.go(`${w.limiterUrl}/devices`);
    const attacker = new FakeBrowser();
    const attackerCallback = (await w.signInThroughLoginPage(attacker)).headers.get('location') ?? '';
    const planted = await victim.go(attackerCallback);
    expect(planted.status).toBe(400);
    expect(await planted.text()).toContain('login_failed');
    expect(victim.cookies.has('limiter_devices')).toBe(false);
    // Crafted callbacks with the victim's right state: no code, two codes, two states. A failed sign-in, not ZITADEL.
    const claims = JSON.parse(
      Buffer.from(
        (victim.cookies.get('limiter_devices_login') ?? '').split('.')[1] ?? '',
        'base64url',
      ).toString(),
    ) as { st: string };
    const code = new URL(attackerCallback).searchParams.get('code') ?? '';
    for (const query of [
      `state=${claims.st}`,
      `code=${code}&code=${code}&state=${claims.st}`,
      `code=${code}&state=${claims.st}&state=${claims.st}`,
    ]) {
      const crafted = await victim.go(`${w.limiterUrl}/devices/callback?${query}`);
      expect([query, crafted.status]).toEqual([query, 400]);
    }
    expect(victim.cookies.has('limiter_devices')).toBe(false);
  });
});

describe('the API’s Authorization header', () => {
  it('takes the auth scheme case-insensitively, as RFC 9110 says ("bearer", "BEARER")', async () => {
    const w = await world();
    seedDevices(w.zitadel, w.now());
    w.oidc.tokens.set('access-token-of-the-user-000000', USER);
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await request(w.app)
        .get('/api/devices')
        .set('Authorization', `${scheme} access-token-of-the-user-000000`);
      expect([scheme, response.status]).toEqual([scheme, 200]);
    }
  });
});
