import { describe, expect, it } from 'vitest';
import type { CountBy, EvictionOrder, LimitStrategy } from '../../src/vocabulary.js';
import {
  selectSessionsToEvict,
  type EvictionDecision,
  type IncomingSession,
} from '../../src/policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';
import type { SignInRequirement } from '../../src/policy/signInRequirement.js';

const USER = '42';
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const NOW = T0 + 240 * MINUTE;

/** A session of USER created at `created` and signed in at `signedIn` (minutes after T0), on browser `fp`. */
function s(
  id: string,
  created: number,
  signedIn: number | undefined,
  fp: string | undefined,
  extra: Partial<SessionRecord> = {},
): SessionRecord {
  return {
    id,
    userId: USER,
    createdAtMs: T0 + created * MINUTE,
    expiresAtMs: undefined,
    authenticated: true,
    signedInAtMs: signedIn === undefined ? undefined : T0 + signedIn * MINUTE,
    fingerprintId: fp,
    factors: ['password'],
    ...extra,
  };
}

interface Case {
  readonly name: string;
  readonly listed: readonly SessionRecord[];
  readonly trigger: SessionRecord | IncomingSession | undefined;
  readonly limit: number;
  readonly strategy?: LimitStrategy;
  readonly countBy?: CountBy;
  readonly order?: EvictionOrder;
  readonly signIn?: SignInRequirement;
  readonly expected: Partial<EvictionDecision>;
}

function decide(c: Case): EvictionDecision {
  return selectSessionsToEvict({
    userId: USER,
    listed: c.listed,
    trigger: c.trigger,
    limit: c.limit,
    strategy: c.strategy ?? 'evict-oldest',
    nowMs: NOW,
    countBy: c.countBy ?? 'device',
    order: c.order ?? 'last-authenticated',
    signIn: c.signIn,
  });
}

// A phone and a laptop; the laptop signs in again (prompt=login), which Login V2 makes a new session.
const phone = s('100', 10, 11, 'phone');
const laptop1 = s('101', 20, 21, 'laptop');
const laptop2 = s('102', 30, 31, 'laptop');
const tablet = s('103', 40, 41, 'tablet');

const mfa: SignInRequirement = {
  kind: 'signed-in',
  userHasSecondFactor: true,
  forceMfa: false,
  forceMfaLocalOnly: false,
};

