import nock from 'nock';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildHarness, postWebhook } from '../support/harness.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';
import { loginWebhook } from '../support/webhooks.js';
import { searchAnswer } from '../support/zitadelRows.js';

const ZITADEL = 'https://zitadel.test';

/** A clock the test moves forward; it starts at the real time so signatures stay valid. */
function manualClock() {
  let nowMs = Date.now();
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

/** The limiter, ready: its first probe found ZITADEL answering. */
async function readyLimiter() {
  const clock = manualClock();
  const harness = buildHarness({ CONCURRENT_SESSIONS: '5' }, ZITADEL, { now: clock.now });
  nock(ZITADEL).post('/v2/sessions/search').reply(200, searchAnswer([]));
  expect((await request(harness.app).get('/readyz')).status).toBe(200);
  return { ...harness, clock };
}

useNockForZitadel();

describe('/readyz follows the webhooks’ own calls to ZITADEL, failures included', () => {
  it('turns 503 zitadel_unavailable as soon as a webhook cannot reach ZITADEL, without asking it again', async () => {
    const { app, clock, logLines } = await readyLimiter();
    clock.advance(1_000);
    // Every attempt of the webhook's GetSession fails (the harness retries 4 times).
    nock(ZITADEL).get('/v2/sessions/s-new').times(4).reply(503, { code: 14, message: 'unavailable' });
    expect((await postWebhook(app, loginWebhook())).body).toMatchObject({ outcome: 'undecided' });

    // Well within the 30 s the earlier success would have counted for; nock has nothing left to answer a check.
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reason: 'zitadel_unavailable' });
    expect(logLines.filter((line) => line.includes('not ready: calls to ZITADEL are failing'))).toHaveLength(
      1,
    );
    // Asked again, it says the same and logs nothing more.
    expect((await request(app).get('/readyz')).status).toBe(503);
    expect(logLines.filter((line) => line.includes('not ready: calls to ZITADEL are failing'))).toHaveLength(
      1,
    );
  });

  it('turns 503 zitadel_rejected when ZITADEL refuses the webhook’s credential', async () => {
    const { app, clock } = await readyLimiter();
    clock.advance(1_000);
    nock(ZITADEL).get('/v2/sessions/s-new').reply(403, { code: 7, message: 'no permission' });
    expect((await postWebhook(app, loginWebhook())).body).toMatchObject({ outcome: 'undecided' });

    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reason: 'zitadel_rejected' });
  });

  it('turns ready again as soon as a webhook’s calls succeed', async () => {
    const { app, clock, logLines } = await readyLimiter();
    clock.advance(1_000);
    nock(ZITADEL).get('/v2/sessions/s-new').times(4).reply(503, {});
    await postWebhook(app, loginWebhook());
    expect((await request(app).get('/readyz')).status).toBe(503);

    clock.advance(1_000);
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchAnswer([]));
    expect((await postWebhook(app, loginWebhook())).status).toBe(200);

    expect((await request(app).get('/readyz')).status).toBe(200);
    expect(logLines.some((line) => line.includes('ready again: a call to ZITADEL succeeded'))).toBe(true);
  });

  it('asks ZITADEL itself 5 s after the failure, so it recovers even when no webhook comes (traffic was routed away)', async () => {
    const { app, clock } = await readyLimiter();
    clock.advance(1_000);
    nock(ZITADEL).get('/v2/sessions/s-new').times(4).reply(503, {});
    await postWebhook(app, loginWebhook());
    expect((await request(app).get('/readyz')).status).toBe(503);

    clock.advance(5_000);
    const check = nock(ZITADEL).post('/v2/sessions/search').reply(200, searchAnswer([]));
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect(check.isDone()).toBe(true);
  });

  it('is not turned by a session that is simply gone (404 is ZITADEL answering)', async () => {
    const { app, clock } = await readyLimiter();
    clock.advance(1_000);
    nock(ZITADEL).get('/v2/sessions/s-new').reply(404, { code: 5, message: 'not found' });
    expect((await postWebhook(app, loginWebhook())).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('stays ready when a failed attempt is retried with success', async () => {
    const { app, clock } = await readyLimiter();
    clock.advance(1_000);
    nock(ZITADEL).get('/v2/sessions/s-new').reply(503, {});
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchAnswer([]));
    expect((await postWebhook(app, loginWebhook())).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
  });
});
