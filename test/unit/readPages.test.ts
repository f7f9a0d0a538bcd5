import { describe, expect, it } from 'vitest';
import { readPages, visitPages } from '../../src/zitadel/transport.js';

/** A listing of `rows` ids served `pageSize` at a time, like ZITADEL's offset paging; records the offsets asked. */
function listing(rows: number, pageSize: number, total: (count: number) => string | undefined = String) {
  const all = Array.from({ length: rows }, (_, index) => `row-${index}`);
  const offsets: number[] = [];
  const fetchPage = (offset: number) => {
    offsets.push(offset);
    return Promise.resolve({ items: all.slice(offset, offset + pageSize), total: total(all.length) });
  };
  return { all, offsets, fetchPage };
}

describe('visitPages', () => {
  it('hands every page to visit in order, with the reported total, and reads no page past it', async () => {
    const { all, offsets, fetchPage } = listing(7, 3);
    const seen: [readonly string[], number | undefined][] = [];
    const read = await visitPages(fetchPage, 3, 100, (items, total) => seen.push([items, total]));
    expect(read).toEqual({ complete: true, total: 7 });
    expect(offsets).toEqual([0, 3, 6]);
    expect(seen).toEqual([
      [all.slice(0, 3), 7],
      [all.slice(3, 6), 7],
      [all.slice(6), 7],
    ]);
  });

  it('stops at the reported total even when the last page is full', async () => {
    const { offsets, fetchPage } = listing(6, 3);
    expect(await visitPages(fetchPage, 3, 100, () => undefined)).toEqual({ complete: true, total: 6 });
    expect(offsets).toEqual([0, 3]);
  });

  it('without a total, stops at the first short page (an empty one when the rows fill whole pages)', async () => {
    const { offsets, fetchPage } = listing(6, 3, () => undefined);
    expect(await visitPages(fetchPage, 3, 100, () => undefined)).toEqual({
      complete: true,
      total: undefined,
    });
    expect(offsets).toEqual([0, 3, 6]);
  });

  it('reports an incomplete listing after maxPages', async () => {
    const { offsets, fetchPage } = listing(10, 3);
    let visited = 0;
    const read = await visitPages(fetchPage, 3, 2, (items) => (visited += items.length));
    expect(read).toEqual({ complete: false, total: 10 });
    expect(offsets).toEqual([0, 3]);
    expect(visited).toBe(6);
  });

  it('asks shouldContinue before each page after the first', async () => {
    const { offsets, fetchPage } = listing(10, 3);
    const read = await visitPages(
      fetchPage,
      3,
      100,
      () => undefined,
      () => offsets.length < 2,
    );
    expect(read).toEqual({ complete: false, total: 10 });
    expect(offsets).toEqual([0, 3]);
  });
});

describe('readPages', () => {
  it('collects what visitPages hands over', async () => {
    const { all, fetchPage } = listing(8, 3);
    expect(await readPages(fetchPage, 3, 100)).toEqual({ items: all, complete: true, total: 8 });
    expect(await readPages(listing(8, 3).fetchPage, 3, 2)).toEqual({
      items: all.slice(0, 6),
      complete: false,
      total: 8,
    });
  });
});
