import type { Config } from '../config.js';
import type { Logger } from '../logging/logger.js';
import { withRequestLogger } from '../logging/requestScope.js';
import type { SessionWebhook } from '../webhook/parseSessionWebhook.js';
import type { ZitadelLimiterApi } from '../zitadel/client.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { confirmTrigger } from './confirmTrigger.js';
import { enforceUserLimit } from './enforceUserLimit.js';
import type { WebhookOutcome } from './outcome.js';
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

/**
 * The limiter's use case: from a verified, parsed webhook to what was kept and deleted — confirm the trigger with
 * ZITADEL, list the user's sessions, decide, delete. All ZITADEL work for one webhook shares one deadline that fits
 * inside ZITADEL's target timeout. Nothing is remembered between webhooks: correctness comes from ZITADEL's own
 * consistency (see enforceUserLimit), so replicas and cold starts need no shared store.
 * Every line logged on its behalf, down to the ZITADEL client's, goes through the webhook's own logger (request id).
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps): WebhookProcessor {
  const { config, zitadel, now } = deps;
  // Per-user limits and "signed in" are read through caches that live as long as the processor.
  const policies = createUserPolicyReader({ api: zitadel, settings: config, now });
  let requestConditionHintGiven = false;

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

    const deadline = deadlineIn(config.enforcementDeadlineMs, now());
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
      logger,
    });
  };
  return (webhook, context) => withRequestLogger(context.logger, () => processInScope(webhook, context));
}
