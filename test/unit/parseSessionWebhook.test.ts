import { describe, expect, it } from 'vitest';
import { InvalidPayloadError, parseSessionWebhook } from '../../src/webhook/parseSessionWebhook.js';

const CREATE = '/zitadel.session.v2.SessionService/CreateSession';
const SET = '/zitadel.session.v2.SessionService/SetSession';
const CALLER = 'login-client-service-account';

function createSessionResponse(checks: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    fullMethod: CREATE,
    instanceID: '9',
    orgID: '1',
    userID: CALLER,
    request: { checks, lifetime: '86400s' },
    response: {
      details: { sequence: '12', changeDate: '2026-01-01T10:00:00.123Z', resourceOwner: '1' },
      sessionId: '77',
      sessionToken: 'secret-session-token',
    },
    headers: { 'X-Forwarded-For': ['203.0.113.7'] },
    ...extra,
  };
}

function sessionEvent(eventType: string, extra: Record<string, unknown> = {}) {
  return {
    aggregateID: '300',
    aggregateType: 'session',
    instanceID: '9',
    event_type: eventType,
    created_at: '2026-01-01T10:00:00Z',
    sequence: 5,
    userID: CALLER,
    event_payload: {},
    ...extra,
  };
}

describe('parseSessionWebhook: CreateSession', () => {
  it('reads a response condition with a user and a password check', () => {
    const webhook = parseSessionWebhook(
      createSessionResponse({ user: { userId: '42' }, password: { password: 'x' } }),
    );
    expect(webhook).toEqual({
      kind: 'session',
      instanceId: '9',
      source: 'response',
      name: CREATE,
      sessionId: '77',
      userHint: { userId: '42' },
      requestHasAuthenticationCheck: true,
      createdAt: '2026-01-01T10:00:00.123Z',
      requestedLifetime: '86400s',
    });
  });

  it('reports a username step (user check only) as not authenticating', () => {
    const webhook = parseSessionWebhook(createSessionResponse({ user: { userId: '42' } }));
    expect(webhook).toMatchObject({ kind: 'session', sessionId: '77', requestHasAuthenticationCheck: false });
  });

  it('passes a loginName check on as a loginName hint', () => {
    const webhook = parseSessionWebhook(
      createSessionResponse({ user: { loginName: 'alice@example.com' }, password: { password: 'x' } }),
    );
    expect(webhook).toMatchObject({ userHint: { loginName: 'alice@example.com' } });
  });

  it('prefers the userId when the check names both', () => {
    const webhook = parseSessionWebhook(
      createSessionResponse({ user: { userId: '42', loginName: 'alice' }, password: { password: 'x' } }),
    );
    expect(webhook).toMatchObject({ userHint: { userId: '42' } });
  });

  it('never takes the envelope userID (the caller) as the user', () => {
    const webhook = parseSessionWebhook(
      createSessionResponse({ idpIntent: { idpIntentId: 'i', idpIntentToken: 't' } }),
    );
    expect(webhook).toMatchObject({
      kind: 'session',
      userHint: undefined,
      requestHasAuthenticationCheck: true,
    });
    expect(JSON.stringify(webhook)).not.toContain(CALLER);
  });

  it('reads a response without details as having no creation date', () => {
    const body = createSessionResponse({ user: { userId: '42' }, password: { password: 'x' } });
    const webhook = parseSessionWebhook({ ...body, response: { sessionId: '77' } });
    expect(webhook).toMatchObject({ sessionId: '77', createdAt: undefined });
  });

  it('reads a request condition (no response) with source request and no session id', () => {
    const body: Record<string, unknown> = createSessionResponse({
      user: { userId: '42' },
      password: { password: 'x' },
    });
    delete body.response;
    const webhook = parseSessionWebhook(body);
    expect(webhook).toMatchObject({
      kind: 'session',
      source: 'request',
      name: CREATE,
      sessionId: undefined,
      userHint: { userId: '42' },
      requestHasAuthenticationCheck: true,
      createdAt: undefined,
    });
  });

  it('accepts the v2beta session service and reports the v2 method name', () => {
    const webhook = parseSessionWebhook(
      createSessionResponse(
        { user: { userId: '42' }, password: { password: 'x' } },
        { fullMethod: '/zitadel.session.v2beta.SessionService/CreateSession' },
      ),
    );
    expect(webhook).toMatchObject({ kind: 'session', name: CREATE, sessionId: '77' });
  });

  it('refuses a CreateSession response that checks a factor but has no session id', () => {
    const body = createSessionResponse({ user: { userId: '42' }, password: {} });
    expect(() => parseSessionWebhook({ ...body, response: { details: {} } })).toThrow(InvalidPayloadError);
  });

  it('never refuses a username step: fields it cannot read make it a step that authenticates nothing', () => {
    const body = createSessionResponse({ user: { userId: 5 } }, { response: { details: {} } });
    expect(parseSessionWebhook(body)).toMatchObject({
      kind: 'session',
      sessionId: undefined,
      userHint: undefined,
      requestHasAuthenticationCheck: false,
    });
  });

  it.each(['password', 'webAuthN', 'idpIntent', 'totp', 'otpSms', 'otpEmail', 'recoveryCode'])(
    'counts a %s check as authenticating',
    (check) => {
      const webhook = parseSessionWebhook(createSessionResponse({ user: { userId: '42' }, [check]: {} }));
      expect(webhook).toMatchObject({ kind: 'session', requestHasAuthenticationCheck: true });
    },
  );

  it('does not count a null check or an unknown check as authenticating', () => {
    const webhook = parseSessionWebhook(
      createSessionResponse({ user: { userId: '42' }, password: null, metadata: {} }),
    );
    expect(webhook).toMatchObject({ kind: 'session', requestHasAuthenticationCheck: false });
  });
});

