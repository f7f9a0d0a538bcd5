import type { CountBy, EvictionOrder, LimitStrategy } from '../vocabulary.js';
import { devicesInPlaceOrder } from './denyNewPlaces.js';
import {
  deviceKeyOf,
  devicesMostRecentFirst,
  groupDevices,
  mostRecentFirst,
  type Device,
  type RankedSession,
} from './devices.js';
import type { SessionRecord } from './sessionRecord.js';
import { ANY_FACTOR, isSignedIn, type SignInRequirement } from './signInRequirement.js';

/** Why a listed session does not count toward the limit. */
export type ExclusionReason =
  'other_user' | 'expired' | 'not_authenticated' | 'not_signed_in' | 'no_creation_date';

export interface EvictionInput {
  readonly userId: string;
  /** The user's sessions as listed by ZITADEL (possibly stale, possibly with other users' rows). */
  readonly listed: readonly SessionRecord[];
  /**
   * The session that triggered the webhook, with what we know first-hand about it; it overrides the listing's row
   * for the same id (the listing lags). Undefined for sweeps, where no session is new.
   */
  readonly trigger: SessionRecord | IncomingSession | undefined;
  /** How many devices (or sessions) may stay; `Number.POSITIVE_INFINITY` for a user without a limit. */
  readonly limit: number;
  readonly strategy: LimitStrategy;
  readonly nowMs: number;
  /** Default `session` (every session its own device), so a caller that says nothing gets the old rule. */
  readonly countBy?: CountBy | undefined;
  /** Default `created`. */
  readonly order?: EvictionOrder | undefined;
  /** What makes a session count. Default: any verified factor. */
  readonly signIn?: SignInRequirement | undefined;
  /**
   * deny-new only (DENY_NEW_PLACE_TTL): a device or session whose last sign-in is at least this old yields its place
   * to a newcomer instead of refusing it. Default: places never age out.
   */
  readonly placeTtlMs?: number | undefined;
}

/**
 * A session that is being authenticated right now (a request condition, which runs before ZITADEL checks the
 * factor): it takes one of the places as the newest session. It has no id yet when CreateSession creates it.
 */
export interface IncomingSession {
  readonly incoming: true;
  readonly id: string | undefined;
  /** The browser's fingerprint from the request, if any: the login then joins that device. */
  readonly fingerprintId?: string | undefined;
}

export interface EvictionDecision {
  /** `deny`: the trigger is refused (deny-new). `evict`: older devices go. `within_limit`: nothing to do. */
  readonly outcome: 'within_limit' | 'evict' | 'deny';
  /** How many sessions counted toward the limit, the trigger included. */
  readonly counted: number;
  /** How many devices those sessions are on (equal to `counted` with COUNT_BY=session). */
  readonly devices: number;
  /** Counted sessions that stay, most recent first. */
  readonly keep: readonly string[];
  /** Sessions to delete. Always a subset of the counted sessions, never another user's. */
  readonly remove: readonly string[];
  /** How many devices lose all their sessions (deny: the trigger's login, counted as one). */
  readonly removedDevices: number;
  readonly excluded: readonly { readonly id: string; readonly reason: ExclusionReason }[];
}

/** Why a session does not count toward `input.userId`'s limit at `input.nowMs`, or undefined when it counts. */
export function exclusionReason(
  session: SessionRecord,
  input: Pick<EvictionInput, 'userId' | 'nowMs'> & { readonly signIn?: SignInRequirement | undefined },
): ExclusionReason | undefined {
  // Checked first and on every row: a misspelt search filter is silently dropped by ZITADEL and would otherwise
  // hand us every user's sessions.
  if (session.userId !== input.userId) return 'other_user';
  if (session.expiresAtMs !== undefined && session.expiresAtMs <= input.nowMs) return 'expired';
  if (!session.authenticated) return 'not_authenticated';
  // Half-way through its login (a password but not yet the second factor): it proves nothing about who is there.
  if (!isSignedIn(session, input.signIn ?? ANY_FACTOR)) return 'not_signed_in';
  if (session.createdAtMs === undefined) return 'no_creation_date';
  return undefined;
}

const INCOMING_ID = '';

/** When a session last signed in: its latest verified factor, else its creation. */
const lastSignInOf = (session: SessionRecord): number => session.signedInAtMs ?? session.createdAtMs ?? 0;

/** The time a counted session is ranked by. */
function rankOf(session: SessionRecord, order: EvictionOrder): number {
  return order === 'created' ? (session.createdAtMs ?? 0) : lastSignInOf(session);
}

interface Counted extends RankedSession {
  readonly isTrigger: boolean;
}

/**
 * Decides which of a user's sessions go. Pure: same input, same answer.
 *
 * Sessions of one user with the same browser fingerprint are one device (COUNT_BY=device); sessions are ranked by
 * their last sign-in (EVICTION_ORDER). Both strategies keep the first `limit` devices of one fixed order and remove
 * every session of the others: evict-oldest orders devices by their most recent sign-in, newest first, so a
 * webhook that arrives late for an old sign-in removes that old session rather than a newer device; deny-new
 * orders them by when they first took a place (see devicesInPlaceOrder), so the first devices keep their places,
 * a sign-in from one of them (the same browser again, whatever COUNT_BY) is never refused, a place nobody signed in
 * to for DENY_NEW_PLACE_TTL yields to a newcomer, and the trigger is refused when its device is not among them. One
 * fixed order is what makes decisions taken on partial listings (replicas, a lagging search) agree with the
 * decision on the whole listing; see enforceUserLimit. A trigger that is not fully signed in (a password without
 * the second factor the user owes) changes nothing at all, and under deny-new a login being authenticated right now
 * (a request condition, which has proved nothing yet) can be refused but signs nobody else out.
 */
