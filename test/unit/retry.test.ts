import { describe, expect, it } from 'vitest';
import { parseRetryAfter, ZitadelError } from '../../src/zitadel/errors.js';
import { isRetryableStatus } from '../../src/zitadel/failureKind.js';
import { backoffDelayMs, withRetries, type RetryPolicy } from '../../src/zitadel/retry.js';

const POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 };
// Real sleeps, kept to a millisecond or two so the suite stays fast.
const FAST: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

function zitadelError(retryable: boolean, retryAfterMs?: number): ZitadelError {
  return new ZitadelError({
    operation: 'listUserSessions',
    kind: 'http',
    status: retryable ? 503 : 400,
    retryable,
    retryAfterMs,
  });
}

function farDeadline(signal: AbortSignal = new AbortController().signal) {
  return { signal, deadlineAtMs: 1_000_000_000, now: () => 0 };
}

/** An attempt function that fails with the given errors in turn, then succeeds; it records every call. */
function scripted(failures: readonly Error[], value = 'ok') {
  const calls: number[] = [];
  const attempt = (attemptNumber: number): Promise<string> => {
    calls.push(attemptNumber);
    const failure = failures[attemptNumber - 1];
    return failure === undefined ? Promise.resolve(value) : Promise.reject(failure);
  };
  return { calls, attempt };
}

describe('backoffDelayMs', () => {
  it('uses the Retry-After delay when the server gave one', () => {
    expect(backoffDelayMs(POLICY, 1, 1500, () => 0.99)).toBe(1500);
  });

  it('uses a Retry-After of zero as is', () => {
    expect(backoffDelayMs(POLICY, 3, 0, () => 0.99)).toBe(0);
  });

  it('caps Retry-After at four times the maximum delay', () => {
    expect(backoffDelayMs(POLICY, 1, 60_000, () => 0.5)).toBe(8000);
  });

  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [5, 1600],
    [6, 2000],
    [20, 2000],
  ])('keeps attempt %i below min(maxDelay, base * 2^(attempt-1)) = %i', (attempt, ceiling) => {
    expect(backoffDelayMs(POLICY, attempt, undefined, () => 0)).toBe(0);
    expect(backoffDelayMs(POLICY, attempt, undefined, () => 0.5)).toBe(ceiling / 2);
    const highest = backoffDelayMs(POLICY, attempt, undefined, () => 0.999_999);
    expect(highest).toBeLessThan(ceiling);
    expect(highest).toBe(ceiling - 1);
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelayMs(POLICY, 2, undefined, () => 0.123_456))).toBe(true);
  });
});

describe('withRetries', () => {
  it('returns the first successful result without retrying', async () => {
    const { calls, attempt } = scripted([]);
    await expect(withRetries(FAST, farDeadline(), attempt)).resolves.toBe('ok');
    expect(calls).toEqual([1]);
  });

  it('retries a retryable ZitadelError and returns the later success', async () => {
    const { calls, attempt } = scripted([zitadelError(true), zitadelError(true)]);
    const retries: { error: ZitadelError; delayMs: number }[] = [];
    await expect(
      withRetries(FAST, farDeadline(), attempt, (error, delayMs) => retries.push({ error, delayMs })),
    ).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
    expect(retries).toHaveLength(2);
    for (const retry of retries) expect(retry.error.retryable).toBe(true);
  });

  it('gives up after maxAttempts and throws the last error as it was', async () => {
    const errors = [zitadelError(true), zitadelError(true), zitadelError(true), zitadelError(true)];
    const { calls, attempt } = scripted(errors);
    await expect(withRetries(FAST, farDeadline(), attempt)).rejects.toBe(errors[2]);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('makes a single attempt when maxAttempts is 1', async () => {
    const error = zitadelError(true);
    const { calls, attempt } = scripted([error]);
    await expect(withRetries({ ...FAST, maxAttempts: 1 }, farDeadline(), attempt)).rejects.toBe(error);
    expect(calls).toEqual([1]);
  });

  it('stops at a non-retryable ZitadelError', async () => {
    const error = zitadelError(false);
    const { calls, attempt } = scripted([error]);
    await expect(withRetries(FAST, farDeadline(), attempt)).rejects.toBe(error);
    expect(calls).toEqual([1]);
  });

  it('does not retry errors that are not ZitadelErrors', async () => {
    const error = new TypeError('a bug, not an outage');
    const { calls, attempt } = scripted([error]);
    await expect(withRetries(FAST, farDeadline(), attempt)).rejects.toBe(error);
    expect(calls).toEqual([1]);
  });

  it('stops when the next wait would pass the deadline', async () => {
    const error = zitadelError(true, 5000);
    const { calls, attempt } = scripted([error, zitadelError(true)]);
    const retried: number[] = [];
    const deadline = { signal: new AbortController().signal, deadlineAtMs: 1000 + 4000, now: () => 1000 };
    await expect(
      withRetries(POLICY, deadline, attempt, (_error, delayMs) => retried.push(delayMs)),
    ).rejects.toBe(error);
    expect(calls).toEqual([1]);
    expect(retried).toEqual([]);
  });

  it('waits for a Retry-After that fits before the deadline', async () => {
    const { calls, attempt } = scripted([zitadelError(true, 1)]);
    const delays: number[] = [];
    const deadline = { signal: new AbortController().signal, deadlineAtMs: 1000 + 50, now: () => 1000 };
    await expect(
      withRetries(POLICY, deadline, attempt, (_error, delayMs) => delays.push(delayMs)),
    ).resolves.toBe('ok');
    expect(calls).toEqual([1, 2]);
    expect(delays).toEqual([1]);
  });

  it('ends the retries with the last error when the deadline signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    const error = zitadelError(true);
    const { calls, attempt } = scripted([error, zitadelError(true)]);
    await expect(withRetries(FAST, farDeadline(controller.signal), attempt)).rejects.toBe(error);
    expect(calls).toEqual([1]);
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 7 ', 7000],
  ])('reads %j seconds as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('reads an HTTP date as the time until then', () => {
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
  });

  it('reads an HTTP date in the past as no wait', () => {
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
  });

  it.each([
    ['garbage', 'soon'],
    ['an empty string', ''],
    ['blanks', '   '],
    ['a number that is not a string', 120],
    ['undefined', undefined],
    ['an array of values', ['120']],
  ])('reads %s as unknown', (_name, value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries HTTP %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 501])('does not retry HTTP %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('ZitadelError', () => {
  it('names the operation and status but nothing else', () => {
    const error = new ZitadelError({
      operation: 'deleteSession',
      kind: 'http',
      status: 429,
      grpcCode: 8,
      retryable: true,
    });
    expect(error.message).toBe('ZITADEL deleteSession failed: HTTP 429');
    expect(error.name).toBe('ZitadelError');
  });

  it('names the failure kind when there is no status', () => {
    expect(new ZitadelError({ operation: 'getSession', kind: 'timeout', retryable: true }).message).toBe(
      'ZITADEL getSession failed: timeout',
    );
  });
});

describe('parseRetryAfter refuses what only a lenient date parser would read', () => {
  it.each(['1.5', '-5', '5s', 'Tomorrow', '10 seconds', '99999999999'])(
    'treats %j as unreadable',
    (value) => {
      expect(parseRetryAfter(value, Date.UTC(2026, 0, 1))).toBeUndefined();
    },
  );

  it('reads an IMF-fixdate relative to now', () => {
    const now = Date.UTC(2026, 0, 1, 8, 0, 0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 08:00:07 GMT', now)).toBe(7000);
  });
});
