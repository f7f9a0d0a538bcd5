import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER_FORM } from '../../src/http/webhookRoute.js';
import { buildHarness, postWebhook, TEST_PAT, TEST_SIGNING_KEY } from '../support/harness.js';
import {
  sessionCheckedEvent,
  setSessionRequest,
  setSessionResponse,
  usernameStepResponse,
  loginWebhook,
  createSessionResponse,
  goJson,
} from '../support/webhooks.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';
import {
  minutesAgo,
  searchAnswer as searchReturns,
  sessionRow as row,
  TEST_USER,
} from '../support/zitadelRows.js';

const ZITADEL = 'https://zitadel.test';
const USER = TEST_USER;
const OTHER_USER = '284021120958309999';

useNockForZitadel();

describe('a verified login (CreateSession response by user id with a password)', () => {
  it('confirms the login with GetSession, then deletes all but the newest N with one search and parallel deletes', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2' });
    nockConfirmedSession(ZITADEL);
    let searchBody: unknown;
    let authorization: string | undefined;
    const zitadel = nock(ZITADEL)
      .post('/v2/sessions/search', (body: unknown) => {
        searchBody = body;
        return true;
      })
      .reply(function () {
        authorization = this.req.headers.authorization;
        // The trigger (s-new) is not listed yet: the search lags.
        return [
          200,
          searchReturns([row('s-3', minutesAgo(1)), row('s-2', minutesAgo(10)), row('s-1', minutesAgo(20))]),
        ];
      })
      .delete('/v2/sessions/s-2')
      .reply(200, { details: {} })
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outcome: 'enforced',
      userId: USER,
      sessionId: 's-new',
      counted: 4,
      kept: ['s-new', 's-3'],
    });
    expect([...(res.body as { deleted: string[] }).deleted].sort()).toEqual(['s-1', 's-2']);
    expect(res.body).not.toHaveProperty('forwardedStatusCode');
    expect(searchBody).toEqual({
      query: { offset: '0', limit: 500, asc: false },
      queries: [{ userIdQuery: { id: USER } }],
      sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE',
    });
    expect(authorization).toBe(`Bearer ${TEST_PAT}`);
    expect(zitadel.isDone()).toBe(true);
  });

  it('answers within_limit and deletes nothing when the user is at the limit', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(5))]));
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'within_limit', counted: 2, deleted: [] });
  });

  it('never deletes rows of another user, even if the search filter was dropped', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchReturns([
          row('x-1', minutesAgo(30), { userId: OTHER_USER }),
          row('s-1', minutesAgo(20)),
          row('x-2', minutesAgo(40), { userId: OTHER_USER }),
        ]),
      )
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: ['s-1'], kept: ['s-new'] });
    expect(
      logLines.some((line) => line.includes('sessions of other users') && line.includes('"foreignRows":2')),
    ).toBe(true);
  });

  it('skips expired and unauthenticated sessions when counting', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchReturns([
          row('s-expired', minutesAgo(3), { expirationDate: minutesAgo(1) }),
          row('s-username-only', minutesAgo(2), { factors: {} }),
          row('s-1', minutesAgo(20)),
        ]),
      );
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'within_limit', counted: 2, deleted: [] });
  });

  it('treats an already deleted session (404) as deleted', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-1')
      .reply(404, { code: 5, message: 'Errors.Session.NotFound' });
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: ['s-1'], failed: [] });
  });

  it('pages through a long listing', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '500' });
    nockConfirmedSession(ZITADEL);
    const firstPage = Array.from({ length: 500 }, (_, i) => row(`p1-${i}`, minutesAgo(10 + i)));
    const offsets: string[] = [];
    nock(ZITADEL)
      .post(
        '/v2/sessions/search',
        (body: { query: { offset: string } }) => offsets.push(body.query.offset) > 0,
      )
      .reply(200, { details: { totalResult: '501' }, sessions: firstPage })
      .post(
        '/v2/sessions/search',
        (body: { query: { offset: string } }) => offsets.push(body.query.offset) > 0,
      )
      .reply(200, { details: { totalResult: '501' }, sessions: [row('p2-0', minutesAgo(5000))] })
      .delete('/v2/sessions/p2-0')
      .reply(200, { details: {} })
      .delete('/v2/sessions/p1-499')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(offsets).toEqual(['0', '500']);
    expect(res.body).toMatchObject({ counted: 502, remaining: 0 });
    expect([...(res.body as { deleted: string[] }).deleted].sort()).toEqual(['p1-499', 'p2-0']);
  });

  it('under deny-new, reads the oldest sessions first, so that a listing cut short still holds the first N', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', LIMIT_STRATEGY: 'deny-new' });
    nockConfirmedSession(ZITADEL);
    let query: unknown;
    nock(ZITADEL)
      .post('/v2/sessions/search', (body: { query: unknown }) => {
        query = body.query;
        return true;
      })
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-new')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(query).toEqual({ offset: '0', limit: 500, asc: true });
    expect(res.body).toMatchObject({ outcome: 'denied', deleted: ['s-new'] });
  });
});

