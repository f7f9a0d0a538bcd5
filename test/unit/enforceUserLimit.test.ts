import { describe, expect, it } from 'vitest';
import { enforceUserLimit, type EnforcementSettings } from '../../src/enforcement/enforceUserLimit.js';
import { createLogger } from '../../src/logging/logger.js';
import type { SessionLimit } from '../../src/vocabulary.js';
import { toSessionRecord } from '../../src/enforcement/toSessionRecord.js';
import {
  createMemoryZitadel,
  deadlineAt,
  memoryRow,
  type MemoryZitadel,
  type MemoryZitadelOptions,
} from '../support/memoryZitadelApi.js';

const USER = 'user-1';
const MINUTE = 60_000;
// The decision's wall clock (expiry) and the test clock the time budget is measured on.
const NOW_MS = 100 * MINUTE;

const baseSettings: EnforcementSettings = {
  concurrentSessions: 2,
  limitStrategy: 'evict-oldest',
  dryRun: false,
  deleteConcurrency: 1,
  countBy: 'session',
  evictionOrder: 'created',
  countWhen: 'any-factor',
  limitMetadataKey: undefined,
  limitMetadataTtlMs: 60_000,
  orgLimits: new Map<string, SessionLimit>(),
  denyNewPlaceTtlMs: undefined,
};

/** Sessions s1 (oldest) … sN (newest), a minute apart. */
const rows = (count: number, options: Parameters<typeof memoryRow>[2] = {}) =>
  Array.from({ length: count }, (_, index) => memoryRow(`s${index + 1}`, (index + 1) * MINUTE, options));

function logLines() {
  const lines: { level: string; msg: string; [field: string]: unknown }[] = [];
  const logger = createLogger('debug', (line) => lines.push(JSON.parse(line) as (typeof lines)[number]));
  return { lines, logger };
}

async function run(
  zitadel: MemoryZitadel,
  options: {
    settings?: Partial<EnforcementSettings>;
    trigger?: Parameters<typeof enforceUserLimit>[0]['trigger'];
    triggerWrittenAt?: bigint;
    deadlineMs?: number;
    now?: () => number;
    logger?: ReturnType<typeof createLogger>;
  } = {},
) {
  return enforceUserLimit({
    userId: USER,
    trigger: options.trigger,
    triggerWrittenAt: options.triggerWrittenAt,
    settings: { ...baseSettings, ...options.settings },
    zitadel: zitadel.api,
    deadline: deadlineAt(options.deadlineMs ?? 10_000),
    nowMs: NOW_MS,
    logger: options.logger ?? createLogger('silent'),
    now: options.now ?? (() => 0),
  });
}

/** A test clock that the fake moves forward by `msPer[op]` at the start of each call of that kind. */
function clocked(options: MemoryZitadelOptions, msPer: Partial<Record<'list' | 'delete', number>>) {
  let clock = 0;
  const zitadel = createMemoryZitadel({
    ...options,
    onCall: (call) => {
      if (call.op === 'list' || call.op === 'delete') clock += msPer[call.op] ?? 0;
    },
  });
  return { zitadel, now: () => clock };
}

