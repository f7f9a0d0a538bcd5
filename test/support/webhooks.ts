import { createHmac } from 'node:crypto';
import type { FakeSession } from './fakeZitadel.js';
import { TEST_USER } from './zitadelRows.js';

/**
 * Builds and signs webhook bodies the way ZITADEL does. Used only by tests; the known-answer vectors from
 * ZITADEL's own code (test/fixtures/zitadel-signature-vectors.json, checked in test/unit/verifyZitadelSignature.test.ts)
 * keep this signer and our verifier honest.
 */
export function signatureHeader(
  body: string | Buffer,
  key: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(`${timestampSeconds}.`)
    .update(body)
    .digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

const SESSION_SERVICE = '/zitadel.session.v2.SessionService';

/** Go's encoding/json escapes <, > and & as \u003c, \u003e, \u0026; so do we, to keep bodies realistic. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Response condition on CreateSession by user id with a password check: the fast path. */
export function createSessionResponse(
  session: Pick<FakeSession, 'id' | 'userId' | 'creationDate'>,
  checks: Record<string, unknown> = { password: { password: 'S3cret!<pw>' } },
): string {
  return goJson({
    fullMethod: `${SESSION_SERVICE}/CreateSession`,
    instanceID: 'instance-1',
    orgID: 'org-1',
    projectID: 'project-1',
    userID: 'login-client-service-account',
    request: { checks: { user: { userId: session.userId }, ...checks } },
    response: {
      details: { sequence: '1', changeDate: session.creationDate.toISOString(), resourceOwner: 'instance-1' },
      sessionId: session.id,
      sessionToken: 'tok_do_not_log_me',
    },
    headers: { 'X-Forwarded-For': ['203.0.113.7'] },
  });
}

/** The verified login most tests send: the fast path for TEST_USER's new session `id`, created just now. */
export function loginWebhook(id = 's-new'): string {
  return createSessionResponse({ id, userId: TEST_USER, creationDate: new Date() });
}

/** Response condition on CreateSession with only a user check: somebody typed a username. */
export function usernameStepResponse(
  session: Pick<FakeSession, 'id' | 'loginName' | 'creationDate'>,
): string {
  return goJson({
    fullMethod: `${SESSION_SERVICE}/CreateSession`,
    instanceID: 'instance-1',
    userID: 'login-client-service-account',
    request: { checks: { user: { loginName: session.loginName } } },
    response: {
      details: { sequence: '1', changeDate: session.creationDate.toISOString(), resourceOwner: 'instance-1' },
      sessionId: session.id,
      sessionToken: 'tok_do_not_log_me',
    },
  });
}

/** Response condition on SetSession with a password check (Login V2's password step). */
export function setSessionResponse(sessionId: string): string {
  return goJson({
    fullMethod: `${SESSION_SERVICE}/SetSession`,
    instanceID: 'instance-1',
    userID: 'login-client-service-account',
    request: { sessionId, checks: { password: { password: 'S3cret!<pw>' } } },
    response: {
      details: { sequence: '2', changeDate: new Date().toISOString(), resourceOwner: 'instance-1' },
      sessionToken: 'tok_do_not_log_me',
    },
  });
}

/** Request condition on SetSession (fires before ZITADEL checks the password). */
export function setSessionRequest(sessionId: string): string {
  return goJson({
    fullMethod: `${SESSION_SERVICE}/SetSession`,
    instanceID: 'instance-1',
    userID: 'login-client-service-account',
    request: { sessionId, checks: { password: { password: 'wrong-or-right' } } },
  });
}

/** Event execution for a session.*.checked event. */
export function sessionCheckedEvent(sessionId: string, eventType = 'session.password.checked'): string {
  return goJson({
    aggregateID: sessionId,
    aggregateType: 'session',
    instanceID: 'instance-1',
    event_type: eventType,
    created_at: new Date().toISOString(),
    sequence: 5,
    userID: 'login-client-service-account',
    event_payload: { userID: 'irrelevant' },
  });
}