describe('steps that authenticate nothing', () => {
  it('ignores a username step without calling ZITADEL', async () => {
    const { app } = buildHarness();
    const res = await postWebhook(
      app,
      usernameStepResponse({ id: 's-new', loginName: 'ada@example.com', creationDate: new Date() }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'no_authentication_check' });
  });

  it('ignores a session.user.checked event without calling ZITADEL', async () => {
    const { app } = buildHarness();
    const res = await postWebhook(app, sessionCheckedEvent('s-1', 'session.user.checked'));
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'no_authentication_check' });
  });

  it('answers "ignored" for other methods so ZITADEL does not log errors forever', async () => {
    const { app } = buildHarness();
    const body = JSON.stringify({
      fullMethod: '/zitadel.user.v2.UserService/AddHumanUser',
      request: {},
      response: {},
    });
    const res = await postWebhook(app, body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'other_method' });
  });
});

describe('a payload never decides alone', () => {
  it('ignores a login whose payload names another user than the session belongs to (a forged payload)', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    // Signed with the real key, but the session is somebody else's: only GetSession is answered.
    nockConfirmedSession(ZITADEL, 's-theirs', row('s-theirs', minutesAgo(0), { userId: OTHER_USER }));
    const forged = createSessionResponse({ id: 's-theirs', userId: USER, creationDate: new Date() });
    const res = await postWebhook(app, forged);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'user_mismatch' });
    expect(logLines.some((line) => line.includes('names another user'))).toBe(true);
  });

  it('in deny-new, never deletes a session named as the trigger that ZITADEL does not confirm', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', LIMIT_STRATEGY: 'deny-new' });
    nock(ZITADEL).get('/v2/sessions/s-victim').reply(404, { code: 5, message: 'Errors.Session.NotFound' });
    const res = await postWebhook(
      app,
      createSessionResponse({ id: 's-victim', userId: USER, creationDate: new Date() }),
    );
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'session_not_found' });
  });

  it('takes the creation date and factors from ZITADEL, not from the payload', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    // The payload claims a brand-new session; ZITADEL says it was created an hour ago, before s-1.
    nockConfirmedSession(ZITADEL, 's-new', row('s-new', minutesAgo(60)));
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20)), row('s-new', minutesAgo(60))]))
      .delete('/v2/sessions/s-new')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'enforced', kept: ['s-1'], deleted: ['s-new'] });
  });

  it('searches once more when the first answer is behind the login, and no more', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    const written = new Date();
    nockConfirmedSession(ZITADEL, 's-new', row('s-new', written.toISOString()));
    const before = new Date(written.getTime() - 5_000).toISOString();
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, { details: { totalResult: '0', timestamp: before } })
      .post('/v2/sessions/search')
      .reply(200, {
        details: { totalResult: '1', timestamp: written.toISOString() },
        sessions: [row('s-1', minutesAgo(1))],
      })
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'enforced', kept: ['s-new'], deleted: ['s-1'] });
  });

  it('decides on the second answer, the trigger included, when the search is still behind', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    const written = new Date();
    nockConfirmedSession(ZITADEL, 's-new', row('s-new', written.toISOString()));
    const behind = {
      details: { totalResult: '1', timestamp: new Date(written.getTime() - 5_000).toISOString() },
    };
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .times(2)
      .reply(200, { ...behind, sessions: [row('s-1', minutesAgo(1))] })
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'enforced', kept: ['s-new'], deleted: ['s-1'] });
    expect(logLines.some((line) => line.includes('still behind the login'))).toBe(true);
  });

  it('with ZITADEL_INSTANCE_ID, refuses a webhook of another instance with 403 and no ZITADEL call', async () => {
    const { app } = buildHarness({ ZITADEL_INSTANCE_ID: '111222333' });
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'instance_mismatch' });
  });

  it('with ZITADEL_INSTANCE_ID, refuses a webhook that names no instance', async () => {
    const { app } = buildHarness({ ZITADEL_INSTANCE_ID: 'instance-1' });
    const body = goJson({ fullMethod: '/zitadel.user.v2.UserService/AddHumanUser', request: {} });
    expect((await postWebhook(app, body)).status).toBe(403);
  });

  it('with ZITADEL_INSTANCE_ID, acts on a webhook of that instance', async () => {
    const { app } = buildHarness({ ZITADEL_INSTANCE_ID: 'instance-1', CONCURRENT_SESSIONS: '2' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchReturns([]));
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'within_limit' });
  });
});

