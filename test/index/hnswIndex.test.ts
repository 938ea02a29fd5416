import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { exactSearch } from '../../main/index/exactSearch';
import { catchUp } from '../../main/index/buildIndex';
import { HnswIndex } from '../../main/index/hnswIndex';
import { indexPaths } from '../../main/index/indexFiles';
import { catalogueVectorSource, openModelIndex, saveModelIndex } from '../../main/index/modelIndex';
import { inThisThread } from '../../main/index/threadedIndex';
import { normaliseRowsInPlace } from '../../main/index/vectorMath';

const DIM = 16;
const PARAMS = { m: 16, efConstruction: 200, ef: 200 };

function randomVectors(n: number, dim = DIM): Float32Array {
  return normaliseRowsInPlace(Float32Array.from({ length: n * dim }, () => Math.random() * 2 - 1), dim);
}

function row(vectors: Float32Array, i: number, dim = DIM): Float32Array {
  return vectors.subarray(i * dim, (i + 1) * dim);
}

describe('HnswIndex', () => {
  it('adds in slices with the event loop free between them, ending with the same vectors as one add', async () => {
    const n = 3000;
    const vectors = randomVectors(n);
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const sliced = HnswIndex.create(DIM, PARAMS, 16); // grows as it goes
    let turns = 0;
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    await sliced.addYielding(ids, vectors, 1);
    ticking = false;
    expect(turns).toBeGreaterThan(3); // other work ran while the points went in
    expect(sliced.size).toBe(n);
    for (const q of [0, 17, 2999]) expect(sliced.search(row(vectors, q), 1)[0]).toMatchObject({ id: q + 1 });
    await expect(sliced.addYielding([1], new Float32Array(3))).rejects.toThrow(RangeError);
  });

  it('answers like exact search on a small random set, nearest first, with Euclidean distances', () => {
    const n = 500;
    const vectors = randomVectors(n);
    const ids = Array.from({ length: n }, (_, i) => 1000 + i * 3);
    const index = HnswIndex.create(DIM, PARAMS, n);
    index.add(ids, vectors);
    for (let q = 0; q < 20; q++) {
      const query = randomVectors(1);
      const got = index.search(query, 10);
      const want = exactSearch({ ids, vectors, dim: DIM }, query, 10);
      expect(got.map((g) => g.id)).toEqual(want.map((w) => w.id));
      got.forEach((g, i) => expect(g.distance).toBeCloseTo(want[i]!.distance, 5));
      for (let i = 1; i < got.length; i++) expect(got[i]!.distance).toBeGreaterThanOrEqual(got[i - 1]!.distance);
    }
    // A stored vector finds itself at distance 0; un-normalised queries are normalised first.
    const self = index.search(Array.from(row(vectors, 7)).map((x) => x * 5), 1);
    expect(self[0]!.id).toBe(ids[7]);
    expect(self[0]!.distance).toBeLessThan(1e-3);
  });

  it('grows past its initial capacity by doubling', () => {
    const index = HnswIndex.create(DIM, PARAMS, 10);
    const vectors = randomVectors(75);
    for (let start = 0; start < 75; start += 25) {
      index.add(Array.from({ length: 25 }, (_, i) => start + i), vectors.subarray(start * DIM, (start + 25) * DIM));
    }
    expect(index.size).toBe(75);
    expect(index.capacity).toBe(80);
    expect(index.search(row(vectors, 60), 1)[0]!.id).toBe(60);
  });

  it('hides removed ids from searches, and a re-added id comes back', () => {
    const vectors = randomVectors(50);
    const ids = Array.from({ length: 50 }, (_, i) => i + 1);
    const index = HnswIndex.create(DIM, PARAMS);
    index.add(ids, vectors);
    index.remove([5, 6, 999]);
    expect(index.size).toBe(48);
    const all = index.search(row(vectors, 4), 50).map((r) => r.id);
    expect(all).toHaveLength(48);
    expect(all).not.toContain(5);
    expect(all).not.toContain(6);
    index.add([5], row(vectors, 4).slice());
    expect(index.search(row(vectors, 4), 1)[0]!.id).toBe(5);
  });

  it('filters by allowed ids, exactly for a small set and through the graph for a predicate', () => {
    const n = 400;
    const vectors = randomVectors(n);
    const ids = Array.from({ length: n }, (_, i) => i);
    const index = HnswIndex.create(DIM, PARAMS);
    index.add(ids, vectors);
    const query = randomVectors(1);
    const even = new Set(ids.filter((id) => id % 2 === 0));
    const want = exactSearch({ ids, vectors, dim: DIM }, query, 5, even).map((r) => r.id);
    expect(index.search(query, 5, even).map((r) => r.id)).toEqual(want);
    expect(index.search(query, 5, (id) => id % 2 === 0).map((r) => r.id)).toEqual(want);
    expect(index.search(query, 5, new Set([3, 100000])).map((r) => r.id)).toEqual([3]);
  });
});

