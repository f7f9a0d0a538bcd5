import nock from 'nock';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildHarness, postWebhook, TEST_PAT } from '../support/harness.js';
import { loginWebhook } from '../support/webhooks.js';
import { parsePrometheusText, sampleValue } from '../support/prometheusText.js';
import { searchAnswer } from '../support/zitadelRows.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';

const ZITADEL = 'https://zitadel.test';

/** A clock the test moves forward; it starts at the real time so signatures stay valid. */
function manualClock() {
  let nowMs = Date.now();
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

/** Answers the access check and counts how often ZITADEL was asked. */
function zitadelAnswersAccessCheck(times = 1) {
  const seen: { body: unknown; authorization: string | undefined }[] = [];
  nock(ZITADEL)
    .post('/v2/sessions/search', (body: unknown) => {
      seen.push({ body, authorization: undefined });
      return true;
    })
    .times(times)
    .reply(function () {
      seen[seen.length - 1]!.authorization = this.req.headers.authorization;
      return [200, searchAnswer([])];
    });
  return seen;
}

useNockForZitadel();

describe('GET /readyz', () => {
  it('is ready once ZITADEL answers a cheap authenticated search, and says what it sent', async () => {
    const { app } = buildHarness();
    const seen = zitadelAnswersAccessCheck();

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBe(`Bearer ${TEST_PAT}`);
    const body = seen[0]!.body as { query: unknown; queries: { userIdQuery: { id: string } }[] };
    // One row at most, for a user id no ZITADEL id can equal (those are digits): nobody's sessions come back.
    expect(body.query).toEqual({ offset: '0', limit: 1, asc: false });
    expect(body.queries[0]!.userIdQuery.id).not.toMatch(/^[0-9]+$/);
  });

  it('asks ZITADEL at most once per 30 s while all is well', async () => {
    const clock = manualClock();
    const { app } = buildHarness({}, ZITADEL, { now: clock.now });
    const seen = zitadelAnswersAccessCheck(2);

    for (let i = 0; i < 5; i++) expect((await request(app).get('/readyz')).status).toBe(200);
    expect(seen).toHaveLength(1);
    clock.advance(29_000);
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect(seen).toHaveLength(1);
    clock.advance(2_000);
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect(seen).toHaveLength(2);
  });

  it('collapses a storm of concurrent probes into one ZITADEL call', async () => {
    const { app } = buildHarness();
    let calls = 0;
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .delay(50)
      .reply(() => {
        calls += 1;
        return [200, searchAnswer([])];
      });

    const answers = await Promise.all(Array.from({ length: 20 }, () => request(app).get('/readyz')));

    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(calls).toBe(1);
  });

  it('is not ready when ZITADEL refuses the credential, repeats that for 5 s, then asks again and recovers', async () => {
    const clock = manualClock();
    const { app, logLines } = buildHarness({}, ZITADEL, { now: clock.now });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(401, { code: 16, message: 'Errors.Token.Invalid (AUTH-7fs1e)' });

    const refused = await request(app).get('/readyz');
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ status: 'not_ready', reason: 'zitadel_rejected' });
    clock.advance(4_000);
    expect((await request(app).get('/readyz')).body).toEqual({
      status: 'not_ready',
      reason: 'zitadel_rejected',
    });

    const seen = zitadelAnswersAccessCheck();
    clock.advance(2_000);
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect(seen).toHaveLength(1);
    const transitions = logLines.filter((line) => line.includes('not ready') || line.includes('ready again'));
    expect(transitions).toHaveLength(2);
    expect(transitions[0]).toContain('"status":401');
  });

  it('is not ready when ZITADEL does not answer in time', async () => {
    const { app } = buildHarness({ ZITADEL_TIMEOUT_MS: '100', ENFORCEMENT_DEADLINE_MS: '600' });
    nock(ZITADEL).post('/v2/sessions/search').times(4).delay(2_000).reply(200, searchAnswer([]));

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reason: 'zitadel_unavailable' });
    nock.cleanAll();
  });

  it('is not ready when INSTANCE_URL answers something that is not ZITADEL', async () => {
    const { app } = buildHarness();
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, '<html>a login page</html>', { 'Content-Type': 'text/html' });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reason: 'zitadel_invalid_response' });
  });

  it('counts a webhook’s successful ZITADEL call as ZITADEL having answered: no extra call', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '5' });
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchAnswer([]));
    nockConfirmedSession(ZITADEL);
    expect((await postWebhook(app, loginWebhook())).status).toBe(200);

    // nock has nothing left to answer with: a ZITADEL call now would fail the check.
    const res = await request(app).get('/readyz');

    expect(res.status).toBe(200);
  });

  it('turns ready before its failure expires when a webhook’s call succeeds after it', async () => {
    const clock = manualClock();
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '5' }, ZITADEL, { now: clock.now });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(503, { code: 14, message: 'unavailable' })
      .post('/v2/sessions/search')
      .times(3)
      .reply(503, {});
    expect((await request(app).get('/readyz')).status).toBe(503);
    nock.cleanAll();

    clock.advance(1_000);
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchAnswer([]));
    nockConfirmedSession(ZITADEL);
    await postWebhook(app, loginWebhook());

    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('exports what /readyz last answered as the ready gauge: 0 before any verdict, then 1 or 0', async () => {
    const clock = manualClock();
    const { app } = buildHarness({}, ZITADEL, { now: clock.now });
    const readyGauge = async () =>
      sampleValue(
        parsePrometheusText((await request(app).get('/metrics')).text),
        'zitadel_session_limiter_ready',
      );

    // Scraping never runs the check: nock has nothing to answer with, and the gauge stays at "not ready".
    expect(await readyGauge()).toBe(0);
    zitadelAnswersAccessCheck();
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect(await readyGauge()).toBe(1);

    clock.advance(31_000);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(401, { code: 16, message: 'Errors.Token.Invalid (AUTH-7fs1e)' });
    expect((await request(app).get('/readyz')).status).toBe(503);
    expect(await readyGauge()).toBe(0);
  });

  it('writes no access line for a successful probe (probes poll every few seconds)', async () => {
    const { app, logLines } = buildHarness();
    zitadelAnswersAccessCheck();
    await request(app).get('/readyz');
    expect(logLines.filter((line) => line.includes('"log":"access"'))).toEqual([]);
  });
});