describe('SetSession and events (the user comes from GetSession)', () => {
  it('reads the session, then enforces for its user', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    const calls: string[] = [];
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .reply(() => {
        calls.push('get');
        return [200, { session: row('s-new', minutesAgo(0)) }];
      })
      .post('/v2/sessions/search')
      .reply(() => {
        calls.push('search');
        return [200, searchReturns([row('s-1', minutesAgo(20))])];
      })
      .delete('/v2/sessions/s-1')
      .reply(() => {
        calls.push('delete');
        return [200, { details: {} }];
      });
    const res = await postWebhook(app, setSessionResponse('s-new'));
    expect(calls).toEqual(['get', 'search', 'delete']);
    expect(res.body).toMatchObject({ outcome: 'enforced', userId: USER, deleted: ['s-1'], kept: ['s-new'] });
  });

  it('handles a session.password.checked event the same way', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .reply(200, { session: row('s-new', minutesAgo(0)) })
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-new', minutesAgo(0)), row('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });
    const res = await postWebhook(app, sessionCheckedEvent('s-new'));
    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: ['s-1'] });
  });

  it('ignores a session that is gone by the time we look', async () => {
    const { app } = buildHarness();
    nock(ZITADEL).get('/v2/sessions/s-gone').reply(404, { code: 5, message: 'not found' });
    const res = await postWebhook(app, setSessionResponse('s-gone'));
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'session_not_found' });
  });

  it('ignores a session whose only verified factor is the user', async () => {
    const { app } = buildHarness();
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .reply(200, { session: row('s-new', minutesAgo(0), { factors: {} }) });
    const res = await postWebhook(app, sessionCheckedEvent('s-new', 'session.otp.email.checked'));
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'not_authenticated' });
  });
});

describe('deny-new', () => {
  it('deletes the newcomer and fails the login with a forwarded 403', async () => {
    const { app } = buildHarness({
      CONCURRENT_SESSIONS: '2',
      LIMIT_STRATEGY: 'deny-new',
      DENY_MESSAGE: 'Two devices at most.',
    });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-2', minutesAgo(5)), row('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-new')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      forwardedStatusCode: 403,
      forwardedErrorMessage: 'Two devices at most.',
      outcome: 'denied',
      deleted: ['s-new'],
    });
    expect([...(res.body as { kept: string[] }).kept]).toEqual(['s-2', 's-1']);
  });

  it('lets the newcomer in while there is room', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '2', LIMIT_STRATEGY: 'deny-new' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]));
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'within_limit' });
    expect(res.body).not.toHaveProperty('forwardedStatusCode');
  });
});

describe('dry run', () => {
  it('reports what it would delete and deletes nothing', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', DRY_RUN: 'true' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]));
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'enforced', dryRun: true, deleted: ['s-1'] });
  });

  it('does not fail a login in deny-new mode', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', DRY_RUN: 'true', LIMIT_STRATEGY: 'deny-new' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]));
    const res = await postWebhook(app, loginWebhook());
    expect(res.body).toMatchObject({ outcome: 'denied', dryRun: true, deleted: ['s-new'] });
    expect(res.body).not.toHaveProperty('forwardedStatusCode');
  });
});

