import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LimitStrategy } from '../../src/vocabulary.js';
import {
  selectSessionsToEvict,
  type EvictionDecision,
  type IncomingSession,
} from '../../src/policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';

const USER = '284021120958301001';
const OTHER_USERS = ['284021120958309999', '7'];
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const NOW = T0 + 60 * MINUTE;
const RUNS = { numRuns: 400 };

type Trigger = SessionRecord | IncomingSession | undefined;

interface Scenario {
  readonly listed: readonly SessionRecord[];
  readonly trigger: Trigger;
  readonly limit: number;
}

// ZITADEL ids are decimal snowflakes; a small range besides the realistic one makes equal-length ties common.
const idArb = fc
  .oneof(fc.bigInt({ min: 1n, max: 40n }), fc.bigInt({ min: 10n ** 17n, max: 10n ** 19n }))
  .map(String);

const fieldsArb = (userIds: fc.Arbitrary<string | undefined>) =>
  fc.record({
    userId: userIds,
    // Few distinct minutes, so equal creation dates (ties broken by id) are frequent.
    createdAtMs: fc.option(
      fc.integer({ min: 0, max: 5 }).map((minute) => T0 + minute * MINUTE),
      { nil: undefined, freq: 8 },
    ),
    expiresAtMs: fc.option(fc.constantFrom(T0, NOW - 1, NOW, NOW + 1, NOW + 60 * MINUTE), {
      nil: undefined,
      freq: 2,
    }),
    authenticated: fc.constantFrom(true, true, true, false),
  });

const anyUser = fc.constantFrom<string | undefined>(USER, USER, USER, USER, ...OTHER_USERS, undefined);

const listedArb = fc.uniqueArray(
  fc.tuple(idArb, fieldsArb(anyUser)).map(([id, fields]): SessionRecord => ({ id, ...fields })),
  { selector: (session) => session.id, maxLength: 14 },
);

/** The trigger: none (a sweep), a session record (listed or not yet), or a session being authenticated now. */
function triggerArb(
  listed: readonly SessionRecord[],
  userIds: fc.Arbitrary<string | undefined>,
): fc.Arbitrary<Trigger> {
  const triggerId =
    listed.length === 0 ? idArb : fc.oneof(fc.constantFrom(...listed.map((session) => session.id)), idArb);
  return fc.oneof(
    fc.constant(undefined),
    fc.tuple(triggerId, fieldsArb(userIds)).map(([id, fields]): SessionRecord => ({ id, ...fields })),
    fc.option(triggerId, { nil: undefined }).map((id): IncomingSession => ({ incoming: true, id })),
  );
}

const scenarioArb = (triggerUsers: fc.Arbitrary<string | undefined>) =>
  listedArb.chain((listed) =>
    fc.record({
      listed: fc.constant(listed),
      trigger: triggerArb(listed, triggerUsers),
      limit: fc.integer({ min: 1, max: 6 }),
    }),
  );

function decide({ listed, trigger, limit }: Scenario, strategy: LimitStrategy): EvictionDecision {
  return selectSessionsToEvict({ userId: USER, listed, trigger, limit, strategy, nowMs: NOW });
}

// ---- An independent model of what the module promises -------------------------------------------------------

interface Ranked {
  readonly id: string;
  readonly createdAtMs: number;
  readonly isTrigger: boolean;
}

/** The rows the decision works on: the listing, with the trigger's first-hand record replacing its row. */
function effectiveRows({ listed, trigger }: Scenario): Map<string, SessionRecord> {
  const rows = new Map(listed.map((session) => [session.id, session]));
  if (trigger !== undefined && 'incoming' in trigger) {
    if (trigger.id !== undefined) rows.delete(trigger.id);
  } else if (trigger !== undefined) {
    rows.set(trigger.id, trigger);
  }
  return rows;
}

const counts = (session: SessionRecord) =>
  session.userId === USER &&
  (session.expiresAtMs === undefined || session.expiresAtMs > NOW) &&
  session.authenticated &&
  session.createdAtMs !== undefined;

/** Every session that counts toward USER's limit; a session being authenticated now counts as the newest. */
function countedSessions(scenario: Scenario): Ranked[] {
  const counted: Ranked[] = [...effectiveRows(scenario).values()].filter(counts).map((session) => ({
    id: session.id,
    createdAtMs: session.createdAtMs!,
    isTrigger: session.id === scenario.trigger?.id,
  }));
  const { trigger } = scenario;
  if (trigger !== undefined && 'incoming' in trigger) {
    counted.push({ id: trigger.id ?? '', createdAtMs: Number.POSITIVE_INFINITY, isTrigger: true });
  }
  return counted;
}

/** "a is newer than b": a later creation date, or the same one and a larger id (ids are growing snowflakes). */
function isNewer(a: Ranked, b: Ranked): boolean {
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs > b.createdAtMs;
  return BigInt(a.id || '0') > BigInt(b.id || '0');
}

const triggerOf = (counted: readonly Ranked[]) => counted.find((session) => session.isTrigger);

// ---- Properties -----------------------------------------------------------------------------------------------

