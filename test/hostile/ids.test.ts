import { describe, expect, it } from 'vitest';
import { parseSessionWebhook } from '../../src/webhook/parseSessionWebhook.js';
import { buildHarness, postWebhook } from '../support/harness.js';
import {
  createSessionResponse,
  goJson,
  sessionCheckedEvent,
  setSessionResponse,
} from '../support/webhooks.js';
import { expectRefused, forbidZitadelCalls } from './hostileSupport.js';

// Whenever one of these reached the ZITADEL client, forbidZitadelCalls would fail the test.
forbidZitadelCalls();
const { app } = buildHarness();

const USER = '300000000000000777';
const SESSION = '300000000000000001';

/** Ids that would change the path of `/v2/sessions/{id}` or are no ZITADEL id at all. */
const BAD_SESSION_IDS = [
  '.',
  '..',
  '...',
  '../users',
  'a/b',
  '/',
  '%2e',
  '%2e%2e',
  '..%2f..',
  'a%2Fb',
  'a\\b',
  'a?b',
  'a#b',
  'a b',
  ' 300000000000000001',
  '300000000000000001\n',
  '3000.1',
  'ä',
  '\u0000',
  'x'.repeat(201),
];

/** User ids that could change a URL's path or query; ZITADEL's own ids never look like this. */
const BAD_USER_IDS = [
  '.',
  '..',
  '....',
  '../..',
  'a/b',
  '%2F',
  'a%2e',
  'a?x=1',
  'a#x',
  'a\\b',
  'a b',
  'ä',
  '',
];

const createWith = (sessionId: string, userId = USER) =>
  goJson({
    ...(JSON.parse(createSessionResponse({ id: SESSION, userId, creationDate: new Date() })) as object),
    response: { details: { sequence: '1', changeDate: new Date().toISOString() }, sessionId },
  });

describe('session ids that are not ZITADEL ids are refused with 400 invalid_payload before any ZITADEL call', () => {
  it.each(BAD_SESSION_IDS)('CreateSession response with sessionId %j', async (id) => {
    const res = await postWebhook(app, createWith(id));
    expectRefused(res, 400);
    expect(res.body).toEqual({ error: 'invalid_payload' });
  });

  it.each(BAD_SESSION_IDS)('SetSession request with sessionId %j', async (id) => {
    const res = await postWebhook(app, setSessionResponse(id));
    expectRefused(res, 400);
    expect(res.body).toEqual({ error: 'invalid_payload' });
  });

  it.each(BAD_SESSION_IDS)('session event with aggregateID %j', async (id) => {
    const res = await postWebhook(app, sessionCheckedEvent(id));
    expectRefused(res, 400);
    expect(res.body).toEqual({ error: 'invalid_payload' });
  });
});

describe('user ids that could change a URL are refused with 400 invalid_payload', () => {
  it.each(BAD_USER_IDS)('CreateSession with the user check userId %j', async (userId) => {
    const res = await postWebhook(app, createWith(SESSION, userId));
    expectRefused(res, 400);
    expect(res.body).toEqual({ error: 'invalid_payload' });
  });
});

describe('the ids ZITADEL really uses are accepted', () => {
  it.each([
    '300000000000000777',
    '1',
    // Custom user ids chosen at AddHumanUser (the proto allows any 1–200 characters): migrations keep their own.
    'd654e6ba-70a3-48ef-a95d-37c8d8a7901a',
    'auth0|5f7c8ec7c33c6c004bbafe82',
    'alice@example.com',
    'j.doe',
    'x'.repeat(200),
  ])('user id %j', (userId) => {
    const webhook = parseSessionWebhook(JSON.parse(createWith(SESSION, userId)));
    expect(webhook.kind === 'session' && webhook.userHint).toEqual({ userId });
  });

  it.each(['300000000000000001', '1', 'd654e6ba-70a3-48ef-a95d-37c8d8a7901a', 'x'.repeat(200)])(
    'session id %j',
    (sessionId) => {
      const webhook = parseSessionWebhook(JSON.parse(setSessionResponse(sessionId)));
      expect(webhook.kind === 'session' && webhook.sessionId).toBe(sessionId);
    },
  );
});
