import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import {
  runLimiterExpectingFailure,
  startLimiter,
  type LimiterProcess,
  postSignedWebhook,
} from '../support/limiterProcess.js';
import { createSessionResponse, setSessionResponse, usernameStepResponse } from '../support/webhooks.js';

const PAT = 'e2e-pat-value-7Hq';
const KEY = 'e2e-signing-key-Lw2';
const MINUTE = 60_000;

const post = (limiter: LimiterProcess, body: string) => postSignedWebhook(limiter.url, body, KEY);

describe('the real server process against a fake ZITADEL over HTTP', () => {
  // The search's projection is never nudged after a write: only a GetSession (or the one-minute schedule) brings
  // it up to date, ZITADEL's worst case.
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT], nudgeAfterWriteMs: false });
  let limiter: LimiterProcess;

  beforeAll(async () => {
    await zitadel.start();
    limiter = await startLimiter({
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      CONCURRENT_SESSIONS: '2',
      LOG_LEVEL: 'debug',
    });
  });

  afterAll(async () => {
    await limiter.stop();
    await zitadel.stop();
  });

  afterEach(() => {
    zitadel.queuedFaults.length = 0;
  });

  it('keeps the newest two sessions when the new login is not in the lagging search yet', async () => {
    const user = 'user-lag';
    for (const minutes of [30, 20, 10])
      zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - minutes * MINUTE) });
    const login = zitadel.addSession({ userId: user });

    const res = await post(limiter, createSessionResponse(login));

    expect(res.status).toBe(200);
    const live = zitadel
      .liveSessionsOf(user)
      .sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime());
    expect(live.map((s) => s.id)).toEqual([login.id, expect.any(String)]);
    expect(live[1]!.creationDate.getTime()).toBeGreaterThan(Date.now() - 11 * MINUTE);
  });

  it('does nothing when somebody only types the username', async () => {
    const user = 'user-typed';
    for (const minutes of [30, 20])
      zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - minutes * MINUTE) });
    const typed = zitadel.addSession({ userId: user, factors: [] });
    const before = zitadel.seen.length;

    const res = await post(limiter, usernameStepResponse(typed));

    expect(res.body).toEqual({ outcome: 'ignored', reason: 'no_authentication_check' });
    expect(zitadel.seen.length).toBe(before);
    expect(zitadel.liveSessionsOf(user)).toHaveLength(3);
  });

  it('rides out injected 503, 429 and connection resets', async () => {
    const user = 'user-faults';
    for (const minutes of [30, 20, 10])
      zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - minutes * MINUTE) });
    const login = zitadel.addSession({ userId: user });
    zitadel.queuedFaults.push(503, 429, 'reset');

    const res = await post(limiter, createSessionResponse(login));

    expect(res.status).toBe(200);
    expect(zitadel.liveSessionsOf(user)).toHaveLength(2);
  });

  it('converges at the limit when one user logs in on five devices at once', async () => {
    const user = 'user-burst';
    zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 30 * MINUTE) });
    const logins = Array.from({ length: 5 }, (_, i) =>
      zitadel.addSession({ userId: user, creationDate: new Date(Date.now() + i) }),
    );

    const answers = await Promise.all(logins.map((login) => post(limiter, createSessionResponse(login))));

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const live = zitadel
      .liveSessionsOf(user)
      .map((s) => s.id)
      .sort();
    expect(live).toEqual([logins[3]!.id, logins[4]!.id].sort());
  });

  it('counts a repeated delete of a gone session as done (idempotent delete)', async () => {
    const user = 'user-idem';
    const old = zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 30 * MINUTE) });
    zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 20 * MINUTE) });
    // Signed out a moment ago: the search has not caught up with it yet.
    zitadel.terminateSession(old.id);
    zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 10 * MINUTE) });
    const login = zitadel.addSession({ userId: user });

    const res = await post(limiter, createSessionResponse(login));

    expect(res.status).toBe(200);
    expect(res.body.failed).toEqual([]);
    expect(zitadel.liveSessionsOf(user)).toHaveLength(2);
  });

  it('resolves the user of a SetSession through GetSession', async () => {
    const user = 'user-set';
    for (const minutes of [30, 20])
      zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - minutes * MINUTE) });
    const login = zitadel.addSession({ userId: user });

    const res = await post(limiter, setSessionResponse(login.id));

    expect(res.body).toMatchObject({ outcome: 'enforced', userId: user });
    expect(zitadel.liveSessionsOf(user)).toHaveLength(2);
  });

  it('never writes the PAT, the signing key, passwords or session tokens to its output', () => {
    const output = limiter.output.join('\n');
    expect(output).toContain('"log":"access"');
    for (const secret of [PAT, KEY, 'S3cret!', 'tok_do_not_log_me']) expect(output).not.toContain(secret);
  });
});

describe('starting and stopping', () => {
  it('refuses to start with a bad variable, naming it and not echoing secrets', async () => {
    const { code, output } = await runLimiterExpectingFailure({
      INSTANCE_URL: 'ftp://zitadel.example.com',
      PAT: 'pat-must-not-appear',
      SIGNING_KEY: 'key-must-not-appear',
      CONCURRENT_SESSIONS: '0',
    });
    expect(code).toBe(78);
    expect(output).toContain('INSTANCE_URL');
    expect(output).toContain('CONCURRENT_SESSIONS');
    expect(output).not.toContain('pat-must-not-appear');
    expect(output).not.toContain('key-must-not-appear');
  });

  it('finishes an in-flight webhook after SIGTERM, then exits 0', async () => {
    const zitadel = await new FakeZitadel({ acceptedTokens: [PAT], latencyMs: 400 }).start();
    const limiter = await startLimiter({
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      CONCURRENT_SESSIONS: '1',
    });
    try {
      zitadel.addSession({ userId: 'user-term', creationDate: new Date(Date.now() - 10 * MINUTE) });
      const login = zitadel.addSession({ userId: 'user-term' });
      const answer = post(limiter, createSessionResponse(login));
      // In flight once ZITADEL has seen its GetSession (answered only 400 ms later): a signal, not a guessed sleep.
      // The poll's ceiling only ends a hang.
      for (let polls = 0; zitadel.requests('GET', `/v2/sessions/${login.id}`).length === 0; polls++) {
        if (polls > 3_000) throw new Error('the webhook never reached ZITADEL');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      limiter.child.kill('SIGTERM');

      const res = await answer;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ outcome: 'enforced' });
      expect(await limiter.exited).toBe(0);
      expect(zitadel.liveSessionsOf('user-term')).toHaveLength(1);
    } finally {
      await limiter.stop();
      await zitadel.stop();
    }
  });
});
