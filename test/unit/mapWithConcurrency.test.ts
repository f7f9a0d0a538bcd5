import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../src/util/mapWithConcurrency.js';

/** Yields to the event loop `count` times: lets tasks interleave without depending on wall-clock time. */
async function yieldTimes(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await nextMacrotask();
}

describe('mapWithConcurrency', () => {
  it('never has more than `concurrency` tasks in flight, and uses all of them', async () => {
    let inFlight = 0;
    let highest = 0;
    const items = Array.from({ length: 12 }, (_, index) => index);
    await mapWithConcurrency(items, 3, async (item) => {
      inFlight++;
      highest = Math.max(highest, inFlight);
      await yieldTimes(1 + (item % 4));
      inFlight--;
      return item;
    });
    expect(highest).toBe(3);
    expect(inFlight).toBe(0);
  });

  it('runs every item at once when the concurrency exceeds the number of items', async () => {
    let inFlight = 0;
    let highest = 0;
    await mapWithConcurrency([1, 2, 3], 50, async () => {
      inFlight++;
      highest = Math.max(highest, inFlight);
      await yieldTimes(2);
      inFlight--;
    });
    expect(highest).toBe(3);
  });

  it('keeps the order of the items even when later items finish first', async () => {
    const finished: number[] = [];
    const results = await mapWithConcurrency([0, 1, 2, 3, 4], 5, async (item) => {
      await yieldTimes(5 - item);
      finished.push(item);
      return item * 10;
    });
    expect(finished).toEqual([4, 3, 2, 1, 0]);
    expect(results).toEqual([0, 10, 20, 30, 40].map((value) => ({ status: 'fulfilled', value })));
  });

  it('settles a failure without stopping the other items', async () => {
    const failure = new Error('delete failed');
    const started: string[] = [];
    const results = await mapWithConcurrency(['a', 'b', 'c', 'd'], 2, async (item) => {
      started.push(item);
      await yieldTimes(1);
      if (item === 'a') throw failure;
      return item.toUpperCase();
    });
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'fulfilled', value: 'B' },
      { status: 'fulfilled', value: 'C' },
      { status: 'fulfilled', value: 'D' },
    ]);
  });

  it('settles a task that throws before its first await', async () => {
    const failure = new Error('synchronous');
    const results = await mapWithConcurrency([1, 2], 1, (item) => {
      if (item === 1) throw failure;
      return Promise.resolve(item);
    });
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'fulfilled', value: 2 },
    ]);
  });

  it('runs items one by one with a concurrency of 1', async () => {
    const log: string[] = [];
    await mapWithConcurrency(['a', 'b', 'c'], 1, async (item) => {
      log.push(`start ${item}`);
      await yieldTimes(2);
      log.push(`end ${item}`);
    });
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('answers an empty list with an empty list without calling the task', async () => {
    let calls = 0;
    const results = await mapWithConcurrency([], 4, () => {
      calls++;
      return Promise.resolve();
    });
    expect(results).toEqual([]);
    expect(calls).toBe(0);
  });
});

describe('mapWithConcurrency with a nonsensical concurrency', () => {
  it.each([0, -1, Number.NaN])('still runs every task one at a time for %s', async (concurrency) => {
    const results = await mapWithConcurrency([1, 2, 3], concurrency, (n) => Promise.resolve(n * 2));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : undefined))).toEqual([2, 4, 6]);
  });
});

describe('mapWithConcurrency with a start condition', () => {
  it('starts nothing more once the condition says no, and marks the rest not_started', async () => {
    let started = 0;
    const results = await mapWithConcurrency(
      [1, 2, 3, 4, 5],
      2,
      (n) => {
        started += 1;
        return Promise.resolve(n);
      },
      () => started < 3,
    );
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'not_started',
      'not_started',
    ]);
  });
});
