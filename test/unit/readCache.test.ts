import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../src/zitadel/readCache.js';

function setUp(options: { ttlMs?: number; maxEntries?: number } = {}) {
  let nowMs = 0;
  const cache = new ReadCache<string>({
    ttlMs: options.ttlMs ?? 1000,
    maxEntries: options.maxEntries ?? 100,
    now: () => nowMs,
  });
  let loads = 0;
  const load = (value: string) => () => {
    loads += 1;
    return Promise.resolve(value);
  };
  return { cache, load, loads: () => loads, advance: (ms: number) => (nowMs += ms) };
}

describe('ReadCache', () => {
  it('answers from the cache within the TTL and reads again after it', async () => {
    const { cache, load, loads, advance } = setUp();
    expect(await cache.get('u1', load('a'))).toBe('a');
    advance(999);
    expect(await cache.get('u1', load('b'))).toBe('a');
    advance(1);
    expect(await cache.get('u1', load('c'))).toBe('c');
    expect(loads()).toBe(2);
  });

  it('shares one read between concurrent callers of the same key', async () => {
    const { cache } = setUp();
    let calls = 0;
    let release: (value: string) => void = () => undefined;
    const slow = () => {
      calls += 1;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const both = Promise.all([cache.get('u1', slow), cache.get('u1', slow)]);
    release('x');
    expect(await both).toEqual(['x', 'x']);
    expect(calls).toBe(1);
  });

  it('keeps no failure: the next caller reads again', async () => {
    const { cache, load } = setUp();
    await expect(cache.get('u1', () => Promise.reject(new Error('503')))).rejects.toThrow('503');
    expect(await cache.get('u1', load('ok'))).toBe('ok');
  });

  it('keeps nothing with a TTL of 0', async () => {
    const { cache, load, loads } = setUp({ ttlMs: 0 });
    await cache.get('u1', load('a'));
    await cache.get('u1', load('b'));
    expect(loads()).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('drops the oldest entries beyond maxEntries', async () => {
    const { cache, load, loads } = setUp({ maxEntries: 2 });
    for (const key of ['u1', 'u2', 'u3']) await cache.get(key, load(key));
    expect(cache.size).toBe(2);
    await cache.get('u3', load('again'));
    expect(loads()).toBe(3);
    await cache.get('u1', load('u1 again'));
    expect(loads()).toBe(4);
  });

  it('keeps an undefined value (no metadata set) like any other', async () => {
    let nowMs = 0;
    const cache = new ReadCache<string | undefined>({ ttlMs: 1000, maxEntries: 10, now: () => nowMs });
    let loads = 0;
    const load = () => {
      loads += 1;
      return Promise.resolve(undefined);
    };
    expect(await cache.get('u1', load)).toBeUndefined();
    nowMs += 500;
    expect(await cache.get('u1', load)).toBeUndefined();
    expect(loads).toBe(1);
  });

  it('still answers a pending read whose key was pushed out by newer ones', async () => {
    const { cache, load } = setUp({ maxEntries: 1 });
    let release: (value: string) => void = () => undefined;
    const pending = cache.get('u1', () => new Promise<string>((resolve) => (release = resolve)));
    expect(await cache.get('u2', load('b'))).toBe('b');
    release('a');
    expect(await pending).toBe('a');
  });
});
