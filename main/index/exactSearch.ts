/**
 * Exact (brute-force) k-nearest-neighbour search over a row-major Float32Array: the answer for small sets
 * and the ground truth when measuring HNSW recall.
 */
import type { IdFilter, Neighbour } from './types';
import { squaredL2 } from './vectorMath';

export interface ExactSearchInput {
  ids: ArrayLike<number>;
  vectors: Float32Array;
  dim: number;
}

export function exactSearch(input: ExactSearchInput, query: ArrayLike<number>, k: number, filter?: IdFilter): Neighbour[] {
  const { ids, vectors, dim } = input;
  const allowed = toPredicate(filter);
  if (k <= 0) return [];
  // Bounded max-heap of the k best (squared distances), so memory is O(k) for any n.
  const heapD = new Float64Array(k);
  const heapI = new Int32Array(k);
  let size = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (allowed && !allowed(id)) continue;
    const d = squaredL2(vectors, i * dim, query, 0, dim);
    if (size < k) {
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heapD[p]! >= d) break;
        heapD[c] = heapD[p]!;
        heapI[c] = heapI[p]!;
        c = p;
      }
      heapD[c] = d;
      heapI[c] = i;
    } else if (d < heapD[0]!) {
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= size) break;
        const r = l + 1;
        const m = r < size && heapD[r]! > heapD[l]! ? r : l;
        if (heapD[m]! <= d) break;
        heapD[c] = heapD[m]!;
        heapI[c] = heapI[m]!;
        c = m;
      }
      heapD[c] = d;
      heapI[c] = i;
    }
  }
  const out: Neighbour[] = [];
  for (let j = 0; j < size; j++) out.push({ id: ids[heapI[j]!]!, distance: Math.sqrt(heapD[j]!) });
  return out.sort((a, b) => a.distance - b.distance || a.id - b.id);
}

export function toPredicate(filter: IdFilter | undefined): ((id: number) => boolean) | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter === 'function') return filter;
  if ('deny' in filter) {
    const { allow, deny } = filter;
    return allow ? (id) => allow.has(id) && !deny.has(id) : (id) => !deny.has(id);
  }
  return (id) => filter.has(id);
}
