import { describe, expect, it } from 'vitest';
import type { CountBy } from '../../src/vocabulary.js';
import { devicesInPlaceOrder } from '../../src/policy/denyNewPlaces.js';
import { groupDevices, type RankedSession } from '../../src/policy/devices.js';
import {
  selectSessionsToEvict,
  type EvictionDecision,
  type IncomingSession,
} from '../../src/policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';

const USER = '42';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2026, 11, 2, 9, 0, 0);
const TTL = 24 * HOUR;

/** A signed-in session of USER that last signed in `agoMs` before NOW, on browser `fingerprintId` (or none). */
function session(id: string, agoMs: number, fingerprintId?: string): SessionRecord {
  return {
    id,
    userId: USER,
    createdAtMs: NOW - agoMs - MINUTE,
    signedInAtMs: NOW - agoMs,
    expiresAtMs: undefined,
    authenticated: true,
    fingerprintId,
  };
}

interface Case {
  readonly name: string;
  readonly listed: readonly SessionRecord[];
  readonly trigger: SessionRecord | IncomingSession | undefined;
  readonly limit: number;
  readonly countBy: CountBy;
  readonly placeTtlMs?: number | undefined;
  readonly expected: Partial<EvictionDecision>;
}

function decide(c: Case): EvictionDecision {
  return selectSessionsToEvict({
    userId: USER,
    listed: c.listed,
    trigger: c.trigger,
    limit: c.limit,
    strategy: 'deny-new',
    nowMs: NOW,
    countBy: c.countBy,
    order: 'last-authenticated',
    placeTtlMs: c.placeTtlMs,
  });
}

// Two sessions an outage left behind (ZITADEL committed them, the login failed), and the browser's retry.
const ghost1 = session('101', 10 * MINUTE, 'laptop');
const ghost2 = session('102', 5 * MINUTE, 'laptop');
const retry = session('103', 0, 'laptop');

const cases: Case[] = [
  {
    name: 'COUNT_BY=session: a browser retrying after failed logins is admitted; its oldest superseded session goes',
    listed: [ghost1, ghost2, retry],
    trigger: retry,
    limit: 2,
    countBy: 'session',
    expected: { outcome: 'evict', keep: ['103', '102'], remove: ['101'] },
  },
  {
    name: 'COUNT_BY=device: the retry joins its device, and nothing goes',
    listed: [ghost1, ghost2, retry],
    trigger: retry,
    limit: 1,
    countBy: 'device',
    expected: { outcome: 'within_limit', devices: 1, remove: [] },
  },
  {
    name: "COUNT_BY=session: a browser's re-login takes its own older session's place, not another browser's",
    listed: [session('1', 3 * HOUR, 'laptop'), session('2', 2 * HOUR, 'phone'), session('3', 0, 'laptop')],
    trigger: session('3', 0, 'laptop'),
    limit: 2,
    countBy: 'session',
    expected: { outcome: 'evict', keep: ['3', '2'], remove: ['1'] },
  },
  {
    name: 'COUNT_BY=session: a new browser is refused when N other browsers hold the places',
    listed: [session('1', 3 * HOUR, 'laptop'), session('2', 2 * HOUR, 'phone'), session('3', 0, 'tablet')],
    trigger: session('3', 0, 'tablet'),
    limit: 2,
    countBy: 'session',
    expected: { outcome: 'deny', keep: ['2', '1'], remove: ['3'] },
  },
  {
    name: 'COUNT_BY=session: within the limit a browser keeps all its sessions',
    listed: [ghost1, ghost2, retry],
    trigger: retry,
    limit: 3,
    countBy: 'session',
    expected: { outcome: 'within_limit', remove: [] },
  },
  {
    name: 'no fingerprint, places not signed in to for DENY_NEW_PLACE_TTL: the newcomer is admitted, the oldest yields',
    listed: [session('1', 26 * HOUR), session('2', 25 * HOUR), session('3', 0)],
    trigger: session('3', 0),
    limit: 2,
    countBy: 'device',
    placeTtlMs: TTL,
    expected: { outcome: 'evict', keep: ['3', '2'], remove: ['1'] },
  },
  {
    name: 'the same with DENY_NEW_PLACE_TTL off: the newcomer is refused (the strict first-come rule)',
    listed: [session('1', 26 * HOUR), session('2', 25 * HOUR), session('3', 0)],
    trigger: session('3', 0),
    limit: 2,
    countBy: 'device',
    placeTtlMs: undefined,
    expected: { outcome: 'deny', keep: ['2', '1'], remove: ['3'] },
  },
  {
    name: 'places signed in to within DENY_NEW_PLACE_TTL still refuse a newcomer',
    listed: [session('1', 23 * HOUR), session('2', 1 * HOUR), session('3', 0)],
    trigger: session('3', 0),
    limit: 2,
    countBy: 'session',
    placeTtlMs: TTL,
    expected: { outcome: 'deny', keep: ['2', '1'], remove: ['3'] },
  },
  {
    name: 'a place is exactly DENY_NEW_PLACE_TTL old: it has aged out',
    listed: [session('1', TTL), session('2', 0)],
    trigger: session('2', 0),
    limit: 1,
    countBy: 'device',
    placeTtlMs: TTL,
    expected: { outcome: 'evict', keep: ['2'], remove: ['1'] },
  },
  {
    name: 'a device signed in to again within the TTL keeps its place, its old sessions included',
    listed: [
      session('1', 72 * HOUR, 'laptop'),
      session('2', 1 * HOUR, 'laptop'),
      session('3', 2 * HOUR, 'phone'),
      session('4', 0, 'tablet'),
    ],
    trigger: session('4', 0, 'tablet'),
    limit: 2,
    countBy: 'device',
    placeTtlMs: TTL,
    expected: { outcome: 'deny', keep: ['2', '3', '1'], remove: ['4'] },
  },
  {
    name: 'within the limit an aged-out place is left alone',
    listed: [session('1', 72 * HOUR), session('2', 0)],
    trigger: session('2', 0),
    limit: 2,
    countBy: 'device',
    placeTtlMs: TTL,
    expected: { outcome: 'within_limit', remove: [] },
  },
  {
    name: 'a login with no session yet (the payload names the user) is admitted past aged-out places, deleting nothing',
    listed: [session('1', 30 * HOUR), session('2', 25 * HOUR)],
    trigger: { incoming: true, id: undefined },
    limit: 2,
    countBy: 'device',
    placeTtlMs: TTL,
    expected: { outcome: 'within_limit', remove: [] },
  },
  {
    name: 'a login with no session yet is refused by places still held, deleting nothing',
    listed: [session('1', 30 * HOUR), session('2', 2 * HOUR), session('3', 1 * HOUR)],
    trigger: { incoming: true, id: undefined },
    limit: 2,
    countBy: 'device',
    placeTtlMs: TTL,
    expected: { outcome: 'deny', remove: [] },
  },
  {
    name: 'a SetSession request condition (no factor proved yet) may be refused, but signs no aged-out place out',
    listed: [session('1', 30 * HOUR), session('2', 2 * HOUR), session('3', 0)],
    trigger: { incoming: true, id: '3' },
    limit: 1,
    countBy: 'device',
    placeTtlMs: TTL,
    expected: { outcome: 'deny', keep: ['2', '1'], remove: ['3'] },
  },
  {
    name: 'a sweep over the limit signs out the aged-out places first',
    listed: [session('1', 50 * HOUR), session('2', 30 * HOUR), session('3', 2 * HOUR)],
    trigger: undefined,
    limit: 2,
    countBy: 'session',
    placeTtlMs: TTL,
    expected: { outcome: 'evict', keep: ['3', '2'], remove: ['1'] },
  },
];

