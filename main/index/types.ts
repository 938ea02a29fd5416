/** What every nearest-neighbour search returns: image id and Euclidean distance, nearest first. */
export interface Neighbour {
  id: number;
  distance: number;
}

/** Restricts a search to some ids: a set of allowed ids, allowed minus denied ids, or a predicate. */
export type IdFilter = ReadonlySet<number> | AllowDeny | ((id: number) => boolean);

/**
 * Allowed ids (all when absent) minus denied ones. Unlike a predicate, it crosses to an index thread at the
 * cost of its sets' sizes, where a predicate is asked about every id in the graph.
 */
export interface AllowDeny {
  allow?: ReadonlySet<number>;
  deny: ReadonlySet<number>;
}

/** Where an index gets its vectors: the catalogue for one model (the source of truth). */
export interface VectorSource {
  readonly dim: number;
  /** Changes whenever the vectors change; an index file that records another revision is stale. */
  revision(): number;
  count(): number;
  /** All ids with a vector, ascending. */
  ids(): number[];
  /** Only the ids above `id`, ascending: new vectors mostly have the highest ids (a cheap delta). */
  idsAfter?(id: number): number[];
  batches(batchSize: number): Iterable<{ ids: number[]; vectors: Float32Array }>;
  get(ids: readonly number[]): Map<number, Float32Array>;
}
