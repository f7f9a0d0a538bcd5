import { abortableSleep } from './abortableSleep.js';
import { ZitadelError } from './errors.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

// Six attempts: under a 20% fault rate four left about 0.5% of webhooks failing with time still on the deadline.
// The enforcement deadline, not this count, is what bounds a webhook's time.
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2000 };

/** Exponential backoff with full jitter (AWS's recommendation), or the server's Retry-After when it gave one. */
export function backoffDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs * 4);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable ZitadelError, runs out of attempts, or the next wait
 * would pass the deadline (`deadlineAtMs`): then the last error is thrown as it was.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  deadline: { readonly signal: AbortSignal; readonly deadlineAtMs: number; readonly now: () => number },
  attempt: (attemptNumber: number) => Promise<T>,
  onRetry: (error: ZitadelError, delayMs: number) => void = () => undefined,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!(error instanceof ZitadelError) || !error.retryable || attemptNumber >= policy.maxAttempts)
        throw error;
      const delayMs = backoffDelayMs(policy, attemptNumber, error.retryAfterMs);
      if (deadline.now() + delayMs >= deadline.deadlineAtMs) throw error;
      onRetry(error, delayMs);
      await abortableSleep(delayMs, deadline.signal).catch(() => {
        throw error;
      });
    }
  }
}
