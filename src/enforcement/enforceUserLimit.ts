import type { Config } from '../vocabulary.js';
import type { Logger } from '../logging/logger.js';
import { selectSessionsToEvict, type IncomingSession } from '../policy/selectSessionsToEvict.js';
import { planPolicyReads, type DecisionFacts, type PolicyReadSet } from '../policy/policyReads.js';
import { chooseLimit, limitAsNumber } from '../policy/sessionLimit.js';
import type { SessionRecord } from '../policy/sessionRecord.js';
import { toSessionRecord } from './toSessionRecord.js';
import { mapWithConcurrency } from '../util/mapWithConcurrency.js';
import type { ZitadelLimiterApi } from '../zitadel/client.js';
import type { Deadline } from '../zitadel/deadline.js';
import type { EnforcementReport } from './outcome.js';
import {
  createUserPolicyReader,
  type UserPolicy,
  type UserPolicyReader,
  type UserPolicySettings,
} from './userPolicy.js';

export type EnforcementSettings = Pick<
  Config,
  | 'concurrentSessions'
  | 'limitStrategy'
  | 'dryRun'
  | 'deleteConcurrency'
  | 'countBy'
  | 'evictionOrder'
  | 'denyNewPlaceTtlMs'
> &
  UserPolicySettings;

export interface EnforceUserLimitInput {
  readonly userId: string;
  readonly trigger: SessionRecord | IncomingSession | undefined;
  /**
   * When ZITADEL wrote the trigger (see confirmTrigger). A listing whose projection is older than this is searched
   * once more. Undefined for sweeps and CLI runs, which have no trigger to wait for.
   */
  readonly triggerWrittenAt?: bigint | undefined;
  readonly settings: EnforcementSettings;
  readonly zitadel: ZitadelLimiterApi;
  /**
   * Reads each user's limit (metadata) and what makes a session count, with caches that outlive one call. Build
   * one per process (or CLI run) and pass it in; without one, a reader is built for this call alone.
   */
  readonly policies?: UserPolicyReader | undefined;
  readonly deadline: Deadline;
  readonly nowMs: number;
  readonly logger: Logger;
  /** The clock that paging and deletion starts are measured against (defaults to Date.now). */
  readonly now?: () => number;
}

// Paging may use up to this share of the time left: the rest is for the deletions.
const PAGING_SHARE = 0.5;
// A deletion is not started with less time left than this: it would likely be cut off and count as failed.
const DELETE_START_RESERVE_MS = 500;

interface UserListing {
  readonly listed: SessionRecord[];
  readonly searches: number;
  /** The user's sessions that were not read (paging stopped at the row cap or for time). */
  readonly unread: number;
}

/** The user's organisation: the confirmed trigger's, else what the user's own listed sessions say. */
function organizationOf(
  userId: string,
  trigger: SessionRecord | IncomingSession | undefined,
  listed: readonly SessionRecord[],
): string | undefined {
  if (trigger !== undefined && !('incoming' in trigger) && trigger.organizationId !== undefined)
    return trigger.organizationId;
  return listed.find((session) => session.userId === userId && session.organizationId !== undefined)
    ?.organizationId;
}

/**
 * The user's sessions, as of at least the trigger's write. The caller's GetSession has already brought the
 * projection up to date, so one search normally suffices; its `details.timestamp` says whether it did (several
 * ZITADEL nodes, or a projection that another node holds locked, can still leave it behind), and one more search
 * is the most the deadline can afford. A trigger still missing after that is added from its confirmed row.
 *
 * Rows come in decision order — newest first for evict-oldest, oldest first for deny-new — so when a huge user's
 * listing is cut short, what was read is the head of that order and deciding on it is right as far as it goes.
 */
