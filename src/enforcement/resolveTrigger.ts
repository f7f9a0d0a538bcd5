import type { IncomingSession } from '../policy/selectSessionsToEvict.js';
import { parseTimestamp, toSessionRecord, type SessionRecord } from '../policy/sessionRecord.js';
import type { SessionTrigger } from '../webhook/parseSessionWebhook.js';
import type { ZitadelSessionApi } from '../zitadel/client.js';
import type { Deadline } from '../zitadel/deadline.js';
import type { IgnoreReason } from './outcome.js';

export type ResolvedTrigger =
  | {
      readonly kind: 'resolved';
      readonly userId: string;
      readonly trigger: SessionRecord | IncomingSession;
      /** True when everything came from the payload: the listing is then the first ZITADEL call. */
      readonly fromPayloadOnly: boolean;
    }
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason };

export interface ResolveContext {
  readonly zitadel: ZitadelSessionApi;
  readonly deadline: Deadline;
  readonly nowMs: number;
  /** The signature's timestamp: when ZITADEL sent the webhook, our fallback for "when was it created". */
  readonly sentAtMs: number;
  readonly enforceOnRequest: boolean;
}

/** protojson durations: "86400s", "1.5s". */
function durationMs(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^([0-9]+(?:\.[0-9]+)?)s$/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1000;
}

// The session search catches up within about a minute. A payload-only trigger older than this that the listing
// would not show is more likely gone (logged out) than lagging, so a late webhook is checked with GetSession.
const LATE_WEBHOOK_MS = 120_000;

const ignored = (reason: IgnoreReason): ResolvedTrigger => ({ kind: 'ignored', reason });

/**
 * Works out whose session the webhook is about and whether it is really authenticated. Never uses the envelope's
 * `userID` (the caller). Costs no ZITADEL call when the payload names the user and a verified factor (a
 * CreateSession response by userId with a password, IdP or OTP check); one GetSession otherwise.
 */
export async function resolveTrigger(
  webhook: SessionTrigger,
  context: ResolveContext,
): Promise<ResolvedTrigger> {
  if (webhook.source === 'request' && !context.enforceOnRequest) return ignored('request_condition');
  // A username step (user check only), a SetSession that only adds metadata or asks for a challenge: nothing
  // was authenticated, so nothing may be evicted.
  if (!webhook.requestHasAuthenticationCheck) return ignored('no_authentication_check');

  const { zitadel, deadline } = context;
  const createdAtMs = parseTimestamp(webhook.createdAt) ?? context.sentAtMs;
  const isLate = context.nowMs - createdAtMs > LATE_WEBHOOK_MS;
  if (
    webhook.source === 'response' &&
    webhook.sessionId !== undefined &&
    webhook.userHint !== undefined &&
    'userId' in webhook.userHint &&
    !isLate
  ) {
    // The response condition only runs when CreateSession succeeded, so every check in the request passed.
    const lifetimeMs = durationMs(webhook.requestedLifetime);
    return {
      kind: 'resolved',
      userId: webhook.userHint.userId,
      fromPayloadOnly: true,
      trigger: {
        id: webhook.sessionId,
        userId: webhook.userHint.userId,
        createdAtMs,
        expiresAtMs: lifetimeMs === undefined || lifetimeMs === 0 ? undefined : createdAtMs + lifetimeMs,
        authenticated: true,
      },
    };
  }

  if (webhook.sessionId === undefined) {
    // A request condition on CreateSession: the session does not exist yet, so the user comes from the check.
    const hint = webhook.userHint;
    if (hint === undefined) return ignored('user_not_found');
    const userId =
      'userId' in hint
        ? hint.userId
        : await zitadel.findUserIdByLoginName({ loginName: hint.loginName }, deadline);
    if (userId === undefined) return ignored('user_not_found');
    return { kind: 'resolved', userId, fromPayloadOnly: false, trigger: { incoming: true, id: undefined } };
  }

  const row = await zitadel.getSession({ sessionId: webhook.sessionId }, deadline);
  if (row === undefined) return ignored('session_not_found');
  const record = toSessionRecord(row);
  if (record.userId === undefined) return ignored('session_has_no_user');
  if (webhook.source === 'request') {
    return {
      kind: 'resolved',
      userId: record.userId,
      fromPayloadOnly: false,
      trigger: { incoming: true, id: record.id },
    };
  }
  if (!record.authenticated) return ignored('not_authenticated');
  if (record.expiresAtMs !== undefined && record.expiresAtMs <= context.nowMs)
    return ignored('session_expired');
  return { kind: 'resolved', userId: record.userId, fromPayloadOnly: false, trigger: record };
}
