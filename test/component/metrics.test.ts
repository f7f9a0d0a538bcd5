import nock from 'nock';
import request from 'supertest';
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { buildHarness, postWebhook, TEST_PAT, TEST_SIGNING_KEY } from '../support/harness.js';
import { parsePrometheusText, sampleValue, type Sample } from '../support/prometheusText.js';
import { setSessionRequest, usernameStepResponse, loginWebhook } from '../support/webhooks.js';
import { minutesAgo, searchAnswer, sessionRow, TEST_USER } from '../support/zitadelRows.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';

const ZITADEL = 'https://zitadel.test';
const P = 'zitadel_session_limiter_';

async function scrape(app: Express): Promise<{ text: string; samples: Sample[] }> {
  const res = await request(app).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: res.text, samples: parsePrometheusText(res.text) };
}

useNockForZitadel();

describe('GET /metrics', () => {
  it('answers Prometheus text with the process metrics and every limiter metric declared', async () => {
    const { app } = buildHarness();
    const { text } = await scrape(app);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    for (const name of [
      'webhooks_total',
      'enforcement_duration_seconds',
      'sessions_deleted_total',
      'session_delete_failures_total',
      'dry_run_evictions_total',
      'zitadel_request_duration_seconds',
      'zitadel_retries_total',
      'zitadel_last_success_timestamp_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${P}${name} `);
    }
  });

  it('counts an enforced webhook, the sessions it deleted, its ZITADEL calls and how long it took', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(503, { code: 14, message: 'unavailable' })
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-2', minutesAgo(10)), sessionRow('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-2')
      .reply(200, { details: {} })
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    nockConfirmedSession(ZITADEL);
    expect((await postWebhook(app, loginWebhook())).status).toBe(200);
    const { samples } = await scrape(app);

    expect(sampleValue(samples, `${P}webhooks_total`, { outcome: 'enforced' })).toBe(1);
    expect(sampleValue(samples, `${P}sessions_deleted_total`, { strategy: 'evict-oldest' })).toBe(2);
    expect(sampleValue(samples, `${P}session_delete_failures_total`)).toBe(0);
    expect(sampleValue(samples, `${P}enforcement_duration_seconds_count`, { outcome: 'enforced' })).toBe(1);
    expect(
      sampleValue(samples, `${P}zitadel_request_duration_seconds_count`, {
        operation: 'list_sessions',
        status: '503',
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, `${P}zitadel_request_duration_seconds_count`, {
        operation: 'list_sessions',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, `${P}zitadel_request_duration_seconds_count`, {
        operation: 'delete_session',
        status: '200',
      }),
    ).toBe(2);
    expect(
      sampleValue(samples, `${P}zitadel_retries_total`, { operation: 'list_sessions', reason: '503' }),
    ).toBe(1);
    expect(sampleValue(samples, `${P}zitadel_last_success_timestamp_seconds`)).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
  });

  it('counts within-limit, ignored (by reason), denied and dry-run decisions apart', async () => {
    const within = buildHarness({ CONCURRENT_SESSIONS: '2' });
    nock(ZITADEL).post('/v2/sessions/search').reply(200, searchAnswer([]));
    nockConfirmedSession(ZITADEL);
    await postWebhook(within.app, loginWebhook());
    await postWebhook(
      within.app,
      usernameStepResponse({ id: 's-typed', loginName: 'ada@example.com', creationDate: new Date() }),
    );
    await postWebhook(within.app, setSessionRequest('s-new'));
    const withinSamples = (await scrape(within.app)).samples;
    expect(sampleValue(withinSamples, `${P}webhooks_total`, { outcome: 'within_limit' })).toBe(1);
    expect(
      sampleValue(withinSamples, `${P}webhooks_total`, {
        outcome: 'ignored',
        reason: 'no_authentication_check',
      }),
    ).toBe(1);
    expect(
      sampleValue(withinSamples, `${P}webhooks_total`, { outcome: 'ignored', reason: 'request_condition' }),
    ).toBe(1);

    const deny = buildHarness({ CONCURRENT_SESSIONS: '1', LIMIT_STRATEGY: 'deny-new' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-new')
      .reply(200, { details: {} });
    nockConfirmedSession(ZITADEL);
    await postWebhook(deny.app, loginWebhook());
    const denySamples = (await scrape(deny.app)).samples;
    expect(sampleValue(denySamples, `${P}webhooks_total`, { outcome: 'denied' })).toBe(1);
    expect(sampleValue(denySamples, `${P}sessions_deleted_total`, { strategy: 'deny-new' })).toBe(1);

    const dryRun = buildHarness({ CONCURRENT_SESSIONS: '1', DRY_RUN: 'true' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-1', minutesAgo(20))]));
    nockConfirmedSession(ZITADEL);
    await postWebhook(dryRun.app, loginWebhook());
    const drySamples = (await scrape(dryRun.app)).samples;
    expect(sampleValue(drySamples, `${P}webhooks_total`, { outcome: 'enforced' })).toBe(1);
    expect(sampleValue(drySamples, `${P}dry_run_evictions_total`)).toBe(1);
    expect(sampleValue(drySamples, `${P}sessions_deleted_total`, { strategy: 'evict-oldest' })).toBe(0);
  });

  it('counts refused webhooks as rejected by reason, without calling ZITADEL', async () => {
    const { app } = buildHarness({ MAX_BODY_BYTES: '2048' });
    await postWebhook(app, loginWebhook(), { key: 'forged' });
    await postWebhook(app, loginWebhook(), { header: null });
    await postWebhook(app, '{"fullMethod":');
    await postWebhook(app, JSON.stringify({ hello: 'world' }));
    await postWebhook(app, JSON.stringify({ pad: 'a'.repeat(4096) }));
    await postWebhook(app, loginWebhook(), { contentType: 'text/plain' });

    const { samples } = await scrape(app);
    for (const reason of [
      'signature_mismatch',
      'signature_missing',
      'invalid_json',
      'invalid_payload',
      'payload_too_large',
      'unsupported_media_type',
    ]) {
      expect(sampleValue(samples, `${P}webhooks_total`, { outcome: 'rejected', reason }), reason).toBe(1);
    }
  });

  it('counts a webhook ZITADEL refused as undecided, and deletions that did not go through', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nock(ZITADEL).post('/v2/sessions/search').reply(401, { code: 16, message: 'Errors.Token.Invalid' });
    nockConfirmedSession(ZITADEL);
    expect((await postWebhook(app, loginWebhook())).status).toBe(200);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-1')
      .reply(403, { code: 7, message: 'No matching permissions found' });
    nockConfirmedSession(ZITADEL, 's-other');
    expect((await postWebhook(app, loginWebhook('s-other'))).status).toBe(200);

    const { samples } = await scrape(app);
    expect(
      sampleValue(samples, `${P}webhooks_total`, { outcome: 'undecided', reason: 'zitadel_rejected' }),
    ).toBe(1);
    expect(sampleValue(samples, `${P}enforcement_duration_seconds_count`, { outcome: 'undecided' })).toBe(1);
    // The second webhook was decided; only its deletion failed.
    expect(sampleValue(samples, `${P}webhooks_total`, { outcome: 'enforced' })).toBe(1);
    expect(sampleValue(samples, `${P}session_delete_failures_total`)).toBe(1);
    expect(
      sampleValue(samples, `${P}zitadel_request_duration_seconds_count`, {
        operation: 'list_sessions',
        status: '401',
      }),
    ).toBe(1);
  });

  it('keeps each app’s counts apart (a registry per app)', async () => {
    const first = buildHarness();
    const second = buildHarness();
    await postWebhook(
      first.app,
      usernameStepResponse({ id: 's-typed', loginName: 'ada@example.com', creationDate: new Date() }),
    );
    const reason = { outcome: 'ignored', reason: 'no_authentication_check' };
    expect(sampleValue((await scrape(first.app)).samples, `${P}webhooks_total`, reason)).toBe(1);
    expect(sampleValue((await scrape(second.app)).samples, `${P}webhooks_total`, reason)).toBe(0);
  });

  it('never exposes a user id, a session id or a secret', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-victim-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-victim-1')
      .reply(200, { details: {} });
    nockConfirmedSession(ZITADEL, 's-trigger-1');
    await postWebhook(app, loginWebhook('s-trigger-1'));
    await postWebhook(app, loginWebhook('s-trigger-2'), { key: 'forged-key' });

    const { text, samples } = await scrape(app);
    for (const secret of [
      TEST_USER,
      's-victim-1',
      's-trigger-1',
      's-trigger-2',
      TEST_PAT,
      TEST_SIGNING_KEY,
      'forged-key',
      'ada@example.com',
    ]) {
      expect(text).not.toContain(secret);
    }
    const labelValues = new Set(samples.flatMap((sample) => Object.values(sample.labels)));
    for (const value of labelValues) expect(value).toMatch(/^[A-Za-z0-9_.+:\-/ ]{1,64}$|^\+Inf$/);
  });
});