describe('selectSessionsToEvict in evict-oldest mode, for any sessions, trigger and limit', () => {
  it("never removes another user's session or a session that does not count", () => {
    fc.assert(
      fc.property(scenarioArb(anyUser), (scenario) => {
        const decision = decide(scenario, 'evict-oldest');
        const rows = effectiveRows(scenario);
        for (const id of decision.remove) {
          const row = rows.get(id);
          expect(row, `removed ${id}, which is not a listed session`).toBeDefined();
          expect(row!.userId).toBe(USER);
          expect(counts(row!)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('leaves at most N counted sessions, and removes only what is needed to get there', () => {
    fc.assert(
      fc.property(scenarioArb(anyUser), (scenario) => {
        const decision = decide(scenario, 'evict-oldest');
        const counted = countedSessions(scenario);
        expect(decision.counted).toBe(counted.length);
        expect(new Set(decision.remove).size).toBe(decision.remove.length);
        expect(decision.keep.filter((id) => decision.remove.includes(id))).toEqual([]);
        expect(counted.length - decision.remove.length).toBe(Math.min(counted.length, scenario.limit));
      }),
      RUNS,
    );
  });

  it('never removes a counted session newer than one it keeps (creation date, then id)', () => {
    fc.assert(
      fc.property(scenarioArb(anyUser), (scenario) => {
        const decision = decide(scenario, 'evict-oldest');
        const counted = countedSessions(scenario);
        const removed = counted.filter((session) => decision.remove.includes(session.id));
        const kept = counted.filter((session) => !decision.remove.includes(session.id));
        for (const gone of removed) {
          for (const stays of kept)
            expect(isNewer(stays, gone), `kept ${stays.id} but removed newer ${gone.id}`).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('removes the trigger exactly when N newer counted sessions exist', () => {
    fc.assert(
      fc.property(scenarioArb(anyUser), (scenario) => {
        const decision = decide(scenario, 'evict-oldest');
        const counted = countedSessions(scenario);
        const trigger = triggerOf(counted);
        const triggerId = scenario.trigger?.id;
        if (triggerId === undefined) return;
        const newer =
          trigger === undefined
            ? 0
            : counted.filter((session) => session !== trigger && isNewer(session, trigger)).length;
        const shouldGo = trigger !== undefined && newer >= scenario.limit;
        expect(decision.remove.includes(triggerId)).toBe(shouldGo);
      }),
      RUNS,
    );
  });

  it('does not depend on the order of the listing', () => {
    fc.assert(
      fc.property(
        scenarioArb(anyUser).chain((scenario) =>
          fc.tuple(
            fc.constant(scenario),
            fc.shuffledSubarray([...scenario.listed], { minLength: scenario.listed.length }),
          ),
        ),
        ([scenario, shuffled]) => {
          const a = decide(scenario, 'evict-oldest');
          const b = decide({ ...scenario, listed: shuffled }, 'evict-oldest');
          expect(b.keep).toEqual(a.keep);
          expect([...b.remove].sort()).toEqual([...a.remove].sort());
        },
      ),
      RUNS,
    );
  });
});

describe('selectSessionsToEvict in deny-new mode, for any sessions, trigger and limit', () => {
  const withTrigger = scenarioArb(anyUser).filter((scenario) => scenario.trigger !== undefined);

  it('removes nothing when the trigger does not count, and otherwise only counted sessions of the user', () => {
    fc.assert(
      fc.property(withTrigger, (scenario) => {
        const decision = decide(scenario, 'deny-new');
        const counted = countedSessions(scenario);
        if (triggerOf(counted) === undefined) expect(decision.remove).toEqual([]);
        const countedIds = new Set(counted.map((session) => session.id));
        for (const id of decision.remove) expect(countedIds.has(id)).toBe(true);
      }),
      RUNS,
    );
  });

  it('keeps the first N to sign in and removes every later one, the trigger included', () => {
    fc.assert(
      fc.property(withTrigger, (scenario) => {
        const decision = decide(scenario, 'deny-new');
        const counted = countedSessions(scenario);
        if (triggerOf(counted) === undefined) return;
        // A login being authenticated now has proved nothing yet: it may be refused, but signs nobody else out.
        if (scenario.trigger !== undefined && 'incoming' in scenario.trigger) {
          const own = scenario.trigger.id;
          expect(decision.remove).toEqual(decision.outcome === 'deny' && own !== undefined ? [own] : []);
          return;
        }
        const removed = counted.filter((session) => decision.remove.includes(session.id));
        const kept = counted.filter((session) => !decision.remove.includes(session.id));
        // The placeholder of a session with no id yet is never "removed": it is refused by the answer alone.
        const refusedWithoutId =
          counted.some((s) => s.isTrigger && s.id === '') && decision.outcome === 'deny';
        expect(kept.length - (refusedWithoutId ? 1 : 0)).toBe(Math.min(scenario.limit, counted.length));
        for (const gone of removed)
          for (const stays of kept) if (stays.id !== '') expect(isNewer(gone, stays)).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses the trigger exactly when it counts and N counted sessions signed in before it', () => {
    fc.assert(
      fc.property(withTrigger, (scenario) => {
        const decision = decide(scenario, 'deny-new');
        const counted = countedSessions(scenario);
        const trigger = triggerOf(counted);
        const earlier = trigger === undefined ? 0 : counted.filter((s) => isNewer(trigger, s)).length;
        expect(decision.outcome === 'deny').toBe(trigger !== undefined && earlier >= scenario.limit);
        if (decision.outcome !== 'deny') expect(decision.remove).not.toContain(scenario.trigger?.id);
      }),
      RUNS,
    );
  });

  it('keeps the oldest N in a sweep and removes only counted sessions of the user', () => {
    fc.assert(
      fc.property(listedArb, fc.integer({ min: 1, max: 6 }), (listed, limit) => {
        const scenario = { listed, trigger: undefined, limit };
        const decision = decide(scenario, 'deny-new');
        const counted = countedSessions(scenario);
        const removed = counted.filter((session) => decision.remove.includes(session.id));
        const kept = counted.filter((session) => !decision.remove.includes(session.id));
        expect(removed.length).toBe(decision.remove.length);
        expect(kept.length).toBe(Math.min(limit, counted.length));
        for (const gone of removed) for (const stays of kept) expect(isNewer(gone, stays)).toBe(true);
      }),
      RUNS,
    );
  });
});
