import { signZitadelPayload } from '../../src/signature/signZitadelPayload.js';
import type { FakeSession } from './fakeZitadel.js';
import { TEST_USER } from './zitadelRows.js';

/**
 * Builds and signs webhook bodies the way ZITADEL does. Used only by tests; the signing is the product's own
 * (src/signature/signZitadelPayload.ts), which the known-answer vectors from ZITADEL's own code
 * (test/fixtures/zitadel-signature-vectors.json, checked in test/unit/signZitadelPayload.test.ts) keep honest.
 */
export function signatureHeader(
  body: string | Buffer,
  key: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): string {
  return signZitadelPayload(body, key, timestampSeconds);
}

const SESSION_SERVICE = '/zitadel.session.v2.SessionService';

/** Go's encoding/json escapes <, > and & as \u003c, \u003e, \u0026; so do we, to keep bodies realistic. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * The `headers` ZITADEL passes on ([real], test/fixtures/captures): its own host, and X-Forwarded-For with ZITADEL's
 * own hop appended to the client's address.
 */
export const ZITADEL_HEADERS = {
  'Content-Type': ['application/grpc'],
  Host: ['localhost:8080'],
  'X-Forwarded-For': ['203.0.113.7, 127.0.0.1'],
  'X-Forwarded-Host': ['localhost:8080'],
};

/** A protojson timestamp with microseconds, as ZITADEL writes `changeDate` ([real]). */
export function microsecondTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '417Z');
}

/** A Go `time.Time` with nanoseconds, as event payloads carry `checkedAt` ([real]). */
export function nanosecondTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '417093Z');
}

/**
 * Response condition on CreateSession by user id with a password check: the fast path. Shaped like the real body
 * (test/fixtures/captures/json-002-…): no `projectID` (the login client's service account has no project).
 */
export function createSessionResponse(
  session: Pick<FakeSession, 'id' | 'userId' | 'creationDate'>,
  checks: Record<string, unknown> = { password: { password: 'S3cret!<pw>' } },
): string {
  return goJson({
    fullMethod: `${SESSION_SERVICE}/CreateSession`,
    instanceID: 'instance-1',
    orgID: 'org-1',
    userID: 'login-client-service-account',
    request: { checks: { user: { userId: session.userId }, ...checks } },
    response: {
      details: {
        sequence: '1',
        changeDate: microsecondTime(session.creationDate),
        resourceOwner: 'instance-1',
      },
      sessionId: session.id,
      sessionToken: 'tok_do_not_log_me',
    },
    headers: ZITADEL_HEADERS,
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
      details: {
        sequence: '1',
        changeDate: microsecondTime(session.creationDate),
        resourceOwner: 'instance-1',
      },
      sessionId: session.id,
      sessionToken: 'tok_do_not_log_me',
    },
    headers: ZITADEL_HEADERS,
  });
}

/** Response condition on SetSession with a password check (Login V2's password step). */
export function setSessionResponse(sessionId: string): string {
  return goJson({
    fullMethod: `${SESSION_SERVICE}/SetSession`,
    instanceID: 'instance-1',
    orgID: 'org-1',
    userID: 'login-client-service-account',
    // Login V2 always asks for a lifetime (the login settings' check lifetime, else 24 h).
    request: { sessionId, checks: { password: { password: 'S3cret!<pw>' } }, lifetime: '86400s' },
    response: {
      details: { sequence: '2', changeDate: microsecondTime(new Date()), resourceOwner: 'instance-1' },
      sessionToken: 'tok_do_not_log_me',
    },
    headers: ZITADEL_HEADERS,
  });
}

/** Request condition on SetSession (fires before ZITADEL checks the password). */
export function setSessionRequest(sessionId: string): string {
  return goJson({
    fullMethod: `${SESSION_SERVICE}/SetSession`,
    instanceID: 'instance-1',
    userID: 'login-client-service-account',
    request: { sessionId, checks: { password: { password: 'wrong-or-right' } } },
    headers: ZITADEL_HEADERS,
  });
}

/** The envelope of an event execution ([real]: snake_case keys, a numeric `sequence`, `created_at` in microseconds). */
function sessionEvent(
  sessionId: string,
  event: { type: string; sequence: number; at: Date; payload: Record<string, unknown> },
): string {
  return goJson({
    aggregateID: sessionId,
    aggregateType: 'session',
    resourceOwner: 'instance-1',
    instanceID: 'instance-1',
    version: 'v1',
    sequence: event.sequence,
    event_type: event.type,
    created_at: microsecondTime(event.at),
    userID: 'login-client-service-account',
    event_payload: event.payload,
  });
}

/**
 * Event execution for a session.*.checked event, shaped like the real one (test/fixtures/captures/json-005-…):
 * snake_case envelope keys, a numeric `sequence`, `created_at` with microseconds, `checkedAt` with nanoseconds.
 */
export function sessionCheckedEvent(sessionId: string, eventType = 'session.password.checked'): string {
  const now = new Date();
  return sessionEvent(sessionId, {
    type: eventType,
    sequence: 3,
    at: now,
    payload: { checkedAt: nanosecondTime(now) },
  });
}

/**
 * The `session.added` event ([real]: delivered too, its payload snake_case with header values as plain arrays). It
 * is the first event of every CreateSession, username steps included, and proves no factor.
 */
export function sessionAddedEvent(sessionId: string, fingerprintId = 'fp-browser-1'): string {
  return sessionEvent(sessionId, {
    type: 'session.added',
    sequence: 1,
    at: new Date(),
    payload: {
      user_agent: {
        fingerprint_id: fingerprintId,
        ip: '203.0.113.7',
        description: 'Chrome, 126.0, Linux',
        header: { 'user-agent': ['Mozilla/5.0 (X11; Linux x86_64)'] },
      },
    },
  });
}