async function listUpTo(input: EnforceUserLimitInput): Promise<UserListing> {
  const { zitadel, userId, deadline, triggerWrittenAt, settings } = input;
  const now = input.now ?? Date.now;
  const pagingEndsAtMs = now() + (deadline.atMs - now()) * PAGING_SHARE;
  const search = () =>
    zitadel.listUserSessions(
      {
        userId,
        order: settings.limitStrategy === 'deny-new' ? 'oldest-first' : 'newest-first',
        continuePaging: () => now() < pagingEndsAtMs,
      },
      deadline,
    );
  let listing = await search();
  let searches = 1;
  const behindBy = (upTo: bigint | undefined) =>
    triggerWrittenAt !== undefined && upTo !== undefined && upTo < triggerWrittenAt
      ? triggerWrittenAt - upTo
      : undefined;
  if (behindBy(listing.projectedUpTo) !== undefined) {
    listing = await search();
    searches += 1;
    const lag = behindBy(listing.projectedUpTo);
    if (lag !== undefined)
      input.logger.warn('the session search is still behind the login; deciding on what it shows', {
        userId,
        lagMs: Number(lag / 1_000_000n),
      });
  }
  const unread =
    listing.complete || listing.total === undefined
      ? 0
      : Math.max(0, listing.total - listing.sessions.length);
  return { listed: listing.sessions.map(toSessionRecord), searches, unread };
}

/**
 * The order deletions are started in, so that what time does not allow is the least urgent: a refused trigger
 * first (the refusal must hold), then the oldest sessions (the least likely to be in use).
 */
function deletionOrder(
  remove: readonly string[],
  strategy: EnforcementSettings['limitStrategy'],
  triggerId: string | undefined,
): string[] {
  // `remove` comes newest first; evict-oldest therefore starts from its end.
  const oldestFirst = [...remove].reverse();
  if (strategy !== 'deny-new' || triggerId === undefined || !remove.includes(triggerId)) return oldestFirst;
  return [triggerId, ...oldestFirst.filter((id) => id !== triggerId)];
}

/**
 * The user's limit and sign-in requirement, read only as far as the decision depends on them (see
 * planPolicyReads): under the limit, not at all; over it, in at most one round trip, or two when only a per-user
 * limit lower than the next rule's could put the user over.
 */
async function readPolicy(
  input: EnforceUserLimitInput,
  facts: DecisionFacts,
  policies: UserPolicyReader,
  organizationId: string | undefined,
): Promise<UserPolicy> {
  const { settings, userId, deadline, logger } = input;
  const plan = planPolicyReads({
    facts,
    metadataLimits: settings.limitMetadataKey !== undefined,
    signInRule: settings.countWhen === 'signed-in',
    nextRuleLimit: limitAsNumber(
      chooseLimit({
        metadata: { kind: 'off' },
        organizationId,
        orgLimits: settings.orgLimits,
        defaultLimit: settings.concurrentSessions,
      }).limit,
    ),
  });
  const read = (reads: PolicyReadSet) =>
    policies.begin({ userId, organizationId, deadline, reads }).settle({ organizationId, logger });
  let policy = await read(plan.first);
  if (plan.signInIfOver && plan.mostDevices > limitAsNumber(policy.limit.limit)) {
    const signIn = await read({ limit: false, signIn: true });
    policy = {
      limit: policy.limit,
      signIn: signIn.signIn,
      fallbacks: [...policy.fallbacks, ...signIn.fallbacks],
    };
  }
  return plan.signIn === undefined ? policy : { ...policy, signIn: plan.signIn };
}

/**
 * Brings one user back to the limit: the search (all pages), the policy reads the decision depends on, the pure
 * decision, then one wave of deletions in parallel. Shared by the webhook and the operator's CLI, so both always decide alike. Holds no memory between
 * calls: what it knows comes from ZITADEL, so any number of replicas or cold starts decide as one process would.
 */
