import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import {
  createSessionResponse,
  sessionAddedEvent,
  sessionCheckedEvent,
  setSessionResponse,
} from '../support/webhooks.js';
import { searchAnswer, sessionRow } from '../support/zitadelRows.js';

/**
 * Holds the project's test ZITADEL to what a real ZITADEL v4.13.1 did (FACTS.md, lines marked [real]; the bodies and
 * answers in test/fixtures/captures). Each test fails if the fake, or the shared webhook builders, drift back to
 * what we once assumed.
 *
 * [real] facts our code does not depend on, so not reproduced beyond what the builders already carry:
 * - `X-Forwarded-For` with ZITADEL's hop appended, `Host` / `X-Forwarded-Host`: the limiter reads no forwarded
 *   header (the webhook's client address is ZITADEL's; the browser's is the session row's `userAgent.ip`).
 * - The events of one call share one `created_at`, `sequence` counts 1..n per session, `checkedAt` has
 *   nanoseconds: the limiter reads none of an event's times (it confirms the session with GetSession).
 * - `lifetime` / `userAgent` only when the login client sent them: the fake's CreateSession honours both, nothing
 *   in our code reads the lifetime of someone else's session beyond its `expirationDate`.
 * - The deny-list keys, interruptOnError's HTTP 500, Login V2's retried CreateSession, JWT/JWE event executions
 *   never delivered: behaviour of ZITADEL towards the target, covered by the suites about setup and deny-new.
 */

const CAPTURES = new URL('../fixtures/captures/', import.meta.url);
const capture = (name: string) => JSON.parse(readFileSync(new URL(name, CAPTURES), 'utf8')) as unknown;
const realRows = capture('session-rows-getsession-and-search.json') as {
  getSession: { body: { session: unknown } };
  search: { request: object; body: { details: unknown; sessions: unknown[] } };
};
const realBody = (name: string) =>
  JSON.parse((capture(name) as { bodyRedacted: string }).bodyRedacted) as unknown;

