import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel, type FakeSession } from '../support/fakeZitadel.js';
import { startLimiter, type LimiterProcess } from '../support/limiterProcess.js';
import { setSessionResponse, signatureHeader } from '../support/webhooks.js';

const PAT = 'e2e-devices-pat-3Kv';
const KEY = 'e2e-devices-key-9Pz';
const MINUTE = 60_000;
const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE);

async function post(limiter: LimiterProcess, body: string) {
  const res = await fetch(`${limiter.url}/session/manage`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'ZITADEL-Signature': signatureHeader(body, KEY) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * A Login V2 sign-in as ZITADEL runs it: CreateSession at the username step (no factor), SetSession with the
 * password (and, for a user with a second factor, another SetSession with it), each SetSession calling the target.
 */
async function signIn(
  zitadel: FakeZitadel,
  limiter: LimiterProcess,
  init: { userId: string; fingerprintId?: string; organizationId?: string; factors?: string[][] },
): Promise<{ session: FakeSession; answers: Record<string, unknown>[] }> {
  const session = zitadel.addSession({
    userId: init.userId,
    factors: [],
    fingerprintId: init.fingerprintId ?? null,
    ...(init.organizationId === undefined ? {} : { organizationId: init.organizationId }),
  });
  const answers: Record<string, unknown>[] = [];
  for (const step of init.factors ?? [['password']]) {
    zitadel.checkFactors(session.id, step);
    const res = await post(limiter, setSessionResponse(session.id));
    expect(res.status).toBe(200);
    answers.push(res.body);
  }
  return { session, answers };
}

const live = (zitadel: FakeZitadel, userId: string) =>
  zitadel
    .liveSessionsOf(userId)
    .map((s) => s.id)
    .sort();

describe('devices, sign-in, plans: the real server against the fake ZITADEL, with the new defaults', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  let limiter: LimiterProcess;

  beforeAll(async () => {
    await zitadel.start();
    limiter = await startLimiter({
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      CONCURRENT_SESSIONS: '2',
      LIMIT_METADATA_KEY: 'session_limit',
      LIMIT_METADATA_TTL_SECONDS: '1',
      ORG_LIMITS: 'org-basic=1',
    });
  });
  afterAll(async () => {
    await limiter.stop();
    await zitadel.stop();
  });

  it('COUNT_BY=device: a re-login on the laptop keeps the phone signed in', async () => {
    const phone = await signIn(zitadel, limiter, { userId: 'u-relogin', fingerprintId: 'phone' });
    const laptop = await signIn(zitadel, limiter, { userId: 'u-relogin', fingerprintId: 'laptop' });
    const again = await signIn(zitadel, limiter, { userId: 'u-relogin', fingerprintId: 'laptop' });

    expect(again.answers.at(-1)).toMatchObject({ outcome: 'within_limit', devices: 2, counted: 3 });
    expect(live(zitadel, 'u-relogin')).toEqual(
      [phone.session.id, laptop.session.id, again.session.id].sort(),
    );

    const tablet = await signIn(zitadel, limiter, { userId: 'u-relogin', fingerprintId: 'tablet' });
    expect(tablet.answers.at(-1)).toMatchObject({ outcome: 'enforced', removedDevices: 1 });
    expect(live(zitadel, 'u-relogin')).toEqual(
      [laptop.session.id, again.session.id, tablet.session.id].sort(),
    );
  });

  it('EVICTION_ORDER=last-authenticated: started first but signed in last is the newest login', async () => {
    const user = 'u-slow';
    const old = zitadel.addSession({
      userId: user,
      creationDate: ago(30),
      changeDate: ago(30),
      fingerprintId: 'a',
    });
    // The slow login's username step came first; its password came last.
    const slow = zitadel.addSession({ userId: user, factors: [], creationDate: ago(20), fingerprintId: 'b' });
    const quick = zitadel.addSession({
      userId: user,
      creationDate: ago(10),
      changeDate: ago(10),
      fingerprintId: 'c',
    });
    zitadel.checkFactors(slow.id, ['password']);

    const res = await post(limiter, setSessionResponse(slow.id));

    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: [old.id] });
    expect(live(zitadel, user)).toEqual([slow.id, quick.id].sort());
  });

  it('COUNT_WHEN=signed-in: a password without the TOTP the user set up evicts nobody; the TOTP step does', async () => {
    const user = 'u-totp';
    zitadel.authMethods.set(user, ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP']);
    const laptop = await signIn(zitadel, limiter, {
      userId: user,
      fingerprintId: 'laptop',
      factors: [['password'], ['totp']],
    });
    const phone = await signIn(zitadel, limiter, {
      userId: user,
      fingerprintId: 'phone',
      factors: [['password'], ['totp']],
    });

    const attacker = await signIn(zitadel, limiter, {
      userId: user,
      fingerprintId: 'attacker',
      factors: [['password']],
    });
    expect(attacker.answers[0]).toMatchObject({ outcome: 'within_limit', deleted: [] });
    expect(live(zitadel, user)).toEqual([laptop.session.id, phone.session.id, attacker.session.id].sort());

    // Had the second factor passed, that login would be a third device and the laptop's would go.
    zitadel.checkFactors(attacker.session.id, ['totp']);
    const res = await post(limiter, setSessionResponse(attacker.session.id));
    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: [laptop.session.id] });
  });

  it("LIMIT_METADATA_KEY: a premium user's four devices stay; LIMIT_METADATA_TTL_SECONDS bounds how long a change takes", async () => {
    const user = 'u-premium';
    zitadel.setUserMetadata(user, 'session_limit', '4');
    for (const device of ['a', 'b', 'c', 'd'])
      await signIn(zitadel, limiter, { userId: user, fingerprintId: device });
    expect(zitadel.liveSessionsOf(user)).toHaveLength(4);

    // Downgraded to basic: after the TTL (1 s here) the next sign-in applies the new plan.
    zitadel.setUserMetadata(user, 'session_limit', '1');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const e = await signIn(zitadel, limiter, { userId: user, fingerprintId: 'e' });
    expect(e.answers[0]).toMatchObject({ limit: 1, limitSource: 'metadata', removedDevices: 4 });
    expect(live(zitadel, user)).toEqual([e.session.id]);
  });

  it('ORG_LIMITS: a user of a listed organisation gets its limit; an invalid metadata value falls through to it', async () => {
    const user = 'u-basic-org';
    zitadel.setUserMetadata(user, 'session_limit', 'lots');
    const first = await signIn(zitadel, limiter, {
      userId: user,
      fingerprintId: 'a',
      organizationId: 'org-basic',
    });
    const second = await signIn(zitadel, limiter, {
      userId: user,
      fingerprintId: 'b',
      organizationId: 'org-basic',
    });

    expect(second.answers[0]).toMatchObject({
      limit: 1,
      limitSource: 'organization',
      deleted: [first.session.id],
    });
    expect(limiter.output.join('\n')).not.toContain('lots');
  });
});