describe('deny-new: the same browser is never refused by its own sessions, and places age out', () => {
  it.each(cases)('$name', (c) => {
    expect(decide(c)).toMatchObject(c.expected);
  });
});

describe('deny-new: the order of places that aged out', () => {
  // Ranked by creation (EVICTION_ORDER=created), so the devices come in an order other than their last sign-in.
  const created = (
    id: string,
    createdAgoMs: number,
    signedInAgoMs: number,
    fingerprintId: string,
  ): RankedSession => ({
    id,
    fingerprintId,
    rankMs: NOW - createdAgoMs,
    lastSignInMs: NOW - signedInAgoMs,
  });
  const placeOrder = (sessions: readonly RankedSession[], countBy: CountBy) =>
    devicesInPlaceOrder(groupDevices(sessions, countBy), { countBy, nowMs: NOW, placeTtlMs: TTL }).map(
      (device) => device.sessions[0]?.id,
    );

  it.each<CountBy>(['device', 'session'])(
    'COUNT_BY=%s: behind every place still held, the most recently signed in first, whatever their creation',
    (countBy) => {
      const sessions = [
        created('9', 40 * HOUR, 39 * HOUR, 'b'),
        created('8', 45 * HOUR, 60 * HOUR, 'd'),
        created('5', 100 * HOUR, 26 * HOUR, 'a'),
        created('1', 200 * HOUR, 1 * HOUR, 'c'),
      ];
      expect(placeOrder(sessions, countBy)).toEqual(['1', '5', '9', '8']);
    },
  );

  it('places that last signed in at the same moment: the newest session id first', () => {
    const sessions = [
      created('3', 40 * HOUR, 30 * HOUR, 'b'),
      created('2', 50 * HOUR, 30 * HOUR, 'c'),
      created('7', 100 * HOUR, 30 * HOUR, 'a'),
    ];
    expect(placeOrder(sessions, 'device')).toEqual(['7', '3', '2']);
  });
});
