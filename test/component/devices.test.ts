import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { buildHarness, postWebhook } from '../support/harness.js';
import { goJson, loginWebhook } from '../support/webhooks.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';
import { minutesAgo, searchAnswer, TEST_USER } from '../support/zitadelRows.js';

const ZITADEL = 'https://zitadel.test';
const USER = TEST_USER;
const ORG = '284021120958300001';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

useNockForZitadel();

/** A session row as ZITADEL lists it, on browser `fingerprintId`, signed in `signedInAgo` minutes ago. */
function row(
  id: string,
  createdAgo: number,
  options: { fingerprintId?: string; signedInAgo?: number; factors?: string[]; userVerified?: boolean } = {},
) {
  const verifiedAt = minutesAgo(options.signedInAgo ?? createdAgo);
  const factors = Object.fromEntries(
    (options.factors ?? ['password']).map((name) => [
      name,
      name === 'webAuthN' ? { verifiedAt, userVerified: options.userVerified ?? false } : { verifiedAt },
    ]),
  );
  return {
    id,
    creationDate: minutesAgo(createdAgo),
    changeDate: verifiedAt,
    factors: {
      user: {
        id: USER,
        loginName: 'ada@example.com',
        organizationId: ORG,
        verifiedAt: minutesAgo(createdAgo),
      },
      ...factors,
    },
    userAgent: {
      ...(options.fingerprintId === undefined ? {} : { fingerprintId: options.fingerprintId }),
      description: 'Firefox on Linux',
    },
  };
}

/** Optional answers for the user reads a test expects never to be asked for; `asked()` says which were. */
function userReadsNotExpected(): { asked: () => string[] } {
  const asked: string[] = [];
  const answer = (name: string, body: object) => () => {
    asked.push(name);
    return [200, body] as const;
  };
  nock(ZITADEL)
    .get(`/v2/users/${USER}/authentication_methods`)
    .optionally()
    .reply(answer('authentication_methods', { authMethodTypes: ['AUTHENTICATION_METHOD_TYPE_PASSWORD'] }))
    .get('/v2/settings/login')
    .query(true)
    .optionally()
    .reply(answer('login_settings', { settings: {} }))
    .post(`/v2/users/${USER}/metadata/search`)
    .optionally()
    .reply(answer('metadata', {}));
  return { asked: () => asked };
}

function nockUserReads(options: { methods?: string[]; forceMfa?: boolean; metadata?: string } = {}) {
  const scope = nock(ZITADEL)
    .get(`/v2/users/${USER}/authentication_methods`)
    .reply(200, { authMethodTypes: options.methods ?? ['AUTHENTICATION_METHOD_TYPE_PASSWORD'] })
    .get('/v2/settings/login')
    .query({ 'ctx.orgId': ORG })
    .reply(200, { settings: options.forceMfa === true ? { forceMfa: true } : {} });
  if (options.metadata !== undefined)
    scope
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(200, { metadata: [{ key: 'session_limit', value: b64(options.metadata) }] });
  return scope;
}

