/**
 * The messages between a ThreadedHnswIndex and its index thread (indexWorker.ts). Vectors and answers
 * travel as typed arrays (one copy, no per-number objects); a filter travels as ids or a bitmap, since a
 * predicate cannot cross threads.
 */
import { EXACT_FILTER_LIMIT, type HnswParams } from './hnswIndex';
import type { WrittenGraph } from './graphIndex';
import type { IdFilter, Neighbour } from './types';

/** Allowed ids: few as a list (searched exactly, as in this thread), many as one bit per id; or denied ids' bits. */
export type WireFilter = { kind: 'ids'; ids: Int32Array } | { kind: 'bitmap'; words: Uint32Array } | { kind: 'denied'; words: Uint32Array };

export type IndexRequest =
  | { op: 'create'; dim: number; params: HnswParams; capacity: number; seed: number }
  | { op: 'read'; file: string; dim: number; params: HnswParams; deleted: number[] }
  | { op: 'add'; ids: Int32Array; vectors: Float32Array }
  | { op: 'remove'; ids: Int32Array }
  | { op: 'reserve'; total: number }
  /** `queries` holds count rows of dim values (float64: a query's values arrive exactly as given). */
  | { op: 'search'; queries: Float64Array; count: number; k: number; filter?: WireFilter }
  | { op: 'write'; file: string }
  | { op: 'release' };

/** Answers of a search: per query `counts[q]` neighbours, all in one pair of arrays. */
export interface WireNeighbours {
  counts: Int32Array;
  ids: Int32Array;
  distances: Float64Array;
}

export type IndexAnswer = { ids: Int32Array } | WireNeighbours | WrittenGraph | null;

export type IndexMessage = { seq: number; request: IndexRequest };
export type IndexReply = { seq: number; ok: true; answer: IndexAnswer } | { seq: number; ok: false; message: string };

/**
 * A filter in a form that crosses threads. A predicate is asked about every id in `liveIds` (the graph's),
 * which at a million ids costs milliseconds: callers with a large filter pass a Set.
 */
export function encodeFilter(filter: IdFilter | undefined, liveIds: () => Iterable<number>): WireFilter | undefined {
  if (filter === undefined) return undefined;
  if (filter instanceof Set && filter.size <= EXACT_FILTER_LIMIT) return { kind: 'ids', ids: Int32Array.from(filter) };
  if (typeof filter === 'function') return { kind: 'bitmap', words: bitsOf([...liveIds()].filter((id) => filter(id))) };
  if (!('deny' in filter)) return { kind: 'bitmap', words: bitsOf(filter) };
  const { allow, deny } = filter;
  if (!allow) return { kind: 'denied', words: bitsOf(deny) };
  const words = bitsOf(allow);
  for (const id of deny) if (id >= 0 && id >> 5 < words.length) words[id >> 5]! &= ~(1 << (id & 31));
  return { kind: 'bitmap', words };
}

function bitsOf(ids: Iterable<number>): Uint32Array {
  let max = -1;
  for (const id of ids) if (id > max) max = id;
  const words = new Uint32Array((max >> 5) + 1);
  for (const id of ids) if (id >= 0) words[id >> 5]! |= 1 << (id & 31);
  return words;
}

/** The filter the index thread's HnswIndex searches with: a Set for few ids (exact search), else a predicate. */
export function decodeFilter(wire: WireFilter | undefined): IdFilter | undefined {
  if (!wire) return undefined;
  if (wire.kind === 'ids') return new Set(wire.ids);
  const { words } = wire;
  const set = (id: number) => id >= 0 && id >> 5 < words.length && (words[id >> 5]! & (1 << (id & 31))) !== 0;
  return wire.kind === 'denied' ? (id: number) => !set(id) : set;
}

export function packNeighbours(lists: readonly Neighbour[][]): WireNeighbours {
  const total = lists.reduce((sum, list) => sum + list.length, 0);
  const out: WireNeighbours = { counts: new Int32Array(lists.length), ids: new Int32Array(total), distances: new Float64Array(total) };
  let at = 0;
  lists.forEach((list, q) => {
    out.counts[q] = list.length;
    for (const n of list) {
      out.ids[at] = n.id;
      out.distances[at++] = n.distance;
    }
  });
  return out;
}

export function unpackNeighbours(wire: WireNeighbours): Neighbour[][] {
  const lists: Neighbour[][] = [];
  let at = 0;
  for (const count of wire.counts) {
    const list: Neighbour[] = new Array<Neighbour>(count);
    for (let i = 0; i < count; i++, at++) list[i] = { id: wire.ids[at]!, distance: wire.distances[at]! };
    lists.push(list);
  }
  return lists;
}