describe('parseSessionWebhook: SetSession', () => {
  it('takes the session id from the request of a response condition and gives no user hint', () => {
    const webhook = parseSessionWebhook({
      fullMethod: SET,
      userID: CALLER,
      request: { sessionId: '3', checks: { user: { userId: '42' }, password: { password: 'pässword' } } },
      response: { details: { changeDate: '2026-01-01T10:00:00Z' }, sessionToken: 'x' },
    });
    expect(webhook).toEqual({
      kind: 'session',
      instanceId: undefined,
      source: 'response',
      name: SET,
      sessionId: '3',
      userHint: undefined,
      requestHasAuthenticationCheck: true,
      createdAt: undefined,
      requestedLifetime: undefined,
    });
  });

  it('reads a SetSession request condition with source request', () => {
    const webhook = parseSessionWebhook({
      fullMethod: SET,
      request: { sessionId: '3', checks: { totp: { code: '1' } } },
    });
    expect(webhook).toMatchObject({ source: 'request', sessionId: '3', requestHasAuthenticationCheck: true });
  });

  it('reports a SetSession without checks as not authenticating', () => {
    const webhook = parseSessionWebhook({
      fullMethod: SET,
      request: { sessionId: '3', metadata: {} },
      response: {},
    });
    expect(webhook).toMatchObject({ sessionId: '3', requestHasAuthenticationCheck: false });
  });

  it('refuses a SetSession without a session id', () => {
    expect(() =>
      parseSessionWebhook({
        fullMethod: SET,
        request: { checks: { password: { password: 'x' } } },
        response: {},
      }),
    ).toThrow(InvalidPayloadError);
  });

  it('refuses a SetSession without a request', () => {
    expect(() => parseSessionWebhook({ fullMethod: SET, response: {} })).toThrow(InvalidPayloadError);
  });
});

describe('parseSessionWebhook: events', () => {
  it('reads session.password.checked with the aggregate id as the session id', () => {
    expect(parseSessionWebhook(sessionEvent('session.password.checked'))).toEqual({
      kind: 'session',
      instanceId: '9',
      source: 'event',
      name: 'session.password.checked',
      sessionId: '300',
      userHint: undefined,
      requestHasAuthenticationCheck: true,
      createdAt: undefined,
      requestedLifetime: undefined,
    });
  });

  it.each([
    'session.webAuthN.checked',
    'session.intent.checked',
    'session.totp.checked',
    'session.otp.sms.checked',
    'session.otp.email.checked',
    'session.recoveryCode.checked',
  ])('reads %s as authenticating', (eventType) => {
    expect(parseSessionWebhook(sessionEvent(eventType))).toMatchObject({
      kind: 'session',
      sessionId: '300',
      requestHasAuthenticationCheck: true,
    });
  });

  it('reads session.user.checked as not authenticating', () => {
    expect(parseSessionWebhook(sessionEvent('session.user.checked'))).toMatchObject({
      kind: 'session',
      requestHasAuthenticationCheck: false,
    });
  });

  it.each(['session.added', 'session.terminated'])('ignores %s as other_event', (eventType) => {
    expect(parseSessionWebhook(sessionEvent(eventType))).toEqual({
      kind: 'ignored',
      instanceId: '9',
      reason: 'other_event',
      name: eventType,
    });
  });

  it('ignores a user event as other_event', () => {
    expect(parseSessionWebhook(sessionEvent('user.human.added', { aggregateType: 'user' }))).toEqual({
      kind: 'ignored',
      instanceId: '9',
      reason: 'other_event',
      name: 'user.human.added',
    });
  });

  it('ignores a check event of another aggregate type', () => {
    expect(
      parseSessionWebhook(sessionEvent('session.password.checked', { aggregateType: 'user' })),
    ).toMatchObject({
      kind: 'ignored',
      reason: 'other_event',
    });
  });

  it('refuses an event without an aggregate id', () => {
    const body: Record<string, unknown> = sessionEvent('session.password.checked');
    delete body.aggregateID;
    expect(() => parseSessionWebhook(body)).toThrow(InvalidPayloadError);
  });
});

