/**
 * What the app asks of a model's HNSW graph, wherever the graph lives: in this thread (HnswIndex) or on an
 * index thread of its own (ThreadedHnswIndex, issue 12). The bookkeeping (which ids it holds, how many,
 * when it was last used) answers at once; searches and inserts answer with promises, so a graph on
 * another thread never holds the thread that serves pages and searches.
 */
import type { HnswParams } from './hnswIndex';
import type { IdFilter, Neighbour } from './types';

/** What a written graph file holds, described at the moment the write started. */
export interface WrittenGraph {
  /** Live vectors. */
  count: number;
  deleted: number[];
}

export interface GraphIndex {
  readonly dim: number;
  readonly params: HnswParams;
  /** Live (not deleted) vectors, counting inserts and removals already asked for. */
  readonly size: number;
  /** The highest id ever added (0 for an empty index). */
  readonly maxId: number;
  /**
   * Moves with every removal or release, and with inserts once they have grown the graph by 1% since it
   * last moved: a neighbour's distance remembered in one epoch (the re-rank's page radii) holds while it
   * stands, even while a re-embedding inserts batch after batch.
   */
  readonly neighbourhoodEpoch: number;
  readonly isReleased: boolean;
  has(id: number): boolean;
  /** Live ids, in no particular order. */
  liveIds(): number[];
  deletedIds(): number[];
  /** Milliseconds since a search or insert last used the graph. */
  idleMs(now?: number): number;
  /** Counts as a use (a caller that just obtained the index and will use it shortly). */
  touch(): void;
  /** Frees the graph's native memory now; false (nothing done) while a write or insert is in flight. */
  release(): boolean;
  /** The k nearest live vectors to `query` (normalised), nearest first, optionally among allowed ids. */
  nearest(query: ArrayLike<number>, k: number, filter?: IdFilter): Promise<Neighbour[]>;
  /** `nearest` for several queries at once (one message to an index thread): answers in query order. */
  nearestMany(queries: readonly ArrayLike<number>[], k: number, filter?: IdFilter): Promise<Neighbour[][]>;
  /** Adds (or replaces) vectors, applied in call order; `vectors` is row-major, ids.length * dim floats. */
  add(ids: readonly number[], vectors: Float32Array): void;
  /** The same as `add`, resolving once the vectors are in (inserted in slices, searches answered between). */
  addYielding(ids: readonly number[], vectors: Float32Array): Promise<void>;
  /** Hides ids from later searches (applied in order with inserts); unknown or removed ids are ignored. */
  remove(ids: readonly number[]): void;
  /** Makes room for `total` vectors at once, so inserts up to it never resize (copy) the graph under load. */
  reserve(total: number): void;
  /** Writes the graph to `file`; inserts and removals asked for later are not in it. */
  write(file: string): Promise<WrittenGraph>;
  /** Resolves once every insert, removal and write asked for so far has been applied. */
  settled(): Promise<void>;
}
