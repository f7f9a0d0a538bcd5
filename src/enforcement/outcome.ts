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
  readonly limit: number;
  readonly strategy: 'evict-oldest' | 'deny-new';
  readonly dryRun: boolean;
  /** Sessions that counted toward the limit, the trigger included. */
  readonly counted: number;
  readonly kept: readonly string[];
  /** Deleted now, or (dry run) that would have been. */
  readonly deleted: readonly string[];
  /** Deletions that did not go through before the deadline. */
  readonly failed: readonly string[];
  /** Rows of other users in the listing: a sign that ZITADEL dropped the user filter. Never touched. */
  readonly foreignRows: number;
  /** Session searches made: 1, or 2 when the first was still behind the trigger's write. */
  readonly searches: number;
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
    strategy: report.strategy,
    dryRun: report.dryRun,
    counted: report.counted,
    kept: report.kept,
    deleted: report.deleted,
    failed: report.failed,
  };
}