describe('enforceUserLimit', () => {
  it('evicts the oldest sessions, starting the deletions from the oldest, and reports them newest first', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(5) });
    const report = await run(zitadel);
    expect(report.outcome).toBe('enforced');
    expect(zitadel.deleteCalls()).toEqual(['s1', 's2', 's3']);
    expect(report.deleted).toEqual(['s3', 's2', 's1']);
    expect(report.kept).toEqual(['s5', 's4']);
    expect(report.failed).toEqual([]);
    expect(report.remaining).toBe(0);
    expect(zitadel.sessionIds()).toEqual(['s4', 's5']);
  });

  it('asks the search for newest first under evict-oldest and oldest first under deny-new', async () => {
    const evict = createMemoryZitadel({ sessions: rows(1) });
    await run(evict);
    const deny = createMemoryZitadel({ sessions: rows(1) });
    await run(deny, { settings: { limitStrategy: 'deny-new' } });
    expect(evict.calls.find((call) => call.op === 'list')).toMatchObject({ order: 'newest-first' });
    expect(deny.calls.find((call) => call.op === 'list')).toMatchObject({ order: 'oldest-first' });
  });

  it('deletes nothing and says so when the user is within the limit', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(2) });
    const report = await run(zitadel);
    expect(report).toMatchObject({ outcome: 'within_limit', counted: 2, deleted: [], remaining: 0 });
    expect(zitadel.deleteCalls()).toEqual([]);
  });

  it('deletes the refused trigger first under deny-new, then the sessions that got in beyond the limit, oldest first', async () => {
    // s2 and s3 got in beside s1 (logins unseen by each other's decisions); s4 is the login being refused.
    const sessions = rows(4);
    const zitadel = createMemoryZitadel({ sessions });
    const trigger = toSessionRecord(sessions[3]!);
    const report = await run(zitadel, {
      trigger,
      settings: { limitStrategy: 'deny-new', concurrentSessions: 1 },
    });
    expect(report.outcome).toBe('denied');
    expect(zitadel.deleteCalls()).toEqual(['s4', 's2', 's3']);
    expect(report.deleted).toEqual(['s4', 's3', 's2']);
    expect(report.kept).toEqual(['s1']);
  });

  it('deletes the refused trigger even when time allows only one deletion', async () => {
    const sessions = rows(3);
    const { zitadel, now } = clocked({ sessions }, { delete: 1_000 });
    const trigger = toSessionRecord(sessions[2]!);
    const report = await run(zitadel, {
      trigger,
      now,
      deadlineMs: 1_400,
      settings: { limitStrategy: 'deny-new', concurrentSessions: 1 },
    });
    expect(zitadel.deleteCalls()).toEqual(['s3']);
    expect(report.deleted).toEqual(['s3']);
    expect(report.remaining).toBe(1);
  });

  it('starts no deletion with less than the reserve left before the deadline', async () => {
    for (const left of [0, 499, 500]) {
      const zitadel = createMemoryZitadel({ sessions: rows(3) });
      const report = await run(zitadel, { deadlineMs: 10_000, now: () => 10_000 - left });
      expect(zitadel.deleteCalls(), `${left} ms left`).toEqual([]);
      expect(report).toMatchObject({ outcome: 'enforced', deleted: [], failed: [], remaining: 1 });
    }
    const zitadel = createMemoryZitadel({ sessions: rows(3) });
    await run(zitadel, { deadlineMs: 10_000, now: () => 10_000 - 501 });
    expect(zitadel.deleteCalls()).toEqual(['s1']);
  });

  it('stops starting deletions once the time left falls below the reserve, leaving the newest for next time', async () => {
    const { lines, logger } = logLines();
    // Each deletion takes 800 ms of a 2 000 ms budget: starts at 0 and 800 fit, one at 1 600 would not.
    const { zitadel, now } = clocked({ sessions: rows(5) }, { delete: 800 });
    const report = await run(zitadel, { now, deadlineMs: 2_000, logger });
    expect(zitadel.deleteCalls()).toEqual(['s1', 's2']);
    expect(report.deleted).toEqual(['s2', 's1']);
    expect(report.failed).toEqual([]);
    expect(report.remaining).toBe(1);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining('more sessions over the limit than one enforcement handles') as string,
        userId: USER,
        notStarted: 1,
        unread: 0,
      }),
    ]);
  });

  it('stops paging at its share of the time left, so the rest of the deadline stays for deletions', async () => {
    // Pages of 2 rows, 3 000 ms each, of a 10 000 ms budget: paging may use up to 5 000 ms, so two pages.
    const { lines, logger } = logLines();
    const { zitadel, now } = clocked({ sessions: rows(7), pageSize: 2 }, { list: 3_000 });
    const report = await run(zitadel, { now, deadlineMs: 10_000, logger });
    expect(zitadel.calls.filter((call) => call.op === 'list')).toHaveLength(2);
    // What was read (s7..s4, newest first) is decided on: s4 and s5 go; 3 sessions were never read.
    expect(report.deleted).toEqual(['s5', 's4']);
    expect(report.remaining).toBe(3);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({ userId: USER, notStarted: 0, unread: 3 }),
    ]);
  });

  it('measures the paging share from the time the enforcement starts, not from zero', async () => {
    let clock = 4_000;
    const zitadel = createMemoryZitadel({
      sessions: rows(7),
      pageSize: 2,
      onCall: (call) => {
        if (call.op === 'list') clock += 1_000;
      },
    });
    // 6 000 ms left at the start: paging may go on until 7 000, so pages at 4 000, 5 000 and 6 000.
    const report = await run(zitadel, { now: () => clock, deadlineMs: 10_000 });
    expect(zitadel.calls.filter((call) => call.op === 'list')).toHaveLength(3);
    expect(report.remaining).toBe(1);
  });

  it('counts nothing as unread when the listing was read to its end, whatever total ZITADEL reported', async () => {
    // A short last page ends the listing even if the total (counted a moment earlier) says more.
    const zitadel = createMemoryZitadel({ sessions: rows(3), reportedTotal: 10 });
    const report = await run(zitadel);
    expect(report).toMatchObject({ deleted: ['s1'], remaining: 0 });
  });

  it('counts nothing as unread when paging stopped and ZITADEL reported no total', async () => {
    const { zitadel, now } = clocked(
      { sessions: rows(7), pageSize: 2, reportedTotal: 'unknown' },
      { list: 3_000 },
    );
    const report = await run(zitadel, { now, deadlineMs: 10_000 });
    expect(zitadel.calls.filter((call) => call.op === 'list')).toHaveLength(2);
    expect(report.remaining).toBe(0);
  });

  it('reads every page when there is time', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(7), pageSize: 2 });
    const report = await run(zitadel);
    expect(zitadel.calls.filter((call) => call.op === 'list')).toHaveLength(4);
    expect(report.deleted).toHaveLength(5);
    expect(report.remaining).toBe(0);
  });

  it('under evict-oldest starts with the oldest even when a late webhook made the trigger one to go', async () => {
    // The webhook of s2's sign-in arrives after s3 signed in: s2 goes with s1, and s1 is deleted first.
    const sessions = rows(3);
    const zitadel = createMemoryZitadel({ sessions });
    const report = await run(zitadel, {
      trigger: toSessionRecord(sessions[1]!),
      settings: { concurrentSessions: 1 },
    });
    expect(zitadel.deleteCalls()).toEqual(['s1', 's2']);
    expect(report.kept).toEqual(['s3']);
  });

  it('never deletes a trigger that stays: evict-oldest keeps the newest, deny-new one of the first', async () => {
    const sessions = rows(3);
    const evict = createMemoryZitadel({ sessions });
    await run(evict, { trigger: toSessionRecord(sessions[2]!), settings: { concurrentSessions: 1 } });
    expect(evict.deleteCalls()).toEqual(['s1', 's2']);
    // deny-new: s2 (the trigger) is among the first two; s3 got in beyond them and goes.
    const deny = createMemoryZitadel({ sessions });
    const report = await run(deny, {
      trigger: toSessionRecord(sessions[1]!),
      settings: { limitStrategy: 'deny-new', concurrentSessions: 2 },
    });
    expect(deny.deleteCalls()).toEqual(['s3']);
    expect(report).toMatchObject({ outcome: 'enforced', kept: ['s2', 's1'] });
  });

  it("takes the organisation from the listing when the trigger's row names none", async () => {
    const sessions = rows(3, { organizationId: 'org-2' });
    const zitadel = createMemoryZitadel({ sessions });
    const trigger = { ...toSessionRecord(sessions[2]!), organizationId: undefined };
    const report = await run(zitadel, {
      trigger,
      settings: { concurrentSessions: 5, orgLimits: new Map<string, SessionLimit>([['org-2', 1]]) },
    });
    expect(report).toMatchObject({ limit: 1, limitSource: 'organization' });
  });

  it("takes the organisation from the first of the user's rows that names one", async () => {
    const newest = memoryRow('s2', 2 * MINUTE);
    const older = memoryRow('s1', MINUTE, { organizationId: 'org-2' });
    const noOrganization = { ...newest, factors: { ...newest.factors, user: { id: USER } } };
    const zitadel = createMemoryZitadel({ sessions: [noOrganization, older] });
    const report = await run(zitadel, {
      settings: { concurrentSessions: 5, orgLimits: new Map<string, SessionLimit>([['org-2', 1]]) },
    });
    expect(report).toMatchObject({ limit: 1, limitSource: 'organization', deleted: ['s1'] });
  });

  it('keeps every session of a user whose metadata says unlimited', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(6), metadata: { [USER]: 'unlimited' } });
    const report = await run(zitadel, {
      settings: { limitMetadataKey: 'session_limit', concurrentSessions: 1 },
    });
    expect(report).toMatchObject({ outcome: 'within_limit', limit: 'unlimited', limitSource: 'metadata' });
    expect(report.kept).toHaveLength(6);
    expect(zitadel.deleteCalls()).toEqual([]);
  });

  it('keeps every session of a user whose organisation is unlimited', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(4, { organizationId: 'org-big' }) });
    const report = await run(zitadel, {
      settings: {
        concurrentSessions: 1,
        orgLimits: new Map<string, SessionLimit>([['org-big', 'unlimited']]),
      },
    });
    expect(report).toMatchObject({
      outcome: 'within_limit',
      limit: 'unlimited',
      limitSource: 'organization',
    });
    expect(zitadel.deleteCalls()).toEqual([]);
  });

  it("applies the organisation's limit found in the listing when there is no trigger (a sweep)", async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(3, { organizationId: 'org-2' }) });
    const report = await run(zitadel, {
      settings: { concurrentSessions: 5, orgLimits: new Map<string, SessionLimit>([['org-2', 1]]) },
    });
    expect(report).toMatchObject({ limit: 1, limitSource: 'organization', deleted: ['s2', 's1'] });
  });

  it("prefers the confirmed trigger's organisation to what the listing says", async () => {
    const sessions = rows(3, { organizationId: 'org-listed' });
    const zitadel = createMemoryZitadel({ sessions });
    const trigger = { ...toSessionRecord(sessions[2]!), organizationId: 'org-trigger' };
    const report = await run(zitadel, {
      trigger,
      settings: {
        concurrentSessions: 5,
        orgLimits: new Map<string, SessionLimit>([
          ['org-trigger', 1],
          ['org-listed', 2],
        ]),
      },
    });
    expect(report).toMatchObject({ limit: 1, limitSource: 'organization' });
  });

  it("takes the organisation from the user's own rows, not from another user's", async () => {
    const zitadel = createMemoryZitadel({
      sessions: rows(3, { organizationId: 'org-mine' }),
      foreignRows: [memoryRow('x1', 90 * MINUTE, { userId: 'someone-else', organizationId: 'org-other' })],
    });
    const report = await run(zitadel, {
      settings: {
        concurrentSessions: 5,
        orgLimits: new Map<string, SessionLimit>([
          ['org-other', 1],
          ['org-mine', 2],
        ]),
      },
    });
    expect(report).toMatchObject({ limit: 2, deleted: ['s1'] });
  });

  it('asks for the login policy of the organisation the listing shows under COUNT_WHEN=signed-in', async () => {
    // Three password-only sessions over a limit of 2: whether they count depends on the policy.
    const zitadel = createMemoryZitadel({ sessions: rows(3, { organizationId: 'org-7' }) });
    await run(zitadel, { settings: { countWhen: 'signed-in' } });
    expect(zitadel.calls).toContainEqual({ op: 'login_policy', organizationId: 'org-7' });
  });

  it('deletes nothing under DRY_RUN and reports what it would have deleted', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(4) });
    const report = await run(zitadel, { settings: { dryRun: true } });
    expect(zitadel.deleteCalls()).toEqual([]);
    expect(zitadel.sessionIds()).toHaveLength(4);
    expect(report).toMatchObject({ outcome: 'enforced', dryRun: true, deleted: ['s2', 's1'], failed: [] });
  });

  it('deletes nothing under DRY_RUN with deny-new either', async () => {
    const sessions = rows(2);
    const zitadel = createMemoryZitadel({ sessions });
    const report = await run(zitadel, {
      trigger: toSessionRecord(sessions[1]!),
      settings: { dryRun: true, limitStrategy: 'deny-new', concurrentSessions: 1 },
    });
    expect(zitadel.deleteCalls()).toEqual([]);
    expect(report).toMatchObject({ outcome: 'denied', deleted: ['s2'] });
  });

  it('reports a deletion ZITADEL refused as failed, and still makes the others', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(4) });
    const deleteSession = zitadel.api.deleteSession.bind(zitadel.api);
    zitadel.api.deleteSession = async (args, deadline) => {
      if (args.sessionId === 's1') throw new Error('503');
      return deleteSession(args, deadline);
    };
    const report = await run(zitadel);
    expect(report.failed).toEqual(['s1']);
    expect(report.deleted).toEqual(['s2']);
    expect(report.remaining).toBe(0);
  });

  it("searches once more when the first answer's projection is behind the trigger's write", async () => {
    const { lines, logger } = logLines();
    const zitadel = createMemoryZitadel({ sessions: rows(1), projectedUpTo: [100n, 200n] });
    const report = await run(zitadel, { triggerWrittenAt: 150n, logger });
    expect(report.searches).toBe(2);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('decides on the second answer and warns when it is still behind', async () => {
    const { lines, logger } = logLines();
    const zitadel = createMemoryZitadel({ sessions: rows(1), projectedUpTo: [1_000_000n, 2_000_000n] });
    const report = await run(zitadel, { triggerWrittenAt: 5_000_000n, logger });
    expect(report.searches).toBe(2);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining('still behind the login') as string,
        userId: USER,
        lagMs: 3,
      }),
    ]);
  });

  it('searches once when the projection is exactly at, or past, the trigger, or says nothing', async () => {
    for (const projectedUpTo of [[150n], [151n], [undefined]]) {
      const zitadel = createMemoryZitadel({ sessions: rows(1), projectedUpTo });
      expect((await run(zitadel, { triggerWrittenAt: 150n })).searches).toBe(1);
    }
    const sweep = createMemoryZitadel({ sessions: rows(1), projectedUpTo: [1n] });
    expect((await run(sweep)).searches).toBe(1);
  });

  it("never deletes other users' rows from a listing whose user filter was dropped, and says so", async () => {
    const { lines, logger } = logLines();
    // The user's own expired session is left out of the count too, but it is no foreign row.
    const expired = memoryRow('e1', 3 * MINUTE, { expiresMs: NOW_MS - 1 });
    const zitadel = createMemoryZitadel({
      sessions: [...rows(2), expired],
      foreignRows: [
        memoryRow('x1', 0, { userId: 'someone-else' }),
        memoryRow('x2', 1, { userId: 'another' }),
      ],
    });
    const report = await run(zitadel, { settings: { concurrentSessions: 1 }, logger });
    expect(zitadel.deleteCalls()).toEqual(['s1']);
    expect(report.foreignRows).toBe(2);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining('sessions of other users') as string,
        userId: USER,
        foreignRows: 2,
      }),
    ]);
  });

  it('logs no warning for an ordinary enforcement', async () => {
    const { lines, logger } = logLines();
    await run(createMemoryZitadel({ sessions: rows(3) }), { logger });
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('does not count a security key (U2F) as a passkey under COUNT_WHEN=signed-in', async () => {
    // s1 signed in with a passkey; s2 only touched a security key (webAuthN without user verification), which is
    // a second factor: without the password first it is half-way through its login and takes no place.
    const passkey = memoryRow('s1', MINUTE, {
      factors: { webAuthN: { verifiedAt: new Date(MINUTE).toISOString(), userVerified: true } },
    });
    const securityKeyOnly = memoryRow('s2', 2 * MINUTE, {
      factors: { webAuthN: { verifiedAt: new Date(2 * MINUTE).toISOString(), userVerified: false } },
    });
    // Two expired sessions are excluded too, for another reason: they are not half-way logins.
    const expired = [0, 1].map((index) => memoryRow(`e${index}`, index, { expiresMs: NOW_MS - 1 }));
    const zitadel = createMemoryZitadel({
      sessions: [...expired, passkey, securityKeyOnly],
      authMethods: { [USER]: ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_U2F'] },
    });
    const report = await run(zitadel, { settings: { countWhen: 'signed-in', concurrentSessions: 1 } });
    expect(report).toMatchObject({ outcome: 'within_limit', counted: 1, kept: ['s1'], notSignedIn: 1 });
    expect(zitadel.deleteCalls()).toEqual([]);
  });

  it('ranks by the latest factor under EVICTION_ORDER=last-authenticated', async () => {
    // s1 was created first but signed in again (a second factor) after s2: s2 is the least recent.
    const s1 = memoryRow('s1', MINUTE, {
      factors: {
        password: { verifiedAt: new Date(MINUTE).toISOString() },
        totp: { verifiedAt: new Date(10 * MINUTE).toISOString() },
      },
    });
    const s2 = memoryRow('s2', 2 * MINUTE);
    const zitadel = createMemoryZitadel({ sessions: [s1, s2] });
    const report = await run(zitadel, {
      settings: { concurrentSessions: 1, evictionOrder: 'last-authenticated' },
    });
    expect(report.deleted).toEqual(['s2']);
  });

  it('passes the trigger id, strategy and count mode through to the report', async () => {
    const sessions = rows(1);
    const report = await run(createMemoryZitadel({ sessions }), {
      trigger: toSessionRecord(sessions[0]!),
      settings: { countBy: 'device' },
    });
    expect(report).toMatchObject({
      userId: USER,
      sessionId: 's1',
      strategy: 'evict-oldest',
      countBy: 'device',
      dryRun: false,
      limit: 2,
      limitSource: 'default',
      fallbacks: [],
    });
  });

  it('rethrows a failed search', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(1) });
    zitadel.api.listUserSessions = () => Promise.reject(new Error('zitadel down'));
    await expect(run(zitadel, { settings: { countWhen: 'signed-in' } })).rejects.toThrow('zitadel down');
  });
});

