/**
 * Query-point movement (Rocchio): q' = a*q + b*mean(relevant) - c*mean(not relevant), L2-normalised.
 * Embeddings are L2-normalised and ranked by Euclidean distance, so moving the query point toward the
 * relevant and away from the rejected is the whole of the re-ranking signal.
 */
export interface RocchioWeights {
  alpha: number;
  beta: number;
  gamma: number;
}

/**
 * Tuned with the simulated analyst (50 seeded queries, 3 rounds, judge top 10, residual precision@10) on
 * omniglot/evaluation and mednist with the shipped stage-1 model, the same values for both; of the grid
 * b in {0.5..2}, c in {0..0.5} (1, 1, 0.5) is the one that kept no mednist round below round 0 (0.974, 0.974, 0.982, 0.982) and lost
 * least on omniglot (0.324, 0.280, 0.148, 0.116; b = 2 lost less there but dipped mednist round 1).
 */
export const DEFAULT_ROCCHIO: RocchioWeights = { alpha: 1, beta: 1, gamma: 0.5 };

function addMean(target: Float64Array, vectors: readonly ArrayLike<number>[], weight: number): void {
  if (vectors.length === 0 || weight === 0) return;
  const scale = weight / vectors.length;
  for (const v of vectors) {
    if (v.length !== target.length) throw new RangeError(`Rocchio: a vector has ${v.length} values, the query ${target.length}.`);
    for (let j = 0; j < target.length; j++) target[j]! += scale * v[j]!;
  }
}

export function moveQuery(
  query: ArrayLike<number>,
  relevant: readonly ArrayLike<number>[],
  notRelevant: readonly ArrayLike<number>[],
  weights: RocchioWeights = DEFAULT_ROCCHIO,
): Float32Array {
  const sum = new Float64Array(query.length);
  for (let j = 0; j < query.length; j++) sum[j] = weights.alpha * query[j]!;
  addMean(sum, relevant, weights.beta);
  addMean(sum, notRelevant, -weights.gamma);
  let norm = 0;
  for (let j = 0; j < sum.length; j++) norm += sum[j]! * sum[j]!;
  const out = new Float32Array(query.length);
  // Degenerate (everything cancelled): keep the original query rather than a zero vector.
  if (norm === 0) {
    out.set(Array.from(query));
    return out;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let j = 0; j < sum.length; j++) out[j] = sum[j]! * inv;
  return out;
}
