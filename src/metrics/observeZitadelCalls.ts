import { currentLogger } from '../logging/requestScope.js';
import type { Logger } from '../logging/logger.js';
import type { ZitadelCallObserver } from '../zitadel/client.js';
import type { LimiterMetrics } from './limiterMetrics.js';

/**
 * What the ZITADEL client reports about each call goes to the metrics (latency, retries, "last answered") and, at
 * debug level, to the log of the webhook that made the call, request id included.
 */
export function observeZitadelCalls(metrics: LimiterMetrics, logger: Logger): ZitadelCallObserver {
  return {
    callFinished(operation, outcome, durationMs) {
      metrics.zitadelCallFinished(operation, outcome, durationMs);
      currentLogger(logger).debug('ZITADEL call finished', { operation, outcome, durationMs });
    },
    retrying(operation, reason, delayMs) {
      metrics.zitadelRetrying(operation, reason);
      currentLogger(logger).debug('retrying ZITADEL call', { operation, reason, delayMs });
    },
    rateLimitPaused(operation, pauseMs) {
      metrics.zitadelRateLimitPaused(operation);
      currentLogger(logger).warn('ZITADEL is rate-limiting the limiter (429): every ZITADEL call waits', {
        operation,
        pauseMs,
      });
    },
    rateBudgetExhausted(operation) {
      metrics.zitadelRateBudgetExhausted(operation);
      // The webhook's own warning says what it means for the login; this line is per call.
      currentLogger(logger).debug(
        'no ZITADEL request budget left before the deadline; the call was not sent',
        {
          operation,
        },
      );
    },
  };
}