export function selectSessionsToEvict(input: EvictionInput): EvictionDecision {
  const { trigger } = input;
  const countBy = input.countBy ?? 'session';
  const order = input.order ?? 'created';
  const byId = new Map<string, SessionRecord>();
  for (const session of input.listed) byId.set(session.id, session);
  const triggerId = trigger === undefined ? undefined : (trigger.id ?? INCOMING_ID);
  if (trigger !== undefined && 'incoming' in trigger) {
    if (trigger.id !== undefined) byId.delete(trigger.id);
  } else if (trigger !== undefined) {
    byId.set(trigger.id, trigger);
  }

  const counted: Counted[] = [];
  const excluded: { id: string; reason: ExclusionReason }[] = [];
  for (const session of byId.values()) {
    const reason = exclusionReason(session, input);
    if (reason !== undefined) excluded.push({ id: session.id, reason });
    else
      counted.push({
        id: session.id,
        fingerprintId: session.fingerprintId,
        rankMs: rankOf(session, order),
        lastSignInMs: lastSignInOf(session),
        isTrigger: session.id === triggerId,
      });
  }
  // A session being authenticated right now is the newest there is.
  if (trigger !== undefined && 'incoming' in trigger) {
    counted.push({
      id: triggerId ?? INCOMING_ID,
      fingerprintId: trigger.fingerprintId,
      rankMs: Number.POSITIVE_INFINITY,
      isTrigger: true,
    });
  }
  counted.sort(mostRecentFirst);
  const devices = groupDevices(counted, countBy);

  const ids = (sessions: readonly RankedSession[]) =>
    sessions.filter((s) => s.id !== INCOMING_ID).map((s) => s.id);
  // A set, not a search per session: a user with thousands of sessions must not cost thousands squared.
  const sessionsOf = (group: readonly Device[]) => {
    const keys = new Set(group.map((device) => device.key));
    return counted.filter((session) => keys.has(deviceKeyOf(session, countBy)));
  };
  const withinLimit = (): EvictionDecision => ({
    outcome: 'within_limit',
    counted: counted.length,
    devices: devices.length,
    keep: ids(counted),
    remove: [],
    removedDevices: 0,
    excluded,
  });

  // Only a fully signed-in session triggers: a half-finished login must not evict anyone (nor lock anyone out).
  if (excluded.some((row) => row.id === triggerId && row.reason === 'not_signed_in')) return withinLimit();

  // A trigger that does not count (another user's, expired, unauthenticated) takes no place and is never removed;
  // under deny-new it refuses nobody, so it changes nothing.
  const triggerSession = counted.find((session) => session.isTrigger);
  if (input.strategy === 'deny-new' && triggerId !== undefined && triggerSession === undefined)
    return withinLimit();
  if (devices.length <= input.limit) return withinLimit();
  // evict-oldest keeps the most recent N devices. deny-new keeps the first N: the newcomer's device is refused,
  // and devices that got in beyond the first N (two logins that committed at the same moment on two replicas,
  // each unseen by the other's decision; an outage's sessions; places that aged out) go too, so the excess never
  // outlives the next decision.
  const ordered =
    input.strategy === 'deny-new'
      ? devicesInPlaceOrder(devices, { countBy, nowMs: input.nowMs, placeTtlMs: input.placeTtlMs })
      : devicesMostRecentFirst(devices);
  const kept = ordered.slice(0, input.limit);
  const gone = ordered.slice(input.limit);
  const triggerRefused =
    input.strategy === 'deny-new' &&
    triggerSession !== undefined &&
    gone.some((device) => device.key === deviceKeyOf(triggerSession, countBy));
  // A login being authenticated right now (a request condition) has proved no factor yet, and without a session id
  // its user is only the payload's word: deny-new may refuse it (deleting its own session, if it has one), but it
  // signs nobody else out — not the excess, not an aged-out place; the verified response webhook does that.
  // (evict-oldest never acts on a login without a session: see confirmTrigger.)
  if (input.strategy === 'deny-new' && trigger !== undefined && 'incoming' in trigger) {
    if (!triggerRefused) return withinLimit();
    return {
      outcome: 'deny',
      counted: counted.length,
      devices: devices.length,
      keep: ids(counted.filter((session) => !session.isTrigger)),
      remove: trigger.id === undefined ? [] : [trigger.id],
      removedDevices: 1,
      excluded,
    };
  }
  return {
    outcome: triggerRefused ? 'deny' : 'evict',
    counted: counted.length,
    devices: devices.length,
    keep: ids(sessionsOf(kept)),
    remove: ids(sessionsOf(gone)),
    removedDevices: gone.length,
    excluded,
  };
}
