import type { LimitStrategy } from '../vocabulary.js';
import type { Logger } from '../logging/logger.js';
import type { IncomingSession } from '../policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../policy/sessionRecord.js';
import { toSessionRecord } from './toSessionRecord.js';
import type { SessionTrigger } from '../webhook/parseSessionWebhook.js';
import type { ZitadelSessionApi } from '../zitadel/client.js';
import type { Deadline } from '../zitadel/deadline.js';
import { parseTimestampNanos } from '../zitadel/protoTimestamp.js';
import type { IgnoreReason } from './outcome.js';

export type ConfirmedTrigger =
  | {
      readonly kind: 'confirmed';
      /** The session's user as ZITADEL reports it: never the payload's word alone. */
      readonly userId: string;
      readonly trigger: SessionRecord | IncomingSession;
      /**
       * When ZITADEL last wrote the trigger session (its row's changeDate, epoch nanoseconds): a session search
       * whose projection has not got this far does not reflect the trigger's write yet.
       */
      readonly writtenAt: bigint | undefined;
    }
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason };

export interface ConfirmContext {
  readonly zitadel: ZitadelSessionApi;
  readonly deadline: Deadline;
  readonly nowMs: number;
  readonly enforceOnRequest: boolean;
  readonly strategy: LimitStrategy;
  readonly logger: Logger;
}

const ignored = (reason: IgnoreReason): ConfirmedTrigger => ({ kind: 'ignored', reason });

/**
 * Why the webhook changes nothing whatever ZITADEL would say, or undefined when it needs a look: a request condition
 * (unless ENFORCE_ON_REQUEST), or a step that authenticated nothing — a username step (user check only), a
 * SetSession that only adds metadata or asks for a challenge. Costs no ZITADEL call.
 */
export function ignoredWithoutZitadel(
  webhook: SessionTrigger,
  enforceOnRequest: boolean,
): IgnoreReason | undefined {
  if (webhook.source === 'request' && !enforceOnRequest) return 'request_condition';
  if (!webhook.requestHasAuthenticationCheck) return 'no_authentication_check';
  return undefined;
}

/**
 * Works out, with ZITADEL rather than from the payload, whose session the webhook is about and whether it is really
 * authenticated. Every trigger that has a session id is read with GetSession, which also brings ZITADEL's sessions
 * projection up to date, so the search that follows sees every session created, signed out or deleted before it.
 * The payload only says which session to look at: a validly signed but forged payload (anyone who can read the
 * target's signing key can sign one) can name no user whose sessions the real session does not belong to.
 * Never uses the envelope's `userID` (the caller).
 */
export async function confirmTrigger(
  webhook: SessionTrigger,
  context: ConfirmContext,
): Promise<ConfirmedTrigger> {
  const settled = ignoredWithoutZitadel(webhook, context.enforceOnRequest);
  if (settled !== undefined) return ignored(settled);

  // A request condition runs before ZITADEL checks the factor (anyone who types a username and any password makes
  // one), so it may refuse a login but never delete; evict-oldest never refuses, so it has nothing to do.
  if (webhook.source === 'request' && context.strategy !== 'deny-new')
    return ignored('unconfirmable_trigger');
  const { zitadel, deadline } = context;
  if (webhook.sessionId === undefined) return confirmIncomingUser(webhook, context);

  const row = await zitadel.getSession({ sessionId: webhook.sessionId }, deadline);
  if (row === undefined) return ignored('session_not_found');
  const record = toSessionRecord(row);
  if (record.userId === undefined) return ignored('session_has_no_user');
  const hint = webhook.userHint;
  if (hint !== undefined && 'userId' in hint && hint.userId !== record.userId) {
    // ZITADEL never sends this: either the payload was forged with a leaked signing key or something in
    // between rewrote it. Acting for either user would be acting on a lie.
    context.logger.warn('the webhook names another user than the session belongs to; ignored', {
      sessionId: record.id,
      sessionUserId: record.userId,
    });
    return ignored('user_mismatch');
  }
  const writtenAt = parseTimestampNanos(row.changeDate ?? row.creationDate);
  if (webhook.source === 'request') {
    // Before ZITADEL checked the factor: the session takes a place as the one being authenticated right now.
    return {
      kind: 'confirmed',
      userId: record.userId,
      trigger: { incoming: true, id: record.id, fingerprintId: record.fingerprintId },
      writtenAt,
    };
  }
  if (!record.authenticated) return ignored('not_authenticated');
  if (record.expiresAtMs !== undefined && record.expiresAtMs <= context.nowMs)
    return ignored('session_expired');
  return { kind: 'confirmed', userId: record.userId, trigger: record, writtenAt };
}

/**
 * A CreateSession request condition (ENFORCE_ON_REQUEST, deny-new): the session does not exist yet, so nothing can
 * be read back and the user is only the payload's claim. Such a trigger may refuse the login, never delete anybody's
 * sessions (enforceUserLimit deletes nothing for an incoming trigger).
 */
async function confirmIncomingUser(
  webhook: SessionTrigger,
  context: ConfirmContext,
): Promise<ConfirmedTrigger> {
  const hint = webhook.userHint;
  if (hint === undefined) return ignored('user_not_found');
  const userId =
    'userId' in hint
      ? hint.userId
      : await context.zitadel.findUserIdByLoginName({ loginName: hint.loginName }, context.deadline);
  if (userId === undefined) return ignored('user_not_found');
  // The browser's fingerprint is the payload's word here; it can only keep this login from being refused as a
  // new device (deny-new deletes nothing for a session that does not exist yet).
  return {
    kind: 'confirmed',
    userId,
    trigger: { incoming: true, id: undefined, fingerprintId: webhook.fingerprintId },
    writtenAt: undefined,
  };
}