const cases: Case[] = [
  {
    name: 'a re-login on the same browser costs no device: phone and laptop stay at N=2',
    listed: [phone, laptop1, laptop2],
    trigger: laptop2,
    limit: 2,
    expected: { outcome: 'within_limit', counted: 3, devices: 2, remove: [] },
  },
  {
    name: 'counting sessions (COUNT_BY=session) signs the phone out in the same situation',
    listed: [phone, laptop1, laptop2],
    trigger: laptop2,
    limit: 2,
    countBy: 'session',
    expected: { outcome: 'evict', counted: 3, devices: 3, remove: ['100'] },
  },
  {
    name: 'a third device removes every session of the least recently signed-in device',
    listed: [phone, laptop1, laptop2, tablet],
    trigger: tablet,
    limit: 2,
    expected: {
      outcome: 'evict',
      devices: 3,
      keep: ['103', '102', '101'],
      remove: ['100'],
      removedDevices: 1,
    },
  },
  {
    name: 'a device with several sessions goes whole when it is the least recent',
    listed: [laptop1, laptop2, s('104', 50, 51, 'phone')],
    trigger: s('104', 50, 51, 'phone'),
    limit: 1,
    expected: { outcome: 'evict', devices: 2, keep: ['104'], remove: ['102', '101'], removedDevices: 1 },
  },
  {
    name: 'a device is as recent as its most recent session: an old session on it stays',
    listed: [s('1', 0, 1, 'laptop'), s('2', 10, 11, 'phone'), s('3', 20, 21, 'laptop')],
    trigger: s('3', 20, 21, 'laptop'),
    limit: 1,
    expected: { outcome: 'evict', keep: ['3', '1'], remove: ['2'] },
  },
  {
    name: 'sessions without a fingerprint are a device each',
    listed: [s('1', 0, 1, undefined), s('2', 10, 11, undefined), s('3', 20, 21, 'x')],
    trigger: s('3', 20, 21, 'x'),
    limit: 2,
    expected: { outcome: 'evict', devices: 3, keep: ['3', '2'], remove: ['1'] },
  },
  {
    name: 'ranks by last sign-in: started first but authenticated last is the newest login',
    // 'a' was created at the username step at minute 0 and got its password at 50; 'b' was quicker.
    listed: [s('a', 0, 50, 'pc'), s('b', 10, 12, 'phone')],
    trigger: s('a', 0, 50, 'pc'),
    limit: 1,
    expected: { outcome: 'evict', keep: ['a'], remove: ['b'] },
  },
  {
    name: 'EVICTION_ORDER=created evicts that newest login instead',
    listed: [s('a', 0, 50, 'pc'), s('b', 10, 12, 'phone')],
    trigger: s('a', 0, 50, 'pc'),
    limit: 1,
    order: 'created',
    expected: { outcome: 'evict', keep: ['b'], remove: ['a'] },
  },
  {
    name: 'a session without a readable sign-in time ranks by its creation date',
    listed: [s('a', 30, undefined, 'pc'), s('b', 10, 20, 'phone')],
    trigger: undefined,
    limit: 1,
    expected: { outcome: 'evict', keep: ['a'], remove: ['b'] },
  },
  {
    name: 'a late webhook for an old sign-in removes that sign-in, not a newer device',
    listed: [s('5', 0, 5, 'old'), s('6', 60, 61, 'new')],
    trigger: s('5', 0, 5, 'old'),
    limit: 1,
    expected: { outcome: 'evict', keep: ['6'], remove: ['5'] },
  },
  {
    name: 'devices signed in at the same instant: the one with the larger (newer) session id stays',
    listed: [s('900', 0, 10, 'a'), s('1000', 0, 10, 'b')],
    trigger: undefined,
    limit: 1,
    expected: { outcome: 'evict', keep: ['1000'], remove: ['900'] },
  },
  {
    name: 'an unlimited user keeps everything',
    listed: [phone, laptop1, laptop2, tablet],
    trigger: tablet,
    limit: Number.POSITIVE_INFINITY,
    expected: { outcome: 'within_limit', devices: 3, remove: [] },
  },
  {
    name: 'an incoming login joins the device of its fingerprint',
    listed: [phone, laptop1],
    trigger: { incoming: true, id: undefined, fingerprintId: 'laptop' },
    limit: 2,
    expected: { outcome: 'within_limit', devices: 2, remove: [] },
  },
  {
    name: 'deny-new: a sign-in from a device that holds a place is never refused',
    listed: [phone, laptop1, laptop2],
    trigger: laptop2,
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'within_limit', remove: [] },
  },
  {
    name: 'deny-new: a third device is refused and nothing else is touched',
    listed: [phone, laptop1, tablet],
    trigger: tablet,
    limit: 2,
    strategy: 'deny-new',
    expected: { outcome: 'deny', keep: ['101', '100'], remove: ['103'], removedDevices: 1 },
  },
  {
    name: 'deny-new: a device beyond the places (limit lowered) is refused, and loses its older session too',
    listed: [s('1', 0, 1, 'a'), s('2', 10, 11, 'b'), s('3', 20, 21, 'b')],
    trigger: s('3', 20, 21, 'b'),
    limit: 1,
    strategy: 'deny-new',
    expected: { outcome: 'deny', keep: ['1'], remove: ['3', '2'], removedDevices: 1 },
  },
  {
    name: 'deny-new sweep keeps the devices that came first, whole',
    listed: [s('1', 0, 1, 'a'), s('2', 10, 11, 'b'), s('3', 20, 21, 'a')],
    trigger: undefined,
    limit: 1,
    strategy: 'deny-new',
    expected: { outcome: 'evict', keep: ['3', '1'], remove: ['2'] },
  },
  {
    name: 'a password-only login of a user with TOTP neither counts nor evicts anyone (N=1)',
    listed: [s('victim', 0, 1, 'v', { factors: ['password', 'totp'] }), s('attacker', 10, 11, 'x')],
    trigger: s('attacker', 10, 11, 'x'),
    limit: 1,
    signIn: mfa,
    expected: {
      outcome: 'within_limit',
      counted: 1,
      remove: [],
      excluded: [{ id: 'attacker', reason: 'not_signed_in' }],
    },
  },
  {
    name: 'deny-new: that half-finished login locks nobody out and is not refused either',
    listed: [s('victim', 0, 1, 'v', { factors: ['password', 'totp'] }), s('attacker', 10, 11, 'x')],
    trigger: s('attacker', 10, 11, 'x'),
    limit: 1,
    strategy: 'deny-new',
    signIn: mfa,
    expected: { outcome: 'within_limit', counted: 1, remove: [] },
  },
  {
    name: 'once the second factor is verified the login counts and evicts the older device',
    listed: [
      s('victim', 0, 1, 'v', { factors: ['password', 'totp'] }),
      s('attacker', 10, 12, 'x', { factors: ['password', 'totp'] }),
    ],
    trigger: s('attacker', 10, 12, 'x', { factors: ['password', 'totp'] }),
    limit: 1,
    signIn: mfa,
    expected: { outcome: 'evict', remove: ['victim'] },
  },
  {
    name: 'a half-finished session in the listing takes no place',
    listed: [s('half', 0, 1, 'a'), s('full', 10, 11, 'b', { factors: ['password', 'otpEmail'] })],
    trigger: s('full', 10, 11, 'b', { factors: ['password', 'otpEmail'] }),
    limit: 1,
    signIn: mfa,
    expected: { outcome: 'within_limit', counted: 1, devices: 1 },
  },
];

describe('selectSessionsToEvict with devices, sign-in ranking and sign-in requirements', () => {
  it.each(cases)('$name', (c) => {
    expect(decide(c)).toMatchObject(c.expected);
  });

  it('decides alike whatever the order of the listing', () => {
    const listed = [phone, laptop1, laptop2, tablet, s('104', 5, 60, 'phone')];
    const first = decide({ name: '', listed, trigger: undefined, limit: 2, expected: {} });
    const second = decide({
      name: '',
      listed: [...listed].reverse(),
      trigger: undefined,
      limit: 2,
      expected: {},
    });
    expect(second).toEqual(first);
    expect(first.remove).toEqual(['102', '101']);
  });
});
