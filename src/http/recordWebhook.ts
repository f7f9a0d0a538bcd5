import type { WebhookOutcome } from '../enforcement/outcome.js';
import type { LimiterMetrics } from '../metrics/limiterMetrics.js';
import type { AuditLog } from './auditLog.js';
import { answerFor } from './errorHandler.js';
import type { RememberedAnswer } from './replayCache.js';

/** Which webhook a record is about, and when it arrived: durations are measured from its receipt. */
export interface WebhookReceipt {
  readonly requestId: string | undefined;
  readonly receivedAtMs: number;
}

/**
 * What the webhook route leaves behind besides its answer: the metrics and the audit record. Every verified webhook
 * gets exactly one audit record (decided, failed or replayed); every error answer is counted by its code.
 */
export interface WebhookRecorder {
  /** The use case (or the route, for an unverifiable JWT payload) reached an outcome. Returns it, for chaining. */
  decided(outcome: WebhookOutcome, receipt: WebhookReceipt): WebhookOutcome;
  /** The use case threw: nothing is known to be decided. */
  failed(error: unknown, receipt: WebhookReceipt): void;
  /** A replay was answered from the cache with the first delivery's answer. */
  replayed(answer: RememberedAnswer, receipt: WebhookReceipt): void;
  /** The route answered with an error (a refusal, 4xx, or a failure, 5xx). */
  answeredWithError(error: unknown): void;
}

export interface WebhookRecorderDeps {
  readonly metrics: LimiterMetrics;
  /** Undefined turns audit records off (tests that do not look at them). */
  readonly audit: AuditLog | undefined;
  readonly now: () => number;
}

export function webhookRecorder({ metrics, audit, now }: WebhookRecorderDeps): WebhookRecorder {
  const durationSince = (receipt: WebhookReceipt) => now() - receipt.receivedAtMs;
  return {
    decided(outcome, receipt) {
      const durationMs = durationSince(receipt);
      metrics.webhookDecided(outcome, durationMs);
      audit?.decision(receipt.requestId, outcome, durationMs);
      return outcome;
    },
    failed(error, receipt) {
      const durationMs = durationSince(receipt);
      metrics.enforcementFailed(durationMs);
      audit?.failure(receipt.requestId, answerFor(error).code, durationMs);
    },
    replayed(answer, receipt) {
      metrics.webhookReplayed(answer.outcome);
      audit?.replay(receipt.requestId, answer, durationSince(receipt));
    },
    answeredWithError(error) {
      metrics.webhookAnsweredWithError(answerFor(error));
    },
  };
}
