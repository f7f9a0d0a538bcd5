import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness, postWebhook, TEST_PAT } from '../support/harness.js';
import { createSessionResponse } from '../support/webhooks.js';

// One clock for the fake ZITADEL's rate limit and the limiter: the test moves it; nothing waits on the wall clock.
const USER = '284021120958301001';
const SECOND = 1000;

describe('ZITADEL rate limits: the request budget and 429 pauses (ZITADEL_MAX_RPS)', () => {
  let zitadel: FakeZitadel;
  afterEach(async () => {
    await zitadel.stop();
  });

  function start(env: Record<string, string>, rateLimit?: { perSecond: number; retryAfterSeconds: number }) {
    let nowMs = Date.now();
    const now = () => nowMs;
    zitadel = new FakeZitadel({
      acceptedTokens: [TEST_PAT],
      now,
      ...(rateLimit === undefined ? {} : { rateLimit }),
    });
    return zitadel.start().then(() => ({
      ...buildHarness(env, zitadel.url, { now }),
      advance: (ms: number) => (nowMs += ms),
    }));
  }
  const login = () => createSessionResponse(zitadel.addSession({ userId: USER }));

  it('a 429 with Retry-After pauses every call of the process: later webhooks are answered undecided at once, unsent', async () => {
    // Two requests a second, then 30 s of 429s. The limiter's own budget is off: only ZITADEL's pause holds it back.
    const { app, advance } = await start(
      { ZITADEL_MAX_RPS: 'off', CONCURRENT_SESSIONS: '10' },
      { perSecond: 2, retryAfterSeconds: 30 },
    );

    const first = await postWebhook(app, login());
    expect(first.body).toMatchObject({ outcome: 'within_limit' });
    // The third request of the second is refused with Retry-After: 30, past this webhook's deadline of 8 s.
    const second = await postWebhook(app, login());
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ outcome: 'undecided' });
    const sentBefore = zitadel.seen.length;

    // The pause is the pool's, not that one call's: another login's GetSession is not even sent.
    const third = await postWebhook(app, login());
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ outcome: 'undecided', reason: 'rate_limited' });
    expect(zitadel.seen.length).toBe(sentBefore);
    expect(zitadel.rateLimited).toBe(1);

    // Once the pause is over, calls go again.
    advance(31 * SECOND);
    const fourth = await postWebhook(app, login());
    expect(fourth.body).toMatchObject({ outcome: 'within_limit' });

    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(
      /zitadel_session_limiter_rate_limit_pauses_total\{operation="get_session"\} 1/,
    );
    expect(metrics.text).toMatch(
      /zitadel_session_limiter_webhooks_total\{outcome="undecided",reason="rate_limited"\} [23]/,
    );
  });

  it("with a budget below ZITADEL's limit, ZITADEL never answers 429: the budget refuses what it cannot afford in time", async () => {
    // One request a second and a deadline of half a second: a login's GetSession goes, its search would have to
    // wait a second, so the webhook ends undecided at once rather than queued past its deadline.
    const { app, advance } = await start(
      { ZITADEL_MAX_RPS: '1', ENFORCEMENT_DEADLINE_MS: '500', ZITADEL_TIMEOUT_MS: '400' },
      { perSecond: 1, retryAfterSeconds: 30 },
    );

    const res = await postWebhook(app, login());

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'undecided', reason: 'rate_limited' });
    expect(zitadel.requests('GET', '/v2/sessions/')).toHaveLength(1);
    expect(zitadel.requests('POST', '/v2/sessions/search')).toHaveLength(0);
    expect(zitadel.rateLimited).toBe(0);
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(
      /zitadel_session_limiter_rate_limit_budget_exhausted_total\{operation="list_sessions"\} 1/,
    );

    // A second later the budget has a turn again, and still ZITADEL refuses nothing.
    advance(SECOND);
    const later = await postWebhook(app, login());
    expect(later.body).toMatchObject({ outcome: 'undecided', reason: 'rate_limited' });
    expect(zitadel.rateLimited).toBe(0);
  });

  it('under ON_FAILURE=refuse a webhook the budget could not afford is answered 503 (try again later)', async () => {
    const { app } = await start({
      ZITADEL_MAX_RPS: '1',
      ENFORCEMENT_DEADLINE_MS: '500',
      ZITADEL_TIMEOUT_MS: '400',
      ON_FAILURE: 'refuse',
    });
    const res = await postWebhook(app, login());
    expect(res.status).toBe(503);
  });
});
