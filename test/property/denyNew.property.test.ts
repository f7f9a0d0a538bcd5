import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CountBy } from '../../src/vocabulary.js';
import { selectSessionsToEvict, type EvictionDecision } from '../../src/policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';

const USER = '284021120958301001';
const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 2, 9, 0, 0);
const TTL = 24 * 60 * MINUTE;
const RUNS = { numRuns: 400 };

/** A signed-in session of USER; `ago` minutes since its last sign-in (a third of them beyond the 24 h TTL). */
const sessionArb = fc
  .record({
    id: fc.bigInt({ min: 1n, max: 80n }).map(String),
    ago: fc.integer({ min: 0, max: 3 * 24 * 60 }),
    createdBefore: fc.integer({ min: 0, max: 30 }),
    fingerprintId: fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: undefined, freq: 3 }),
  })
  .map((raw): SessionRecord => ({
    id: raw.id,
    userId: USER,
    createdAtMs: NOW - (raw.ago + raw.createdBefore) * MINUTE,
    signedInAtMs: NOW - raw.ago * MINUTE,
    expiresAtMs: undefined,
    authenticated: true,
    fingerprintId: raw.fingerprintId,
  }));

const listedArb = fc.uniqueArray(sessionArb, { selector: (session) => session.id, maxLength: 12 });

interface Scenario {
  readonly listed: readonly SessionRecord[];
  /** A login happening now: the newest session there is (a retry, or a browser's first login). */
  readonly trigger: SessionRecord;
  readonly limit: number;
  readonly countBy: CountBy;
  readonly placeTtlMs: number | undefined;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  listed: listedArb,
  trigger: fc
    .option(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { nil: undefined, freq: 4 })
    .map((fingerprintId) => ({
      id: '1000',
      userId: USER,
      createdAtMs: NOW - MINUTE,
      signedInAtMs: NOW,
      expiresAtMs: undefined,
      authenticated: true,
      fingerprintId,
    })),
  limit: fc.integer({ min: 1, max: 4 }),
  countBy: fc.constantFrom<CountBy>('device', 'session'),
  placeTtlMs: fc.constantFrom(TTL, undefined),
});

function decide(
  scenario: Scenario,
  listed = scenario.listed,
  trigger: SessionRecord | undefined = scenario.trigger,
) {
  return selectSessionsToEvict({
    userId: USER,
    listed: trigger === undefined ? listed : [...listed, trigger],
    trigger,
    limit: scenario.limit,
    strategy: 'deny-new',
    nowMs: NOW,
    countBy: scenario.countBy,
    order: 'last-authenticated',
    placeTtlMs: scenario.placeTtlMs,
  });
}

const lastSignIn = (session: SessionRecord) => session.signedInAtMs ?? session.createdAtMs ?? 0;
const agedOut = (at: number, ttl: number | undefined) => ttl !== undefined && at <= NOW - ttl;
const deviceOf = (session: SessionRecord, countBy: CountBy) =>
  countBy === 'device' && session.fingerprintId !== undefined
    ? `fp:${session.fingerprintId}`
    : `id:${session.id}`;

/**
 * The listing without its aged-out places: whole devices (COUNT_BY=device; a sign-in now on a device, the trigger's
 * included, keeps the whole device), single sessions (COUNT_BY=session).
 */
function withoutAgedOut(scenario: Scenario): SessionRecord[] {
  const latest = new Map<string, number>();
  for (const session of [...scenario.listed, scenario.trigger]) {
    const key = deviceOf(session, scenario.countBy);
    latest.set(key, Math.max(latest.get(key) ?? -Infinity, lastSignIn(session)));
  }
  return scenario.listed.filter(
    (session) => !agedOut(latest.get(deviceOf(session, scenario.countBy))!, scenario.placeTtlMs),
  );
}

/** How many places the kept sessions take: devices (COUNT_BY=device) or sessions. */
function placesTaken(decision: EvictionDecision, scenario: Scenario): number {
  const all = [...scenario.listed, scenario.trigger];
  const kept = all.filter((session) => decision.keep.includes(session.id));
  return new Set(kept.map((session) => deviceOf(session, scenario.countBy))).size;
}

