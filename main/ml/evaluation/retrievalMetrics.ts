/**
 * Retrieval metrics over a pool of embeddings ranked by Euclidean distance: every item is a query
 * against all the others (never against itself).
 *
 * - Recall@k: 1 when at least one of the query's k nearest neighbours has its class, else 0.
 * - MAP@R (Musgrave et al. 2020, "A Metric Learning Reality Check"): R = number of other items of the
 *   query's class; (1/R) * sum over positions i <= R of precision@i where position i is relevant.
 * - mAP: average precision over the full ranking, (1/R) * sum over every relevant position of precision@i.
 *
 * Ties: items at exactly the same distance are scored by the EXPECTED value of the metric over every
 * order of the tied items (McSherry & Najork 2008). So neither the input order of the pool nor a lucky
 * tie-break can raise a score: a constant embedder scores exactly chance, not 1 because same-class items
 * happened to be listed next to each other.
 *
 * Queries without any other item of their class have nothing to retrieve and are left out of the means.
 */

export const RECALL_KS = [1, 2, 4, 8] as const;

export interface PoolMetrics {
  /** Recall@k for each k asked for, keyed by k. */
  recallAtK: Record<number, number>;
  mapAtR: number;
  map: number;
  /** Queries that counted (had at least one other item of their class). */
  queries: number;
}

/** One distance group of the ranking: m tied items of which p are relevant. */
export interface TieGroup {
  size: number;
  relevant: number;
}

/** Squared Euclidean distance (same order as the distance itself), in float64. */
function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sum;
}

/** The ranking of one query as groups of equal distance, nearest first. */
export function rankedTieGroups(query: number, embeddings: readonly ArrayLike<number>[], labels: readonly unknown[]): TieGroup[] {
  const q = embeddings[query] as ArrayLike<number>;
  const others: { distance: number; relevant: boolean }[] = [];
  for (let j = 0; j < embeddings.length; j++) {
    if (j === query) continue;
    others.push({ distance: squaredDistance(q, embeddings[j] as ArrayLike<number>), relevant: labels[j] === labels[query] });
  }
  others.sort((a, b) => a.distance - b.distance);
  const groups: TieGroup[] = [];
  let previous = Number.NaN;
  for (const other of others) {
    const last = groups[groups.length - 1];
    if (last && other.distance === previous) {
      last.size++;
      if (other.relevant) last.relevant++;
    } else {
      groups.push({ size: 1, relevant: other.relevant ? 1 : 0 });
    }
    previous = other.distance;
  }
  return groups;
}

/** C(n, k) / C(m, k) as a product, which stays finite for large pools. */
function chooseRatio(n: number, m: number, k: number): number {
  if (k > n) return 0;
  let ratio = 1;
  for (let i = 0; i < k; i++) ratio *= (n - i) / (m - i);
  return ratio;
}

/** Expected Recall@k: probability that a relevant item lands in the first k positions. */
export function expectedRecallAtK(groups: readonly TieGroup[], k: number): number {
  let before = 0;
  for (const group of groups) {
    if (before >= k) return 0;
    const slots = Math.min(k - before, group.size);
    if (group.relevant > 0) {
      // Probability that `slots` items drawn from the group hold at least one relevant one.
      return 1 - chooseRatio(group.size - group.relevant, group.size, slots);
    }
    before += group.size;
  }
  return 0;
}

/**
 * Expected sum over positions i <= cutoff of precision@i * [position i relevant]. Within a tie group
 * of size m with p relevant that starts after c items (r of them relevant), position c+j is relevant
 * with probability p/m, and then the j-1 positions before it in the group hold (j-1)(p-1)/(m-1)
 * relevant items on average.
 */
function expectedPrecisionSum(groups: readonly TieGroup[], cutoff: number): number {
  let before = 0;
  let relevantBefore = 0;
  let sum = 0;
  for (const group of groups) {
    if (before >= cutoff) break;
    const { size: m, relevant: p } = group;
    if (p > 0) {
      for (let j = 1; j <= m && before + j <= cutoff; j++) {
        const relevantAbove = relevantBefore + 1 + (m > 1 ? ((j - 1) * (p - 1)) / (m - 1) : 0);
        sum += (p / m) * (relevantAbove / (before + j));
      }
    }
    before += m;
    relevantBefore += p;
  }
  return sum;
}

export function expectedMapAtR(groups: readonly TieGroup[]): number {
  const r = groups.reduce((n, g) => n + g.relevant, 0);
  return r === 0 ? 0 : expectedPrecisionSum(groups, r) / r;
}

export function expectedAveragePrecision(groups: readonly TieGroup[]): number {
  const r = groups.reduce((n, g) => n + g.relevant, 0);
  const total = groups.reduce((n, g) => n + g.size, 0);
  return r === 0 ? 0 : expectedPrecisionSum(groups, total) / r;
}

/**
 * Metrics of a pool: each item queries all the others. `embeddings` are rows of equal length (the
 * product's embeddings are L2-normalised; the ranking itself only needs Euclidean distance).
 */
export function poolMetrics(embeddings: readonly ArrayLike<number>[], labels: readonly unknown[], ks: readonly number[] = RECALL_KS): PoolMetrics {
  if (embeddings.length !== labels.length) throw new Error(`${embeddings.length} embeddings but ${labels.length} labels`);
  const recallSums = new Map<number, number>(ks.map((k) => [k, 0]));
  let mapAtR = 0;
  let map = 0;
  let queries = 0;
  for (let i = 0; i < embeddings.length; i++) {
    const groups = rankedTieGroups(i, embeddings, labels);
    if (!groups.some((g) => g.relevant > 0)) continue;
    queries++;
    for (const k of ks) recallSums.set(k, (recallSums.get(k) ?? 0) + expectedRecallAtK(groups, k));
    mapAtR += expectedMapAtR(groups);
    map += expectedAveragePrecision(groups);
  }
  const mean = (sum: number) => (queries === 0 ? 0 : sum / queries);
  const recallAtK: Record<number, number> = {};
  for (const k of ks) recallAtK[k] = mean(recallSums.get(k) ?? 0);
  return { recallAtK, mapAtR: mean(mapAtR), map: mean(map), queries };
}

/** Mean and 95% confidence half-width over episodes: 1.96 * std / sqrt(n), std with divisor n (numpy's default, as few-shot papers report). */
export function meanAndCi95(values: readonly number[]): { mean: number; ci95: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, ci95: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { mean, ci95: (1.96 * Math.sqrt(variance)) / Math.sqrt(n) };
}
