import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LimitStrategy } from '../../src/vocabulary.js';
import { selectSessionsToEvict, type EvictionDecision } from '../../src/policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';
import type { FactorName } from '../../src/vocabulary.js';
import type { SignInRequirement } from '../../src/policy/signInRequirement.js';

const USER = '284021120958301001';
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const NOW = T0 + 600 * MINUTE;
const RUNS = { numRuns: 400 };
const MFA: SignInRequirement = {
  kind: 'signed-in',
  userHasSecondFactor: true,
  forceMfa: false,
  forceMfaLocalOnly: false,
};

const idArb = fc.bigInt({ min: 1n, max: 60n }).map(String);
const factorsArb = fc.constantFrom<FactorName[]>(['password'], ['password', 'totp'], ['webAuthN'], []);

const sessionArb = fc
  .record({
    id: idArb,
    userId: fc.constantFrom<string | undefined>(USER, USER, USER, USER, '7', undefined),
    created: fc.integer({ min: 0, max: 6 }),
    signInDelay: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    fingerprintId: fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: undefined, freq: 3 }),
    factors: factorsArb,
    expired: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  })
  .map((raw): SessionRecord => ({
    id: raw.id,
    userId: raw.userId,
    createdAtMs: T0 + raw.created * MINUTE,
    expiresAtMs: raw.expired ? NOW - 1 : undefined,
    authenticated: raw.factors.length > 0,
    signedInAtMs: raw.signInDelay === undefined ? undefined : T0 + (raw.created + raw.signInDelay) * MINUTE,
    fingerprintId: raw.fingerprintId,
    factors: raw.factors,
    passkeyVerified: raw.factors.includes('webAuthN'),
  }));

const scenarioArb = fc
  .uniqueArray(sessionArb, { selector: (session) => session.id, maxLength: 14 })
  .chain((listed) =>
    fc.record({
      listed: fc.constant(listed),
      trigger:
        listed.length === 0
          ? fc.constant(undefined)
          : fc.option(fc.constantFrom(...listed), { nil: undefined }),
      limit: fc.integer({ min: 1, max: 4 }),
      signIn: fc.constantFrom<SignInRequirement | undefined>(undefined, MFA),
    }),
  );
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function decide(scenario: Scenario, strategy: LimitStrategy): EvictionDecision {
  return selectSessionsToEvict({
    userId: USER,
    listed: scenario.listed,
    trigger: scenario.trigger,
    limit: scenario.limit,
    strategy,
    nowMs: NOW,
    countBy: 'device',
    order: 'last-authenticated',
    signIn: scenario.signIn,
  });
}

// ---- An independent model ---------------------------------------------------------------------------------------

const signedIn = (session: SessionRecord, signIn: SignInRequirement | undefined) => {
  const f = session.factors ?? [];
  if (f.length === 0) return false;
  if (signIn === undefined || session.passkeyVerified === true) return true;
  return f.includes('password') && f.includes('totp');
};
const counts = (session: SessionRecord, scenario: Scenario) =>
  session.userId === USER && session.expiresAtMs === undefined && signedIn(session, scenario.signIn);
const deviceOf = (session: SessionRecord) => session.fingerprintId ?? `own:${session.id}`;
const rank = (session: SessionRecord) => session.signedInAtMs ?? session.createdAtMs ?? 0;

/** Each counted device with its last sign-in and its newest session id (the tie-breaker). */
function devices(scenario: Scenario): Map<string, { last: number; newestId: bigint; ids: string[] }> {
  const result = new Map<string, { last: number; newestId: bigint; ids: string[] }>();
  for (const session of scenario.listed.filter((row) => counts(row, scenario))) {
    const key = deviceOf(session);
    const entry = result.get(key) ?? { last: -Infinity, newestId: -1n, ids: [] };
    entry.ids.push(session.id);
    if (rank(session) > entry.last || (rank(session) === entry.last && BigInt(session.id) > entry.newestId)) {
      entry.last = rank(session);
      entry.newestId = BigInt(session.id);
    }
    result.set(key, entry);
  }
  return result;
}

