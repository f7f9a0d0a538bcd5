import type { CountBy } from '../policy/devices.js';
import type { LimitChoice, SessionLimit } from '../policy/sessionLimit.js';
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
  /** A CreateSession request condition under evict-oldest: no session to read back, so nothing is deleted. */
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
  /** Sessions that counted toward the limit, the trigger included. */
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
  /** What the decision had to do without (a read that failed or was late, an invalid metadata value). */
  readonly fallbacks: readonly PolicyFallback[];
  /** Listed sessions half-way through their sign-in (a second factor missing): they took no place. */
  readonly notSignedIn: number;
}

export type WebhookOutcome =
  | { readonly outcome: 'ignored'; readonly reason: IgnoreReason; readonly sessionId?: string | undefined }
  | EnforcementReport;

/**
 * The report's fields for answers and audit records. An explicit list, not a spread: a field added to the report
 * is never published by accident.
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
    kept: report.kept,
    deleted: report.deleted,
    failed: report.failed,
  };
}
