import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel, type FakeSession } from '../support/fakeZitadel.js';
import {
  startLimiter,
  type LimiterProcess,
  postSignedWebhook,
  type WebhookAnswer,
} from '../support/limiterProcess.js';
import { createSessionResponse, setSessionResponse } from '../support/webhooks.js';

/**
 * Several limiter processes behind one URL, as Render runs them, and a fresh process per webhook, as Vercel may:
 * correctness must come from ZITADEL, never from one process's memory. The fake ZITADEL's search projection is
 * never nudged after a write (ZITADEL's worst case): only a GetSession, or the one-minute schedule, catches it up.
 */

const PAT = 'replicas-pat-5Rt';
const KEY = 'replicas-signing-key-9Qz';
const MINUTE = 60_000;

const post = (limiter: LimiterProcess, body: string) => postSignedWebhook(limiter.url, body, KEY);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Newest first, as the limiter orders them: creation date, then the growing snowflake id. */
function newestFirst(a: FakeSession, b: FakeSession): number {
  return (
    b.creationDate.getTime() - a.creationDate.getTime() ||
    b.id.length - a.id.length ||
    (b.id > a.id ? 1 : b.id < a.id ? -1 : 0)
  );
}

const idsOf = (sessions: readonly FakeSession[]) => sessions.map((s) => s.id);

/** What a user holds: the truth, not the lagging search. */
function liveIds(zitadel: FakeZitadel, userId: string): string[] {
  return idsOf(zitadel.liveSessionsOf(userId).sort(newestFirst));
}

/** Every deleted session is older than every kept one (evict-oldest) — no newer session went because of a late one. */
function expectNoNewerDeleted(all: readonly FakeSession[], live: readonly string[]): void {
  const kept = all.filter((s) => live.includes(s.id));
  const gone = all.filter((s) => !live.includes(s.id));
  for (const deleted of gone)
    for (const stays of kept) expect(newestFirst(deleted, stays)).toBeGreaterThan(0);
}

async function startReplicas(count: number, env: Record<string, string>, url: string) {
  return Promise.all(
    Array.from({ length: count }, () =>
      startLimiter({ INSTANCE_URL: url, PAT, SIGNING_KEY: KEY, LOG_LEVEL: 'info', ...env }),
    ),
  );
}

