import { describe, expect, it } from 'vitest';
import {
  confirmTrigger,
  ignoredWithoutZitadel,
  type ConfirmContext,
} from '../../src/enforcement/confirmTrigger.js';
import { createLogger } from '../../src/logging/logger.js';
import type { SessionTrigger } from '../../src/webhook/parseSessionWebhook.js';
import {
  createMemoryZitadel,
  deadlineAt,
  memoryRow,
  type MemoryZitadel,
} from '../support/memoryZitadelApi.js';

const NOW_MS = Date.parse('2026-12-02T05:00:00Z');
const MINUTE = 60_000;

function trigger(overrides: Partial<SessionTrigger> = {}): SessionTrigger {
  return {
    kind: 'session',
    instanceId: 'instance-1',
    source: 'response',
    name: '/zitadel.session.v2.SessionService/SetSession',
    sessionId: 's1',
    userHint: undefined,
    requestHasAuthenticationCheck: true,
    createdAt: undefined,
    requestedLifetime: undefined,
    ...overrides,
  };
}

function context(zitadel: MemoryZitadel, overrides: Partial<ConfirmContext> = {}): ConfirmContext {
  return {
    zitadel: zitadel.api,
    deadline: deadlineAt(NOW_MS + 10_000),
    nowMs: NOW_MS,
    enforceOnRequest: false,
    strategy: 'evict-oldest',
    logger: createLogger('silent'),
    ...overrides,
  };
}

const signedIn = (id = 's1', options: Parameters<typeof memoryRow>[2] = {}) =>
  memoryRow(id, NOW_MS - MINUTE, options);

describe('ignoredWithoutZitadel', () => {
  it('settles a request condition unless ENFORCE_ON_REQUEST, and a step that checked nothing', () => {
    expect(ignoredWithoutZitadel(trigger({ source: 'request' }), false)).toBe('request_condition');
    expect(ignoredWithoutZitadel(trigger({ source: 'request' }), true)).toBeUndefined();
    expect(ignoredWithoutZitadel(trigger({ requestHasAuthenticationCheck: false }), false)).toBe(
      'no_authentication_check',
    );
    expect(
      ignoredWithoutZitadel(trigger({ source: 'request', requestHasAuthenticationCheck: false }), true),
    ).toBe('no_authentication_check');
    expect(ignoredWithoutZitadel(trigger(), false)).toBeUndefined();
  });
});