describe('request conditions', () => {
  it('with ENFORCE_ON_REQUEST under evict-oldest, a CreateSession request deletes nothing: it cannot be confirmed', async () => {
    const { app } = buildHarness({ ENFORCE_ON_REQUEST: 'true', CONCURRENT_SESSIONS: '1' });
    const body = goJson({
      fullMethod: '/zitadel.session.v2.SessionService/CreateSession',
      instanceID: 'instance-1',
      request: { checks: { user: { userId: USER }, password: { password: 'x' } } },
    });
    const res = await postWebhook(app, body);
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'unconfirmable_trigger' });
  });

  it('with ENFORCE_ON_REQUEST under deny-new, a CreateSession request may refuse the login, deleting nothing', async () => {
    const { app } = buildHarness({
      ENFORCE_ON_REQUEST: 'true',
      CONCURRENT_SESSIONS: '1',
      LIMIT_STRATEGY: 'deny-new',
    });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]));
    const body = goJson({
      fullMethod: '/zitadel.session.v2.SessionService/CreateSession',
      instanceID: 'instance-1',
      request: { checks: { user: { userId: USER }, password: { password: 'x' } } },
    });
    const res = await postWebhook(app, body);
    expect(res.body).toMatchObject({
      forwardedStatusCode: 403,
      outcome: 'denied',
      deleted: [],
      kept: ['s-1'],
    });
  });

  it('are ignored by default, with one hint in the log on how to register a response execution', async () => {
    const { app, logLines } = buildHarness();
    const first = await postWebhook(app, setSessionRequest('s-new'));
    await postWebhook(app, setSessionRequest('s-new'));
    expect(first.body).toEqual({ outcome: 'ignored', reason: 'request_condition' });
    expect(logLines.filter((line) => line.includes('Register response executions')).length).toBe(1);
  });

  it('with ENFORCE_ON_REQUEST under evict-oldest, a SetSession request deletes nothing and costs no ZITADEL call', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', ENFORCE_ON_REQUEST: 'true' });
    // No nock interceptor: any ZITADEL call would fail the request (net connect is disabled).
    const res = await postWebhook(app, setSessionRequest('s-new'));
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'unconfirmable_trigger' });
  });

  it("with ENFORCE_ON_REQUEST under deny-new, anyone's CreateSession request refuses but never deletes the victim's newest device", async () => {
    const { app } = buildHarness({
      ENFORCE_ON_REQUEST: 'true',
      CONCURRENT_SESSIONS: '1',
      LIMIT_STRATEGY: 'deny-new',
    });
    const deletes: string[] = [];
    nock(ZITADEL)
      .post('/v2/sessions/search')
      // The victim is over the limit (a lowered limit, or two logins that committed at once).
      .reply(200, searchReturns([row('s-2', minutesAgo(1)), row('s-1', minutesAgo(20))]))
      .delete(/\/v2\/sessions\/.*/)
      .optionally()
      .times(5)
      .reply(function (path) {
        deletes.push(path);
        return [200, { details: {} }];
      });
    const body = goJson({
      fullMethod: '/zitadel.session.v2.SessionService/CreateSession',
      instanceID: 'instance-1',
      request: { checks: { user: { userId: USER }, password: { password: 'a-guess' } } },
    });
    const res = await postWebhook(app, body);
    expect(res.body).toMatchObject({ forwardedStatusCode: 403, outcome: 'denied', deleted: [], failed: [] });
    // The excess (s-2) is not this trigger's to remove: the decision for a request condition signs nobody else
    // out, so it is not even reported as remaining; the response webhook or a sweep settles it.
    expect(deletes).toEqual([]);
  });

  it('with ENFORCE_ON_REQUEST under deny-new, a refused SetSession request deletes nothing, not even its own session', async () => {
    const { app } = buildHarness({
      ENFORCE_ON_REQUEST: 'true',
      CONCURRENT_SESSIONS: '1',
      LIMIT_STRATEGY: 'deny-new',
    });
    const deletes: string[] = [];
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .reply(200, { session: row('s-new', minutesAgo(1), { factors: {} }) })
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-new', minutesAgo(1), { factors: {} }), row('s-1', minutesAgo(20))]))
      .delete(/\/v2\/sessions\/.*/)
      .optionally()
      .times(5)
      .reply(function (path) {
        deletes.push(path);
        return [200, { details: {} }];
      });
    const res = await postWebhook(app, setSessionRequest('s-new'));
    expect(res.body).toMatchObject({
      forwardedStatusCode: 403,
      outcome: 'denied',
      deleted: [],
      remaining: 0,
    });
    expect(deletes).toEqual([]);
  });
});