describe('selectSessionsToEvict by device, for any sessions, fingerprints, trigger and limit', () => {
  it("never removes another user's session or one that does not count", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        for (const strategy of ['evict-oldest', 'deny-new'] as const) {
          const decision = decide(scenario, strategy);
          for (const id of decision.remove) {
            const row = scenario.listed.find((session) => session.id === id);
            expect(row !== undefined && counts(row, scenario)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it('removes whole devices, the least recently signed-in, until at most N remain', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const decision = decide(scenario, 'evict-oldest');
        const all = devices(scenario);
        const trigger = scenario.trigger;
        if (
          trigger !== undefined &&
          !counts(trigger, scenario) &&
          trigger.userId === USER &&
          trigger.expiresAtMs === undefined &&
          (trigger.factors ?? []).length > 0
        ) {
          // A trigger half-way through its sign-in changes nothing.
          expect(decision.remove).toEqual([]);
          return;
        }
        expect(decision.devices).toBe(all.size);
        const removed = [...all].filter(([, device]) =>
          device.ids.some((id) => decision.remove.includes(id)),
        );
        const kept = [...all].filter(([, device]) => !device.ids.some((id) => decision.remove.includes(id)));
        for (const [, device] of removed)
          expect(device.ids.every((id) => decision.remove.includes(id))).toBe(true);
        expect(kept.length).toBe(Math.min(all.size, scenario.limit));
        for (const [, gone] of removed)
          for (const [, stays] of kept)
            expect(
              stays.last > gone.last || (stays.last === gone.last && stays.newestId > gone.newestId),
            ).toBe(true);
      }),
      RUNS,
    );
  });

  it('deny-new keeps the first N devices to sign in, whole, and never refuses a sign-in from one of them', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const decision = decide(scenario, 'deny-new');
        const trigger = scenario.trigger;
        // A trigger that does not count changes nothing under deny-new.
        if (trigger !== undefined && !counts(trigger, scenario)) {
          expect(decision.remove).toEqual([]);
          return;
        }
        const counted = scenario.listed.filter((row) => counts(row, scenario));
        const firstOf = new Map<string, { first: number; oldestId: bigint; ids: string[] }>();
        for (const session of counted) {
          const entry = firstOf.get(deviceOf(session)) ?? {
            first: Infinity,
            oldestId: BigInt(10 ** 6),
            ids: [],
          };
          entry.ids.push(session.id);
          if (
            rank(session) < entry.first ||
            (rank(session) === entry.first && BigInt(session.id) < entry.oldestId)
          ) {
            entry.first = rank(session);
            entry.oldestId = BigInt(session.id);
          }
          firstOf.set(deviceOf(session), entry);
        }
        const order = [...firstOf].sort(
          ([, a], [, b]) =>
            a.first - b.first || (a.oldestId < b.oldestId ? -1 : a.oldestId > b.oldestId ? 1 : 0),
        );
        const places = order.slice(0, scenario.limit);
        const expectedRemoved = order.slice(scenario.limit).flatMap(([, device]) => device.ids);
        expect([...decision.remove].sort()).toEqual([...expectedRemoved].sort());
        if (trigger !== undefined) {
          const holdsPlace = places.some(([key]) => key === deviceOf(trigger));
          expect(decision.outcome === 'deny').toBe(!holdsPlace);
        }
      }),
      RUNS,
    );
  });

  it('does not depend on the order of the listing', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((scenario) =>
          fc.tuple(
            fc.constant(scenario),
            fc.shuffledSubarray([...scenario.listed], { minLength: scenario.listed.length }),
          ),
        ),
        ([scenario, shuffled]) => {
          for (const strategy of ['evict-oldest', 'deny-new'] as const) {
            const a = decide(scenario, strategy);
            const b = decide({ ...scenario, listed: shuffled }, strategy);
            expect(b.keep).toEqual(a.keep);
            expect([...b.remove].sort()).toEqual([...a.remove].sort());
          }
        },
      ),
      RUNS,
    );
  });
});
