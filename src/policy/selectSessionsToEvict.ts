import type { LimitStrategy } from '../config.js';
import type { SessionRecord } from './sessionRecord.js';

/** Why a listed session does not count toward the limit. */
export type ExclusionReason = 'other_user' | 'expired' | 'not_authenticated' | 'no_creation_date';

export interface EvictionInput {
  readonly userId: string;
  /** The user's sessions as listed by ZITADEL (possibly stale, possibly with other users' rows). */
  readonly listed: readonly SessionRecord[];
  /**
   * The session that triggered the webhook, with what we know first-hand about it; it overrides the listing's row
   * for the same id (the listing lags). Undefined for sweeps, where no session is new.
   */
  readonly trigger: SessionRecord | IncomingSession | undefined;
  readonly limit: number;
  readonly strategy: LimitStrategy;
  readonly nowMs: number;
}

/**
 * A session that is being authenticated right now (a request condition, which runs before ZITADEL checks the
 * factor): it takes one of the places as the newest session. It has no id yet when CreateSession creates it.
 */
export interface IncomingSession {
  readonly incoming: true;
  readonly id: string | undefined;
}

export interface EvictionDecision {
  /** `deny`: the trigger is refused (deny-new). `evict`: older sessions go. `within_limit`: nothing to do. */
  readonly outcome: 'within_limit' | 'evict' | 'deny';
  /** How many sessions counted toward the limit, the trigger included. */
  readonly counted: number;
  /** Counted sessions that stay, newest first. */
  readonly keep: readonly string[];
  /** Sessions to delete. Always a subset of the counted sessions, never another user's. */
  readonly remove: readonly string[];
  readonly excluded: readonly { readonly id: string; readonly reason: ExclusionReason }[];
}

// ZITADEL ids are decimal snowflakes that grow over time; compare them as numbers when they look like numbers.
function compareIds(a: string, b: string): number {
  if (/^[0-9]+$/.test(a) && /^[0-9]+$/.test(b)) {
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Newest first: by creation date, ties broken by id so every replica of the decision agrees. */
function newestFirst(a: CountedSession, b: CountedSession): number {
  return b.createdAtMs - a.createdAtMs || compareIds(b.id, a.id);
}

interface CountedSession {
  readonly id: string;
  readonly createdAtMs: number;
  readonly isTrigger: boolean;
}

/** Why a session does not count toward `input.userId`'s limit at `input.nowMs`, or undefined when it counts. */
export function exclusionReason(
  session: SessionRecord,
  input: Pick<EvictionInput, 'userId' | 'nowMs'>,
): ExclusionReason | undefined {
  // Checked first and on every row: a misspelt search filter is silently dropped by ZITADEL and would otherwise
  // hand us every user's sessions.
  if (session.userId !== input.userId) return 'other_user';
  if (session.expiresAtMs !== undefined && session.expiresAtMs <= input.nowMs) return 'expired';
  if (!session.authenticated) return 'not_authenticated';
  if (session.createdAtMs === undefined) return 'no_creation_date';
  return undefined;
}

const INCOMING_ID = '';

/**
 * Decides which of a user's sessions go. Pure: same input, same answer.
 *
 * evict-oldest keeps the newest `limit` counted sessions and removes the rest; a webhook that arrives late for an
 * old login therefore removes that old session rather than a newer one. deny-new keeps the oldest `limit` (the
 * first to sign in hold the places) and removes the rest: the trigger is refused when it is not among them. Both
 * rules keep the first N of one fixed order, which is what makes decisions taken on partial listings (replicas,
 * a lagging search) agree with the decision on the whole listing; see enforceUserLimit.
 */
export function selectSessionsToEvict(input: EvictionInput): EvictionDecision {
  const { trigger } = input;
  const byId = new Map<string, SessionRecord>();
  for (const session of input.listed) byId.set(session.id, session);
  const triggerId = trigger === undefined ? undefined : (trigger.id ?? INCOMING_ID);
  if (trigger !== undefined && 'incoming' in trigger) {
    if (trigger.id !== undefined) byId.delete(trigger.id);
  } else if (trigger !== undefined) {
    byId.set(trigger.id, trigger);
  }

  const counted: CountedSession[] = [];
  const excluded: { id: string; reason: ExclusionReason }[] = [];
  for (const session of byId.values()) {
    const reason = exclusionReason(session, input);
    if (reason !== undefined) excluded.push({ id: session.id, reason });
    else
      counted.push({
        id: session.id,
        createdAtMs: session.createdAtMs ?? 0,
        isTrigger: session.id === triggerId,
      });
  }
  // A session being authenticated right now is the newest there is.
  if (trigger !== undefined && 'incoming' in trigger) {
    counted.push({ id: triggerId ?? INCOMING_ID, createdAtMs: Number.POSITIVE_INFINITY, isTrigger: true });
  }
  counted.sort(newestFirst);

  const ids = (sessions: readonly CountedSession[]) =>
    sessions.filter((s) => s.id !== INCOMING_ID).map((s) => s.id);

  // A trigger that does not count (another user's, expired, unauthenticated) takes no place and is never removed;
  // under deny-new it refuses nobody, so it changes nothing.
  const triggerCounts = counted.some((session) => session.isTrigger);
  if (input.strategy === 'deny-new' && triggerId !== undefined && !triggerCounts)
    return { outcome: 'within_limit', counted: counted.length, keep: ids(counted), remove: [], excluded };
  if (counted.length <= input.limit)
    return { outcome: 'within_limit', counted: counted.length, keep: ids(counted), remove: [], excluded };
  // evict-oldest keeps the newest N. deny-new keeps the first N: the newcomer is refused, and sessions that got in
  // beyond the first N (two logins that committed at the same moment on two replicas, each unseen by the other's
  // decision) go too, so the excess never outlives the next decision.
  const ordered = input.strategy === 'deny-new' ? [...counted].reverse() : counted;
  const kept = new Set(ordered.slice(0, input.limit));
  const triggerRefused = input.strategy === 'deny-new' && counted.some((s) => s.isTrigger && !kept.has(s));
  return {
    outcome: triggerRefused ? 'deny' : 'evict',
    counted: counted.length,
    keep: ids(counted.filter((session) => kept.has(session))),
    remove: ids(counted.filter((session) => !kept.has(session))),
    excluded,
  };
}