describe('three replicas behind a round-robin front, evict-oldest, N=2', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT], nudgeAfterWriteMs: false, latencyMs: 2 });
  let replicas: LimiterProcess[] = [];
  let turn = 0;
  /** The round-robin front: each webhook goes to the next replica. */
  const front = (body: string) => post(replicas[turn++ % replicas.length]!, body);

  beforeAll(async () => {
    await zitadel.start();
    replicas = await startReplicas(3, { CONCURRENT_SESSIONS: '2' }, zitadel.url);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await zitadel.stop();
  });

  it('ten logins of one user, one after another on alternating replicas, leave the newest two', async () => {
    const user = 'user-sequential';
    const logins: FakeSession[] = [];
    for (let i = 0; i < 10; i++) {
      const login = zitadel.addSession({ userId: user });
      logins.push(login);
      const answer = await front(createSessionResponse(login));
      expect(answer.status).toBe(200);
    }
    expect(liveIds(zitadel, user)).toEqual(idsOf([logins[9]!, logins[8]!]));
  });

  it('a user signed out of the phone keeps the laptop when logging in on a tablet', async () => {
    const user = 'user-signed-out';
    const laptop = zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 20 * MINUTE) });
    const phone = zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 10 * MINUTE) });
    zitadel.catchUpProjection();
    zitadel.terminateSession(phone.id);
    const tablet = zitadel.addSession({ userId: user });

    const answer = await front(createSessionResponse(tablet));

    expect(answer.body).toMatchObject({ outcome: 'within_limit', deleted: [] });
    expect(liveIds(zitadel, user)).toEqual([tablet.id, laptop.id]);
  });

  it('many users, bursts of concurrent logins spread over the replicas: the next login brings everyone to their newest two', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `user-burst-${i}`);
    const logins = new Map<string, FakeSession[]>(users.map((user) => [user, []]));
    for (const user of users) {
      const history = zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 30 * MINUTE) });
      logins.get(user)!.push(history);
    }
    zitadel.catchUpProjection();

    // Each login commits, then its webhook leaves at once, while other logins are still committing: some
    // decisions see each other, some do not.
    const answers: Promise<WebhookAnswer>[] = [];
    for (let wave = 0; wave < 4; wave++) {
      for (const user of users) {
        const login = zitadel.addSession({ userId: user });
        logins.get(user)!.push(login);
        answers.push(front(createSessionResponse(login)));
      }
      await sleep(5);
    }
    const settled = await Promise.all(answers);

    // On a loaded machine some webhooks of the burst may reach their deadline or be turned away: that is legal as
    // long as the login goes on (200 undecided) and the user's next login catches up, which is what is promised.
    // A webhook whose session another replica's decision has already signed out is ignored (it is gone).
    expect(settled.map((answer) => answer.status)).toEqual(Array(settled.length).fill(200));
    for (const answer of settled)
      expect(answer.body.outcome).toMatch(/^(enforced|within_limit|undecided|ignored)$/);
    for (const user of users) {
      const next = zitadel.addSession({ userId: user });
      logins.get(user)!.push(next);
      const answer = await front(createSessionResponse(next));
      expect(answer.status).toBe(200);
      expect(answer.body.outcome).toMatch(/^(enforced|within_limit)$/);
    }
    for (const user of users) {
      const all = logins.get(user)!;
      const live = liveIds(zitadel, user);
      expect(live).toEqual(idsOf([...all].sort(newestFirst).slice(0, 2)));
      expectNoNewerDeleted(all, live);
    }
  });

  it('eight simultaneous logins of one user hitting every replica at the same moment leave exactly the newest', async () => {
    const user = 'user-same-moment';
    const logins = Array.from({ length: 8 }, () => zitadel.addSession({ userId: user }));

    const settled = await Promise.all(logins.map((login) => front(createSessionResponse(login))));

    expect(settled.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(liveIds(zitadel, user)).toEqual(idsOf([logins[7]!, logins[6]!]));
  });

  it('a late webhook for an old login deletes that old login, never a newer one', async () => {
    const user = 'user-late';
    const old = zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 5 * MINUTE) });
    // Two newer logins whose webhooks have not arrived yet (or were lost: ZITADEL never retries them).
    const newer = [zitadel.addSession({ userId: user }), zitadel.addSession({ userId: user })];

    const late = await front(createSessionResponse(old));

    expect(late.body).toMatchObject({ outcome: 'enforced', deleted: [old.id] });
    expect(liveIds(zitadel, user)).toEqual(idsOf([newer[1]!, newer[0]!]));
  });

  it('Login V2 (username step, then SetSession with the password) converges the same way', async () => {
    const user = 'user-login-v2';
    const sessions = Array.from({ length: 5 }, () => zitadel.addSession({ userId: user, factors: [] }));
    const answers = sessions.map((session) => {
      zitadel.checkFactors(session.id, ['password']);
      return front(setSessionResponse(session.id));
    });
    await Promise.all(answers);
    expect(liveIds(zitadel, user)).toEqual(idsOf([sessions[4]!, sessions[3]!]));
  });
});

describe('three replicas, deny-new, N=1', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT], nudgeAfterWriteMs: false, latencyMs: 2 });
  let replicas: LimiterProcess[] = [];

  beforeAll(async () => {
    await zitadel.start();
    replicas = await startReplicas(3, { CONCURRENT_SESSIONS: '1', LIMIT_STRATEGY: 'deny-new' }, zitadel.url);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await zitadel.stop();
  });

  it('simultaneous logins on different replicas: exactly the first is admitted, the others refused', async () => {
    for (let round = 0; round < 5; round++) {
      const user = `user-deny-${round}`;
      const logins = Array.from({ length: 3 }, () => zitadel.addSession({ userId: user }));

      const answers = await Promise.all(
        logins.map((login, i) => post(replicas[i]!, createSessionResponse(login))),
      );

      expect(liveIds(zitadel, user)).toEqual([logins[0]!.id]);
      // Each later login is refused by its own decision, or was already removed by the first login's decision
      // (its webhook then finds it gone): never both let in.
      for (const later of answers.slice(1))
        expect([later.body.outcome, later.body.reason]).toContainEqual(
          expect.stringMatching(/^(denied|session_not_found)$/),
        );
      expect(answers[0]!.body.forwardedStatusCode).toBeUndefined();
    }
  });

  it('a user who signs out and back in is admitted, on any replica', async () => {
    const user = 'user-deny-return';
    const first = zitadel.addSession({ userId: user });
    expect((await post(replicas[0]!, createSessionResponse(first))).body).toMatchObject({
      outcome: 'within_limit',
    });
    zitadel.terminateSession(first.id);
    const again = zitadel.addSession({ userId: user });

    const answer = await post(replicas[1]!, createSessionResponse(again));

    expect(answer.body).toMatchObject({ outcome: 'within_limit' });
    expect(answer.body.forwardedStatusCode).toBeUndefined();
    expect(liveIds(zitadel, user)).toEqual([again.id]);
  });
});