describe('enforceUserLimit on a request condition (a login being checked right now)', () => {
  // Anyone who types a username and any password makes one: it may refuse, never delete, in any mode.
  it('under evict-oldest deletes nothing, answers within_limit and leaves the surplus to the response webhook', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(3) });
    const report = await run(zitadel, { trigger: { incoming: true, id: undefined } });
    expect(zitadel.deleteCalls()).toEqual([]);
    expect(report).toMatchObject({ outcome: 'within_limit', deleted: [], failed: [] });
    // Three sessions and the one being created, N=2: two are over, and the response webhook will take them.
    expect(report.remaining).toBe(2);
  });

  it('under deny-new refuses the login without deleting, and does not count the refused session as left over', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(4) });
    const report = await run(zitadel, {
      trigger: { incoming: true, id: 's4' },
      settings: { limitStrategy: 'deny-new' },
    });
    expect(zitadel.deleteCalls()).toEqual([]);
    expect(report).toMatchObject({ outcome: 'denied', deleted: [] });
    // deny-new removes only the newcomer, s4: the refused login itself, which no later decision would count.
    expect(report.remaining).toBe(0);
    expect(report.kept).not.toContain('s4');
  });
});

describe('enforceUserLimit reads the sign-in rule after a per-user limit only when that limit puts the user over', () => {
  const signedIn = { countWhen: 'signed-in' as const, limitMetadataKey: 'session_limit' };
  const readsOf = (zitadel: MemoryZitadel) =>
    zitadel.calls.filter((call) => call.op !== 'list' && call.op !== 'delete').map((call) => call.op);

  it('metadata 1 with two password-only sessions: the metadata, then the methods and policy, then one eviction', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(2), metadata: { [USER]: '1' } });
    const report = await run(zitadel, { settings: signedIn });
    expect(readsOf(zitadel)[0]).toBe('metadata');
    expect([...readsOf(zitadel)].sort()).toEqual(['auth_methods', 'login_policy', 'metadata']);
    expect(report).toMatchObject({ outcome: 'enforced', limit: 1, limitSource: 'metadata', deleted: ['s1'] });
  });

  it('metadata 2 with two sessions: within the limit on the metadata alone, no sign-in read', async () => {
    const zitadel = createMemoryZitadel({ sessions: rows(2), metadata: { [USER]: '2' } });
    const report = await run(zitadel, { settings: signedIn });
    expect(readsOf(zitadel)).toEqual(['metadata']);
    expect(report).toMatchObject({ outcome: 'within_limit', limit: 2, limitSource: 'metadata', deleted: [] });
  });
});
