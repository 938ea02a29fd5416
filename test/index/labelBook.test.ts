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
});
