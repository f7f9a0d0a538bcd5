import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness, postWebhook, TEST_PAT } from '../support/harness.js';
import {
  FakeJwks,
  instanceWebKey,
  jwePayload,
  jwtPayload,
  targetKeyPair,
  type InstanceWebKey,
  type TargetKeyPair,
} from '../support/payloadKeys.js';

/**
 * Replays every body a real ZITADEL v4.13.1 posted (test/fixtures/captures) through the real route: the same JSON
 * bytes (secrets redacted there), HMAC-signed with the test key at the capture's own `t`, JWT captures re-signed
 * with a test RSA web key under the capture's `kid` (served by the fake's JWKS), JWE captures re-encrypted to a
 * test P-256 target key. The fake ZITADEL serves the sessions the captures name, as their own answers describe them.
 */

const CAPTURES = new URL('../fixtures/captures/', import.meta.url);

interface Capture {
  readonly file: string;
  readonly form: 'json' | 'jwt' | 'jwe';
  /** The JSON body, or the JWS payload: byte for byte what ZITADEL sent (redacted). */
  readonly json: string;
  readonly timestampSeconds: number;
  readonly receivedAtMs: number;
  readonly jwsHeader: Record<string, unknown> | undefined;
  readonly jweHeader: Record<string, unknown> | undefined;
}

function readCapture(file: string): Capture {
  const raw = JSON.parse(readFileSync(new URL(file, CAPTURES), 'utf8')) as {
    receivedAt: string;
    headers: [string, string][];
    bodyRedacted?: string;
    jwsPayloadRedacted?: string;
    jwsHeader?: Record<string, unknown>;
    jweProtectedHeader?: Record<string, unknown>;
  };
  const signature = raw.headers.find(([name]) => name.toLowerCase() === 'zitadel-signature')?.[1] ?? '';
  const json = raw.bodyRedacted ?? raw.jwsPayloadRedacted;
  if (json === undefined) throw new Error(`${file}: no body`);
  return {
    file,
    form: raw.jweProtectedHeader !== undefined ? 'jwe' : raw.jwsHeader !== undefined ? 'jwt' : 'json',
    json,
    timestampSeconds: Number(/t=(\d+)/.exec(signature)?.[1]),
    receivedAtMs: Date.parse(raw.receivedAt),
    jwsHeader: raw.jwsHeader,
    jweHeader: raw.jweProtectedHeader,
  };
}

const captures = readdirSync(CAPTURES)
  .filter((file) => /^(json|jwt|jwt2|jwe)-\d+-.*\.json$/.test(file))
  .sort()
  .map(readCapture);

type Expected =
  | { outcome: 'within_limit' }
  | {
      outcome: 'ignored';
      reason: 'request_condition' | 'no_authentication_check' | 'other_event';
    };

const ENFORCED: Expected = { outcome: 'within_limit' };
const REQUEST: Expected = { outcome: 'ignored', reason: 'request_condition' };
const USERNAME_ONLY: Expected = { outcome: 'ignored', reason: 'no_authentication_check' };
const NOT_A_CHECK: Expected = { outcome: 'ignored', reason: 'other_event' };

/** What each capture must come to. A capture added without an entry here fails the suite. */
const EXPECTED: Record<string, Expected> = {
  'json-001-CreateSession-request-user+password.json': REQUEST,
  'json-002-CreateSession-response-user+password.json': ENFORCED,
  // session.added is the first event of every CreateSession, username steps included: it proves nothing.
  'json-003-event-session.added.json': NOT_A_CHECK,
  'json-004-event-session.user.checked.json': USERNAME_ONLY,
  'json-005-event-session.password.checked.json': ENFORCED,
  'json-006-CreateSession-request-userId-only.json': REQUEST,
  'json-007-CreateSession-response-userId-only.json': USERNAME_ONLY,
  'json-008-event-session.added.json': NOT_A_CHECK,
  'json-009-event-session.user.checked.json': USERNAME_ONLY,
  'json-010-SetSession-request-password.json': REQUEST,
  'json-011-SetSession-response-password.json': ENFORCED,
  'json-012-event-session.password.checked.json': ENFORCED,
  // Request conditions fire before ZITADEL checks the password: this login then failed.
  'json-013-CreateSession-request-wrong-password(no-response-followed).json': REQUEST,
  'jwe-002-CreateSession-response-user+password.json': ENFORCED,
  'jwe-004-CreateSession-response-userId-only.json': USERNAME_ONLY,
  'jwe-006-SetSession-response-password.json': ENFORCED,
  'jwt-001-CreateSession-request-user+password.json': REQUEST,
  'jwt-002-CreateSession-response-user+password.json': ENFORCED,
  'jwt-003-CreateSession-request-userId-only.json': REQUEST,
  'jwt-004-CreateSession-response-userId-only.json': USERNAME_ONLY,
  'jwt-005-SetSession-request-password.json': REQUEST,
  'jwt-006-SetSession-response-password.json': ENFORCED,
  'jwt-007-CreateSession-request-wrong-password.json': REQUEST,
  'jwt2-001-CreateSession-response-user+password.json': ENFORCED,
  'jwt2-003-CreateSession-response-userId-only.json': USERNAME_ONLY,
  'jwt2-005-SetSession-response-password.json': ENFORCED,
};