describe('serverless: a fresh process for every webhook', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT], nudgeAfterWriteMs: false, latencyMs: 2 });

  beforeAll(async () => {
    await zitadel.start();
  });

  afterAll(async () => {
    await zitadel.stop();
  });

  /** A cold start: a new process answers one webhook and is gone. */
  async function coldStart(env: Record<string, string>, body: string): Promise<WebhookAnswer> {
    const [limiter] = await startReplicas(1, env, zitadel.url);
    try {
      return await post(limiter!, body);
    } finally {
      expect(await limiter!.stop()).toBe(0);
    }
  }

  it('evict-oldest, N=2: four logins, two cold starts at a time, leave the newest two', async () => {
    const user = 'user-cold';
    const logins: FakeSession[] = [];
    // Two rounds suffice: the first fills the user's places, the second (two cold processes at once) must evict.
    for (let pair = 0; pair < 2; pair++) {
      const both = [zitadel.addSession({ userId: user }), zitadel.addSession({ userId: user })];
      logins.push(...both);
      const answers = await Promise.all(
        both.map((login) => coldStart({ CONCURRENT_SESSIONS: '2' }, createSessionResponse(login))),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    }
    const live = liveIds(zitadel, user);
    expect(live).toEqual(idsOf([logins[3]!, logins[2]!]));
    expectNoNewerDeleted(logins, live);
  }, 90_000);

  it('deny-new, N=1: of two logins on two cold instances, only the first stays', async () => {
    const user = 'user-cold-deny';
    const logins = [zitadel.addSession({ userId: user }), zitadel.addSession({ userId: user })];
    const env = { CONCURRENT_SESSIONS: '1', LIMIT_STRATEGY: 'deny-new' };

    const answers = await Promise.all(logins.map((login) => coldStart(env, createSessionResponse(login))));

    // The second is refused by its own decision, or was already removed by the first's (then its webhook finds
    // it gone): either way only the first stays.
    expect([answers[1]!.body.outcome, answers[1]!.body.reason]).toContainEqual(
      expect.stringMatching(/^(denied|session_not_found)$/),
    );
    expect(answers[0]!.body.forwardedStatusCode).toBeUndefined();
    expect(liveIds(zitadel, user)).toEqual([logins[0]!.id]);
  }, 60_000);
});

describe('when GetSession does not bring the search up to date (another ZITADEL node holds the projection)', () => {
  const zitadel = new FakeZitadel({
    acceptedTokens: [PAT],
    nudgeAfterWriteMs: false,
    getSessionCatchUp: 'after-next-search',
  });
  let limiter: LimiterProcess;

  beforeAll(async () => {
    await zitadel.start();
    [limiter] = (await startReplicas(1, { CONCURRENT_SESSIONS: '2' }, zitadel.url)) as [LimiterProcess];
  }, 60_000);

  afterAll(async () => {
    await limiter.stop();
    await zitadel.stop();
  });

  it('searches a second time, once the first answer says it is behind the login, and keeps the newest two', async () => {
    const user = 'user-behind';
    const older = zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 20 * MINUTE) });
    zitadel.catchUpProjection();
    // Written after the last catch-up: the first search shows neither, and its timestamp says so.
    const recent = zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - 10 * MINUTE) });
    const login = zitadel.addSession({ userId: user });
    const searchesBefore = zitadel.requests('POST', '/v2/sessions/search').length;

    const answer = await post(limiter, createSessionResponse(login));

    expect(answer.body).toMatchObject({ outcome: 'enforced', deleted: [older.id] });
    expect(zitadel.requests('POST', '/v2/sessions/search').length - searchesBefore).toBe(2);
    expect(liveIds(zitadel, user)).toEqual([login.id, recent.id]);
  });
});
