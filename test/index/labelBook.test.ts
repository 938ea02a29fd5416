/** The labels beside a graph: live, deleted, re-added, the highest ever, and a book read from a file. */
import { describe, expect, it } from 'vitest';
import { LabelBook } from '../../main/index/labelBook';

describe('LabelBook', () => {
  it('counts live labels, marks deleted ones once, and un-deletes a re-added label', () => {
    const book = new LabelBook();
    for (const id of [3, 7, 5]) book.added(id);
    expect(book.removed(7)).toBe(true);
    expect(book.removed(7)).toBe(false);
    expect(book.removed(42)).toBe(false);
    expect(book.size).toBe(2);
    expect(book.has(7)).toBe(false);
    expect(book.liveIds().sort((a, b) => a - b)).toEqual([3, 5]);
    expect(book.deletedIds()).toEqual([7]);
    book.added(7);
    expect(book.has(7)).toBe(true);
    expect(book.deletedIds()).toEqual([]);
    expect(book.maxId).toBe(7);
  });

  it("is built from a file's ids, ignoring deleted ids it does not hold, and clears to empty", () => {
    const book = LabelBook.of([10, 2, 4], [4, 99]);
    expect(book.size).toBe(2);
    expect(book.deletedIds()).toEqual([4]);
    expect(book.maxId).toBe(10);
    book.clear();
    expect(book.size).toBe(0);
    expect(book.has(2)).toBe(false);
  });

  it('moves the neighbourhood epoch with removals and releases, and with inserts only past 1% growth', () => {
    const book = new LabelBook();
    // A small graph moves with every insert.
    let epoch = book.neighbourhoodEpoch;
    for (let id = 1; id <= 50; id++) {
      book.added(id);
      expect(book.neighbourhoodEpoch).toBeGreaterThan(epoch);
      epoch = book.neighbourhoodEpoch;
    }
    for (let id = 51; id <= 10_000; id++) book.added(id);
    // A removal moves it and starts an epoch at 9,999 labels: 99 newcomers keep it, the 100th (> 1%) moves it.
    epoch = book.neighbourhoodEpoch;
    expect(book.removed(5)).toBe(true);
    expect(book.neighbourhoodEpoch).toBeGreaterThan(epoch);
    epoch = book.neighbourhoodEpoch;
    expect(book.removed(5)).toBe(false); // nothing removed: nothing moves
    expect(book.neighbourhoodEpoch).toBe(epoch);
    let id = 20_000;
    while (book.neighbourhoodEpoch === epoch) book.added(id++);
    expect(id - 20_000).toBe(100);
    epoch = book.neighbourhoodEpoch;
    book.added(id++);
    expect(book.neighbourhoodEpoch).toBe(epoch);
    book.clear();
    expect(book.neighbourhoodEpoch).toBeGreaterThan(epoch);
  });
});
