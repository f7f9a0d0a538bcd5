import {
  compare,
  compareIds,
  compareRank,
  devicesFirstComeFirst,
  devicesMostRecentFirst,
  newestId,
  type Device,
} from './devices.js';
import type { CountBy } from '../vocabulary.js';

/** What deny-new needs besides the devices: how they are counted, and when a place ages out. */
export interface PlaceRules {
  readonly countBy: CountBy;
  readonly nowMs: number;
  /**
   * DENY_NEW_PLACE_TTL: a device (or session) whose last sign-in is at least this old no longer holds a place
   * against a newcomer. Undefined: places never age out (the strict first-come rule).
   */
  readonly placeTtlMs: number | undefined;
}

/** Whether something last signed in at `lastSignInMs` still holds its place at `rules.nowMs`. */
export function holdsPlace(lastSignInMs: number, rules: Pick<PlaceRules, 'nowMs' | 'placeTtlMs'>): boolean {
  return rules.placeTtlMs === undefined || lastSignInMs > rules.nowMs - rules.placeTtlMs;
}

/**
 * Places that aged out, the most recently signed in first: they stand behind every place still held, and the
 * oldest of them is the first to yield.
 */
function agedOutOrder(a: Device, b: Device): number {
  return (
    compareRank(b.lastSignInMs, a.lastSignInMs) ||
    compareIds(newestId(b), newestId(a)) ||
    compare(a.key, b.key)
  );
}

/**
 * The order in which deny-new hands out the N places: the first N of it stay, the rest go (a refused newcomer among
 * them). One fixed order, so that decisions on partial listings agree (see enforceUserLimit):
 *
 * 1. Places still held, first come first: by when the device — with COUNT_BY=session, the browser (fingerprint) —
 *    first signed in. With COUNT_BY=session a browser's newest session takes its place here, so a browser is never
 *    refused because of its own earlier sessions (a retry after a failed login, a login the limiter never answered).
 * 2. With COUNT_BY=session, the browsers' other sessions, newest first: they stay while there is room and are the
 *    first to go when there is not (superseded by their browser's newer session), so the count never exceeds N.
 * 3. Places that aged out (DENY_NEW_PLACE_TTL), most recently signed in first: they yield to any newcomer, so a
 *    session nobody holds (an outage's, a forgotten one without a lifetime) cannot lock the user out for good.
 *
 * Sessions without a fingerprint are a browser of their own.
 */
export function devicesInPlaceOrder(devices: readonly Device[], rules: PlaceRules): Device[] {
  const held = devices.filter((device) => holdsPlace(device.lastSignInMs, rules));
  const agedOut = devices.filter((device) => !holdsPlace(device.lastSignInMs, rules)).sort(agedOutOrder);
  if (rules.countBy === 'device') return [...devicesFirstComeFirst(held), ...agedOut];

  // COUNT_BY=session: every device here is one session; group them by browser.
  const browsers = new Map<string, Device[]>();
  for (const device of held) {
    const browser = device.fingerprintId === undefined ? device.key : `fingerprint:${device.fingerprintId}`;
    const group = browsers.get(browser);
    if (group === undefined) browsers.set(browser, [device]);
    else group.push(device);
  }
  const newestOfEach: { readonly device: Device; readonly browser: Device }[] = [];
  const superseded: Device[] = [];
  for (const [key, members] of browsers) {
    const newestFirst = devicesMostRecentFirst(members);
    const [newest, ...older] = newestFirst;
    if (newest === undefined) continue;
    superseded.push(...older);
    // The browser as one device, for its first-come rank: its earliest session is when it took its place.
    // Loops, not Math.min(...spread): one browser may hold more sessions than a call may take arguments.
    let firstMs = Number.POSITIVE_INFINITY;
    let lastSignInMs = Number.NEGATIVE_INFINITY;
    for (const member of members) {
      firstMs = Math.min(firstMs, member.firstMs);
      lastSignInMs = Math.max(lastSignInMs, member.lastSignInMs);
    }
    const sessions = newestFirst.flatMap((member) => member.sessions);
    newestOfEach.push({
      device: newest,
      browser: {
        key,
        fingerprintId: newest.fingerprintId,
        sessions,
        lastMs: newest.lastMs,
        firstMs,
        lastSignInMs,
      },
    });
  }
  const position = new Map(
    devicesFirstComeFirst(newestOfEach.map((entry) => entry.browser)).map((browser, index) => [
      browser.key,
      index,
    ]),
  );
  const rankOf = (entry: { readonly browser: Device }) => position.get(entry.browser.key) ?? 0;
  newestOfEach.sort((a, b) => rankOf(a) - rankOf(b));
  return [...newestOfEach.map((entry) => entry.device), ...devicesMostRecentFirst(superseded), ...agedOut];
}
