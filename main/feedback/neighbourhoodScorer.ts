/**
 * The evaluation's side of the app's re-rank: `simila eval --feedback-rounds` with the classifier method
 * runs rerank.ts itself (neighbourhood pool + per-query classifier) over an exact k-NN of the archive's
 * embeddings, so the figures it reports are those of the code the analyst's "Re-rank now" runs.
 */
import type { Neighbour } from '../index/types';
import type { FeedbackScorer } from './feedbackScorers';
import { rerank, type KnnSearch } from './rerank';
import type { RocchioWeights } from './rocchio';

/** The value that would stand at position `nth` (0-based) of `values` sorted ascending (quickselect on a copy). */
function nthSmallest(values: Float64Array, nth: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return a[nth]!;
  }
  return a[nth]!;
}

/** Exact k-NN over rows (ids are row indices): Euclidean distance, nearest first, ties to the lower row. */
export function exactKnn(vectors: readonly ArrayLike<number>[]): KnnSearch {
  return (point, want) => {
    const distances = new Float64Array(vectors.length);
    vectors.forEach((v, i) => {
      let d = 0;
      for (let j = 0; j < point.length; j++) {
        const x = v[j]! - point[j]!;
        d += x * x;
      }
      distances[i] = d;
    });
    const take = Math.min(want, vectors.length);
    if (take <= 0) return [];
    // Only the rows up to the want-th distance are sorted (the re-rank asks for a page many times over).
    const limit = nthSmallest(distances, take - 1);
    const rows: number[] = [];
    for (let i = 0; i < distances.length; i++) if (distances[i]! <= limit) rows.push(i);
    rows.sort((a, b) => distances[a]! - distances[b]! || a - b);
    return rows.slice(0, take).map((id): Neighbour => ({ id, distance: Math.sqrt(distances[id]!) }));
  };
}

export interface ClassifierScorerOptions {
  weights?: RocchioWeights;
  /** Ranked rows per round (the list length the app's re-rank would fill): a page of 10 by default. */
  take?: number;
}

/**
 * Scores are the app's re-rank order (0, -1, -2, ... for its hits; -Infinity for the rest), the judged
 * left out as the residual evaluation needs (no pinning).
 */
export function classifierScorer(vectors: readonly ArrayLike<number>[], options: ClassifierScorerOptions = {}): FeedbackScorer {
  const search = exactKnn(vectors);
  const take = options.take ?? 10;
  const byRow = (rows: readonly number[]) => new Map(rows.map((i) => [i, vectors[i]!] as const));
  return {
    method: 'classifier',
    score(j) {
      const result = rerank({
        query: vectors[j.query]!,
        relevant: byRow(j.relevant),
        notRelevant: byRow(j.notRelevant),
        search,
        vectorsOf: byRow,
        archiveSize: vectors.length,
        k: take,
        exclude: new Set([j.query, ...j.relevant]),
        pinRelevant: false,
        weights: options.weights,
      });
      const scores = new Float32Array(vectors.length).fill(-Infinity);
      result.hits.forEach((hit, rank) => (scores[hit.id] = -rank));
      return scores;
    },
  };
}
