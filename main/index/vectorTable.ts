/**
 * The stored vectors of one model as one contiguous, L2-normalised Float32Array in JS memory, for exact
 * search over a filtered subset. Reading vectors back out of hnswlib costs ~15 us each and a graph walk
 * that rejects most nodes wanders far, so a facet-filtered search (a few thousand allowed images of
 * 100,000) is fastest as a plain scan here: 20,000 x 64-d is ~2 ms. Kept in step with the source by id
 * (vectors of one model and image never change), loaded lazily, 256 bytes per image at 64-d.
 */
import type { Neighbour, VectorSource } from './types';
import { IdMap } from './idMap';
import { squaredL2 } from './vectorMath';
import { runInSlices, runToEnd, type Steps } from '../threads/cooperative';

export class VectorTable {
  private data: Float32Array;
  /** Row of each id (an id-indexed array, not a Map: no million-entry object for the GC to walk). */
  private readonly rows = new IdMap();
  private idsByRow = new Int32Array(1024);
  private revision = -1;
  private maxId = 0;

  constructor(readonly dim: number) {
    this.data = new Float32Array(dim * 1024);
  }

  get size(): number {
    return this.rows.size;
  }

  /**
   * Takes in the vectors the source has and the table lacks (when the source's revision moved). First
   * only the ids above the highest held (an embedding job goes up the ids), and when the counts then
   * agree that is all; else the whole id list is compared (at a million vectors that read takes ~0.3 s).
   */
  sync(source: VectorSource, batchSize = 4096): number {
    return runToEnd(this.syncSteps(source, batchSize));
  }

  /** The same as steps, yielding after each batch read: the app runs it in slices (runInSlices). */
  *syncSteps(source: VectorSource, batchSize = 512): Steps<number> {
    const revision = source.revision();
    if (revision === this.revision) return 0;
    let taken = 0;
    if (this.rows.size === 0) {
      // The first load: sized once from the count (doubling copied up to 128 MB at once at a million
      // rows), then read in id ranges (the whole id list first was a ~0.3 s read at a million).
      this.reserve(source.count());
      for (const batch of source.batches(batchSize)) {
        batch.ids.forEach((id, i) => this.rows.has(id) || this.put(id, batch.vectors.subarray(i * this.dim, (i + 1) * this.dim)));
        taken += batch.ids.length;
        yield;
      }
      if (this.rows.size === source.count()) {
        this.revision = revision;
        return taken;
      }
    }
    if (source.idsAfter && this.rows.size > 0) {
      taken += yield* this.take(source, source.idsAfter(this.maxId), batchSize);
      if (this.rows.size === source.count()) {
        this.revision = revision;
        return taken;
      }
      yield;
    }
    const all = source.ids();
    yield;
    taken += yield* this.take(source, all.filter((id) => !this.rows.has(id)), batchSize);
    this.revision = revision;
    return taken;
  }

  private *take(source: VectorSource, lacking: readonly number[], batchSize: number): Steps<number> {
    for (let start = 0; start < lacking.length; start += batchSize) {
      const found = source.get(lacking.slice(start, start + batchSize));
      for (const [id, vector] of found) if (!this.rows.has(id)) this.put(id, vector);
      yield;
    }
    return lacking.length;
  }

  /**
   * Loads what the source has in batches, yielding to the event loop between them (the first load of a
   * large archive). Batches of 512 read in ~10-20 ms; 4,096 held the app ~0.1-0.2 s each (soak, 200k).
   */
  async load(source: VectorSource, batchSize = 512): Promise<void> {
    // The first sync of an empty table, with the event loop's turn after every batch.
    await runInSlices(this.syncSteps(source, batchSize), 0);
  }

  /** Room for `rows` rows without growing (growth copies the whole table). */
  private reserve(rows: number): void {
    if (rows * this.dim > this.data.length) {
      const grown = new Float32Array(rows * this.dim);
      grown.set(this.data.subarray(0, this.rows.size * this.dim));
      this.data = grown;
    }
    if (rows > this.idsByRow.length) {
      const grown = new Int32Array(rows);
      grown.set(this.idsByRow.subarray(0, this.rows.size));
      this.idsByRow = grown;
    }
  }

  private put(id: number, vector: Float32Array): void {
    const row = this.rows.size;
    if ((row + 1) * this.dim > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, (row + 1) * this.dim));
      grown.set(this.data);
      this.data = grown;
    }
    let norm = 0;
    for (let i = 0; i < this.dim; i++) norm += (vector[i] ?? 0) ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const offset = row * this.dim;
    for (let i = 0; i < this.dim; i++) this.data[offset + i] = (vector[i] ?? 0) * scale;
    this.rows.set(id, row);
    if (id > this.maxId) this.maxId = id;
    if (row >= this.idsByRow.length) {
      const grown = new Int32Array(this.idsByRow.length * 2);
      grown.set(this.idsByRow);
      this.idsByRow = grown;
    }
    this.idsByRow[row] = id;
  }

  /** The stored (L2-normalised) vector of an id, as a view into the table; undefined when it has none. */
  vector(id: number): Float32Array | undefined {
    const row = this.rows.get(id);
    return row === undefined ? undefined : this.data.subarray(row * this.dim, (row + 1) * this.dim);
  }

  /** Distance of every stored vector to the query, by row, with the row's id (one pass, no sorting). */
  scanAll(query: ArrayLike<number>): { ids: Int32Array; distances: Float32Array } {
    const q = this.normalisedQuery(query);
    const n = this.rows.size;
    const distances = new Float32Array(n);
    for (let row = 0; row < n; row++) distances[row] = Math.sqrt(squaredL2(this.data, row * this.dim, q, 0, this.dim));
    return { ids: this.idsByRow.subarray(0, n), distances };
  }

  private normalisedQuery(query: ArrayLike<number>): Float32Array {
    let norm = 0;
    for (let i = 0; i < this.dim; i++) norm += (query[i] ?? 0) ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    return Float32Array.from({ length: this.dim }, (_, i) => (query[i] ?? 0) * scale);
  }

  /** Every allowed id that has a vector, nearest first (Euclidean between normalised vectors). */
  rankAmong(query: ArrayLike<number>, allowed: Iterable<number>): Neighbour[] {
    const q = this.normalisedQuery(query);
    const out: Neighbour[] = [];
    for (const id of allowed) {
      const row = this.rows.get(id);
      if (row !== undefined) out.push({ id, distance: Math.sqrt(squaredL2(this.data, row * this.dim, q, 0, this.dim)) });
    }
    return out.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }
}