describe('deny-new, for any sessions, fingerprints, COUNT_BY, limit and DENY_NEW_PLACE_TTL', () => {
  it("a browser's own earlier sessions never make it refused: refused with them means refused without them", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const fingerprint = scenario.trigger.fingerprintId;
        if (fingerprint === undefined) return;
        const others = scenario.listed.filter((session) => session.fingerprintId !== fingerprint);
        if (decide(scenario).outcome === 'deny') expect(decide(scenario, others).outcome).toBe('deny');
      }),
      RUNS,
    );
  });

  it('places that aged out never refuse anyone: the answer is the same without them', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const refused = decide(scenario).outcome === 'deny';
        expect(decide(scenario, withoutAgedOut(scenario)).outcome === 'deny').toBe(refused);
      }),
      RUNS,
    );
  });

  it('leaves at most N places, deletes nothing within the limit, and never deletes a session it keeps', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const decision = decide(scenario);
        expect(placesTaken(decision, scenario)).toBeLessThanOrEqual(scenario.limit);
        expect(decision.keep.filter((id) => decision.remove.includes(id))).toEqual([]);
        const all = [...scenario.listed, scenario.trigger];
        const places = new Set(all.map((session) => deviceOf(session, scenario.countBy))).size;
        if (places <= scenario.limit) expect(decision.remove).toEqual([]);
        expect(decision.keep.length + decision.remove.length).toBe(all.length);
      }),
      RUNS,
    );
  });

  it('refuses a newcomer only when N places still held came first (a device, or with COUNT_BY=session a browser)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const decision = decide(scenario);
        // The model: what still holds a place, as units — devices, or with COUNT_BY=session browsers (fingerprint,
        // else the session alone) — each with the first sign-in it holds its place since.
        const held = [...withoutAgedOut(scenario), scenario.trigger];
        const unitOf = (session: SessionRecord) =>
          session.fingerprintId === undefined ? `id:${session.id}` : `fp:${session.fingerprintId}`;
        const firstOf = new Map<string, number>();
        for (const session of held)
          firstOf.set(
            unitOf(session),
            Math.min(firstOf.get(unitOf(session)) ?? Infinity, lastSignIn(session)),
          );
        const mine = unitOf(scenario.trigger);
        const others = [...firstOf].filter(([unit]) => unit !== mine);
        const cameFirst = others.filter(([, first]) => first <= firstOf.get(mine)!).length;
        if (decision.outcome === 'deny') expect(cameFirst).toBeGreaterThanOrEqual(scenario.limit);
        if (others.length < scenario.limit) expect(decision.outcome).not.toBe('deny');
      }),
      RUNS,
    );
  });

  it('decisions on a partial listing agree with the whole: what an earlier one removes, a later one removes too', () => {
    // S is what an earlier decision saw: the sessions signed in before a moment (ZITADEL shows every login that
    // committed before our GetSession); W adds the later ones. Judged at the same instant.
    fc.assert(
      fc.property(
        scenarioArb,
        fc.integer({ min: 0, max: 3 * 24 * 60 }).map((minutes) => NOW - minutes * MINUTE),
        (scenario, cut) => {
          const whole = scenario.listed;
          const seen = whole.filter((session) => lastSignIn(session) <= cut);
          const earlier = decide(scenario, seen, undefined);
          const later = decide(scenario, whole, undefined);
          for (const id of earlier.remove) {
            if (later.remove.includes(id)) continue;
            // Only a newer sign-in the earlier decision did not see, on the same device, may keep it.
            const removed = whole.find((session) => session.id === id)!;
            const lifted = whole.some(
              (session) =>
                lastSignIn(session) > cut &&
                scenario.countBy === 'device' &&
                deviceOf(session, 'device') === deviceOf(removed, 'device') &&
                removed.fingerprintId !== undefined,
            );
            expect(lifted, `session ${id} removed on the partial listing but kept on the whole`).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});
