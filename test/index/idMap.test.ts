import { describe, expect, it } from 'vitest';
import { IdMap } from '../../main/index/idMap';

describe('IdMap', () => {
  it('maps ids to values like a Map, grows past its first size, and lists ids ascending', () => {
    const map = new IdMap();
    const reference = new Map<number, number>();
    let s = 7;
    for (let i = 0; i < 5000; i++) {
      s = (s * 16807) % 2147483647;
      const id = s % 50_000;
      map.set(id, i);
      reference.set(id, i);
    }
    expect(map.size).toBe(reference.size);
    for (const [id, value] of reference) expect(map.get(id)).toBe(value);
    expect(map.has(50_001)).toBe(false);
    expect(map.get(-1)).toBeUndefined();
    expect([...map.keys()]).toEqual([...reference.keys()].sort((a, b) => a - b));
    map.set(3, 0); // value 0 is a value, not "absent"
    expect(map.has(3)).toBe(true);
    expect(map.get(3)).toBe(0);
    expect(() => map.set(2 ** 31, 1)).toThrow(RangeError);
    expect(() => map.set(1.5, 1)).toThrow(RangeError);
  });
});
