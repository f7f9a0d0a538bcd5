import { exclusionReason, selectSessionsToEvict, type EvictionInput } from './selectSessionsToEvict.js';
import type { SessionRecord } from './sessionRecord.js';
import {
  ANY_FACTOR,
  dependsOnRequirement,
  provesSecondFactor,
  USER_HAS_SECOND_FACTOR,
  type SignInRequirement,
} from './signInRequirement.js';

/** What the decision is about, minus the two things the user's policy decides: the limit and what counts. */
export type DecisionFacts = Omit<EvictionInput, 'limit' | 'signIn'>;

/** Which of the user's policy reads to make: `limit` the limit metadata, `signIn` the methods and login policy. */
export interface PolicyReadSet {
  readonly limit: boolean;
  readonly signIn: boolean;
}

export interface PolicyReadPlan {
  /** The reads to make at once, in parallel. Neither: the decision is already known. */
  readonly first: PolicyReadSet;
  /**
   * After `first` (the limit metadata alone), the sign-in reads as well, but only when the limit it gave is below
   * `mostDevices`: only a per-user limit lower than the next rule's could have put the user over.
   */
  readonly signInIfOver: boolean;
  /**
   * What makes a session count when the sessions themselves settle it, or undefined when only the reads can
   * (then, unread, any verified factor counts: every session that could count does).
   */
  readonly signIn: SignInRequirement | undefined;
  /** The most devices that can count for the user, whatever their policy: any verified factor counting. */
  readonly mostDevices: number;
}

const NO_READS: PolicyReadSet = Object.freeze({ limit: false, signIn: false });

/**
 * What the sessions settle about the sign-in requirement without a read. Under COUNT_WHEN=any-factor there is
 * nothing to read. A trigger whose own verified factors prove a second factor (a TOTP or OTP code) proves the user
 * has one: a second factor is then due on each of their logins, whatever the login policy. And when no session of
 * the user counts differently under the most generous and the strictest reading (each has a passkey, or a first
 * and a second factor, or no factor at all), no requirement in between can change what counts either.
 */
function settledRequirement(facts: DecisionFacts, signInRule: boolean): SignInRequirement | undefined {
  if (!signInRule) return ANY_FACTOR;
  const { trigger } = facts;
  if (trigger !== undefined && !('incoming' in trigger) && provesSecondFactor(trigger))
    return USER_HAS_SECOND_FACTOR;
  // The sessions as the decision sees them: the trigger's own row instead of the listing's (which lags), and a
  // login being authenticated right now (no factor yet) in place of whatever the listing holds under its id.
  const sessions = new Map<string, SessionRecord>(facts.listed.map((session) => [session.id, session]));
  if (trigger !== undefined && 'incoming' in trigger) {
    if (trigger.id !== undefined) sessions.delete(trigger.id);
  } else if (trigger !== undefined) sessions.set(trigger.id, trigger);
  for (const session of sessions.values()) {
    const reason = exclusionReason(session, facts);
    // Another user's, expired or unauthenticated rows are left out under every requirement.
    if ((reason === undefined || reason === 'no_creation_date') && dependsOnRequirement(session))
      return undefined;
  }
  return ANY_FACTOR;
}

/**
 * The fewest reads of the user's policy that decide exactly as reading all of it would.
 *
 * The count is taken first with the most generous reading (any verified factor counts): an upper bound, since
 * every sign-in requirement counts a subset of those sessions, and so a subset of those devices. The limit is
 * bounded below too: the next rule's (ORG_LIMITS, CONCURRENT_SESSIONS), or 1 with LIMIT_METADATA_KEY (a user's
 * metadata may set any limit from 1; an invalid one gives the next rule's; an unreadable one holds the limit back).
 * When the upper bound is within the lower bound, nothing can be deleted or refused whatever the reads would say:
 * no read at all (the common case: GetSession and the search are the whole cost of a login). Otherwise:
 * - the metadata is read when LIMIT_METADATA_KEY is set;
 * - the methods and the login policy (COUNT_WHEN=signed-in) only when the sessions do not settle what counts;
 * - in parallel when both could matter (the user is over the next rule's limit, which only a larger per-user
 *   limit would lift): one round trip after the search, not two. When only a per-user limit lower than the next
 *   rule's could put the user over, the metadata goes first and the sign-in reads follow only if it does: most
 *   users hold no such limit, and those reads would be wasted on them.
 * The login policy is read with the methods, not after them, although it matters only for a user without a second
 * factor: it is one read per organisation every LOGIN_POLICY_TTL_MS (cached), while waiting for the methods first
 * would add a round trip to every such user's over-the-limit login.
 */
export function planPolicyReads(input: {
  readonly facts: DecisionFacts;
  /** LIMIT_METADATA_KEY is set: a user's own limit may differ from the next rule's. */
  readonly metadataLimits: boolean;
  /** COUNT_WHEN=signed-in. */
  readonly signInRule: boolean;
  /** The limit ORG_LIMITS or CONCURRENT_SESSIONS gives the user's organisation (infinity for unlimited). */
  readonly nextRuleLimit: number;
}): PolicyReadPlan {
  const { facts, metadataLimits, nextRuleLimit } = input;
  const mostDevices = selectSessionsToEvict({
    ...facts,
    limit: Number.POSITIVE_INFINITY,
    signIn: ANY_FACTOR,
  }).devices;
  const signIn = settledRequirement(facts, input.signInRule);
  const smallestLimit = metadataLimits ? 1 : nextRuleLimit;
  if (mostDevices <= smallestLimit) return { first: NO_READS, signInIfOver: false, signIn, mostDevices };
  const readSignIn = signIn === undefined;
  if (metadataLimits && readSignIn && mostDevices <= nextRuleLimit)
    return { first: { limit: true, signIn: false }, signInIfOver: true, signIn, mostDevices };
  return { first: { limit: metadataLimits, signIn: readSignIn }, signInIfOver: false, signIn, mostDevices };
}