describe('when ZITADEL struggles', () => {
  it('retries 503 and 429 (honouring Retry-After) and then succeeds', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(503, { code: 14, message: 'unavailable' })
      .post('/v2/sessions/search')
      .reply(429, { code: 8, message: 'slow down' }, { 'Retry-After': '0' })
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-1')
      .replyWithError('socket hang up')
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: ['s-1'] });
  });

  it('lets the login pass as undecided, within the deadline, when ZITADEL does not answer', async () => {
    const { app, logLines } = buildHarness({ ZITADEL_TIMEOUT_MS: '100', ENFORCEMENT_DEADLINE_MS: '600' });
    nock(ZITADEL).get('/v2/sessions/s-new').times(10).delay(5_000).reply(200, {});
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(200);
    const body = res.body as { outcome: string; reason: string };
    expect(Object.keys(body).sort()).toEqual(['outcome', 'reason']);
    expect(body.outcome).toBe('undecided');
    expect(body.reason).toMatch(/^(deadline|zitadel_unavailable)$/);
    expect(
      logLines.some((line) => line.includes('"outcome":"undecided"') && line.includes('"log":"audit"')),
    ).toBe(true);
    nock.cleanAll();
  });

  it('with ON_FAILURE=refuse, answers a 5xx within the deadline when ZITADEL does not answer', async () => {
    const { app } = buildHarness({
      ZITADEL_TIMEOUT_MS: '100',
      ENFORCEMENT_DEADLINE_MS: '600',
      ON_FAILURE: 'refuse',
    });
    nock(ZITADEL).get('/v2/sessions/s-new').times(10).delay(5_000).reply(200, {});
    const res = await postWebhook(app, loginWebhook());
    expect([502, 503]).toContain(res.status);
    const body = res.body as { error: string };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(/^(deadline|zitadel_unavailable)$/);
    nock.cleanAll();
  });

  it('lets the login pass as undecided when the PAT is refused, without retrying, and logs why', async () => {
    const { app, logLines } = buildHarness();
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .once()
      .reply(401, { code: 16, message: 'Errors.Token.Invalid' });
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'undecided', reason: 'zitadel_rejected' });
    expect(
      logLines.some((line) => line.includes('"status":401') && line.includes('"operation":"list_sessions"')),
    ).toBe(true);
  });

  it('with ON_FAILURE=refuse, answers 502 zitadel_rejected when the PAT is refused', async () => {
    const { app } = buildHarness({ ON_FAILURE: 'refuse' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .once()
      .reply(401, { code: 16, message: 'Errors.Token.Invalid' });
    const res = await postWebhook(app, loginWebhook());
    expect(res.status).toBe(502);
    expect(res.body).toEqual({ error: 'zitadel_rejected' });
  });

  it('says what was deleted and what failed when some deletions fail; 502 only under ON_FAILURE=refuse', async () => {
    for (const [onFailure, status] of [
      ['allow', 200],
      ['refuse', 502],
    ] as const) {
      const { app } = buildHarness({ CONCURRENT_SESSIONS: '1', ON_FAILURE: onFailure });
      nockConfirmedSession(ZITADEL);
      nock(ZITADEL)
        .post('/v2/sessions/search')
        .reply(200, searchReturns([row('s-2', minutesAgo(10)), row('s-1', minutesAgo(20))]))
        .delete('/v2/sessions/s-2')
        .reply(200, { details: {} })
        .delete('/v2/sessions/s-1')
        .reply(403, { code: 7, message: 'No matching permissions found' });
      const res = await postWebhook(app, loginWebhook());
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({
        outcome: 'enforced',
        deleted: ['s-2'],
        failed: ['s-1'],
        failedCount: 1,
      });
    }
  });
});