// bob, the user every capture logs in, and his organisation (from the captures).
const BOB = '402131383591373862';
const BOB_ORG = '402131286904343590';
const CAROL = '402132183143156774';
const DAY_MS = 24 * 60 * 60_000;
const MINUTE_MS = 60_000;

interface NamedSession {
  createdAt: string;
  signedInAt: string | undefined;
  fingerprintId: string | undefined;
}

/**
 * The sessions the captures name, as their own bodies describe them: created at the CreateSession response's
 * changeDate, signed in then (one-step login) or at the SetSession response's changeDate (two-step login).
 */
function sessionsNamedByCaptures(): Map<string, NamedSession> {
  const named = new Map<string, NamedSession>();
  for (const capture of captures) {
    const body = JSON.parse(capture.json) as {
      fullMethod?: string;
      request?: {
        sessionId?: string;
        checks?: { password?: unknown };
        userAgent?: { fingerprintId?: string };
      };
      response?: { sessionId?: string; details?: { changeDate?: string } };
    };
    const changeDate = body.response?.details?.changeDate;
    if (body.fullMethod?.endsWith('/CreateSession') && body.response?.sessionId !== undefined && changeDate) {
      const known = named.get(body.response.sessionId);
      named.set(body.response.sessionId, {
        createdAt: changeDate,
        signedInAt: body.request?.checks?.password === undefined ? known?.signedInAt : changeDate,
        fingerprintId: body.request?.userAgent?.fingerprintId,
      });
    }
    if (body.fullMethod?.endsWith('/SetSession') && body.request?.sessionId !== undefined && changeDate) {
      const id = body.request.sessionId;
      const known = named.get(id);
      named.set(id, {
        createdAt: known?.createdAt ?? changeDate,
        signedInAt: changeDate,
        fingerprintId: known?.fingerprintId,
      });
    }
  }
  return named;
}

/** The session a capture is about: the response's id, SetSession's own, or the event's aggregate. */
function sessionIdOf(capture: Capture): string | undefined {
  const body = JSON.parse(capture.json) as {
    aggregateID?: string;
    request?: { sessionId?: string };
    response?: { sessionId?: string };
  };
  return body.aggregateID ?? body.response?.sessionId ?? body.request?.sessionId;
}

let webKeys: Map<string, InstanceWebKey>;
let target: TargetKeyPair;

beforeAll(async () => {
  // One test web key per kid the captures were signed with, of the same algorithm.
  webKeys = new Map();
  for (const capture of captures) {
    const kid = capture.jwsHeader?.kid;
    if (typeof kid === 'string' && !webKeys.has(kid)) webKeys.set(kid, await instanceWebKey(kid, 'RS256'));
  }
  target = targetKeyPair('ec');
});

/** The body as ZITADEL would post it with our test keys: the captured JSON, signed and encrypted as captured. */
async function bodyOf(capture: Capture): Promise<string> {
  if (capture.form === 'json') return capture.json;
  const kid = capture.jwsHeader?.kid;
  const key = typeof kid === 'string' ? webKeys.get(kid) : undefined;
  if (key === undefined) throw new Error(`${capture.file}: no kid`);
  const jws = await jwtPayload(capture.json, key);
  if (capture.form === 'jwt') return jws;
  return jwePayload(jws, target, String(capture.jweHeader?.kid));
}

