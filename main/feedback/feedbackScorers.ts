/**
 * Ways to turn an analyst's judgements into a new ranking of the archive. Each scorer gives every
 * archive row a score (higher = more likely relevant to the query); the caller drops what was judged
 * already. The vector scorers work on fixed embeddings and are cheap (the classifier one, which runs the
 * app's re-rank, is in neighbourhoodScorer.ts); the refining one (refineModel.ts) re-adapts the model and
 * re-embeds the archive.
 */
import { moveQuery, DEFAULT_ROCCHIO, type RocchioWeights } from './rocchio';

export const FEEDBACK_METHODS = ['rocchio', 'nearest-relevant', 'classifier', 'refine'] as const;
export type FeedbackMethod = (typeof FEEDBACK_METHODS)[number];

/** Judgements so far, as archive row indices. */
export interface Judged {
  query: number;
  relevant: readonly number[];
  notRelevant: readonly number[];
}

export interface FeedbackScorer {
  readonly method: FeedbackMethod;
  /** One score per archive row; higher ranks first. */
  score(judged: Judged): Float32Array | Promise<Float32Array>;
  dispose?(): void;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

/** Minus the squared distance to a point: the exact ranking of a k-NN search around it. */
export function scoresAround(vectors: readonly ArrayLike<number>[], point: ArrayLike<number>): Float32Array {
  const out = new Float32Array(vectors.length);
  vectors.forEach((v, i) => {
    let d = 0;
    for (let j = 0; j < point.length; j++) {
      const x = v[j]! - point[j]!;
      d += x * x;
    }
    out[i] = -d;
  });
  return out;
}

/** Query-point movement: rank around the Rocchio point of the query and the judged embeddings. */
export function rocchioScorer(vectors: readonly ArrayLike<number>[], weights: RocchioWeights = DEFAULT_ROCCHIO): FeedbackScorer {
  return {
    method: 'rocchio',
    score: (j) =>
      scoresAround(
        vectors,
        moveQuery(
          vectors[j.query]!,
          j.relevant.map((i) => vectors[i]!),
          j.notRelevant.map((i) => vectors[i]!),
          weights,
        ),
      ),
  };
}

export interface NearestRelevantOptions {
  /** Weight of the similarity to the nearest rejected image, subtracted (0 = positives only). */
  rejectWeight?: number;
}

/**
 * Multi-point query: an image scores by its similarity to the nearest of the query and the images
 * judged relevant, less its similarity to the nearest rejected one. A class made of several separate
 * modes keeps each mode reachable, which a single moved point (their mean) cannot.
 */
export function nearestRelevantScorer(vectors: readonly ArrayLike<number>[], options: NearestRelevantOptions = {}): FeedbackScorer {
  const rejectWeight = options.rejectWeight ?? 0.5;
  return {
    method: 'nearest-relevant',
    score(j) {
      const positives = [j.query, ...j.relevant].map((i) => vectors[i]!);
      const negatives = rejectWeight > 0 ? j.notRelevant.map((i) => vectors[i]!) : [];
      const out = new Float32Array(vectors.length);
      vectors.forEach((v, i) => {
        let best = -Infinity;
        for (const p of positives) best = Math.max(best, dot(v, p));
        let worst = -Infinity;
        for (const n of negatives) worst = Math.max(worst, dot(v, n));
        out[i] = best - (negatives.length > 0 ? rejectWeight * worst : 0);
      });
      return out;
    },
  };
}

export interface ClassifierOptions {
  /** Weight of the classifier's signed margin added to the similarity to the Rocchio point. */
  mix?: number;
  /** L2 penalty of the logistic regression. */
  l2?: number;
  steps?: number;
  weights?: RocchioWeights;
}

/**
 * Logistic regression (query + relevant vs rejected) fitted by gradient descent on the embeddings,
 * balanced so the few positives count as much as the many rejected; w is returned with its bias.
 */
export function fitLogistic(positives: readonly ArrayLike<number>[], negatives: readonly ArrayLike<number>[], l2: number, steps: number): { w: Float64Array; b: number } {
  const dim = positives[0]?.length ?? negatives[0]?.length ?? 0;
  const w = new Float64Array(dim);
  let b = 0;
  const rows = [...positives.map((x) => ({ x, y: 1, weight: 0.5 / positives.length })), ...negatives.map((x) => ({ x, y: 0, weight: 0.5 / negatives.length }))];
  const rate = 1;
  const grad = new Float64Array(dim);
  for (let step = 0; step < steps; step++) {
    grad.fill(0);
    let gb = 0;
    for (const { x, y, weight } of rows) {
      const p = 1 / (1 + Math.exp(-(dot(w, x) + b)));
      const e = weight * (p - y);
      for (let d = 0; d < dim; d++) grad[d]! += e * x[d]!;
      gb += e;
    }
    for (let d = 0; d < dim; d++) w[d]! -= rate * (grad[d]! + l2 * w[d]!);
    b -= rate * gb;
  }
  return { w, b };
}

export interface ClassifierDirection {
  /** Rank by v . direction (higher first); null while nothing is rejected (no boundary to fit). */
  direction: Float32Array | null;
  /** The query and the relevant images: the multi-point query used while direction is null. */
  positives: ArrayLike<number>[];
  /** The logistic regression itself (relevant side: w . v + b > 0); null while nothing is rejected. */
  boundary: { w: Float64Array; b: number } | null;
}

/**
 * The per-query classifier as one search direction: similarity to the Rocchio point plus `mix` times the
 * logistic regression's signed distance to its boundary is v . (point + mix * w / |w|) plus a constant,
 * so on L2-normalised embeddings it ranks like a nearest-neighbour search for that (normalised) direction,
 * which the app's re-rank uses within a neighbourhood pool of the archive (rerank.ts; the evaluation
 * runs the same through neighbourhoodScorer.ts).
 */
export function classifierDirection(
  query: ArrayLike<number>,
  relevant: readonly ArrayLike<number>[],
  notRelevant: readonly ArrayLike<number>[],
  options: ClassifierOptions = {},
): ClassifierDirection {
  const positives = [query, ...relevant];
  if (notRelevant.length === 0) return { direction: null, positives, boundary: null };
  const point = moveQuery(query, relevant, notRelevant, options.weights ?? DEFAULT_ROCCHIO);
  const boundary = fitLogistic(positives, notRelevant, options.l2 ?? 0.01, options.steps ?? 200);
  const { w } = boundary;
  const mix = (options.mix ?? 0.5) / (Math.sqrt(dot(w, w)) || 1);
  const direction = Float32Array.from(point, (x, d) => x + mix * w[d]!);
  const norm = Math.hypot(...direction) || 1;
  for (let d = 0; d < direction.length; d++) direction[d]! /= norm;
  return { direction, positives, boundary };
}
