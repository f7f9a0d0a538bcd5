import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSessionExecutions, type SessionApiAnswer } from '../support/fakeSessionExecutions.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness, TEST_PAT, TEST_SIGNING_KEY } from '../support/harness.js';

/**
 * deny-new with `interruptOnError: true`, played against a fake ZITADEL that commits a session before it calls the
 * limiter (FACTS.md section 2, [real]): an outage must not leave a user locked out, and a refusal must leave nothing
 * behind. Time moves on one shared clock (the fake ZITADEL's, the limiter's, the signatures'); nothing sleeps.
 */

const USER = '284021120958301001';
const HOUR = 3_600_000;
const DENY_MESSAGE = 'Two devices at most: sign out on another one.';

interface World {
  readonly zitadel: FakeZitadel;
  readonly api: FakeSessionExecutions;
  readonly logLines: string[];
  /** Moves every clock forward. */
  advance(ms: number): void;
  /** The limiter stops answering (a crash, a deploy gone wrong), then comes back on the same address. */
  down(): Promise<void>;
  up(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function world(env: Record<string, string>): Promise<World> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const zitadel = await new FakeZitadel({ acceptedTokens: [TEST_PAT], now }).start();
  const { app, logLines } = buildHarness({ LIMIT_STRATEGY: 'deny-new', DENY_MESSAGE, ...env }, zitadel.url, {
    now,
  });
  let server: Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = app.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server?.close(() => resolve());
      server = undefined;
    });
  await up();
  cleanups.push(async () => {
    await down();
    await zitadel.stop();
  });
  const api = new FakeSessionExecutions({
    zitadel,
    targetUrl: () => `http://127.0.0.1:${port}/session/manage`,
    signingKey: TEST_SIGNING_KEY,
    now,
  });
  return { zitadel, api, logLines, advance: (ms) => (offset += ms), down, up };
}

/** A custom login UI's login in one call: CreateSession with the user and the password. */
const login = (api: FakeSessionExecutions, fingerprintId?: string) =>
  api.createSession({ user: { userId: USER }, password: true, fingerprintId });

const live = (zitadel: FakeZitadel) => zitadel.liveSessionsOf(USER).map((session) => session.id);
const auditOutcomes = (lines: readonly string[]) =>
  lines
    .filter((line) => line.includes('"log":"audit"'))
    .map((line) => (JSON.parse(line) as { outcome: string }).outcome);

describe('deny-new after an outage (interruptOnError: ZITADEL commits the session, then fails the call)', () => {
  it.each(['session', 'device'])(
    'the same browser logs in again once the limiter is back, and the user ends at N (COUNT_BY=%s)',
    async (countBy) => {
      const { zitadel, api, down, up } = await world({ CONCURRENT_SESSIONS: '2', COUNT_BY: countBy });

      await down();
      const failed = [await login(api, 'laptop'), await login(api, 'laptop')];
      // What the user saw: two failed logins, whose message names the limiter's address.
      for (const answer of failed) {
        expect(answer.status).toBe(500);
        expect(answer.message).toMatch(/^Post "http:\/\/127\.0\.0\.1:\d+\/session\/manage"/);
      }
      // What ZITADEL kept: both sessions, signed in, held by no browser.
      expect(live(zitadel)).toHaveLength(2);

      await up();
      const retry = await login(api, 'laptop');

      expect(retry).toEqual({ status: 201, sessionId: expect.any(String) as string });
      expect(live(zitadel)).toContain(retry.sessionId);
      // COUNT_BY=session: at most N sessions (the oldest leftover went); COUNT_BY=device: one device, all kept.
      if (countBy === 'session') expect(live(zitadel)).toEqual([failed[1]!.sessionId, retry.sessionId]);
      else expect(live(zitadel)).toHaveLength(3);
    },
  );

  it('without a fingerprint the leftovers refuse the user while fresh, then age out with no administrator', async () => {
    const { zitadel, api, logLines, advance, down, up } = await world({ CONCURRENT_SESSIONS: '2' });
    await down();
    const failed: SessionApiAnswer[] = [await login(api), await login(api)];
    expect(failed.map((answer) => answer.status)).toEqual([500, 500]);
    await up();

    // The limiter cannot tell these sessions from the user's own devices: within DENY_NEW_PLACE_TTL they hold.
    const refused = await login(api);
    expect(refused).toMatchObject({ status: 403, message: DENY_MESSAGE });
    expect(live(zitadel)).toEqual(failed.map((answer) => answer.sessionId));

    // A day later (DENY_NEW_PLACE_TTL defaults to 24 h) nobody has signed in to them: they yield.
    advance(24 * HOUR + 60_000);
    const admitted = await login(api);

    expect(admitted).toEqual({ status: 201, sessionId: expect.any(String) as string });
    expect(live(zitadel)).toEqual([failed[1]!.sessionId, admitted.sessionId]);
    expect(auditOutcomes(logLines)).toEqual(['denied', 'enforced']);
  });

  it('with DENY_NEW_PLACE_TTL=off the leftovers keep the places (the strict rule: an administrator must act)', async () => {
    const { zitadel, api, advance, down, up } = await world({
      CONCURRENT_SESSIONS: '2',
      DENY_NEW_PLACE_TTL: 'off',
    });
    await down();
    await login(api);
    await login(api);
    await up();
    advance(30 * 24 * HOUR);

    expect(await login(api)).toMatchObject({ status: 403, message: DENY_MESSAGE });
    expect(live(zitadel)).toHaveLength(2);
  });
});

