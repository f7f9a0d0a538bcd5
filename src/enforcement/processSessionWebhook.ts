import type { Config } from '../config.js';
import type { Logger } from '../logging/logger.js';
import { withRequestLogger } from '../logging/requestScope.js';
import type { SessionWebhook } from '../webhook/parseSessionWebhook.js';
import type { ZitadelSessionApi } from '../zitadel/client.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { enforceUserLimit } from './enforceUserLimit.js';
import { KeyedSerializer } from './keyedSerializer.js';
import { RecentSessions } from './recentSessions.js';
import type { WebhookOutcome } from './outcome.js';
import { resolveTrigger } from './resolveTrigger.js';

export interface WebhookProcessorDeps {
  readonly config: Config;
  readonly zitadel: ZitadelSessionApi;
  readonly now: () => number;
}

export type WebhookProcessor = (
  webhook: SessionWebhook,
  context: { readonly sentAtMs: number; readonly logger: Logger },
) => Promise<WebhookOutcome>;

/**
 * The limiter's use case: from a verified, parsed webhook to what was kept and deleted. All ZITADEL work for one
 * webhook shares one deadline that fits inside ZITADEL's target timeout, and webhooks of one user run one at a time.
 * Every line logged on its behalf, down to the ZITADEL client's, goes through the webhook's own logger (request id).
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps): WebhookProcessor {
  const { config, zitadel, now } = deps;
  const userLocks = new KeyedSerializer();
  const recentSessions = new RecentSessions();
  let requestConditionHintGiven = false;

  const processInScope: WebhookProcessor = async (webhook, { sentAtMs, logger }) => {
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
    const resolved = await resolveTrigger(webhook, {
      zitadel,
      deadline,
      nowMs: now(),
      sentAtMs,
      enforceOnRequest: config.enforceOnRequest,
    });
    if (resolved.kind === 'ignored')
      return { outcome: 'ignored', reason: resolved.reason, sessionId: webhook.sessionId };

    return userLocks.run(resolved.userId, () =>
      enforceUserLimit({
        userId: resolved.userId,
        trigger: resolved.trigger,
        settings: config,
        zitadel,
        deadline,
        nowMs: now(),
        logger,
        recentSessions,
      }),
    );
  };
  return (webhook, context) => withRequestLogger(context.logger, () => processInScope(webhook, context));
}