describe('devices, not sessions (COUNT_BY=device, the default)', () => {
  it('a re-login on the same laptop costs no device: the phone stays, and the answer speaks in devices', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2', COUNT_WHEN: 'signed-in' });
    const relogin = row('s-new', 0, { fingerprintId: 'laptop' });
    // Two devices at most, whatever counts: within the limit, so neither the methods nor the login policy is read.
    const userReads = userReadsNotExpected();
    nockConfirmedSession(ZITADEL, 's-new', relogin);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          relogin,
          row('s-2', 30, { fingerprintId: 'laptop' }),
          row('s-1', 60, { fingerprintId: 'phone' }),
        ]),
      );

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.status).toBe(200);
    expect(userReads.asked()).toEqual([]);
    expect(res.body).toMatchObject({
      outcome: 'within_limit',
      countBy: 'device',
      limit: 2,
      limitSource: 'default',
      counted: 3,
      devices: 2,
      keptDevices: 2,
      removedDevices: 0,
      deleted: [],
    });
  });

  it('a third device signs out every session of the least recently signed-in one', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2', COUNT_WHEN: 'signed-in' });
    const tablet = row('s-new', 0, { fingerprintId: 'tablet' });
    nockConfirmedSession(ZITADEL, 's-new', tablet);
    nockUserReads();
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          tablet,
          // Started first but signed in after the laptop: the phone's login is the more recent one.
          row('s-3', 50, { fingerprintId: 'phone', signedInAgo: 5 }),
          row('s-2', 30, { fingerprintId: 'laptop', signedInAgo: 20 }),
          row('s-1', 40, { fingerprintId: 'laptop', signedInAgo: 39 }),
        ]),
      )
      .delete('/v2/sessions/s-2')
      .reply(200, { details: {} })
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.body).toMatchObject({
      outcome: 'enforced',
      devices: 3,
      removedDevices: 1,
      kept: ['s-new', 's-3'],
    });
    expect([...(res.body as { deleted: string[] }).deleted].sort()).toEqual(['s-1', 's-2']);
  });

  it('COUNT_BY=session and EVICTION_ORDER=created bring back the old rule', async () => {
    const { app } = buildHarness({
      CONCURRENT_SESSIONS: '2',
      COUNT_BY: 'session',
      EVICTION_ORDER: 'created',
    });
    const relogin = row('s-new', 0, { fingerprintId: 'laptop' });
    nockConfirmedSession(ZITADEL, 's-new', relogin);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          relogin,
          row('s-2', 30, { fingerprintId: 'laptop' }),
          row('s-1', 60, { fingerprintId: 'phone' }),
        ]),
      )
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.body).toMatchObject({ outcome: 'enforced', countBy: 'session', devices: 3, deleted: ['s-1'] });
  });

  it('deny-new never refuses a sign-in from a device that already holds a place', async () => {
    const { app } = buildHarness({
      CONCURRENT_SESSIONS: '1',
      LIMIT_STRATEGY: 'deny-new',
      COUNT_WHEN: 'signed-in',
    });
    const relogin = row('s-new', 0, { fingerprintId: 'laptop' });
    // One device: no limit can be exceeded, so nothing but GetSession and the search is asked.
    const userReads = userReadsNotExpected();
    nockConfirmedSession(ZITADEL, 's-new', relogin);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([relogin, row('s-1', 60, { fingerprintId: 'laptop' })]));

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.status).toBe(200);
    expect(userReads.asked()).toEqual([]);
    expect(res.body).not.toHaveProperty('forwardedStatusCode');
    expect(res.body).toMatchObject({ outcome: 'within_limit', devices: 1 });
  });
});

describe('only a fully signed-in session counts or triggers (COUNT_WHEN=signed-in)', () => {
  it('a password-only login of a user with TOTP evicts nobody at N=1', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', COUNT_WHEN: 'signed-in' });
    const attacker = row('s-new', 0, { fingerprintId: 'attacker' });
    nockConfirmedSession(ZITADEL, 's-new', attacker);
    nockUserReads({ methods: ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'] });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          attacker,
          row('s-victim', 60, { fingerprintId: 'victim', factors: ['password', 'totp'] }),
        ]),
      );

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.body).toMatchObject({ outcome: 'within_limit', counted: 1, notSignedIn: 1, deleted: [] });
  });

  it('a login policy that forces MFA makes a password alone half a sign-in; a passkey is a whole one', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', COUNT_WHEN: 'signed-in' });
    const passkey = row('s-new', 0, { fingerprintId: 'new', factors: ['webAuthN'], userVerified: true });
    nockConfirmedSession(ZITADEL, 's-new', passkey);
    nockUserReads({ forceMfa: true });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          passkey,
          row('s-half', 5, { fingerprintId: 'half' }),
          row('s-full', 60, { fingerprintId: 'full', factors: ['password', 'otpEmail'] }),
        ]),
      )
      .delete('/v2/sessions/s-full')
      .reply(200, { details: {} });

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.body).toMatchObject({ outcome: 'enforced', counted: 2, deleted: ['s-full'], kept: ['s-new'] });
  });

  it('counts any verified factor, with a warning, when the methods cannot be read; the webhook still succeeds', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1', COUNT_WHEN: 'signed-in' });
    const login = row('s-new', 0, { fingerprintId: 'new' });
    nockConfirmedSession(ZITADEL, 's-new', login);
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .times(4)
      .reply(503, { code: 14, message: 'unavailable' })
      .get('/v2/settings/login')
      .query(true)
      .reply(200, { settings: {} })
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([login, row('s-1', 60, { fingerprintId: 'old' })]))
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: ['s-1'] });
    expect(logLines.some((line) => line.includes('any verified factor counts') && line.includes(USER))).toBe(
      true,
    );
    const metrics = await import('supertest').then(({ default: request }) => request(app).get('/metrics'));
    expect(metrics.text).toMatch(
      /zitadel_session_limiter_policy_fallbacks_total\{reason="authentication_methods_unreadable"\} 1/,
    );
  });
});