/**
 * Login V2's password step as v4.13.1 runs it (apps/login/src/lib/server/password.ts): SetSession on the session
 * the username step created; if that fails for any reason, a new CreateSession with the user id and the password;
 * if that fails too, the user reads Login V2's own text, never the API's message.
 */
async function loginV2(api: FakeSessionExecutions, fingerprintId: string) {
  const lifetimeMs = 24 * HOUR;
  const username = await api.createSession({
    user: { loginName: 'ada@example.com', userId: USER },
    fingerprintId,
    lifetimeMs,
  });
  const password = await api.setSession(username.sessionId!, { password: true });
  if (password.status === 200) return { shown: 'signed in', calls: [username, password] };
  const retried = await api.createSession({
    user: { userId: USER },
    password: true,
    fingerprintId,
    lifetimeMs,
  });
  if (retried.status === 201) return { shown: 'signed in', calls: [username, password, retried] };
  return { shown: 'Could not create session for user', calls: [username, password, retried] };
}

describe('deny-new with Login V2, as Login V2 calls the Session API', () => {
  it('a refused SetSession and its retried CreateSession are both refused, and nothing is left behind', async () => {
    const { zitadel, api, logLines } = await world({ CONCURRENT_SESSIONS: '1' });
    const phone = await loginV2(api, 'phone');
    expect(phone.shown).toBe('signed in');
    const phoneSessions = live(zitadel);
    logLines.length = 0;

    const laptop = await loginV2(api, 'laptop');

    expect(laptop.shown).toBe('Could not create session for user');
    const [username, password, retried] = laptop.calls;
    expect(username!.status).toBe(201);
    // ZITADEL forwards our message; Login V2 catches it and retries, then shows its own text.
    expect(password).toMatchObject({ status: 403, message: DENY_MESSAGE });
    expect(retried).toMatchObject({ status: 403, message: DENY_MESSAGE });
    // Both refused sessions were deleted: the user holds what they held before.
    expect(live(zitadel)).toEqual(phoneSessions);
    expect(zitadel.sessions.get(username!.sessionId!)?.terminatedAt).toBeDefined();
    expect(zitadel.sessions.get(retried!.sessionId!)?.terminatedAt).toBeDefined();
    // Each refused attempt costs two webhooks that decide (three posted: the username step is ignored at once).
    expect(api.posted.slice(-3).map((post) => post.method)).toEqual([
      'CreateSession',
      'SetSession',
      'CreateSession',
    ]);
    expect(auditOutcomes(logLines)).toEqual(['ignored', 'denied', 'denied']);
  });
});