describe('admission control', () => {
  /**
   * One place for enforcements, taken by a webhook whose GetSession ZITADEL holds until the test lets it go. The test
   * learns that the place is taken when that GetSession arrives (it is only sent once a webhook is admitted), then
   * moves the app's clock on 20 s: the running enforcement has taken that long, so the gate expects the next one to
   * wait 20 s and need as long again, past its 30 s deadline. The order is forced by these signals, never by sleeping,
   * and the real 30 s deadline only matters if something hangs.
   */
  async function withTheOnlyPlaceTaken(env: Record<string, string> = {}) {
    let nowMs = Date.now();
    const { app } = buildHarness(
      { MAX_CONCURRENT_ENFORCEMENTS: '1', ENFORCEMENT_DEADLINE_MS: '30000', ...env },
      ZITADEL,
      { now: () => nowMs },
    );
    let admitted!: () => void;
    const firstAdmitted = new Promise<void>((resolve) => (admitted = resolve));
    let letZitadelAnswer!: () => void;
    const zitadelMayAnswer = new Promise<void>((resolve) => (letZitadelAnswer = resolve));
    nock(ZITADEL)
      .get('/v2/sessions/s-slow')
      .reply(async () => {
        admitted();
        await zitadelMayAnswer;
        return [200, { session: row('s-slow', minutesAgo(0)) }];
      });
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchReturns([]));
    const first = postWebhook(app, loginWebhook('s-slow')).then((res) => res);
    await firstAdmitted;
    nowMs += 20_000;
    /** Signed by the app's clock, which the test moved on. */
    const postNow = (body: string) => postWebhook(app, body, { timestampSeconds: Math.floor(nowMs / 1000) });
    const finishFirst = () => {
      letZitadelAnswer();
      return first;
    };
    return { postNow, finishFirst };
  }

  it('answers at once, undecided, when the webhooks ahead would not let this one finish inside its deadline', async () => {
    const { postNow, finishFirst } = await withTheOnlyPlaceTaken();

    // Answered while the first still holds the place: the gate turned it away without waiting in line.
    const second = await postNow(loginWebhook('s-turned-away'));

    expect(second.status).toBe(200);
    expect(second.body).toEqual({ outcome: 'undecided', reason: 'overloaded' });
    expect((await finishFirst()).body).toMatchObject({ outcome: 'within_limit' });
  });

  it('with ON_FAILURE=refuse, turns the webhook away with 503 overloaded', async () => {
    const { postNow, finishFirst } = await withTheOnlyPlaceTaken({ ON_FAILURE: 'refuse' });

    const second = await postNow(loginWebhook('s-turned-away'));

    expect(second.status).toBe(503);
    expect(second.body).toEqual({ error: 'overloaded' });
    expect((await finishFirst()).body).toMatchObject({ outcome: 'within_limit' });
  });

  it('does not make a username step wait in line: it costs ZITADEL nothing', async () => {
    const { postNow, finishFirst } = await withTheOnlyPlaceTaken();

    const typed = await postNow(
      usernameStepResponse({ id: 's-typed', loginName: 'ada@example.com', creationDate: new Date() }),
    );

    expect(typed.body).toEqual({ outcome: 'ignored', reason: 'no_authentication_check' });
    expect((await finishFirst()).body).toMatchObject({ outcome: 'within_limit' });
  });
});

