import { describe, expect, it } from 'vitest';
import type { LimitStrategy } from '../../src/vocabulary.js';
import {
  selectSessionsToEvict,
  type EvictionDecision,
  type IncomingSession,
} from '../../src/policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';

const USER = '42';
const OTHER_USER = '43';
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const NOW = T0 + 120 * MINUTE;

/** A session of USER, authenticated and unexpired, created `minute` minutes after T0. */
function session(id: string, minute: number, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    userId: USER,
    createdAtMs: T0 + minute * MINUTE,
    expiresAtMs: undefined,
    authenticated: true,
    ...overrides,
  };
}

const incoming = (id?: string): IncomingSession => ({ incoming: true, id });

function decide(
  listed: readonly SessionRecord[],
  trigger: SessionRecord | IncomingSession | undefined,
  limit: number,
  strategy: LimitStrategy = 'evict-oldest',
): EvictionDecision {
  return selectSessionsToEvict({ userId: USER, listed, trigger, limit, strategy, nowMs: NOW });
}

interface Case {
  readonly name: string;
  readonly listed: readonly SessionRecord[];
  readonly trigger: SessionRecord | IncomingSession | undefined;
  readonly limit: number;
  readonly strategy?: LimitStrategy;
  readonly expected: Partial<EvictionDecision>;
}

const a = session('a', 10);
const b = session('b', 20);
const c = session('c', 30);
const d = session('d', 40);

