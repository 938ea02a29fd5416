/**
 * One HNSW graph (hnswlib-node) over L2-normalised vectors labelled by image id. Distances are Euclidean
 * (hnswlib's 'l2' space returns squared distances; we take the root). Capacity grows by doubling, removed
 * ids are hidden with markDelete, and small filtered searches run exactly over the allowed ids, because a
 * graph walk that rejects most candidates may return fewer than k.
 *
 * hnswlib-node quirks handled here: plain arrays only, readIndex resets ef (set again after every load),
 * async read/write run off-thread (no mutation until they settle: mutations made meanwhile are queued).
 */
import hnswlib from 'hnswlib-node';
import { toPredicate } from './exactSearch';
import { LabelBook } from './labelBook';
import { yieldToEventLoop } from '../threads/cooperative';
import type { GraphIndex, WrittenGraph } from './graphIndex';
import type { IdFilter, Neighbour } from './types';
import { checkQuery, checkRows, normalisedArray, squaredL2 } from './vectorMath';

const { HierarchicalNSW } = hnswlib;
type Graph = InstanceType<typeof HierarchicalNSW>;

export interface HnswParams {
  /** Links per node (hnswlib's M). */
  m: number;
  efConstruction: number;
  /** Search breadth; raised to k when k is larger. */
  ef: number;
}

/**
 * From bench/index/hnswBench.ts at 64-d, 100k: clustered vectors reach recall@10 0.9997 already at ef 16;
 * uniformly random ones (no structure, the worst case) need ef ~1024 for 0.99. ef 128 sits between and
 * can be changed at run time with setEf; m / efConstruction are fixed once the graph is built.
 */
export const DEFAULT_HNSW_PARAMS: HnswParams = { m: 16, efConstruction: 128, ef: 128 };

/**
 * Filtered searches over at most this many allowed ids are answered exactly. Reading a vector back out of
 * hnswlib-node (getPoint) costs ~15 us, so exact scans lose to the filtered graph walk early: measured at
 * 100k x 64-d, k 216: 1,000 ids exact 19 ms / walk 40 ms; 5,000 ids exact 46 ms / walk 12 ms.
 */
export const EXACT_FILTER_LIMIT = 2_000;
const INITIAL_CAPACITY = 1024;

/** Room a reservation leaves above the known total (a small import during a re-embedding needs no resize). */
const RESERVE_HEADROOM = 1.05;

/** The graph in this thread: the index thread's own (indexWorker.ts), and the app's when no thread can start. */
export class HnswIndex implements GraphIndex {
  private readonly graph: Graph;
  private book = new LabelBook();
  private busyWith: Promise<unknown> | null = null;
  private pending: (() => void)[] = [];
  /** When a search or insert last used the graph (performance.now()); an idle graph may be released. */
  private usedAt = performance.now();
  private released = false;

  private constructor(
    readonly dim: number,
    readonly params: HnswParams,
    graph: Graph,
  ) {
    this.graph = graph;
  }

  /** An empty index with room for `capacity` vectors (it grows on demand). */
  static create(dim: number, params: HnswParams = DEFAULT_HNSW_PARAMS, capacity = INITIAL_CAPACITY, seed = 100): HnswIndex {
    const graph = new HierarchicalNSW('l2', dim);
    graph.initIndex({ maxElements: Math.max(1, capacity), m: params.m, efConstruction: params.efConstruction, randomSeed: seed });
    graph.setEf(params.ef);
    return new HnswIndex(dim, params, graph);
  }

  /** Reads a graph file off-thread; `deleted` are ids that were marked deleted when it was saved. */
  static async read(file: string, dim: number, params: HnswParams, deleted: readonly number[] = []): Promise<HnswIndex> {
    const graph = new HierarchicalNSW('l2', dim);
    await graph.readIndex(file);
    graph.setEf(params.ef); // readIndex resets ef to 10.
    const index = new HnswIndex(dim, params, graph);
    index.book = LabelBook.of(graph.getIdsList(), deleted);
    return index;
  }

  /** Live (not deleted) vectors. */
  get size(): number {
    return this.book.size;
  }

  /** The highest id ever added (0 for an empty index). */
  get maxId(): number {
    return this.book.maxId;
  }

  get capacity(): number {
    return this.graph.getMaxElements();
  }

  get ef(): number {
    return this.graph.getEf();
  }

  setEf(ef: number): void {
    this.graph.setEf(Math.max(1, Math.floor(ef)));
  }

  has(id: number): boolean {
    return this.book.has(id);
  }

  deletedIds(): number[] {
    return this.book.deletedIds();
  }

  /** Live ids, in no particular order. */
  liveIds(): number[] {
    return this.book.liveIds();
  }

  get neighbourhoodEpoch(): number {
    return this.book.neighbourhoodEpoch;
  }

  /** Milliseconds since a search or insert last used the graph. */
  idleMs(now = performance.now()): number {
    return now - this.usedAt;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * Frees the graph's native memory now (hnswlib's initIndex deletes the old graph; waiting for the GC to
   * finalise the wrapper could take minutes, as V8 does not see native memory). The index is unusable
   * afterwards: the engine reopens it from its file. False (nothing done) while a read/write is in flight.
   */
  release(): boolean {
    if (this.released) return true;
    if (this.busyWith || this.pending.length > 0) return false;
    this.released = true;
    this.graph.initIndex({ maxElements: 1, m: this.params.m, efConstruction: this.params.efConstruction });
    this.book.clear();
    return true;
  }

  /** Counts as a use (a caller that just obtained the index and will use it shortly). */
  touch(): void {
    this.usedAt = performance.now();
  }

  private use(): void {
    if (this.released) throw new Error('This index was released from memory; open it again.');
    this.usedAt = performance.now();
  }