describe('refused input never reaches ZITADEL', () => {
  const body = loginWebhook();
  const now = Math.floor(Date.now() / 1000);

  it.each([
    ['a missing signature', { header: null }, 401, 'signature_missing'],
    ['a header without t=', { header: 'v1=abc' }, 400, 'signature_malformed'],
    ['a forged signature', { key: 'not-the-key' }, 401, 'signature_mismatch'],
    ['a stale signature', { timestampSeconds: now - 301 }, 401, 'signature_expired'],
    ['a signature from the future', { timestampSeconds: now + 120 }, 401, 'signature_from_future'],
    ['a non-JSON content type', { contentType: 'text/plain' }, 415, 'unsupported_media_type'],
  ] as const)('refuses %s', async (_name, options, status, code) => {
    const { app } = buildHarness();
    const res = await postWebhook(app, body, options);
    expect(res.status).toBe(status);
    expect(res.body).toEqual(
      code === 'signature_malformed' ? { error: code, expected: SIGNATURE_HEADER_FORM } : { error: code },
    );
  });

  it('tells the sender of a malformed header which form is expected, without echoing the header', async () => {
    const { app } = buildHarness();
    const res = await postWebhook(app, body, { header: 'sha256=feedface-sent-by-a-misconfigured-proxy' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'signature_malformed',
      expected: 'ZITADEL-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
    });
    expect(JSON.stringify(res.body)).not.toContain('feedface');
  });

  it('refuses a body over the size limit with 413', async () => {
    const { app } = buildHarness({ MAX_BODY_BYTES: '2048' });
    const res = await postWebhook(app, JSON.stringify({ fullMethod: 'x', pad: 'a'.repeat(4096) }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'payload_too_large' });
  });

  it('refuses a signed body that is not JSON', async () => {
    const { app } = buildHarness();
    const res = await postWebhook(app, '{"fullMethod":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_json' });
  });

  it('refuses signed JSON that is no ZITADEL payload', async () => {
    const { app } = buildHarness();
    const res = await postWebhook(app, JSON.stringify({ hello: 'world' }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_payload' });
  });

  it('logs which part of a signed payload was wrong (paths and kinds, never values)', async () => {
    const { app, logLines } = buildHarness();
    const body = JSON.stringify({
      fullMethod: '/zitadel.session.v2.SessionService/CreateSession',
      request: { checks: { user: { userId: 42 }, password: { password: 'hunter2-in-a-bad-payload' } } },
      response: { details: {} },
    });

    const res = await postWebhook(app, body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_payload' });
    const refused = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'signed webhook refused: not a session webhook');
    expect(refused).toEqual([
      expect.objectContaining({
        level: 'warn',
        reason: 'invalid_payload',
        issues: ['request.checks.user.userId: expected string'],
      }),
    ]);
    expect(logLines.join('\n')).not.toContain('hunter2-in-a-bad-payload');
  });

  it('refuses two signature headers', async () => {
    const { app } = buildHarness();
    const { default: request } = await import('supertest');
    const res = await request(app)
      .post('/session/manage')
      .set('Content-Type', 'application/json')
      // superagent sends an array as repeated header lines; its types only allow that for Cookie.
      .set('ZITADEL-Signature', ['t=1,v1=aa', 't=2,v1=bb'] as unknown as string)
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'signature_malformed', expected: SIGNATURE_HEADER_FORM });
  });

  it('accepts any of several signing keys (rotation)', async () => {
    const { app } = buildHarness({ SIGNING_KEY: `old-key, ${TEST_SIGNING_KEY}` });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchReturns([]));
    const res = await postWebhook(app, body, { key: 'old-key' });
    expect(res.status).toBe(200);
  });
});

describe('around the webhook', () => {
  it('answers GET /healthz', async () => {
    const { app } = buildHarness();
    const { default: request } = await import('supertest');
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers 404 with a terse code for unknown routes', async () => {
    const { app } = buildHarness();
    const { default: request } = await import('supertest');
    const res = await request(app).get('/session/manage');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found' });
  });
});

describe('logs', () => {
  it('never contain the PAT, the signing key, passwords, session tokens, signatures or bodies', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchReturns([row('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} })
      .get('/v2/sessions/s-x')
      .reply(500, { code: 13, message: 'internal' })
      .get('/v2/sessions/s-x')
      .times(3)
      .reply(401, { code: 16, message: 'bad token' });
    const body = loginWebhook();
    const header = (await import('../support/webhooks.js')).signatureHeader(body, TEST_SIGNING_KEY);
    await postWebhook(app, body, { header });
    await postWebhook(app, body, { key: 'forged' });
    await postWebhook(app, setSessionResponse('s-x'));
    nock.cleanAll();

    const everything = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(4);
    for (const secret of [
      TEST_PAT,
      TEST_SIGNING_KEY,
      'S3cret!',
      'tok_do_not_log_me',
      header.split('v1=')[1]!,
      '203.0.113.7',
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toContain('fullMethod');
  });
});