describe('limits per plan (LIMIT_METADATA_KEY) and per organisation (ORG_LIMITS)', () => {
  it("a premium user's metadata lifts the limit: four devices stay where the default is 2", async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2', LIMIT_METADATA_KEY: 'session_limit' });
    const login = row('s-new', 0, { fingerprintId: 'd4' });
    nockConfirmedSession(ZITADEL, 's-new', login);
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(200, { metadata: [{ key: 'session_limit', value: b64('4') }] })
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          login,
          row('s-3', 10, { fingerprintId: 'd3' }),
          row('s-2', 20, { fingerprintId: 'd2' }),
          row('s-1', 30, { fingerprintId: 'd1' }),
        ]),
      );

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.body).toMatchObject({
      outcome: 'within_limit',
      limit: 4,
      limitSource: 'metadata',
      devices: 4,
    });
  });

  it('reads the metadata once per TTL for a user: the second login is decided from the cache', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2', LIMIT_METADATA_KEY: 'session_limit' });
    const first = row('s-a', 0, { fingerprintId: 'a' });
    const second = row('s-b', 0, { fingerprintId: 'b' });
    nockConfirmedSession(ZITADEL, 's-a', first);
    nockConfirmedSession(ZITADEL, 's-b', second);
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .once()
      .reply(200, { metadata: [{ key: 'session_limit', value: b64('unlimited') }] })
      .post('/v2/sessions/search')
      .times(2)
      .reply(200, searchAnswer([first, second, row('s-1', 30, { fingerprintId: 'c' })]));

    expect((await postWebhook(app, loginWebhook('s-a'))).body).toMatchObject({ limit: 'unlimited' });
    expect((await postWebhook(app, loginWebhook('s-b'))).body).toMatchObject({
      limit: 'unlimited',
      limitSource: 'metadata',
      deleted: [],
    });
  });

  it('an organisation limit applies to users without metadata; an invalid value is a warning and a metric', async () => {
    const { app, logLines } = buildHarness({
      CONCURRENT_SESSIONS: '3',
      LIMIT_METADATA_KEY: 'session_limit',
      ORG_LIMITS: `${ORG}=1`,
    });
    const login = row('s-new', 0, { fingerprintId: 'new' });
    nockConfirmedSession(ZITADEL, 's-new', login);
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(200, { metadata: [{ key: 'session_limit', value: b64('premium!') }] })
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([login, row('s-1', 30, { fingerprintId: 'old' })]))
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.body).toMatchObject({
      outcome: 'enforced',
      limit: 1,
      limitSource: 'organization',
      deleted: ['s-1'],
    });
    expect(logLines.join('\n')).not.toContain('premium!');
    expect(logLines.some((line) => line.includes('"level":"warn"') && line.includes('limit metadata'))).toBe(
      true,
    );
    const audit = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((l) => l.log === 'audit');
    expect(audit).toMatchObject({ limit: 1, limitSource: 'organization', devices: 2, removedDevices: 1 });
    const { default: request } = await import('supertest');
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toMatch(
      /zitadel_session_limiter_policy_fallbacks_total\{reason="limit_metadata_invalid"\} 1/,
    );
    expect(metrics).toMatch(/zitadel_session_limiter_devices_removed_total\{strategy="evict-oldest"\} 1/);
  });
});

describe("a CreateSession request condition (ENFORCE_ON_REQUEST) carries the browser's fingerprint", () => {
  const createRequest = (fingerprintId: string) =>
    goJson({
      fullMethod: '/zitadel.session.v2.SessionService/CreateSession',
      instanceID: 'instance-1',
      userID: 'login-client-service-account',
      request: {
        checks: { user: { userId: USER }, password: { password: 'S3cret!' } },
        userAgent: { fingerprintId, description: 'Firefox on Linux' },
      },
    });

  it.each([
    ['laptop', 200, undefined],
    ['stranger', 200, 403],
  ])(
    'deny-new at N=1 with a laptop signed in: a login from %s is answered %i (forwarded %s)',
    async (fp, status, forwarded) => {
      const { app } = buildHarness({
        CONCURRENT_SESSIONS: '1',
        LIMIT_STRATEGY: 'deny-new',
        ENFORCE_ON_REQUEST: 'true',
      });
      nock(ZITADEL)
        .post('/v2/sessions/search')
        .reply(200, searchAnswer([row('s-1', 60, { fingerprintId: 'laptop' })]));

      const res = await postWebhook(app, createRequest(fp));

      expect(res.status).toBe(status);
      expect((res.body as { forwardedStatusCode?: number }).forwardedStatusCode).toBe(forwarded);
    },
  );
});
