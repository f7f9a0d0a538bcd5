import { toSessionRecord } from '../enforcement/toSessionRecord.js';
import type { SessionRecord } from '../policy/sessionRecord.js';
import { compare, compareRank, groupDevices } from '../policy/devices.js';
import type { CountBy } from '../vocabulary.js';
import { userAgentHeaderOf, type SessionRow } from '../zitadel/sessionSchema.js';
import { describeUserAgent } from './userAgentName.js';

/** One device as the "your devices" page and API show it. */
export interface ShownDevice {
  /** The opaque address of the device (an HMAC of user and device key): what the page and the API name. */
  readonly ref: string;
  readonly browser: string | undefined;
  readonly system: string | undefined;
  /** The IP address ZITADEL has for its most recent session. */
  readonly ip: string | undefined;
  /** When it first signed in (its earliest signed-in session's creation); undefined when no date was readable. */
  readonly firstSignInMs: number | undefined;
  /** When it last signed in (the latest verified factor of its sessions); undefined when no date was readable. */
  readonly lastSignInMs: number | undefined;
  /** How many live sessions it holds, username-only ones included. */
  readonly sessionCount: number;
  /** The device the user is looking from. */
  readonly current: boolean;
  /** Internal: the sessions that signing this device out deletes. Never rendered, never sent. */
  readonly sessionIds: readonly string[];
}

export interface ListDevicesInput {
  readonly rows: readonly SessionRow[];
  readonly userId: string;
  readonly countBy: CountBy;
  /** The ZITADEL session the page was opened with (the ID token's `sid`). */
  readonly currentSessionId?: string | undefined;
  /** The fingerprint of the browser the page was opened from, where known. */
  readonly currentFingerprintId?: string | undefined;
  readonly nowMs: number;
  readonly refOf: (deviceKey: string) => string;
}

/**
 * The user's devices, most recently signed in first (ties by ref). Only the user's own live sessions count: a
 * search can return other users' rows, which are never shown nor deleted. A device is shown once one of its
 * sessions is signed in (a typed username alone is no device), but its username-only sessions go with it.
 */
export function listDevices(input: ListDevicesInput): ShownDevice[] {
  const records = new Map<string, { readonly record: SessionRecord; readonly row: SessionRow }>();
  for (const row of input.rows) {
    const record = toSessionRecord(row);
    if (record.userId !== input.userId) continue;
    if (record.expiresAtMs !== undefined && record.expiresAtMs <= input.nowMs) continue;
    // A search that lists a row twice (paging over a moving projection) must not count it twice.
    if (!records.has(record.id)) records.set(record.id, { record, row });
  }

  const ranked = [...records.values()].map(({ record }) => ({
    id: record.id,
    fingerprintId: record.fingerprintId,
    rankMs: lastSignInOf(record) ?? Number.NEGATIVE_INFINITY,
  }));

  const shown: (ShownDevice & { readonly fingerprintId: string | undefined })[] = [];
  for (const device of groupDevices(ranked, input.countBy)) {
    // Its sessions come most recent first; the signed-in ones decide whether and how the device is shown.
    const members = device.sessions.flatMap((session) => {
      const entry = records.get(session.id);
      return entry === undefined ? [] : [entry];
    });
    const signedIn = members.filter(({ record }) => record.authenticated);
    const newest = signedIn[0];
    if (newest === undefined) continue;

    let firstSignInMs: number | undefined;
    let lastSignInMs: number | undefined;
    for (const { record } of signedIn) {
      const first = record.createdAtMs ?? record.signedInAtMs;
      const last = lastSignInOf(record);
      if (first !== undefined && (firstSignInMs === undefined || first < firstSignInMs))
        firstSignInMs = first;
      if (last !== undefined && (lastSignInMs === undefined || last > lastSignInMs)) lastSignInMs = last;
    }
    const sessionIds = members.map(({ record }) => record.id);
    const { browser, system } = describeUserAgent(
      userAgentHeaderOf(newest.row),
      newest.row.userAgent?.description,
    );
    const ip = newest.row.userAgent?.ip?.trim();
    shown.push({
      ref: input.refOf(device.key),
      browser,
      system,
      ip: ip === undefined || ip === '' ? undefined : ip,
      firstSignInMs,
      lastSignInMs,
      sessionCount: sessionIds.length,
      current: false,
      sessionIds,
      fingerprintId: device.fingerprintId,
    });
  }

  return markCurrent(shown, input).sort(
    (a, b) =>
      compareRank(b.lastSignInMs ?? Number.NEGATIVE_INFINITY, a.lastSignInMs ?? Number.NEGATIVE_INFINITY) ||
      compare(a.ref, b.ref),
  );
}

/**
 * The current device: the one holding the session the page was opened with; failing that (the session has gone,
 * or no `sid` was given), the one with the browser's fingerprint. The fingerprint stays a fallback because with
 * COUNT_BY=session every session of this browser would match it. The fingerprint is dropped here: it never leaves.
 */
function markCurrent(
  devices: readonly (ShownDevice & { readonly fingerprintId: string | undefined })[],
  input: ListDevicesInput,
): ShownDevice[] {
  const { currentSessionId, currentFingerprintId } = input;
  const bySession = (device: ShownDevice) =>
    currentSessionId !== undefined && device.sessionIds.includes(currentSessionId);
  const anyBySession = devices.some(bySession);
  return devices.map(({ fingerprintId, ...device }) => ({
    ...device,
    current: anyBySession
      ? bySession(device)
      : currentFingerprintId !== undefined && fingerprintId === currentFingerprintId,
  }));
}

/** The devices "sign out all other devices" ends: every one but the current. */
export function devicesToSignOutOthers(devices: readonly ShownDevice[]): ShownDevice[] {
  return devices.filter((device) => !device.current);
}

// When a session last signed in: its latest verified factor, else (no readable factor time) its creation.
const lastSignInOf = (record: SessionRecord) => record.signedInAtMs ?? record.createdAtMs;
