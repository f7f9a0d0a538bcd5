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

/** What cannot be a ZITADEL user id at all: empty, over 200 characters, no text, or a path's own dot segments. */
const BAD_USER_IDS = ['', '.', '..', 'x'.repeat(201), '\u00e9'.repeat(201), 'a\ud800b', '\udc00'];

/** Custom user ids ZITADEL accepts (AddHumanUser's user_id has no pattern): never refused for their characters. */
const CUSTOM_USER_IDS = [
  'jose maria',
  'jos\u00e9',
  '100%',
  'a#b',
  'google-oauth2/1093',
  'auth0|5f7c8ec7c33c6c004bbafe82',
  'a?x=1',
  '../users',
  '...',
  '%2e%2e',
  'a\\b',
  ' padded ',
  '\u{1f600}'.repeat(200),
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

describe('what cannot be a user id is refused with 400 invalid_payload when the login checks a factor', () => {
  it.each(BAD_USER_IDS)('CreateSession with the user check userId %j', async (userId) => {
    const res = await postWebhook(app, createWith(SESSION, userId));
    expectRefused(res, 400);
    expect(res.body).toEqual({ error: 'invalid_payload' });
  });
});

describe('a username step is never refused, whatever its fields', () => {
  const usernameStep = (userId: unknown, sessionId: unknown = SESSION) =>
    goJson({
      fullMethod: '/zitadel.session.v2.SessionService/CreateSession',
      instanceID: 'instance-1',
      request: { checks: { user: { userId } }, lifetime: 'x'.repeat(100) },
      response: { details: { sequence: '1' }, sessionId },
    });

  it.each([...BAD_USER_IDS, ...CUSTOM_USER_IDS])('user check userId %j', async (userId) => {
    const res = await postWebhook(app, usernameStep(userId));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'ignored', reason: 'no_authentication_check' });
  });

  it.each([42, null, '../x'])('a userId of %j with a session id that is no id', async (odd) => {
    const res = await postWebhook(app, usernameStep(odd, odd));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'ignored', reason: 'no_authentication_check' });
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
    ...CUSTOM_USER_IDS,
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