describe('the old rules on request: COUNT_BY=session, EVICTION_ORDER=created, COUNT_WHEN=any-factor', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  let limiter: LimiterProcess;

  beforeAll(async () => {
    await zitadel.start();
    limiter = await startLimiter({
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      CONCURRENT_SESSIONS: '2',
      COUNT_BY: 'session',
      EVICTION_ORDER: 'created',
      COUNT_WHEN: 'any-factor',
    });
  });
  afterAll(async () => {
    await limiter.stop();
    await zitadel.stop();
  });

  it('a re-login on the same browser signs the phone out, and a password alone counts', async () => {
    const user = 'u-old-rules';
    zitadel.authMethods.set(user, ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP']);
    const phone = await signIn(zitadel, limiter, { userId: user, fingerprintId: 'phone' });
    await signIn(zitadel, limiter, { userId: user, fingerprintId: 'laptop' });
    const again = await signIn(zitadel, limiter, { userId: user, fingerprintId: 'laptop' });

    expect(again.answers[0]).toMatchObject({
      outcome: 'enforced',
      countBy: 'session',
      deleted: [phone.session.id],
    });
    // No user reads at all under the old rules.
    expect(zitadel.requests('GET', '/v2/users/')).toHaveLength(0);
    expect(zitadel.requests('GET', '/v2/settings/login')).toHaveLength(0);
  });
});