const protectedHeader = (compact: string) =>
  JSON.parse(Buffer.from(compact.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe('replaying what a real ZITADEL v4.13.1 posted', () => {
  let running: FakeZitadel | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  /**
   * The fake ZITADEL holding bob's captured sessions, each on its own browser (the captures all used one), one
   * older signed-in session of bob's, and carol's session. The harness's clock stands at the capture's arrival.
   */
  async function replay(
    capture: Capture,
    env: Record<string, string> = {},
    options: { misspellQueries?: boolean } = {},
  ) {
    const zitadel = await new FakeZitadel({
      acceptedTokens: [TEST_PAT],
      publicRoutes: new FakeJwks([...webKeys.values()]).mount,
      protectedRoutes: (app) => {
        // As if our search said `queriez`: ZITADEL drops the key and lists every user's sessions ([real]).
        app.post('/v2/sessions/search', (req, _res, next) => {
          const body = req.body as { queries?: unknown; queriez?: unknown };
          if (options.misspellQueries === true) {
            body.queriez = body.queries;
            delete body.queries;
          }
          next();
        });
      },
    }).start();
    running = zitadel;
    const older = zitadel.addSession({
      userId: BOB,
      loginName: 'bob',
      organizationId: BOB_ORG,
      creationDate: new Date(capture.receivedAtMs - 30 * MINUTE_MS),
      expirationDate: new Date(capture.receivedAtMs + DAY_MS),
      fingerprintId: 'fp-laptop',
    });
    const carols = zitadel.addSession({
      userId: CAROL,
      loginName: 'carol',
      organizationId: BOB_ORG,
      creationDate: new Date(capture.receivedAtMs - 60 * MINUTE_MS),
      fingerprintId: 'fp-row-1',
    });
    const triggerId = sessionIdOf(capture);
    const named = triggerId === undefined ? undefined : sessionsNamedByCaptures().get(triggerId);
    if (triggerId !== undefined && named !== undefined) {
      const createdAt = new Date(named.createdAt);
      zitadel.addSession({
        id: triggerId,
        userId: BOB,
        loginName: 'bob',
        organizationId: BOB_ORG,
        creationDate: createdAt,
        changeDate: new Date(named.signedInAt ?? named.createdAt),
        factors: named.signedInAt === undefined ? [] : ['password'],
        expirationDate: new Date(createdAt.getTime() + DAY_MS),
        fingerprintId: named.fingerprintId ?? null,
      });
    }
    zitadel.seen.length = 0;
    const startedAt = Date.now();
    const { app, logLines } = buildHarness(
      {
        // The production default: a password counts once the user has no second factor set up.
        COUNT_WHEN: 'signed-in',
        PAYLOAD_DECRYPTION_KEY: target.privatePem,
        ...env,
      },
      zitadel.url,
      { now: () => capture.receivedAtMs + (Date.now() - startedAt) },
    );
    const body = await bodyOf(capture);
    const res = await postWebhook(app, body, { timestampSeconds: capture.timestampSeconds });
    return { zitadel, res, body, logLines, older, carols, triggerId };
  }

  it('has an expected outcome for every capture, and a capture for every expectation', () => {
    expect(captures.map((capture) => capture.file)).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(captures.map((capture) => [capture.file, capture] as const))('%s', async (file, capture) => {
    const expected = EXPECTED[file];
    const { zitadel, res, body, triggerId, logLines } = await replay(capture);

    // Re-signed and re-encrypted exactly as ZITADEL made it.
    if (capture.form !== 'json') {
      const jws = capture.form === 'jwe' ? undefined : body;
      if (jws !== undefined) expect(protectedHeader(jws)).toEqual(capture.jwsHeader);
      if (capture.form === 'jwe')
        expect(Object.keys(protectedHeader(body)).sort()).toEqual(
          Object.keys(capture.jweHeader ?? {}).sort(),
        );
    }
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(expected ?? { outcome: 'no expectation' });
    expect(zitadel.requests('DELETE', '/v2/sessions')).toEqual([]);
    // The envelope's userID is the login client's service account, never the user: nothing may act on it.
    expect(zitadel.seen.map((request) => request.path).join(' ')).not.toContain('402131286905064486');
    expect(logLines.join('\n')).not.toContain('REDACTED');

    if (expected?.outcome === 'ignored') {
      // Settled from the payload alone: not one call to ZITADEL.
      expect(zitadel.seen).toEqual([]);
      return;
    }
    // Confirmed with ZITADEL first: the session the capture names, then bob's sessions.
    expect(zitadel.requests('GET', '/v2/sessions/').map((request) => request.path)).toEqual([
      `/v2/sessions/${triggerId}`,
    ]);
    const searches = zitadel.requests('POST', '/v2/sessions/search');
    expect(searches.length).toBeGreaterThanOrEqual(1);
    for (const search of searches)
      expect(search.body).toMatchObject({ queries: [{ userIdQuery: { id: BOB } }] });
    expect(res.body).toMatchObject({ userId: BOB, sessionId: triggerId, counted: 2, deleted: [] });
  });

  it.each(
    captures
      .filter((capture) => EXPECTED[capture.file] === ENFORCED)
      .map((capture) => [capture.file, capture] as const),
  )('%s over the limit (N=1) signs out bob’s older session only', async (_file, capture) => {
    const { zitadel, res, older, carols, triggerId } = await replay(capture, {
      CONCURRENT_SESSIONS: '1',
    });

    expect(res.body).toMatchObject({ outcome: 'enforced', userId: BOB, deleted: [older.id] });
    expect(zitadel.requests('DELETE', '/v2/sessions').map((request) => request.path)).toEqual([
      `/v2/sessions/${older.id}`,
    ]);
    expect(zitadel.liveSessionsOf(BOB).map((session) => session.id)).toEqual([triggerId]);
    expect(zitadel.liveSessionsOf(CAROL).map((session) => session.id)).toEqual([carols.id]);
  });

  it('deletes only bob’s sessions when the search lists every user’s (a dropped filter), and says so', async () => {
    const capture = captures.find((candidate) => candidate.file.startsWith('json-002-'));
    if (capture === undefined) throw new Error('json-002 capture missing');
    const { zitadel, res, older, carols, triggerId, logLines } = await replay(
      capture,
      { CONCURRENT_SESSIONS: '1' },
      { misspellQueries: true },
    );

    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: [older.id] });
    expect(zitadel.liveSessionsOf(BOB).map((session) => session.id)).toEqual([triggerId]);
    expect(zitadel.liveSessionsOf(CAROL).map((session) => session.id)).toEqual([carols.id]);
    expect(
      logLines.some((line) => line.includes('sessions of other users') && line.includes('"foreignRows":1')),
    ).toBe(true);
  });
});