export async function enforceUserLimit(input: EnforceUserLimitInput): Promise<EnforcementReport> {
  const { userId, trigger, settings, zitadel, deadline, logger, nowMs } = input;
  const now = input.now ?? Date.now;
  const policies = input.policies ?? createUserPolicyReader({ api: zitadel, settings, now: Date.now });
  const { listed, searches, unread } = await listUpTo(input);
  const organizationId = organizationOf(userId, trigger, listed);
  const facts: DecisionFacts = {
    userId,
    listed,
    trigger,
    strategy: settings.limitStrategy,
    nowMs,
    countBy: settings.countBy,
    order: settings.evictionOrder,
    placeTtlMs: settings.denyNewPlaceTtlMs,
  };
  const policy = await readPolicy(input, facts, policies, organizationId);

  // Why this converges with no shared state, across replicas: each login's webhook reaches us after its write
  // committed, and our GetSession of it began later still, so the search that follows sees that login and every
  // one committed before it. Of two logins, the one whose write commits later therefore sees the other. The
  // decision keeps the first N devices (or sessions) of one order among what it sees — evict-oldest: by latest
  // sign-in, most recent first; deny-new: places still held by earliest sign-in, first first (with COUNT_BY=session
  // a browser's newest session first, its older ones after every browser's), then places that aged out — and a
  // device's rank can only rise with sessions the earlier decision had not seen. So a device that is not among the
  // first N of a subset is not among the first N of the whole unless a newer sign-in on it (which stays) lifted it:
  // an earlier (partial) decision never deletes what the later (complete) one keeps, and the later one finishes the
  // job: a burst ends at exactly N (test/property/denyNew.property.test.ts checks it). Ghosts — sessions already
  // ended but still listed because they ended after our GetSession began — are ordered like any other session, and
  // deleting one again is a no-op (DeleteSession is idempotent). In deny-new, the login that commits later is the
  // one that sees the other and is refused. Ageing (DENY_NEW_PLACE_TTL) is judged on each decision's own clock:
  // for decisions judged at one instant the argument holds as stated; when a place crosses the TTL in the seconds
  // between two overlapping decisions they may disagree about it, and the worst that does is refuse one login its
  // retry admits, or leave one place free — never more than N, never a lock-out.
  const decision = selectSessionsToEvict({
    ...facts,
    limit: limitAsNumber(policy.limit.limit),
    signIn: policy.signIn,
  });

  const foreignRows = decision.excluded.filter((row) => row.reason === 'other_user').length;
  if (foreignRows > 0) {
    logger.warn('session search returned sessions of other users; they were left alone', {
      userId,
      foreignRows,
    });
  }

  // A request condition (an incoming trigger) runs before ZITADEL checks the factor: anyone who types a username
  // and any password makes one, so it may refuse the login but never delete a session, in any mode. What is over
  // the limit is left to the response webhook of a real sign-in, or a sweep.
  const requestCondition = trigger !== undefined && 'incoming' in trigger;
  const decided = requestCondition ? [] : decision.remove;
  // In waves of DELETE_CONCURRENCY, and none started that could not finish before the deadline.
  const toDelete = settings.dryRun ? [] : deletionOrder(decided, settings.limitStrategy, trigger?.id);
  const results = await mapWithConcurrency(
    toDelete,
    settings.deleteConcurrency,
    (sessionId) => zitadel.deleteSession({ sessionId }, deadline),
    () => now() + DELETE_START_RESERVE_MS < deadline.atMs,
  );
  // Reported in the decision's order (newest first), whatever order they were started in.
  const statusOf = new Map(toDelete.map((id, index) => [id, results[index]?.status]));
  const withStatus = (status: string) => decision.remove.filter((id) => statusOf.get(id) === status);
  const failed = withStatus('rejected');
  const notStarted = withStatus('not_started').length;
  const deleted = settings.dryRun ? decided : withStatus('fulfilled');
  // The refused trigger itself is no session a later decision would count.
  const leftToResponse = requestCondition ? decision.remove.filter((id) => id !== trigger.id).length : 0;
  if (notStarted > 0 || unread > 0)
    logger.warn(
      'the user has more sessions over the limit than one enforcement handles; the rest goes next time',
      {
        userId,
        notStarted,
        unread,
      },
    );

  return {
    outcome:
      decision.outcome === 'deny'
        ? 'denied'
        : decision.outcome === 'evict' && !requestCondition
          ? 'enforced'
          : 'within_limit',
    userId,
    sessionId: trigger?.id,
    limit: policy.limit.limit,
    limitSource: policy.limit.source,
    strategy: settings.limitStrategy,
    dryRun: settings.dryRun,
    countBy: settings.countBy,
    counted: decision.counted,
    devices: decision.devices,
    removedDevices: decision.removedDevices,
    kept: decision.keep,
    deleted,
    failed,
    foreignRows,
    searches,
    remaining: notStarted + unread + leftToResponse,
    fallbacks: policy.fallbacks,
    notSignedIn: decision.excluded.filter((row) => row.reason === 'not_signed_in').length,
  };
}
