import type { Config } from '../vocabulary.js';
import { reportSummary, type UndecidedReason, type WebhookOutcome } from '../enforcement/outcome.js';

/** What ZITADEL is answered for a decided (or undecided) webhook: a status and a JSON body. */
export interface WebhookAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The settings an answer depends on: what an undecided webhook gets, and the message a deny shows the user. */
export type AnswerSettings = Pick<Config, 'onFailure' | 'denyMessage'>;

// Under ON_FAILURE=refuse: "try again later" when we turned the webhook away, "the upstream failed" otherwise.
const UNDECIDED_STATUS: Record<UndecidedReason, number> = {
  overloaded: 503,
  deadline: 503,
  rate_limited: 503,
  zitadel_unavailable: 502,
  zitadel_rejected: 502,
  zitadel_invalid_response: 502,
  instance_not_found: 502,
  jwks_unavailable: 502,
  internal_error: 500,
};

/**
 * The answer ZITADEL gets (status and JSON). Only a deny carries the forwarded-error fields that fail the user's
 * call; a webhook the limiter could not decide in time passes with 200 under ON_FAILURE=allow and gets a 5xx under
 * refuse (which, with interruptOnError, fails the login). Pure: the outcome and the settings decide it all.
 */
export function webhookAnswer(
  outcome: WebhookOutcome,
  settings: AnswerSettings,
  /** The refused user's "your devices" link (a ticket), when the page is on: shown by custom login UIs. */
  devicesLink?: string,
): WebhookAnswer {
  if (outcome.outcome === 'ignored') {
    return { status: 200, body: { outcome: 'ignored', reason: outcome.reason } };
  }
  if (outcome.outcome === 'undecided') {
    return settings.onFailure === 'allow'
      ? { status: 200, body: { outcome: 'undecided', reason: outcome.reason } }
      : { status: UNDECIDED_STATUS[outcome.reason], body: { error: outcome.reason } };
  }
  const summary = reportSummary(outcome);
  if (outcome.outcome === 'denied' && !outcome.dryRun) {
    // ZITADEL turns a 2xx body with these fields into an error for the caller (pkg/actions HandleResponse).
    return {
      status: 200,
      body: {
        forwardedStatusCode: 403,
        forwardedErrorMessage: denyMessageWith(settings.denyMessage, devicesLink),
        ...summary,
        ...(devicesLink === undefined ? {} : { devicesUrl: devicesLink }),
      },
    };
  }
  if (outcome.failed.length > 0 && settings.onFailure === 'refuse')
    return { status: 502, body: { error: 'zitadel_unavailable', ...summary } };
  return { status: 200, body: { ...summary } };
}

/** Where DENY_MESSAGE says `{devicesUrl}`, the link goes there; otherwise it follows the message. */
export const DEVICES_URL_PLACEHOLDER = '{devicesUrl}';

function denyMessageWith(message: string, devicesLink: string | undefined): string {
  if (devicesLink === undefined) return message.replaceAll(DEVICES_URL_PLACEHOLDER, '').trim();
  return message.includes(DEVICES_URL_PLACEHOLDER)
    ? message.replaceAll(DEVICES_URL_PLACEHOLDER, devicesLink)
    : `${message} ${devicesLink}`;
}

/**
 * Whether a replay of this webhook may be answered from memory: it was decided and carried out in full. After an
 * undecided or partly carried out decision, a replay may finish the job, so it is decided again.
 */
export function isFinished(outcome: WebhookOutcome): boolean {
  if (outcome.outcome === 'undecided') return false;
  return outcome.outcome === 'ignored' || (outcome.failed.length === 0 && outcome.remaining === 0);
}