describe('confirmTrigger', () => {
  it('confirms a signed-in session with the user and the write time ZITADEL reports', async () => {
    const zitadel = createMemoryZitadel({
      sessions: [signedIn('s1', { userId: 'user-9', changeDate: '2026-12-02T04:59:30.123456789Z' })],
    });
    const confirmed = await confirmTrigger(trigger(), context(zitadel));
    expect(confirmed).toMatchObject({
      kind: 'confirmed',
      userId: 'user-9',
      trigger: { id: 's1', userId: 'user-9', authenticated: true },
      writtenAt: BigInt(Date.parse('2026-12-02T04:59:30Z')) * 1_000_000n + 123_456_789n,
    });
    expect(zitadel.calls).toEqual([{ op: 'get', sessionId: 's1' }]);
  });

  it('takes the creation date as the write time when the row has no change date', async () => {
    const row = { ...signedIn(), changeDate: undefined };
    const confirmed = await confirmTrigger(trigger(), context(createMemoryZitadel({ sessions: [row] })));
    expect(confirmed).toMatchObject({ writtenAt: BigInt(NOW_MS - MINUTE) * 1_000_000n });
  });

  it('makes no ZITADEL call for what it can settle from the payload', async () => {
    const zitadel = createMemoryZitadel({ sessions: [signedIn()] });
    expect(await confirmTrigger(trigger({ source: 'request' }), context(zitadel))).toEqual({
      kind: 'ignored',
      reason: 'request_condition',
    });
    expect(await confirmTrigger(trigger({ requestHasAuthenticationCheck: false }), context(zitadel))).toEqual(
      {
        kind: 'ignored',
        reason: 'no_authentication_check',
      },
    );
    expect(zitadel.calls).toEqual([]);
  });

  it('ignores an expired trigger session (GetSession still answers for it)', async () => {
    const expired = signedIn('s1', { expiresMs: NOW_MS - 1 });
    const confirmed = await confirmTrigger(trigger(), context(createMemoryZitadel({ sessions: [expired] })));
    expect(confirmed).toEqual({ kind: 'ignored', reason: 'session_expired' });
  });

  it('treats a session expiring this very millisecond as expired, and one a millisecond later as live', async () => {
    const atNow = signedIn('s1', { expiresMs: NOW_MS });
    const later = signedIn('s2', { expiresMs: NOW_MS + 1 });
    const zitadel = createMemoryZitadel({ sessions: [atNow, later] });
    expect(await confirmTrigger(trigger(), context(zitadel))).toEqual({
      kind: 'ignored',
      reason: 'session_expired',
    });
    expect(await confirmTrigger(trigger({ sessionId: 's2' }), context(zitadel))).toMatchObject({
      kind: 'confirmed',
    });
  });

  it('ignores an expired trigger of an event execution too', async () => {
    const expired = signedIn('s1', { expiresMs: NOW_MS - MINUTE });
    const confirmed = await confirmTrigger(
      trigger({ source: 'event', name: 'session.password.checked' }),
      context(createMemoryZitadel({ sessions: [expired] })),
    );
    expect(confirmed).toEqual({ kind: 'ignored', reason: 'session_expired' });
  });

  it('ignores a session that no factor authenticated, whatever the payload says', async () => {
    const usernameOnly = signedIn('s1', { factors: {} });
    const confirmed = await confirmTrigger(
      trigger(),
      context(createMemoryZitadel({ sessions: [usernameOnly] })),
    );
    expect(confirmed).toEqual({ kind: 'ignored', reason: 'not_authenticated' });
  });

  it('ignores a session ZITADEL does not know (any more)', async () => {
    const confirmed = await confirmTrigger(trigger({ sessionId: 'gone' }), context(createMemoryZitadel()));
    expect(confirmed).toEqual({ kind: 'ignored', reason: 'session_not_found' });
  });

  it('ignores a session without a user', async () => {
    const row = { id: 's1', creationDate: new Date(NOW_MS).toISOString(), factors: {} };
    const confirmed = await confirmTrigger(trigger(), context(createMemoryZitadel({ sessions: [row] })));
    expect(confirmed).toEqual({ kind: 'ignored', reason: 'session_has_no_user' });
  });

  it('ignores a payload that names another user than the session belongs to', async () => {
    const zitadel = createMemoryZitadel({ sessions: [signedIn('s1', { userId: 'victim' })] });
    expect(await confirmTrigger(trigger({ userHint: { userId: 'attacker' } }), context(zitadel))).toEqual({
      kind: 'ignored',
      reason: 'user_mismatch',
    });
    expect(await confirmTrigger(trigger({ userHint: { userId: 'victim' } }), context(zitadel))).toMatchObject(
      {
        kind: 'confirmed',
        userId: 'victim',
      },
    );
    // A login name is resolved by ZITADEL itself: the session's own user decides.
    expect(
      await confirmTrigger(trigger({ userHint: { loginName: 'someone@example.com' } }), context(zitadel)),
    ).toMatchObject({ kind: 'confirmed', userId: 'victim' });
  });

  it('never takes the user from the payload when the session names one', async () => {
    const zitadel = createMemoryZitadel({ sessions: [signedIn('s1', { userId: 'real-user' })] });
    const confirmed = await confirmTrigger(trigger(), context(zitadel));
    expect(confirmed).toMatchObject({
      kind: 'confirmed',
      userId: 'real-user',
      trigger: { userId: 'real-user' },
    });
  });

  it('reads a request condition for an existing session back as the login being authenticated now', async () => {
    // Before ZITADEL checked the factor: the row is not authenticated yet, and its fingerprint is ZITADEL's word.
    const row = signedIn('s1', { userId: 'user-1', factors: {}, fingerprintId: 'browser-1' });
    const confirmed = await confirmTrigger(
      trigger({ source: 'request', userHint: { userId: 'user-1' } }),
      context(createMemoryZitadel({ sessions: [row] }), { enforceOnRequest: true, strategy: 'deny-new' }),
    );
    expect(confirmed).toMatchObject({
      kind: 'confirmed',
      userId: 'user-1',
      trigger: { incoming: true, id: 's1', fingerprintId: 'browser-1' },
    });
  });

  describe('a CreateSession request condition (ENFORCE_ON_REQUEST, no session yet)', () => {
    const request = (overrides: Partial<SessionTrigger> = {}) =>
      trigger({
        source: 'request',
        name: '/zitadel.session.v2.SessionService/CreateSession',
        sessionId: undefined,
        ...overrides,
      });

    it('is not acted on under evict-oldest: nothing can be confirmed, so nothing may be deleted', async () => {
      const zitadel = createMemoryZitadel();
      const confirmed = await confirmTrigger(
        request({ userHint: { userId: 'user-1' } }),
        context(zitadel, { enforceOnRequest: true }),
      );
      expect(confirmed).toEqual({ kind: 'ignored', reason: 'unconfirmable_trigger' });
      expect(zitadel.calls).toEqual([]);
    });

    it('under deny-new takes a place as an incoming login, with no session id', async () => {
      const confirmed = await confirmTrigger(
        request({ userHint: { userId: 'user-1' }, fingerprintId: 'browser-1' }),
        context(createMemoryZitadel(), { enforceOnRequest: true, strategy: 'deny-new' }),
      );
      expect(confirmed).toEqual({
        kind: 'confirmed',
        userId: 'user-1',
        trigger: { incoming: true, id: undefined, fingerprintId: 'browser-1' },
        writtenAt: undefined,
      });
    });

    it('under deny-new resolves a login name with ZITADEL', async () => {
      const zitadel = createMemoryZitadel({ loginNames: { 'ada@example.com': 'user-ada' } });
      const ctx = context(zitadel, { enforceOnRequest: true, strategy: 'deny-new' });
      expect(
        await confirmTrigger(request({ userHint: { loginName: 'ada@example.com' } }), ctx),
      ).toMatchObject({
        kind: 'confirmed',
        userId: 'user-ada',
      });
      expect(zitadel.calls).toEqual([{ op: 'find_user', loginName: 'ada@example.com' }]);
      expect(await confirmTrigger(request({ userHint: { loginName: 'nobody@example.com' } }), ctx)).toEqual({
        kind: 'ignored',
        reason: 'user_not_found',
      });
      expect(await confirmTrigger(request({ userHint: undefined }), ctx)).toEqual({
        kind: 'ignored',
        reason: 'user_not_found',
      });
    });
  });
});
