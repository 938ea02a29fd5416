import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rerank, rerankInSlices } from '../../main/feedback/rerank';
import { HnswIndex } from '../../main/index/hnswIndex';
import type { GraphIndex } from '../../main/index/graphIndex';
import { ThreadedHnswIndex } from '../../main/index/threadedIndex';
import { normaliseRowsInPlace } from '../../main/index/vectorMath';

const DIM = 16;
const PARAMS = { m: 16, efConstruction: 64, ef: 64 };

/** Seeded, so both graphs get the same vectors in the same order. */
function vectorsOf(n: number, seed: number): Float32Array {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return normaliseRowsInPlace(Float32Array.from({ length: n * DIM }, rand), DIM);
}
const row = (vectors: Float32Array, i: number) => vectors.subarray(i * DIM, (i + 1) * DIM);

describe('an HNSW graph on an index thread', () => {
  const n = 3000;
  const vectors = vectorsOf(n, 7);
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const queries = Array.from({ length: 12 }, (_, q) => Array.from(row(vectorsOf(1, 1000 + q), 0)));
  let home: string;
  let local: HnswIndex;
  let threaded: ThreadedHnswIndex;

  beforeAll(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'simila-threaded-'));
    local = HnswIndex.create(DIM, PARAMS, 1024);
    threaded = await ThreadedHnswIndex.create(DIM, PARAMS, 1024);
    for (let start = 0; start < n; start += 700) {
      const batch = ids.slice(start, start + 700);
      const rows = vectors.subarray(start * DIM, (start + batch.length) * DIM);
      await local.addYielding(batch, rows);
      await threaded.addYielding(batch, rows);
    }
  });
  afterAll(() => {
    threaded.release();
    rmSync(home, { recursive: true, force: true });
  });

  const sameAnswers = async (a: GraphIndex, b: GraphIndex) => {
    const small = new Set(ids.filter((id) => id % 7 === 0)); // 428: searched exactly
    const large = new Set(ids.filter((id) => id % 3 !== 0)); // 2000 of 3000 would be exact; above the limit:
    const larger = new Set(ids.filter((id) => id % 5 !== 0)); // 2400: a filtered graph walk
    const deny = new Set(ids.filter((id) => id % 4 === 1));
    for (const filter of [undefined, small, large, larger, (id: number) => id % 2 === 0, { deny }, { allow: larger, deny }]) {
      for (const q of queries) expect(await b.nearest(q, 25, filter)).toEqual(await a.nearest(q, 25, filter));
      expect(await b.nearestMany(queries, 40, filter)).toEqual(await a.nearestMany(queries, 40, filter));
    }
  };

  it('answers exactly as the graph in this thread: plain, exact among few ids, filtered by many ids or a predicate', async () => {
    expect(threaded.size).toBe(local.size);
    expect(threaded.maxId).toBe(n);
    await sameAnswers(local, threaded);
    // A query as a plain array, and one longer than the index holds.
    expect((await threaded.nearest(Array.from(row(vectors, 41)), 1))[0]!.id).toBe(42);
    await expect(threaded.nearest([1, 2], 1)).rejects.toThrow(/query has 2 values/);
    expect(() => local.search([1, 2], 1)).toThrow(/query has 2 values/);
    // Ids and vectors that disagree are refused by both, before anything is inserted.
    expect(() => threaded.addYielding([n + 1, n + 2], new Float32Array(DIM))).toThrow(/2 ids need/);
    expect(() => local.add([n + 1, n + 2], new Float32Array(DIM))).toThrow(/2 ids need/);
    expect([threaded.size, local.size]).toEqual([n, n]);
  });

  it('removes, re-adds and writes in call order, and reads back with the same answers', async () => {
    const gone = [5, 50, 500, 2999];
    local.remove(gone);
    threaded.remove(gone);
    expect(threaded.has(50)).toBe(false);
    expect(threaded.size).toBe(n - gone.length);
    await sameAnswers(local, threaded);

    const file = path.join(home, 'threaded.hnsw');
    const writing = threaded.write(file);
    // Asked for after the write: not in the file, nor in its description.
    threaded.remove([7]);
    local.remove([7]);
    expect(await writing).toEqual({ count: n - gone.length, deleted: gone });
    await threaded.settled();
    await sameAnswers(local, threaded);

    const reread = await ThreadedHnswIndex.read(file, DIM, PARAMS, gone);
    const rereadHere = await HnswIndex.read(file, DIM, PARAMS, gone);
    expect(reread.size).toBe(n - gone.length);
    expect(reread.has(7)).toBe(true);
    expect(reread.liveIds().sort((x, y) => x - y)).toEqual(rereadHere.liveIds().sort((x, y) => x - y));
    await sameAnswers(rereadHere, reread);

    // Re-adding a removed id brings it back on both sides.
    reread.add([50], row(vectors, 49));
    rereadHere.add([50], row(vectors, 49));
    expect(reread.has(50)).toBe(true);
    expect((await reread.nearest(row(vectors, 49), 1))[0]).toEqual({ id: 50, distance: expect.any(Number) });
    await sameAnswers(rereadHere, reread);
    expect(reread.release()).toBe(true);
  });

  it('answers a search asked while a large insert batch runs before that batch ends (inserts go in slices)', async () => {
    const index = await ThreadedHnswIndex.create(DIM, PARAMS, 1024);
    index.reserve(12_000);
    await index.addYielding(ids.slice(0, 200), vectors.subarray(0, 200 * DIM));
    const big = vectorsOf(12_000, 99);
    const order: string[] = [];
    const inserting = index.addYielding(Array.from({ length: 12_000 }, (_, i) => 10_000 + i), big).then(() => order.push('insert'));
    const searched = index.nearest(row(vectors, 3), 1).then((found) => {
      order.push('search');
      return found;
    });
    expect((await searched)[0]!.id).toBe(4);
    await inserting;
    expect(order).toEqual(['search', 'insert']);
    expect(index.size).toBe(12_200);
    expect(index.release()).toBe(true);
  });

  it('release ends the thread: searches then fail, and release waits for inserts in flight', async () => {
    const index = await ThreadedHnswIndex.create(DIM, PARAMS, 16);
    const adding = index.addYielding(ids.slice(0, 500), vectors.subarray(0, 500 * DIM));
    expect(index.release()).toBe(false); // an insert is in flight
    await adding;
    const epoch = index.neighbourhoodEpoch;
    expect(index.release()).toBe(true);
    expect(index.isReleased).toBe(true);
    expect(index.neighbourhoodEpoch).toBeGreaterThan(epoch);
    expect(index.size).toBe(0);
    await expect(index.nearest(row(vectors, 1), 1)).rejects.toThrow(/released/);
  });

  it('gives the re-rank the same list as searches in this thread, its searches batched in few messages', async () => {
    const query = row(vectors, 10);
    const relevant = new Map([11, 12, 13].map((id) => [id, row(vectors, id - 1)] as const));
    const notRelevant = new Map([14, 15].map((id) => [id, row(vectors, id - 1)] as const));
    const lookup = (wanted: readonly number[]) => new Map(wanted.filter((id) => threaded.has(id)).map((id) => [id, row(vectors, id - 1)] as const));
    const input = { query, relevant, notRelevant, vectorsOf: lookup, archiveSize: threaded.size, k: 20, exclude: new Set([11]) };
    const here = rerank({ ...input, search: (v, want) => local.search(v, want) });
    let messages = 0;
    let searches = 0;
    const there = await rerankInSlices(input, (batch, want) => {
      messages++;
      searches += batch.length;
      return threaded.nearestMany(batch, want);
    });
    expect(there.hits).toEqual(here.hits);
    expect(there.gateSearches).toBe(here.gateSearches);
    expect(there.poolSize).toBe(here.poolSize);
    expect(messages).toBeLessThan(searches);
  });
});
