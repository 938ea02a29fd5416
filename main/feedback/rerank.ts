/**
 * Re-ranking with judgements: move the query (Rocchio), take a fresh k-NN from the index with enough
 * over-fetch to leave k after dropping the rejected (and anything else excluded), and put the images
 * judged relevant on top (nearest to the moved query first), so a confirmed hit never sinks.
 */
import type { Neighbour } from '../index/types';
import { moveQuery, DEFAULT_ROCCHIO, type RocchioWeights } from './rocchio';

/** A nearest-neighbour search over the archive: the `want` nearest to `vector`, nearest first. */
export type KnnSearch = (vector: Float32Array, want: number) => Neighbour[];

export interface RerankInput {
  query: ArrayLike<number>;
  /** Embeddings of the images judged relevant / not relevant (by image id). */
  relevant: ReadonlyMap<number, ArrayLike<number>>;
  notRelevant: ReadonlyMap<number, ArrayLike<number>>;
  search: KnnSearch;
  /** How many archive images are searchable (stops the over-fetch loop). */
  archiveSize: number;
  k: number;
  /** Ids that must not appear at all besides the rejected, e.g. the query image itself. */
  exclude?: ReadonlySet<number>;
  /** Keep the judged-relevant images on top of the list (the UI does; a residual evaluation does not). */
  pinRelevant?: boolean;
  weights?: RocchioWeights;
}

export interface RerankResult {
  movedQuery: Float32Array;
  hits: Neighbour[];
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) {
    const d = a[j]! - b[j]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

const OVER_FETCH = 16;

export function rerank(input: RerankInput): RerankResult {
  const { relevant, notRelevant, k } = input;
  const pin = input.pinRelevant ?? true;
  const movedQuery = moveQuery(input.query, [...relevant.values()], [...notRelevant.values()], input.weights ?? DEFAULT_ROCCHIO);
  const hits: Neighbour[] = [];
  if (pin) {
    const pinned = [...relevant].map(([id, v]) => ({ id, distance: distance(movedQuery, v) }));
    pinned.sort((a, b) => a.distance - b.distance || a.id - b.id);
    hits.push(...pinned.slice(0, k));
  }
  const skip = (id: number) => notRelevant.has(id) || (pin && relevant.has(id)) || (input.exclude?.has(id) ?? false);
  const dropped = notRelevant.size + (pin ? relevant.size : 0) + (input.exclude?.size ?? 0);
  const need = k - hits.length;
  if (need <= 0) return { movedQuery, hits };
  // Over-fetch by what may be dropped; ask for more only if the graph gave too few survivors.
  for (let want = need + dropped + OVER_FETCH; ; want *= 4) {
    const found = input.search(movedQuery, Math.min(want, input.archiveSize));
    const fresh: Neighbour[] = [];
    for (const n of found) {
      if (skip(n.id)) continue;
      fresh.push(n);
      if (fresh.length === need) break;
    }
    if (fresh.length === need || want >= input.archiveSize || found.length < Math.min(want, input.archiveSize)) {
      hits.push(...fresh);
      return { movedQuery, hits };
    }
  }
}
