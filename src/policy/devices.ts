import type { CountBy } from '../vocabulary.js';

/** A counted session, reduced to what grouping and ranking need. */
export interface RankedSession {
  readonly id: string;
  /** Login V2's per-browser fingerprint, if the session has one. */
  readonly fingerprintId: string | undefined;
  /** The time it is ranked by (sign-in or creation, per EvictionOrder); +Infinity for a login happening now. */
  readonly rankMs: number;
  /**
   * When it last signed in (its latest verified factor, else its creation), whatever EVICTION_ORDER ranks by:
   * what deny-new ages a place by. Defaults to `rankMs`.
   */
  readonly lastSignInMs?: number | undefined;
}

/** The sessions of one user on one browser (or one session, when it has no fingerprint or COUNT_BY=session). */
export interface Device {
  readonly key: string;
  readonly fingerprintId: string | undefined;
  /** Its sessions, most recent first. */
  readonly sessions: readonly RankedSession[];
  /** The most recent of its sessions: when the device last signed in. */
  readonly lastMs: number;
  /** The earliest of its sessions: when the device first took its place. */
  readonly firstMs: number;
  /** The latest sign-in of any of its sessions (see RankedSession.lastSignInMs). */
  readonly lastSignInMs: number;
}

/**
 * Which device a session belongs to. A session without a fingerprint is a device of its own (its id is the key;
 * the prefixes keep a fingerprint that looks like a session id from merging with it).
 */
export function deviceKeyOf(
  session: { readonly id: string; readonly fingerprintId?: string | undefined },
  countBy: CountBy,
): string {
  return countBy === 'device' && session.fingerprintId !== undefined
    ? `fingerprint:${session.fingerprintId}`
    : `session:${session.id}`;
}

// ZITADEL ids are decimal snowflakes that grow over time; compare them as numbers when they look like numbers.
export function compareIds(a: string, b: string): number {
  if (/^[0-9]+$/.test(a) && /^[0-9]+$/.test(b)) {
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most recent first: by rank, ties broken by id so every replica of the decision agrees. */
export function mostRecentFirst(a: RankedSession, b: RankedSession): number {
  return compareRank(b.rankMs, a.rankMs) || compareIds(b.id, a.id);
}

/** Groups sessions into devices. Each device's sessions are most recent first. */
export function groupDevices(sessions: readonly RankedSession[], countBy: CountBy): Device[] {
  const groups = new Map<string, RankedSession[]>();
  for (const session of sessions) {
    const key = deviceKeyOf(session, countBy);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [session]);
    else group.push(session);
  }
  return [...groups].map(([key, members]) => {
    members.sort(mostRecentFirst);
    // Loops, not Math.min(...spread): a device may hold more sessions than a call may take arguments.
    let firstMs = Number.POSITIVE_INFINITY;
    let lastSignInMs = Number.NEGATIVE_INFINITY;
    for (const session of members) {
      firstMs = Math.min(firstMs, session.rankMs);
      lastSignInMs = Math.max(lastSignInMs, session.lastSignInMs ?? session.rankMs);
    }
    return {
      key,
      fingerprintId: members[0]?.fingerprintId,
      sessions: members,
      lastMs: members[0]?.rankMs ?? 0,
      firstMs,
      lastSignInMs,
    };
  });
}

/** The id that breaks ties between devices: the largest (newest) of its session ids. */
export const newestId = (device: Device) => device.sessions[0]?.id ?? '';
export const oldestId = (device: Device) => device.sessions[device.sessions.length - 1]?.id ?? '';

/** Devices most recently signed in first (evict-oldest keeps the head of this order). */
export function devicesMostRecentFirst(devices: readonly Device[]): Device[] {
  return [...devices].sort(
    (a, b) =>
      compareRank(b.lastMs, a.lastMs) || compareIds(newestId(b), newestId(a)) || compare(a.key, b.key),
  );
}

/**
 * Devices in the order they took their places, first first (deny-new keeps the head of this order): by their
 * earliest session, as it would have been had every login been seen in time.
 */
export function devicesFirstComeFirst(devices: readonly Device[]): Device[] {
  return [...devices].sort(
    (a, b) =>
      compareRank(a.firstMs, b.firstMs) || compareIds(oldestId(a), oldestId(b)) || compare(a.key, b.key),
  );
}

// Infinity - Infinity is NaN, which sort treats as "equal" unpredictably: compare explicitly.
export function compareRank(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
export const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
