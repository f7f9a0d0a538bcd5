import nock from 'nock';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ReplayCache } from '../../src/http/replayCache.js';
import { buildHarness, TEST_SIGNING_KEY } from '../support/harness.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';
import { loginWebhook, signatureHeader } from '../support/webhooks.js';
import { minutesAgo, searchAnswer, sessionRow } from '../support/zitadelRows.js';

const ZITADEL = 'https://zitadel.test';

/** ZITADEL for one enforcing login: the trigger, an older session, and the older one's deletion (limit 1). */
function zitadelForOneEviction() {
  nockConfirmedSession(ZITADEL);
  nock(ZITADEL)
    .post('/v2/sessions/search')
    .reply(
      200,
      searchAnswer([sessionRow('s-new', new Date().toISOString()), sessionRow('s-old', minutesAgo(30))]),
    );
  return nock(ZITADEL).delete('/v2/sessions/s-old').reply(200, { details: {} });
}

const send = (app: Parameters<typeof request>[0], body: string, header: string) =>
  request(app)
    .post('/session/manage')
    .set('Content-Type', 'application/json')
    .set('ZITADEL-Signature', header)
    .send(body);

const auditRecords = (lines: string[]) =>
  lines
    .filter((line) => line.includes('"log":"audit"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

useNockForZitadel();

describe('a replayed webhook (the same verified signature) inside the tolerance', () => {
  it('gets the first answer again without calling ZITADEL, and is audited as a replay, not a second enforcement', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' }, ZITADEL);
    const deleted = zitadelForOneEviction();
    const body = loginWebhook();
    const header = signatureHeader(body, TEST_SIGNING_KEY);

    const first = await send(app, body, header);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'enforced', deleted: ['s-old'] });
    expect(deleted.isDone()).toBe(true);

    // nock has nothing left: any ZITADEL call now would fail the webhook with a 502.
    const replay = await send(app, body, header);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);

    const audits = auditRecords(logLines);
    expect(audits.map((record) => record.outcome)).toEqual(['enforced', 'replayed']);
    expect(audits[1]).toMatchObject({ replayOf: 'enforced', sessionId: 's-new' });
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toContain(
      'zitadel_session_limiter_webhooks_total{outcome="replayed",reason="enforced"} 1',
    );
    expect(metrics.text).toContain(
      'zitadel_session_limiter_sessions_deleted_total{strategy="evict-oldest"} 1',
    );
  });

  it('answers two identical deliveries arriving together with one decision', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' }, ZITADEL);
    zitadelForOneEviction();
    const body = loginWebhook();
    const header = signatureHeader(body, TEST_SIGNING_KEY);

    const [a, b] = await Promise.all([send(app, body, header), send(app, body, header)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body).toEqual(b.body);
    expect(
      auditRecords(logLines)
        .map((record) => record.outcome)
        .sort(),
    ).toEqual(['enforced', 'replayed']);
  });

  it('decides a new delivery of the same body (another t, another signature) afresh', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' }, ZITADEL);
    const body = loginWebhook();
    const nowSeconds = Math.floor(Date.now() / 1000);
    zitadelForOneEviction();
    expect((await send(app, body, signatureHeader(body, TEST_SIGNING_KEY, nowSeconds - 1))).status).toBe(200);
    zitadelForOneEviction();
    expect((await send(app, body, signatureHeader(body, TEST_SIGNING_KEY, nowSeconds))).status).toBe(200);
    expect(auditRecords(logLines).map((record) => record.outcome)).toEqual(['enforced', 'enforced']);
  });

  it('decides a replay afresh when the first delivery failed, so the replay can finish the job', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' }, ZITADEL);
    const body = loginWebhook();
    const header = signatureHeader(body, TEST_SIGNING_KEY);
    nock(ZITADEL).get('/v2/sessions/s-new').times(4).reply(503, {});
    expect((await send(app, body, header)).body).toMatchObject({ outcome: 'undecided' });

    const deleted = zitadelForOneEviction();
    const replay = await send(app, body, header);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ outcome: 'enforced' });
    expect(deleted.isDone()).toBe(true);
  });

  it('never serves a remembered answer to a body the signature does not cover', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' }, ZITADEL);
    zitadelForOneEviction();
    const body = loginWebhook();
    const header = signatureHeader(body, TEST_SIGNING_KEY);
    expect((await send(app, body, header)).status).toBe(200);

    const res = await send(app, loginWebhook('s-other'), header);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'signature_mismatch' });
  });
});

describe('ReplayCache', () => {
  const answer = (outcome: string) => ({ status: 200, body: { outcome }, outcome, sessionId: undefined });
  const options = (clock: { now: number }) => ({
    maxEntries: 2,
    ttlMs: 1_000,
    maxAnswerBytes: 64,
    now: () => clock.now,
  });

  it('remembers an answer until its time is up', async () => {
    const clock = { now: 0 };
    const cache = new ReplayCache(options(clock));
    const first = await cache.lookup('sig-a');
    if (first.kind !== 'first') throw new Error('expected a first delivery');
    first.settle(answer('enforced'));
    expect(await cache.lookup('sig-a')).toEqual({ kind: 'replay', answer: answer('enforced') });
    clock.now = 1_000;
    expect((await cache.lookup('sig-a')).kind).toBe('first');
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const cache = new ReplayCache(options({ now: 0 }));
    for (const signature of ['a', 'b']) {
      const lookup = await cache.lookup(signature);
      if (lookup.kind === 'first') lookup.settle(answer(signature));
    }
    expect((await cache.lookup('a')).kind).toBe('replay'); // 'a' is now the most recently used
    const c = await cache.lookup('c');
    if (c.kind === 'first') c.settle(answer('c'));
    expect(cache.size).toBe(2);
    expect((await cache.lookup('a')).kind).toBe('replay');
    expect((await cache.lookup('b')).kind).toBe('first');
  });

  it('does not keep answers larger than maxAnswerBytes, nor failures', async () => {
    const cache = new ReplayCache(options({ now: 0 }));
    const big = await cache.lookup('big');
    if (big.kind === 'first') big.settle({ ...answer('enforced'), body: { ids: 'x'.repeat(100) } });
    const failed = await cache.lookup('failed');
    if (failed.kind === 'first') failed.settle(undefined);
    expect(cache.size).toBe(0);
    expect((await cache.lookup('big')).kind).toBe('first');
  });
});