describe('model index files', () => {
  let home: string;
  let catalogue: Catalogue;
  let modelId: number;
  let vectors: Float32Array;
  let ids: number[];

  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'simila-index-'));
    catalogue = openCatalogue(':memory:');
    modelId = catalogue.models.register({ name: 'm', stage: 'test', dir: 'm', embeddingDim: DIM }).id;
    vectors = randomVectors(300);
    ids = Array.from({ length: 300 }, (_, i) =>
      catalogue.images.insert({ hash: `h${i}`, width: 1, height: 1, format: 'png', byteSize: 1, meta: {} }),
    );
    catalogue.embeddings.putMany(modelId, ids.map((imageId, i) => ({ imageId, vector: row(vectors, i).slice() })));
  });
  afterEach(() => {
    catalogue.close();
    rmSync(home, { recursive: true, force: true });
  });

  const where = () => ({ dir: path.join(home, 'indexes'), modelId });
  const source = () => catalogueVectorSource(catalogue, modelId)!;

  it('builds when missing, loads a saved index with ef restored, and catches up with changed vectors', async () => {
    const first = await openModelIndex(where(), source(), PARAMS);
    expect(first.origin).toEqual({ kind: 'rebuilt', reason: 'missing' });
    expect(first.index.size).toBe(300);
    await saveModelIndex(where(), first.index, first.revision);

    // In this thread, to see the graph's ef (an index thread sets it the same way).
    const loaded = await openModelIndex(where(), source(), { ...PARAMS, ef: 77 }, { host: inThisThread });
    expect(loaded.origin).toEqual({ kind: 'loaded' });
    expect((loaded.index as HnswIndex).ef).toBe(77); // hnswlib's readIndex would leave 10
    expect((await loaded.index.nearest(row(vectors, 42), 1))[0]!.id).toBe(ids[42]);

    catalogue.embeddings.deleteForImage(ids[0]!);
    const extra = catalogue.images.insert({ hash: 'extra', width: 1, height: 1, format: 'png', byteSize: 1, meta: {} });
    catalogue.embeddings.putMany(modelId, [{ imageId: extra, vector: row(vectors, 0).slice() }]);
    const caught = await openModelIndex(where(), source(), PARAMS);
    expect(caught.origin).toEqual({ kind: 'caught-up', added: 1, removed: 1 });
    const nearest = (await caught.index.nearest(row(vectors, 0), 2)).map((r) => r.id);
    expect(nearest[0]).toBe(extra);
    expect(nearest).not.toContain(ids[0]);
  });

  it('catches up new vectors from the ids above its highest alone, and compares whole id lists only when that leaves a difference', async () => {
    const opened = await openModelIndex(where(), source(), PARAMS);
    expect(opened.index.maxId).toBe(Math.max(...ids));
    let wholeListReads = 0;
    const counting = () => {
      const inner = source();
      return { ...inner, dim: inner.dim, revision: () => inner.revision(), count: () => inner.count(), idsAfter: (id: number) => inner.idsAfter!(id), batches: (n: number) => inner.batches(n), get: (some: readonly number[]) => inner.get(some), ids: () => (wholeListReads++, inner.ids()) };
    };
    // An import's new images: the delta alone.
    const fresh = [0, 1, 2].map((i) => catalogue.images.insert({ hash: `new${i}`, width: 1, height: 1, format: 'png', byteSize: 1, meta: {} }));
    catalogue.embeddings.putMany(modelId, fresh.map((imageId, i) => ({ imageId, vector: row(vectors, 10 + i).slice() })));
    expect(await catchUp(opened.index, counting())).toEqual({ added: 3, removed: 0 });
    expect(wholeListReads).toBe(0);
    expect(opened.index.size).toBe(303);
    expect(opened.index.maxId).toBe(fresh[2]);
    // A removed vector: the counts differ after the delta, so the whole lists are compared.
    catalogue.embeddings.deleteForImage(ids[5]!);
    expect(await catchUp(opened.index, counting())).toEqual({ added: 0, removed: 1 });
    expect(wholeListReads).toBe(1);
    expect(opened.index.has(ids[5]!)).toBe(false);
    expect(opened.index.size).toBe(catalogue.embeddings.count(modelId));
  });

  it('rebuilds from SQLite when the index file is corrupt', async () => {
    const built = await openModelIndex(where(), source(), PARAMS);
    await saveModelIndex(where(), built.index, built.revision);
    const file = indexPaths(where().dir, modelId).index;
    const bytes = readFileSync(file);
    bytes.fill(0xff, 100, 400);
    writeFileSync(file, bytes);
    const reopened = await openModelIndex(where(), source(), PARAMS);
    expect(reopened.origin).toEqual({ kind: 'rebuilt', reason: 'corrupt' });
    expect(reopened.index.size).toBe(300);
    expect((await reopened.index.nearest(row(vectors, 9), 1))[0]!.id).toBe(ids[9]);

    writeFileSync(indexPaths(where().dir, modelId).sidecar, '{not json');
    expect((await openModelIndex(where(), source(), PARAMS)).origin).toEqual({ kind: 'rebuilt', reason: 'corrupt' });
  });

  it('leaves no partial file and keeps the previous index when a save fails', async () => {
    const built = await openModelIndex(where(), source(), PARAMS);
    await saveModelIndex(where(), built.index, built.revision);
    const before = readFileSync(indexPaths(where().dir, modelId).index);

    built.index.add([ids[0]!], row(vectors, 1).slice());
    await expect(
      saveModelIndex(where(), built.index, built.revision + 1, {
        beforeRename: () => {
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(where().dir).sort()).toEqual([`${modelId}.hnsw`, `${modelId}.hnsw.json`]);
    expect(readFileSync(indexPaths(where().dir, modelId).index).equals(before)).toBe(true);
    expect((await openModelIndex(where(), source(), PARAMS)).origin).toEqual({ kind: 'loaded' });
  });

  it('queues mutations made while a write is in flight', async () => {
    // In this thread, where the queue shows in has(); threadedIndex.test.ts covers the index thread.
    const built = await openModelIndex(where(), source(), PARAMS, { host: inThisThread });
    const file = path.join(home, 'direct.hnsw');
    const writing = built.index.write(file);
    built.index.remove([ids[3]!]);
    expect(built.index.has(ids[3]!)).toBe(true); // queued, not applied mid-write
    await writing;
    await saveModelIndex(where(), built.index, built.revision);
    expect(JSON.parse(readFileSync(indexPaths(where().dir, modelId).sidecar, 'utf8')).count).toBe(299);
    const reread = await HnswIndex.read(file, DIM, PARAMS);
    expect(reread.size).toBe(300);
    expect(built.index.has(ids[3]!)).toBe(false);
  });
});
