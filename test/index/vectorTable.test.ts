// The in-memory vector table follows its source: new vectors above the highest id come in through the
// cheap delta, one below it through the full comparison the count mismatch triggers.
import { describe, expect, it } from 'vitest';
import type { VectorSource } from '../../main/index/types';
import { VectorTable } from '../../main/index/vectorTable';

function source(dim: number) {
  const vectors = new Map<number, Float32Array>();
  let revision = 0;
  const calls = { ids: 0, idsAfter: 0, batches: 0 };
  const src: VectorSource = {
    dim,
    revision: () => revision,
    count: () => vectors.size,
    ids: () => (calls.ids++, [...vectors.keys()].sort((a, b) => a - b)),
    idsAfter: (id) => (calls.idsAfter++, [...vectors.keys()].filter((k) => k > id).sort((a, b) => a - b)),
    batches: function* (batchSize: number) {
      const ids = [...vectors.keys()].sort((a, b) => a - b);
      for (let start = 0; start < ids.length; start += batchSize) {
        calls.batches++;
        const some = ids.slice(start, start + batchSize);
        const flat = new Float32Array(some.length * dim);
        some.forEach((id, i) => flat.set(vectors.get(id)!, i * dim));
        yield { ids: some, vectors: flat };
      }
    },
    get: (ids) => new Map(ids.flatMap((id) => (vectors.has(id) ? [[id, vectors.get(id)!] as const] : []))),
  };
  const put = (id: number) => {
    vectors.set(id, Float32Array.from({ length: dim }, (_, i) => (i === id % dim ? 1 : 0)));
    revision++;
  };
  return { src, put, calls };
}

describe('VectorTable.sync', () => {
  it('loads an empty table by id ranges, without reading the whole id list', async () => {
    const { src, put, calls } = source(4);
    for (let id = 1; id <= 1300; id++) put(id);
    const table = new VectorTable(4);
    await table.load(src, 512);
    expect(table.size).toBe(1300);
    expect(calls.ids).toBe(0);
    expect(calls.batches).toBe(3);
    expect(Array.from(table.vector(1299)!)).toEqual([0, 0, 0, 1]);
    expect(table.sync(src)).toBe(0); // up to date: nothing read again
  });

  it('takes new ids above the highest by the delta, and one below it by the full comparison', async () => {
    const { src, put, calls } = source(4);
    for (let id = 5; id <= 10; id++) put(id);
    const table = new VectorTable(4);
    await table.load(src);
    expect(table.size).toBe(6);

    put(11);
    put(12);
    const idsBefore = calls.ids;
    expect(table.sync(src)).toBe(2);
    expect(calls.ids).toBe(idsBefore); // the delta was enough: no full id list read
    expect(Array.from(table.vector(12)!)).toEqual([1, 0, 0, 0]);

    put(3); // below the highest held: the delta misses it, the count says so
    expect(table.sync(src)).toBe(1);
    expect(calls.ids).toBe(idsBefore + 1);
    expect(table.size).toBe(9);
    expect(table.vector(3)).toBeDefined();
    expect(table.sync(src)).toBe(0); // same revision: nothing read
  });

  it('as steps yields after each batch it reads, and ends with the same table', () => {
    const { src, put } = source(4);
    put(1);
    const table = new VectorTable(4);
    table.sync(src);
    for (let id = 2; id <= 1001; id++) put(id);
    const steps = table.syncSteps(src, 100);
    let yields = 0;
    let next = steps.next();
    for (; !next.done; next = steps.next()) yields++;
    expect(next.value).toBe(1000);
    expect(yields).toBeGreaterThanOrEqual(10);
    expect(table.size).toBe(1001);
    expect(Array.from(table.vector(1001)!)).toEqual([0, 1, 0, 0]);
  });
});