  /** Adds (or replaces) vectors; `vectors` is row-major, ids.length * dim floats, normalised here. */
  add(ids: readonly number[], vectors: Float32Array): void {
    this.use();
    checkRows(ids.length, vectors, this.dim);
    this.whenIdle(() => {
      this.ensureCapacity(ids.length);
      ids.forEach((id, i) => {
        this.graph.addPoint(normalisedArray(vectors, i * this.dim, this.dim), id);
        this.book.added(id);
      });
    });
  }

  /**
   * The same as `add`, in slices of at most `sliceMs` of inserting with the event loop free between them.
   * hnswlib inserts synchronously: a batch of 2,048 into a million-vector graph held the app's process
   * for most of a second, and every search, page and re-rank waited behind it (soak, issue 12).
   */
  async addYielding(ids: readonly number[], vectors: Float32Array, sliceMs = 8): Promise<void> {
    this.use();
    checkRows(ids.length, vectors, this.dim);
    let next = 0;
    while (next < ids.length) {
      await this.settled(); // no write in flight: this slice goes straight in
      this.use();
      const started = performance.now();
      this.ensureCapacity(ids.length - next);
      do {
        const id = ids[next]!;
        this.graph.addPoint(normalisedArray(vectors, next * this.dim, this.dim), id);
        this.book.added(id);
        next++;
      } while (next < ids.length && performance.now() - started < sliceMs);
      if (next < ids.length) await yieldToEventLoop();
    }
  }

  /** Resizes once to hold `total` vectors (and a little more); hnswlib's resize copies the whole graph. */
  reserve(total: number): void {
    this.use();
    this.whenIdle(() => {
      const wanted = Math.ceil(total * RESERVE_HEADROOM);
      if (wanted > this.graph.getMaxElements()) this.graph.resizeIndex(wanted);
    });
  }

  /** Hides ids from every later search; unknown or already removed ids are ignored. */
  remove(ids: readonly number[]): void {
    this.use();
    this.whenIdle(() => {
      for (const id of ids) if (this.book.removed(id)) this.graph.markDelete(id);
    });
  }

  /** The k nearest live vectors to `query` (normalised here), nearest first, optionally among allowed ids. */
  search(query: ArrayLike<number>, k: number, filter?: IdFilter): Neighbour[] {
    this.use();
    checkQuery(query, this.dim);
    const q = normalisedArray(query);
    if (filter instanceof Set && filter.size <= EXACT_FILTER_LIMIT) return this.exactAmong(q, k, filter);
    const wanted = Math.min(Math.floor(k), this.size);
    if (wanted <= 0) return [];
    const allowed = toPredicate(filter);
    // hnswlib searches with max(ef, k), so a large k needs no ef change.
    const result = allowed ? this.graph.searchKnn(q, wanted, allowed) : this.graph.searchKnn(q, wanted);
    const out: Neighbour[] = result.neighbors.map((id, i) => ({ id, distance: Math.sqrt(Math.max(0, result.distances[i] ?? 0)) }));
    return out.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }

  /** `search` as a promise (GraphIndex): answered at once, in this thread. */
  nearest(query: ArrayLike<number>, k: number, filter?: IdFilter): Promise<Neighbour[]> {
    try {
      return Promise.resolve(this.search(query, k, filter));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The searches one after another, giving the event loop a turn every `sliceMs` (a re-rank's batch takes long). */
  async nearestMany(queries: readonly ArrayLike<number>[], k: number, filter?: IdFilter, sliceMs = 8): Promise<Neighbour[][]> {
    const out: Neighbour[][] = [];
    let started = performance.now();
    for (const query of queries) {
      out.push(this.search(query, k, filter));
      if (performance.now() - started >= sliceMs && out.length < queries.length) {
        await yieldToEventLoop();
        started = performance.now();
      }
    }
    return out;
  }

  /**
   * Writes the graph off-thread. From this call until the write settles, mutations are queued, so the file
   * holds exactly the state at the time of the call (described in the answer).
   */
  write(file: string): Promise<WrittenGraph> {
    if (this.released) return Promise.reject(new Error('This index was released from memory; open it again.'));
    const previous = this.busyWith;
    const described: WrittenGraph = { count: this.size, deleted: this.deletedIds() };
    const job = (async () => {
      if (previous) await previous.catch(() => undefined);
      await this.graph.writeIndex(file);
      return described;
    })();
    const tracked: Promise<WrittenGraph> = job.finally(() => {
      if (this.busyWith !== tracked) return;
      this.busyWith = null;
      const queued = this.pending;
      this.pending = [];
      for (const run of queued) run();
    });
    this.busyWith = tracked;
    return tracked;
  }

  /** Resolves once no read/write is in flight and queued mutations have run. */
  async settled(): Promise<void> {
    while (this.busyWith) await this.busyWith.catch(() => undefined);
  }

  private whenIdle(run: () => void): void {
    if (this.busyWith) this.pending.push(run);
    else run();
  }

  private ensureCapacity(extra: number): void {
    const needed = this.graph.getCurrentCount() + extra;
    let capacity = this.graph.getMaxElements();
    if (needed <= capacity) return;
    while (capacity < needed) capacity *= 2;
    this.graph.resizeIndex(capacity);
  }

  private exactAmong(q: number[], k: number, allowed: ReadonlySet<number>): Neighbour[] {
    const out: Neighbour[] = [];
    for (const id of allowed) {
      if (!this.has(id)) continue;
      out.push({ id, distance: Math.sqrt(squaredL2(this.graph.getPoint(id), 0, q, 0, this.dim)) });
    }
    out.sort((a, b) => a.distance - b.distance || a.id - b.id);
    return out.slice(0, Math.max(0, Math.floor(k)));
  }
}