const cases: Case[] = [
  {
    name: 'removes the oldest when N=2 and three sessions count',
    listed: [a, b, c],
    trigger: c,
    limit: 2,
    expected: { outcome: 'evict', counted: 3, keep: ['c', 'b'], remove: ['a'], excluded: [] },
  },
  {
    name: 'does nothing when the user holds exactly N sessions',
    listed: [a, b],
    trigger: b,
    limit: 2,
    expected: { outcome: 'within_limit', counted: 2, keep: ['b', 'a'], remove: [], excluded: [] },
  },
  {
    name: 'finds the oldest regardless of the listing order',
    listed: [c, a, d, b],
    trigger: d,
    limit: 2,
    expected: { outcome: 'evict', counted: 4, keep: ['d', 'c'], remove: ['b', 'a'] },
  },
  {
    name: 'keeps only the newest when N=1',
    listed: [a, b, c],
    trigger: c,
    limit: 1,
    expected: { outcome: 'evict', counted: 3, keep: ['c'], remove: ['b', 'a'] },
  },
  {
    name: 'breaks creation-date ties by id, comparing numeric ids as numbers (9 < 10 < 100)',
    listed: [session('100', 10), session('9', 10), session('10', 10)],
    trigger: undefined,
    limit: 2,
    expected: { outcome: 'evict', counted: 3, keep: ['100', '10'], remove: ['9'] },
  },
  {
    name: 'breaks creation-date ties between non-numeric ids lexically',
    listed: [session('y', 10), session('x', 10), session('z', 10)],
    trigger: undefined,
    limit: 1,
    expected: { outcome: 'evict', keep: ['z'], remove: ['y', 'x'] },
  },
  {
    name: 'excludes expired sessions and never removes them',
    listed: [session('old', 0, { expiresAtMs: NOW - 1 }), session('edge', 5, { expiresAtMs: NOW }), a, b, c],
    trigger: c,
    limit: 3,
    expected: {
      outcome: 'within_limit',
      counted: 3,
      remove: [],
      excluded: [
        { id: 'old', reason: 'expired' },
        { id: 'edge', reason: 'expired' },
      ],
    },
  },
  {
    name: 'counts a session that expires after now',
    listed: [session('later', 0, { expiresAtMs: NOW + 1 }), b, c],
    trigger: c,
    limit: 2,
    expected: { outcome: 'evict', counted: 3, remove: ['later'], excluded: [] },
  },
  {
    name: 'excludes sessions with only a user factor (username step) and never removes them',
    listed: [session('username-step', 0, { authenticated: false }), a, b],
    trigger: b,
    limit: 2,
    expected: {
      outcome: 'within_limit',
      counted: 2,
      remove: [],
      excluded: [{ id: 'username-step', reason: 'not_authenticated' }],
    },
  },
  {
    name: "excludes another user's rows as other_user even when they are the oldest",
    listed: [session('foreign', 0, { userId: OTHER_USER }), a, b, c],
    trigger: c,
    limit: 2,
    expected: {
      outcome: 'evict',
      counted: 3,
      keep: ['c', 'b'],
      remove: ['a'],
      excluded: [{ id: 'foreign', reason: 'other_user' }],
    },
  },
  {
    name: 'treats a row without a user as another user',
    listed: [session('nobody', 0, { userId: undefined }), a],
    trigger: a,
    limit: 1,
    expected: {
      outcome: 'within_limit',
      counted: 1,
      remove: [],
      excluded: [{ id: 'nobody', reason: 'other_user' }],
    },
  },
  {
    name: 'excludes a row without a creation date as no_creation_date',
    listed: [session('undated', 0, { createdAtMs: undefined }), a, b],
    trigger: b,
    limit: 1,
    expected: {
      outcome: 'evict',
      counted: 2,
      keep: ['b'],
      remove: ['a'],
      excluded: [{ id: 'undated', reason: 'no_creation_date' }],
    },
  },
  {
    name: 'adds a trigger the lagging listing does not show yet and counts it',
    listed: [a, b],
    trigger: c,
    limit: 2,
    expected: { outcome: 'evict', counted: 3, keep: ['c', 'b'], remove: ['a'] },
  },
  {
    name: 'lets the trigger override its stale listed row (listed as unauthenticated)',
    listed: [a, b, session('c', 30, { authenticated: false })],
    trigger: c,
    limit: 2,
    expected: { outcome: 'evict', counted: 3, keep: ['c', 'b'], remove: ['a'], excluded: [] },
  },
  {
    name: 'removes a late-delivered trigger that is older than N counted sessions, not a newer one',
    listed: [b, c, d],
    trigger: a,
    limit: 3,
    expected: { outcome: 'evict', counted: 4, keep: ['d', 'c', 'b'], remove: ['a'] },
  },
  {
    name: 'keeps an incoming session (no id yet) and removes the oldest listed one',
    listed: [a, b],
    trigger: incoming(),
    limit: 2,
    expected: { outcome: 'evict', counted: 3, keep: ['b'], remove: ['a'] },
  },
  {
    name: 'keeps an incoming session even with N=1, removing every listed one',
    listed: [a, b],
    trigger: incoming(),
    limit: 1,
    expected: { outcome: 'evict', counted: 3, keep: [], remove: ['b', 'a'] },
  },
  {
    name: 'counts an incoming session as within the limit when there is room',
    listed: [a],
    trigger: incoming(),
    limit: 2,
    expected: { outcome: 'within_limit', counted: 2, keep: ['a'], remove: [] },
  },
  {
    name: 'treats an incoming session with an id (SetSession request) as the newest, overriding its listed row',
    listed: [session('s', 0), a, b],
    trigger: incoming('s'),
    limit: 2,
    expected: { outcome: 'evict', counted: 3, keep: ['s', 'b'], remove: ['a'] },
  },
  {
    name: 'counts an incoming session with an id whose listed row is still unauthenticated',
    listed: [session('s', 50, { authenticated: false }), a, b],
    trigger: incoming('s'),
    limit: 2,
    expected: { outcome: 'evict', counted: 3, keep: ['s', 'b'], remove: ['a'], excluded: [] },
  },
  {
    name: 'keeps the newest N in a sweep under evict-oldest',
    listed: [a, b, c, d],
    trigger: undefined,
    limit: 2,
    expected: { outcome: 'evict', counted: 4, keep: ['d', 'c'], remove: ['b', 'a'] },
  },
  {
    name: 'does nothing in a sweep of a user within the limit',
    listed: [a, b],
    trigger: undefined,
    limit: 2,
    expected: { outcome: 'within_limit', counted: 2, remove: [] },
  },
  {
    name: 'does nothing for a user without sessions',
    listed: [],
    trigger: undefined,
    limit: 1,
    expected: { outcome: 'within_limit', counted: 0, keep: [], remove: [], excluded: [] },
  },
  {
    name: 'denies the trigger under deny-new when the user holds N other counted sessions',
    listed: [a, b],
    trigger: c,
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'deny', counted: 3, keep: ['b', 'a'], remove: ['c'] },
  },
  {
    name: 'denies the trigger under deny-new and removes the excess that got in beyond the first N',
    listed: [a, b, c],
    trigger: d,
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'deny', counted: 4, keep: ['b', 'a'], remove: ['d', 'c'] },
  },
  {
    name: 'admits an earlier trigger under deny-new and removes a later login that got in beside it',
    listed: [a, c],
    trigger: b,
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'evict', counted: 3, keep: ['b', 'a'], remove: ['c'] },
  },
  {
    name: 'refuses neither of two simultaneous logins twice: with N=1 the first keeps its place',
    listed: [session('first', 50), session('second', 51)],
    trigger: session('first', 50),
    limit: 1,
    strategy: 'deny-new',
    expected: { outcome: 'evict', counted: 2, keep: ['first'], remove: ['second'] },
  },
  {
    name: 'admits the trigger under deny-new when the user holds fewer than N others',
    listed: [a, c],
    trigger: c,
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'within_limit', counted: 2, keep: ['c', 'a'], remove: [] },
  },
  {
    name: "ignores other users' and expired rows when counting under deny-new",
    listed: [session('foreign', 0, { userId: OTHER_USER }), session('old', 1, { expiresAtMs: NOW - 1 }), a],
    trigger: c,
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'within_limit', counted: 2, remove: [] },
  },
  {
    name: 'denies an incoming session (no id yet) under deny-new without removing anything',
    listed: [a, b],
    trigger: incoming(),
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'deny', counted: 3, keep: ['b', 'a'], remove: [] },
  },
  {
    name: 'denies an incoming session with an id under deny-new by removing it',
    listed: [a, b, session('s', 50, { authenticated: false })],
    trigger: incoming('s'),
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'deny', counted: 3, keep: ['b', 'a'], remove: ['s'] },
  },
  {
    name: 'denies with N=1 under deny-new when one other session exists',
    listed: [a],
    trigger: b,
    limit: 1,
    strategy: 'deny-new',
    expected: { outcome: 'deny', counted: 2, keep: ['a'], remove: ['b'] },
  },
];

