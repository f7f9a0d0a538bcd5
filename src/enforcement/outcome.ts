import type { LimitChoice } from '../policy/sessionLimit.js';
import type { CountBy, SessionLimit } from '../vocabulary.js';
import type { PolicyFallback } from './userPolicy.js';

/** Why a webhook changed nothing. Stable codes: they appear in answers, logs and metrics. */
export type IgnoreReason =
  | 'other_method'
  | 'other_event'
  | 'request_condition'
  | 'no_authentication_check'
  | 'session_not_found'
  | 'session_has_no_user'
  | 'not_authenticated'
  | 'session_expired'
  | 'user_not_found'
  /** The payload names another user than the session (read from ZITADEL) belongs to. */
  | 'user_mismatch'
  /**
   * A request condition under evict-oldest: it runs before ZITADEL checks the factor, so it may only refuse, and
   * evict-oldest refuses nothing.
   */
  | 'unconfirmable_trigger';

/** What enforcing the limit for one user did. Ids and counts only: safe to log and to answer with. */
export interface EnforcementReport {
  readonly outcome: 'within_limit' | 'enforced' | 'denied';
  readonly userId: string;
  readonly sessionId: string | undefined;
  /** The user's limit, in devices (or sessions with COUNT_BY=session). */
  readonly limit: SessionLimit;
  /** Where the limit came from: the user's metadata, ORG_LIMITS, CONCURRENT_SESSIONS, or held back (unreadable). */
  readonly limitSource: LimitChoice['source'];
  readonly strategy: 'evict-oldest' | 'deny-new';
  readonly dryRun: boolean;
  readonly countBy: CountBy;
  /**
   * Sessions that counted toward the limit, the trigger included. When even counting every verified factor keeps
   * the user within the limit, the sign-in requirement (COUNT_WHEN=signed-in) is not read and this is that upper
   * bound (and `notSignedIn` is 0): the decision is the same either way.
   */
  readonly counted: number;
  /** The devices those sessions are on. */
  readonly devices: number;
  /** Devices that lost all their sessions (deny: the refused login's device). */
  readonly removedDevices: number;
  readonly kept: readonly string[];
  /** Deleted now, or (dry run) that would have been. */
  readonly deleted: readonly string[];
  /** Deletions that did not go through before the deadline. */
  readonly failed: readonly string[];
  /** Rows of other users in the listing: a sign that ZITADEL dropped the user filter. Never touched. */
  readonly foreignRows: number;
  /** Session searches made: 1, or 2 when the first was still behind the trigger's write. */
  readonly searches: number;
  /**
   * What is left for the next login or a sweep: deletions there was no time to start, plus the user's sessions not
   * read at all (a user with more than one enforcement reads). 0 when the user is known to be at the limit.
   */
  readonly remaining: number;
  /** What the decision had to do without (a read that failed or was late, an invalid metadata value). */
  readonly fallbacks: readonly PolicyFallback[];
  /** Listed sessions half-way through their sign-in (a second factor missing): they took no place. */
  readonly notSignedIn: number;
}

/** Why the limiter could not decide in time. The login passes under ON_FAILURE=allow. Stable codes. */
export type UndecidedReason =
  /** Too many enforcements in line to finish this one inside the deadline: answered at once. */
  | 'overloaded'
  /** The deadline passed before a decision was carried out. */
  | 'deadline'
  /**
   * The process's ZITADEL request budget (ZITADEL_MAX_RPS, or a 429's pause) had no turn for a call before the
   * deadline: answered at once rather than queued past it.
   */
  | 'rate_limited'
  | 'zitadel_unavailable'
  | 'zitadel_rejected'
  | 'zitadel_invalid_response'
  /** ZITADEL knows no instance at INSTANCE_URL's host: it must be the instance's domain (ExternalDomain). */
  | 'instance_not_found'
  /** A JWT/JWE payload whose signature cannot be checked: the instance's key set does not answer. */
  | 'jwks_unavailable'
  | 'internal_error';

export interface UndecidedOutcome {
  readonly outcome: 'undecided';
  readonly reason: UndecidedReason;
  readonly sessionId?: string | undefined;
}

export type WebhookOutcome =
  | { readonly outcome: 'ignored'; readonly reason: IgnoreReason; readonly sessionId?: string | undefined }
  | UndecidedOutcome
  | EnforcementReport;

/** Ids listed in one answer or audit line; the counts say how many there were. Keeps a huge user's answer small. */
export const MAX_IDS_IN_SUMMARY = 20;

const firstIds = (ids: readonly string[]) => ids.slice(0, MAX_IDS_IN_SUMMARY);

/**
 * The report's fields for answers and audit records. An explicit list, not a spread: a field added to the report
 * is never published by accident. Id lists are cut to the first MAX_IDS_IN_SUMMARY; the counts are exact.
 */
export function reportSummary(report: EnforcementReport) {
  return {
    outcome: report.outcome,
    userId: report.userId,
    sessionId: report.sessionId,
    limit: report.limit,
    limitSource: report.limitSource,
    strategy: report.strategy,
    dryRun: report.dryRun,
    countBy: report.countBy,
    devices: report.devices,
    keptDevices: report.devices - report.removedDevices,
    removedDevices: report.removedDevices,
    counted: report.counted,
    notSignedIn: report.notSignedIn,
    kept: firstIds(report.kept),
    deleted: firstIds(report.deleted),
    failed: firstIds(report.failed),
    keptCount: report.kept.length,
    deletedCount: report.deleted.length,
    failedCount: report.failed.length,
    remaining: report.remaining,
  };
}
