import { describe, expect, it } from 'vitest';
import { OncePerInterval } from '../../src/util/oncePerInterval.js';

describe('OncePerInterval', () => {
  it('lets the first occurrence through, holds the rest back for the interval, then reports how many', () => {
    let nowMs = 0;
    const once = new OncePerInterval(1000, () => nowMs);

    expect(once.take('a')).toEqual({ report: true, heldBack: 0 });
    expect(once.take('a')).toEqual({ report: false, heldBack: 1 });
    nowMs = 999;
    expect(once.take('a')).toEqual({ report: false, heldBack: 2 });
    nowMs = 1000;
    expect(once.take('a')).toEqual({ report: true, heldBack: 2 });
    expect(once.take('a')).toEqual({ report: false, heldBack: 1 });
  });

  it('counts each key on its own', () => {
    const once = new OncePerInterval(1000, () => 0);
    expect(once.take('a').report).toBe(true);
    expect(once.take('b').report).toBe(true);
    expect(once.take('a').report).toBe(false);
  });
});