describe('selectSessionsToEvict', () => {
  it.each(cases)('$name', ({ listed, trigger, limit, strategy, expected }) => {
    expect(decide(listed, trigger, limit, strategy)).toMatchObject(expected);
  });

  it('keeps the oldest N in a sweep under deny-new', () => {
    const decision = decide([c, a, d, b], undefined, 2, 'deny-new');
    expect(decision.outcome).toBe('evict');
    expect(decision.counted).toBe(4);
    expect([...decision.keep].sort()).toEqual(['a', 'b']);
    expect([...decision.remove].sort()).toEqual(['c', 'd']);
  });

  it('never puts the placeholder of an incoming session in keep or remove', () => {
    for (const strategy of ['evict-oldest', 'deny-new'] as const) {
      for (const limit of [1, 2, 5]) {
        const decision = decide([a, b, c], incoming(), limit, strategy);
        expect(decision.keep).not.toContain('');
        expect(decision.remove).not.toContain('');
      }
    }
  });

  it('does not modify its input', () => {
    const listed = Object.freeze([Object.freeze(a), Object.freeze(b), Object.freeze(c)]);
    const snapshot = JSON.stringify(listed);
    decide(listed, Object.freeze(session('c', 30)), 1);
    expect(JSON.stringify(listed)).toBe(snapshot);
  });

  it('gives the same answer for the same sessions in any listing order', () => {
    const sessions = [a, b, c, d, session('foreign', 0, { userId: OTHER_USER }), session('tie', 20)];
    const expected = decide(sessions, undefined, 2);
    const reversed = decide([...sessions].reverse(), undefined, 2);
    expect(reversed.keep).toEqual(expected.keep);
    expect(reversed.remove).toEqual(expected.remove);
    expect(reversed.counted).toBe(expected.counted);
  });

  describe('invariants over generated listings', () => {
    // A small deterministic generator (mulberry32) so a failure can be replayed.
    function generator(seed: number): () => number {
      let state = seed;
      return () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    function randomListing(random: () => number): SessionRecord[] {
      const count = Math.floor(random() * 8);
      return Array.from({ length: count }, (_, index) =>
        session(String(100 + index), Math.floor(random() * 5), {
          userId: random() < 0.15 ? OTHER_USER : USER,
          authenticated: random() > 0.15,
          expiresAtMs: random() < 0.15 ? NOW - MINUTE : random() < 0.5 ? NOW + MINUTE : undefined,
          createdAtMs: random() < 0.1 ? undefined : T0 + Math.floor(random() * 5) * MINUTE,
        }),
      );
    }

    const counts = (s: SessionRecord) =>
      s.userId === USER &&
      s.authenticated &&
      s.createdAtMs !== undefined &&
      (s.expiresAtMs === undefined || s.expiresAtMs > NOW);

    it('removes only counted sessions of the user and keeps at most N under evict-oldest', () => {
      const random = generator(20260101);
      for (let round = 0; round < 300; round++) {
        const listed = randomListing(random);
        const limit = 1 + Math.floor(random() * 3);
        const triggerRoll = random();
        const trigger =
          triggerRoll < 0.3
            ? undefined
            : triggerRoll < 0.6
              ? incoming()
              : session('900', Math.floor(random() * 5));
        const decision = decide(listed, trigger, limit);
        const all = new Map<string, SessionRecord>(listed.map((s) => [s.id, s]));
        if (trigger !== undefined && !('incoming' in trigger)) all.set(trigger.id, trigger);
        const countedIds = [...all.values()].filter(counts).map((s) => s.id);

        for (const id of decision.remove) expect(countedIds).toContain(id);
        expect(decision.keep.length).toBeLessThanOrEqual(limit);
        expect(new Set([...decision.keep, ...decision.remove]).size).toBe(
          decision.keep.length + decision.remove.length,
        );
        const incomingCount = trigger !== undefined && 'incoming' in trigger ? 1 : 0;
        expect(decision.counted).toBe(countedIds.length + incomingCount);
        expect(decision.keep.length + decision.remove.length + incomingCount).toBe(decision.counted);
        expect(decision.excluded.map((row) => row.id).sort()).toEqual(
          [...all.values()]
            .filter((s) => !counts(s))
            .map((s) => s.id)
            .sort(),
        );
        expect(decision.outcome).toBe(decision.counted > limit ? 'evict' : 'within_limit');
      }
    });
  });
});

describe('regressions', () => {
  it('deny-new never removes a trigger that does not count (another user, unauthenticated, no creation date)', () => {
    const listed = [session('a', 1), session('b', 2)];
    for (const trigger of [
      session('x', 3, { userId: OTHER_USER }),
      session('x', 3, { authenticated: false }),
      session('x', 3, { createdAtMs: undefined }),
    ]) {
      const decision = decide(listed, trigger, 2, 'deny-new');
      expect(decision.outcome).toBe('within_limit');
      expect(decision.remove).toEqual([]);
    }
  });

  it('a deny-new sweep keeps the oldest N but reports them newest first', () => {
    const decision = decide([session('a', 1), session('b', 2), session('c', 3)], undefined, 2, 'deny-new');
    expect(decision.keep).toEqual(['b', 'a']);
    expect(decision.remove).toEqual(['c']);
  });
});