/** The value's shape: objects by their keys, arrays by their first element, leaves by type. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, entry]) => [key, shapeOf(entry)]),
    );
  return typeof value;
}

const MICROSECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const USER = '284021120958301001';
const OTHER_USER = '284021120958301002';
const MINUTE = 60_000;

describe('the fake ZITADEL answers as the real one did', () => {
  let zitadel: FakeZitadel;

  beforeEach(async () => {
    zitadel = await new FakeZitadel().start();
  });
  afterEach(async () => {
    await zitadel.stop();
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${zitadel.url}${path}`, {
      method,
      headers: { authorization: 'Bearer test-pat', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const search = (body: unknown) => call('POST', '/v2/sessions/search', body);
  const ourSearch = (userId: string, sortingColumn = 'SESSION_FIELD_NAME_CREATION_DATE') =>
    search({
      query: { offset: '0', limit: 100, asc: true },
      queries: [{ userIdQuery: { id: userId } }],
      sortingColumn,
    });
  const idsOf = (answer: { body: Record<string, unknown> }) =>
    ((answer.body.sessions ?? []) as { id: string }[]).map((row) => row.id);

  it('answers CreateSession (POST /v2/sessions) with 201 and SetSession with 200', async () => {
    zitadel.addSession({ userId: USER, loginName: 'bob', factors: [] });
    const created = await call('POST', '/v2/sessions', {
      checks: { user: { userId: USER } },
      userAgent: { fingerprintId: 'fp-1' },
    });
    expect(created.status).toBe(201);
    expect(shapeOf(created.body)).toEqual(
      shapeOf(
        (realBody('json-007-CreateSession-response-userId-only.json') as { response: unknown }).response,
      ),
    );
    const sessionId = created.body.sessionId as string;

    const set = await call('PATCH', `/v2/sessions/${sessionId}`, {
      checks: { password: { password: 'pw' } },
      lifetime: '86400s',
    });
    expect(set.status).toBe(200);
    expect(shapeOf(set.body)).toEqual(
      shapeOf((realBody('json-011-SetSession-response-password.json') as { response: unknown }).response),
    );
    expect(zitadel.sessions.get(sessionId)?.factors).toEqual(['password']);

    const oneStep = await call('POST', '/v2/sessions', {
      checks: { user: { loginName: 'bob' }, password: { password: 'pw' } },
    });
    expect(oneStep.status).toBe(201);
    expect(zitadel.sessions.get(oneStep.body.sessionId as string)).toMatchObject({
      userId: USER,
      factors: ['password'],
      // No lifetime asked: the session never expires.
      expirationDate: undefined,
    });
  });

  it('refuses a search whose query has a misspelt filter name (userIdQueri) with 400', async () => {
    zitadel.addSession({ userId: USER });
    const answer = await search({ queries: [{ userIdQueri: { id: USER } }] });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe(3);
  });

  it('drops a misspelt top-level key (queriez) and returns every user’s sessions', async () => {
    const mine = zitadel.addSession({ userId: USER });
    const theirs = zitadel.addSession({ userId: OTHER_USER });
    const answer = await search({ queriez: [{ userIdQuery: { id: USER } }] });
    expect(answer.status).toBe(200);
    expect(idsOf(answer).sort()).toEqual([mine.id, theirs.id].sort());
  });

  it('matches nothing when the id inside userIdQuery is misspelt, and answers an empty search with the timestamp alone', async () => {
    zitadel.addSession({ userId: USER });
    const answer = await search({ queries: [{ userIdQuery: { ide: USER } }] });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(['details']);
    expect(Object.keys(answer.body.details as object)).toEqual(['timestamp']);
    expect((answer.body.details as { timestamp: string }).timestamp).toMatch(MICROSECONDS);
  });

  it('accepts an unknown sorting enum (200) and drops the sorting', async () => {
    // Written out of creation order: only an ORDER BY on the creation date would put them in order.
    const newest = zitadel.addSession({ userId: USER, creationDate: new Date(Date.now() - 1 * MINUTE) });
    const oldest = zitadel.addSession({ userId: USER, creationDate: new Date(Date.now() - 30 * MINUTE) });
    const middle = zitadel.addSession({ userId: USER, creationDate: new Date(Date.now() - 10 * MINUTE) });

    const sorted = await ourSearch(USER);
    const unsorted = await ourSearch(USER, 'SESSION_FIELD_NAME_CREATION_DATUM');

    expect(idsOf(sorted)).toEqual([oldest.id, middle.id, newest.id]);
    expect(unsorted.status).toBe(200);
    expect(idsOf(unsorted)).toEqual([newest.id, oldest.id, middle.id]);
  });

  it('reads an expired session with GetSession (200) and still lists it', async () => {
    const expired = zitadel.addSession({ userId: USER, expirationDate: new Date(Date.now() - MINUTE) });
    const read = await call('GET', `/v2/sessions/${expired.id}`);
    expect(read.status).toBe(200);
    expect((read.body.session as { expirationDate: string }).expirationDate).toMatch(MICROSECONDS);
    expect(idsOf(await ourSearch(USER))).toEqual([expired.id]);
  });

  it('answers GetSession of an unknown or terminated session with 404, code 5', async () => {
    const ended = zitadel.addSession({ userId: USER });
    zitadel.terminateSession(ended.id);
    for (const id of ['402131468651858982', ended.id]) {
      const answer = await call('GET', `/v2/sessions/${id}`);
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe(5);
    }
  });

  it('deletes idempotently: an already-terminated session answers 200 again', async () => {
    const session = zitadel.addSession({ userId: USER });
    expect((await call('DELETE', `/v2/sessions/${session.id}`, {})).status).toBe(200);
    expect((await call('DELETE', `/v2/sessions/${session.id}`, {})).status).toBe(200);
    expect(zitadel.liveSessionsOf(USER)).toEqual([]);
  });

  it('serves rows and search answers shaped like the real ones, totalResult a string, times in microseconds', async () => {
    const session = zitadel.addSession({
      userId: USER,
      fingerprintId: 'fp-row-1',
      expirationDate: new Date(Date.now() + 24 * 60 * MINUTE),
    });
    zitadel.checkFactors(session.id, ['totp']);
    zitadel.addSession({ userId: USER, factors: [], fingerprintId: null });

    const read = await call('GET', `/v2/sessions/${session.id}`);
    const listed = await search(realRows.search.request);
    // The capture's search names its own user: ask for ours in the same words.
    const ours = await search({
      ...realRows.search.request,
      queries: [{ userIdQuery: { id: USER } }],
    });

    expect(shapeOf(read.body)).toEqual(shapeOf(realRows.getSession.body));
    expect(Object.keys(listed.body)).toEqual(['details']);
    expect(listed.body.details).toEqual({
      timestamp: (listed.body.details as { timestamp: string }).timestamp,
    });
    expect((listed.body.details as { timestamp: string }).timestamp).toMatch(MICROSECONDS);
    expect(shapeOf(ours.body)).toEqual(shapeOf(realRows.search.body));
    expect((ours.body.details as { totalResult: unknown }).totalResult).toBe('2');

    const row = read.body.session as {
      creationDate: string;
      changeDate: string;
      factors: {
        user: { verifiedAt: string };
        password: { verifiedAt: string };
        totp: { verifiedAt: string };
      };
    };
    for (const time of [
      row.creationDate,
      row.changeDate,
      row.factors.password.verifiedAt,
      row.factors.totp.verifiedAt,
    ])
      expect(time).toMatch(MICROSECONDS);
    // As in the capture: the checks of a one-step login are stamped before the session's creationDate, and a
    // password verified before a later TOTP step keeps its own time.
    expect(row.factors.user.verifiedAt < row.creationDate).toBe(true);
    expect(row.factors.password.verifiedAt < row.creationDate).toBe(true);
    expect(row.factors.password.verifiedAt < row.factors.totp.verifiedAt).toBe(true);
    expect(row.factors.totp.verifiedAt < row.changeDate).toBe(true);
  });

  it('says in details.timestamp, in the same microseconds, how far the search has got', async () => {
    const session = zitadel.addSession({ userId: USER });
    const read = await call('GET', `/v2/sessions/${session.id}`);
    const answer = await ourSearch(USER);
    expect((answer.body.details as { timestamp: string }).timestamp).toBe(
      (read.body.session as { changeDate: string }).changeDate,
    );
  });
});

describe('the shared webhook builders and nock rows post what the real ZITADEL posted', () => {
  const session = { id: '402131468651858982', userId: USER, creationDate: new Date() };

  it('builds a CreateSession response webhook with the real envelope: no projectID, forwarded headers, microseconds', () => {
    const real = realBody('json-002-CreateSession-response-user+password.json') as Record<string, unknown>;
    const ours = JSON.parse(createSessionResponse(session)) as Record<string, unknown>;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
    expect(ours).not.toHaveProperty('projectID');
    expect(shapeOf(ours.headers)).toEqual(shapeOf(real.headers));
    expect((ours.response as { details: { changeDate: string } }).details.changeDate).toMatch(MICROSECONDS);
  });

  it('builds a SetSession response webhook without user or session id in the response', () => {
    const real = realBody('json-011-SetSession-response-password.json') as Record<string, unknown>;
    const ours = JSON.parse(setSessionResponse('402131475597626406')) as Record<string, unknown>;
    expect(shapeOf(ours)).toEqual(shapeOf(real));
  });

  it('builds session.added and session.*.checked events with the real snake_case envelope', () => {
    expect(shapeOf(JSON.parse(sessionAddedEvent(session.id)))).toEqual(
      shapeOf(realBody('json-003-event-session.added.json')),
    );
    expect(shapeOf(JSON.parse(sessionCheckedEvent(session.id)))).toEqual(
      shapeOf(realBody('json-005-event-session.password.checked.json')),
    );
    const event = JSON.parse(sessionCheckedEvent(session.id)) as {
      created_at: string;
      event_payload: { checkedAt: string };
    };
    expect(event.created_at).toMatch(MICROSECONDS);
    expect(event.event_payload.checkedAt).toMatch(/\.\d{9}Z$/);
  });

  it('answers an empty nock search as ZITADEL does: no totalResult, no sessions', () => {
    expect(searchAnswer([])).toEqual({ details: {} });
    expect(searchAnswer([sessionRow('s-1', new Date().toISOString())]).details).toEqual({ totalResult: '1' });
  });
});
