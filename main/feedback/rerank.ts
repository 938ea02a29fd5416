/**
 * Re-ranking with judgements, the method `simila eval --feedback-rounds` measures (classifier): with
 * rejected images, a k-NN for the per-query classifier's direction (Rocchio point + logistic boundary,
 * feedbackScorers.ts); with relevant ones only, a multi-point k-NN (the nearest of the query and the
 * relevant images). Enough over-fetch leaves k after dropping the rejected (and anything else excluded),
 * and the images judged relevant go on top (nearest first), so a confirmed hit never sinks.
 */
import type { Neighbour } from '../index/types';
import { classifierDirection } from './feedbackScorers';
import { type RocchioWeights } from './rocchio';

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
  /** 'classifier': one search direction; 'nearest-relevant': a k-NN per positive, merged. */
  method: 'classifier' | 'nearest-relevant';
  /** The direction searched (the query itself while nothing is judged). */
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

/** The `want` nearest to any of `points` (distance to the nearest point), nearest first. */
function multiPointSearch(search: KnnSearch, points: readonly Float32Array[], want: number): Neighbour[] {
  const best = new Map<number, number>();
  for (const point of points) {
    for (const n of search(point, want)) best.set(n.id, Math.min(best.get(n.id) ?? Infinity, n.distance));
  }
  return [...best].map(([id, d]) => ({ id, distance: d })).sort((a, b) => a.distance - b.distance || a.id - b.id).slice(0, want);
}

export function rerank(input: RerankInput): RerankResult {
  const { relevant, notRelevant, k } = input;
  const pin = input.pinRelevant ?? true;
  const { direction, positives } = classifierDirection(input.query, [...relevant.values()], [...notRelevant.values()], { weights: input.weights });
  const method = direction ? 'classifier' : 'nearest-relevant';
  const points = direction ? [direction] : positives.map((p) => Float32Array.from(p));
  const movedQuery = points[0]!;
  const nearest = (v: ArrayLike<number>) => Math.min(...points.map((p) => distance(p, v)));
  const hits: Neighbour[] = [];
  if (pin) {
    const pinned = [...relevant].map(([id, v]) => ({ id, distance: nearest(v) }));
    pinned.sort((a, b) => a.distance - b.distance || a.id - b.id);
    hits.push(...pinned.slice(0, k));
  }
  const skip = (id: number) => notRelevant.has(id) || (pin && relevant.has(id)) || (input.exclude?.has(id) ?? false);
  const dropped = notRelevant.size + (pin ? relevant.size : 0) + (input.exclude?.size ?? 0);
  const need = k - hits.length;
  if (need <= 0) return { method, movedQuery, hits };
  // Over-fetch by what may be dropped; ask for more only if the graph gave too few survivors.
  for (let want = need + dropped + OVER_FETCH; ; want *= 4) {
    const asked = Math.min(want, input.archiveSize);
    const found = points.length === 1 ? input.search(points[0]!, asked) : multiPointSearch(input.search, points, asked);
    const fresh: Neighbour[] = [];
    for (const n of found) {
      if (skip(n.id)) continue;
      fresh.push(n);
      if (fresh.length === need) break;
    }
    if (fresh.length === need || want >= input.archiveSize || found.length < asked) {
      hits.push(...fresh);
      return { method, movedQuery, hits };
    }
  }
}
