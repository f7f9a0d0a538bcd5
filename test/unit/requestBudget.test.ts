import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestBudget } from '../../src/zitadel/requestBudget.js';

// Fake timers drive both the waits and the budget's clock (Date.now): no test depends on the machine's speed.
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const never = new AbortController().signal;
const deadlineIn = (ms: number) => ({ atMs: Date.now() + ms, signal: never });

/** Takes `count` turns at once and records, for each, the clock when it was granted (or 'exhausted'). */
function takeMany(budget: RequestBudget, count: number, deadlineMs = 60_000) {
  const deadline = deadlineIn(deadlineMs);
  const grantedAt: (number | 'exhausted')[] = [];
  const all = Array.from({ length: count }, (_, index) =>
    budget.take(deadline).then((grant) => {
      grantedAt[index] = grant === 'granted' ? Date.now() - 1_000_000 : 'exhausted';
    }),
  );
  return { grantedAt, done: Promise.all(all) };
}

describe('RequestBudget (ZITADEL_MAX_RPS)', () => {
  it('lets a burst of a quarter second go at once, then one request per interval', async () => {
    const budget = new RequestBudget({ ratePerSecond: 40, now: Date.now });
    const { grantedAt, done } = takeMany(budget, 14);
    await vi.runAllTimersAsync();
    await done;
    // 10 at once (a quarter of 40), then every 25 ms.
    expect(grantedAt).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 50, 75, 100]);
  });

  it('never lets more than ZITADEL Cloud allows (50) go in any one second at the default of 40', async () => {
    const budget = new RequestBudget({ ratePerSecond: 40, now: Date.now });
    const { grantedAt, done } = takeMany(budget, 200);
    await vi.runAllTimersAsync();
    await done;
    const times = grantedAt.filter((at): at is number => typeof at === 'number');
    expect(times).toHaveLength(200);
    const mostInOneSecond = Math.max(
      ...times.map((start) => times.filter((at) => at >= start && at < start + 1000).length),
    );
    expect(mostInOneSecond).toBeLessThanOrEqual(50);
    expect(mostInOneSecond).toBeGreaterThanOrEqual(40);
  });

  it('refills while idle, up to the burst and no more', async () => {
    const budget = new RequestBudget({ ratePerSecond: 40, now: Date.now });
    const first = takeMany(budget, 10);
    await first.done;
    await vi.advanceTimersByTimeAsync(10_000);
    const second = takeMany(budget, 11);
    await vi.runAllTimersAsync();
    await second.done;
    expect(second.grantedAt.map((at) => (at as number) - 10_000)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]);
  });

  it('answers exhausted at once, taking nothing, when the turn would come at or after the deadline', async () => {
    const budget = new RequestBudget({ ratePerSecond: 10, burst: 1, now: Date.now });
    // Turns at 0, 100, 200 ms; a deadline 150 ms away admits the first two only.
    const { grantedAt, done } = takeMany(budget, 3, 150);
    await vi.runAllTimersAsync();
    await done;
    expect(grantedAt).toEqual([0, 100, 'exhausted']);
    // The refused turn was not taken: the next caller gets the turn at 200 ms.
    const later = budget.take(deadlineIn(1_000));
    await vi.runAllTimersAsync();
    expect(await later).toBe('granted');
    expect(Date.now() - 1_000_000).toBe(200);
  });

  it('a pause holds back every request until it ends, then resumes at the steady rate without a burst', async () => {
    const budget = new RequestBudget({ ratePerSecond: 40, now: Date.now });
    budget.pauseUntil(Date.now() + 2_000);
    expect(budget.pausedUntilMs()).toBe(1_002_000);
    const { grantedAt, done } = takeMany(budget, 3);
    await vi.runAllTimersAsync();
    await done;
    expect(grantedAt).toEqual([2_000, 2_025, 2_050]);
    expect(budget.pausedUntilMs()).toBeUndefined();
  });

  it('a pause past the deadline refuses at once, even with the budget off', async () => {
    const budget = new RequestBudget({ ratePerSecond: undefined, now: Date.now });
    budget.pauseUntil(Date.now() + 5_000);
    expect(await budget.take(deadlineIn(3_000))).toBe('exhausted');
    const patient = budget.take(deadlineIn(6_000));
    await vi.runAllTimersAsync();
    expect(await patient).toBe('granted');
    expect(Date.now() - 1_000_000).toBe(5_000);
  });

  it('with the budget off and no pause, every request goes at once', async () => {
    const budget = new RequestBudget({ ratePerSecond: undefined, now: Date.now });
    const { grantedAt, done } = takeMany(budget, 500);
    await done;
    expect(new Set(grantedAt)).toEqual(new Set([0]));
  });

  it('a shorter pause does not cut a longer one short', () => {
    const budget = new RequestBudget({ ratePerSecond: undefined, now: Date.now });
    budget.pauseUntil(Date.now() + 3_000);
    budget.pauseUntil(Date.now() + 1_000);
    expect(budget.pausedUntilMs()).toBe(1_003_000);
  });

  it('rejects a wait when the deadline signal aborts', async () => {
    const budget = new RequestBudget({ ratePerSecond: 1, burst: 1, now: Date.now });
    await budget.take(deadlineIn(10_000));
    const abort = new AbortController();
    const waiting = budget.take({ atMs: Date.now() + 10_000, signal: abort.signal });
    abort.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
  });
});
