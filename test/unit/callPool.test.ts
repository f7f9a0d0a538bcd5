import { describe, expect, it } from 'vitest';
import { CallPool } from '../../src/zitadel/callPool.js';

describe('CallPool', () => {
  it('grants places up to its size at once and the next ones in arrival order as places free up', async () => {
    const pool = new CallPool(2);
    const signal = new AbortController().signal;
    const first = await pool.acquire(signal);
    await pool.acquire(signal);
    const order: string[] = [];
    const third = pool.acquire(signal).then((release) => {
      order.push('third');
      return release;
    });
    const fourth = pool.acquire(signal).then(() => order.push('fourth'));
    expect(pool.usage).toEqual({ busy: 2, waiting: 2 });

    first();
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it('gives up waiting when the signal aborts, and the place goes to the next in line', async () => {
    const pool = new CallPool(1);
    const release = await pool.acquire(new AbortController().signal);
    const impatient = new AbortController();
    const abandoned = pool.acquire(impatient.signal);
    const patient = pool.acquire(new AbortController().signal);
    impatient.abort(new Error('deadline'));
    await expect(abandoned).rejects.toThrow('deadline');
    expect(pool.usage).toEqual({ busy: 1, waiting: 1 });
    release();
    await patient;
    expect(pool.usage).toEqual({ busy: 1, waiting: 0 });
  });

  it('refuses at once for a signal that has already aborted, and ignores a second release', async () => {
    const pool = new CallPool(1);
    await expect(pool.acquire(AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
    const release = await pool.acquire(new AbortController().signal);
    release();
    release();
    expect(pool.usage).toEqual({ busy: 0, waiting: 0 });
  });
});