describe('parseSessionWebhook: other bodies', () => {
  it('ignores another method as other_method', () => {
    const name = '/zitadel.user.v2.UserService/AddHumanUser';
    expect(parseSessionWebhook({ fullMethod: name, request: { username: 'x' }, response: {} })).toEqual({
      kind: 'ignored',
      instanceId: undefined,
      reason: 'other_method',
      name,
    });
  });

  it.each([
    ['DeleteSession', '/zitadel.session.v2.SessionService/DeleteSession'],
    ['a look-alike service', '/zitadel.session.v3.SessionService/CreateSession'],
    ['a method with a suffix', `${CREATE}X`],
  ])('ignores %s as other_method', (_name, fullMethod) => {
    expect(parseSessionWebhook({ fullMethod, request: {} })).toMatchObject({
      kind: 'ignored',
      reason: 'other_method',
    });
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a number', 42],
    ['an array', [{ fullMethod: CREATE }]],
    ['an empty object', {}],
    ['an object with neither fullMethod nor event_type', { aggregateID: '1' }],
    ['a numeric fullMethod', { fullMethod: 7 }],
    ['an empty fullMethod', { fullMethod: '' }],
    ['a numeric event_type', { aggregateID: '1', aggregateType: 'session', event_type: 3 }],
    ['a request that is not an object', { fullMethod: SET, request: 'sessionId=3' }],
    ['a numeric session id', { fullMethod: SET, request: { sessionId: 3 } }],
  ])('refuses %s with InvalidPayloadError', (_name, body) => {
    expect(() => parseSessionWebhook(body)).toThrow(InvalidPayloadError);
  });

  it.each([
    [
      'a numeric session id',
      { fullMethod: SET, request: { sessionId: 3 } },
      ['request.sessionId: expected string'],
    ],
    [
      'a CreateSession response without its session id',
      { fullMethod: CREATE, request: { checks: { password: {} } }, response: { details: {} } },
      ['response.sessionId: expected string'],
    ],
    [
      'a SetSession without a session id',
      { fullMethod: SET, request: {}, response: {} },
      ['request.sessionId: expected string (SetSession names its session)'],
    ],
    ['a numeric fullMethod', { fullMethod: 7 }, ['fullMethod: expected string']],
    ['an empty fullMethod', { fullMethod: '' }, ['fullMethod: expected at least 1 characters']],
    [
      'an event without its aggregate',
      { event_type: 'session.password.checked', aggregateType: 'session' },
      ['aggregateID: expected string'],
    ],
    ['an array', [{ fullMethod: CREATE }], ['(body): expected object']],
    [
      'an object of another kind',
      { hello: 'world' },
      ['(body): expected fullMethod (a method execution) or event_type (an event)'],
    ],
    [
      'a user check with a numeric user id',
      { fullMethod: CREATE, request: { checks: { user: { userId: 5 }, password: {} } } },
      ['request.checks.user.userId: expected string'],
    ],
  ])('says which part of %s was wrong', (_name, body, issues) => {
    try {
      parseSessionWebhook(body);
      expect.unreachable('the payload should have been refused');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as InvalidPayloadError).issues).toEqual(issues);
    }
  });

  it('names paths and kinds but never a value, and at most five of them', () => {
    const secrets = ['hunter2-password', 'session-token-Qx9', 'u-77'];
    try {
      parseSessionWebhook({
        fullMethod: 12,
        instanceID: 99,
        request: secrets[0],
        response: secrets[1],
        userID: secrets[2],
        headers: { Authorization: ['Bearer x'] },
      });
      expect.unreachable('the payload should have been refused');
    } catch (error) {
      const { issues } = error as InvalidPayloadError;
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.length).toBeLessThanOrEqual(5);
      for (const secret of [...secrets, '12', '99', 'Bearer'])
        expect(issues.join('\n')).not.toContain(secret);
    }
  });

  it('gives an error message that carries nothing of the body', () => {
    try {
      parseSessionWebhook({
        fullMethod: SET,
        request: { checks: { password: { password: 'hunter2' } } },
        response: {},
      });
      expect.unreachable('the payload should have been refused');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect(String((error as Error).message)).not.toContain('hunter2');
      expect((error as InvalidPayloadError).code).toBe('invalid_payload');
    }
  });
});
