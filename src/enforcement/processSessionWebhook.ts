import type { Config } from '../vocabulary.js';
import type { Logger } from '../logging/logger.js';
import { withRequestLogger } from '../logging/requestScope.js';
import type { SessionTrigger, SessionWebhook } from '../webhook/parseSessionWebhook.js';
import type { ZitadelLimiterApi } from '../zitadel/client.js';
import { deadlineIn, type Deadline } from '../zitadel/deadline.js';
import { ZitadelError, zitadelFailureFields } from '../zitadel/errors.js';
import { failureKindOf, zitadelFailureCode } from '../zitadel/failureKind.js';
import { AdmissionGate } from './admissionGate.js';
import { confirmTrigger, ignoredWithoutZitadel } from './confirmTrigger.js';
import { enforceUserLimit } from './enforceUserLimit.js';
import type { UndecidedOutcome, UndecidedReason, WebhookOutcome } from './outcome.js';
import { createUserPolicyReader } from './userPolicy.js';

export interface WebhookProcessorDeps {
  readonly config: Config;
  readonly zitadel: ZitadelLimiterApi;
  readonly now: () => number;
}

export type WebhookProcessor = (
  webhook: SessionWebhook,
  context: { readonly logger: Logger },
) => Promise<WebhookOutcome>;

const undecided = (reason: UndecidedReason, webhook: SessionTrigger): UndecidedOutcome => ({
  outcome: 'undecided',
  reason,
  sessionId: webhook.sessionId,
});

/** Why enforcement ended without a decision, from what it threw. Never a message, a body or a header. */
function undecidedReasonOf(error: unknown): UndecidedReason {
  const kind = failureKindOf(error);
  if (kind === 'deadline') return 'deadline';
  if (kind === 'budget_exhausted') return 'rate_limited';
  return zitadelFailureCode(kind) ?? 'internal_error';
}

/** Resolves with "deadline" when the deadline passes, whatever the work it races is doing. */
function whenDeadlinePasses(deadline: Deadline): Promise<'deadline'> {
  return new Promise((resolve) => {
    if (deadline.signal.aborted) resolve('deadline');
    else deadline.signal.addEventListener('abort', () => resolve('deadline'), { once: true });
  });
}

/**
 * The limiter's use case: from a verified, parsed webhook to what was kept and deleted — confirm the trigger with
 * ZITADEL, list the user's sessions, decide, delete. All ZITADEL work for one webhook shares one deadline that fits
 * inside ZITADEL's target timeout, and the answer never waits past it: what cannot be decided in time (ZITADEL slow,
 * down or refusing, or too many webhooks ahead in line) ends as "undecided", which the route answers according to
 * ON_FAILURE. Nothing is remembered between webhooks: correctness comes from ZITADEL's own consistency (see
 * enforceUserLimit), so replicas and cold starts need no shared store.
 * Every line logged on its behalf, down to the ZITADEL client's, goes through the webhook's own logger (request id).
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps): WebhookProcessor {
  const { config, zitadel, now } = deps;
  // Per-user limits and "signed in" are read through caches that live as long as the processor.
  const policies = createUserPolicyReader({ api: zitadel, settings: config, now });
  const gate = new AdmissionGate({ maxInFlight: config.maxConcurrentEnforcements, now });
  let requestConditionHintGiven = false;

  async function enforce(
    webhook: SessionTrigger,
    deadline: Deadline,
    logger: Logger,
  ): Promise<WebhookOutcome> {
    const confirmed = await confirmTrigger(webhook, {
      zitadel,
      deadline,
      nowMs: now(),
      enforceOnRequest: config.enforceOnRequest,
      strategy: config.limitStrategy,
      logger,
    });
    if (confirmed.kind === 'ignored')
      return { outcome: 'ignored', reason: confirmed.reason, sessionId: webhook.sessionId };
    return enforceUserLimit({
      userId: confirmed.userId,
      trigger: confirmed.trigger,
      triggerWrittenAt: confirmed.writtenAt,
      settings: config,
      zitadel,
      policies,
      deadline,
      nowMs: now(),
      now,
      logger,
    });
  }

  const processInScope: WebhookProcessor = async (webhook, { logger }) => {
    if (webhook.kind === 'ignored') return { outcome: 'ignored', reason: webhook.reason };

    if (webhook.source === 'request' && !config.enforceOnRequest && !requestConditionHintGiven) {
      requestConditionHintGiven = true;
      logger.warn(
        'received a request-condition webhook; it fires before ZITADEL checks the password, so it is ignored. ' +
          'Register response executions on CreateSession and SetSession instead (see the README), ' +
          'or set ENFORCE_ON_REQUEST=true to act on request conditions.',
        { method: webhook.name },
      );
    }
    // Settled before taking a place in line: these cost ZITADEL nothing.
    const settled = ignoredWithoutZitadel(webhook, config.enforceOnRequest);
    if (settled !== undefined) return { outcome: 'ignored', reason: settled, sessionId: webhook.sessionId };

    const deadline = deadlineIn(config.enforcementDeadlineMs, now());
    const release = await gate.enter(deadline);
    if (release === 'overloaded') {
      logger.warn('too many webhooks ahead to decide this one in time; the login goes on undecided', {
        estimateMs: Math.round(gate.estimateMs),
      });
      return undecided('overloaded', webhook);
    }
    const work = enforce(webhook, deadline, logger).finally(release);
    try {
      const first = await Promise.race([work, whenDeadlinePasses(deadline)]);
      if (first !== 'deadline') return first;
      // The answer leaves now; the work, whose ZITADEL calls the same deadline aborts, winds down on its own.
      work.catch(() => undefined);
      logger.warn('the deadline passed before a decision was carried out; the login goes on undecided', {});
      return undecided('deadline', webhook);
    } catch (error) {
      const reason = undecidedReasonOf(error);
      if (reason === 'internal_error')
        logger.error('unexpected error while enforcing', {
          errorName: error instanceof Error ? error.name : typeof error,
        });
      else if (reason === 'rate_limited' && error instanceof ZitadelError)
        logger.warn(
          'no ZITADEL request budget left before the deadline (ZITADEL_MAX_RPS, or a 429 pause); the login goes on undecided',
          { operation: error.operation },
        );
      else if (error instanceof ZitadelError)
        logger.error('ZITADEL call failed', zitadelFailureFields(error));
      return undecided(reason, webhook);
    }
  };
  return (webhook, context) => withRequestLogger(context.logger, () => processInScope(webhook, context));
}
