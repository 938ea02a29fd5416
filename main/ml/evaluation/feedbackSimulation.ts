/**
 * Simulated-user relevance feedback (issue 6): for seeded queries drawn from a labelled archive, an
 * analyst who knows the true labels judges the top `judgePerRound` results of each round; the next round
 * re-ranks with Rocchio from all judgements so far. Precision@10 is measured on the residual ranking:
 * the query and every image judged in an earlier round are left out, so merely pinning judged images
 * cannot raise the figure. Ranking is exact (Euclidean distance over the archive's embeddings).
 */
import { moveQuery, DEFAULT_ROCCHIO, type RocchioWeights } from '../../feedback/rocchio';

export interface FeedbackSimulationInput {
  /** One embedding per archive image (same dimension). */
  vectors: readonly Float32Array[];
  /** Class label per archive image. */
  labels: readonly (string | number)[];
  rounds: number;
  queries: number;
  seed: number;
  judgePerRound?: number;
  /** Cut-off of the reported residual precision (10 in the issue). */
  cutoff?: number;
  weights?: RocchioWeights;
}

export interface FeedbackRoundFigure {
  round: number;
  precision_at_10: number;
  queries: number;
}

export interface FeedbackSimulationResult {
  rounds: FeedbackRoundFigure[];
  weights: RocchioWeights;
  judge_per_round: number;
  query_ids: number[];
}

/** mulberry32: a small seeded generator, so the same seed draws the same queries. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded choice of `count` distinct query indices among images whose class has at least one other image. */
export function drawQueries(labels: readonly (string | number)[], count: number, seed: number): number[] {
  const perLabel = new Map<string | number, number>();
  for (const label of labels) perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
  const eligible = labels.map((_, i) => i).filter((i) => (perLabel.get(labels[i]!) ?? 0) > 1);
  const random = seededRandom(seed);
  for (let i = eligible.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [eligible[i], eligible[j]] = [eligible[j]!, eligible[i]!];
  }
  return eligible.slice(0, Math.min(count, eligible.length));
}

/** Indices of the archive nearest to `query`, nearest first, skipping `skip`, at most `take`. */
function nearest(vectors: readonly Float32Array[], query: Float32Array, skip: ReadonlySet<number>, take: number): number[] {
  const scored: { i: number; d: number }[] = [];
  for (let i = 0; i < vectors.length; i++) {
    if (skip.has(i)) continue;
    const v = vectors[i]!;
    let d = 0;
    for (let j = 0; j < query.length; j++) {
      const x = v[j]! - query[j]!;
      d += x * x;
    }
    scored.push({ i, d });
  }
  scored.sort((a, b) => a.d - b.d || a.i - b.i);
  return scored.slice(0, take).map((s) => s.i);
}

export function simulateFeedback(input: FeedbackSimulationInput): FeedbackSimulationResult {
  const { vectors, labels } = input;
  if (vectors.length !== labels.length) throw new RangeError(`simulateFeedback: ${vectors.length} vectors but ${labels.length} labels.`);
  const weights = input.weights ?? DEFAULT_ROCCHIO;
  const judgePerRound = input.judgePerRound ?? 10;
  const cutoff = input.cutoff ?? 10;
  const queries = drawQueries(labels, input.queries, input.seed);
  const sums = new Array<number>(input.rounds + 1).fill(0);
  for (const q of queries) {
    const judged = new Set<number>([q]);
    const relevant: Float32Array[] = [];
    const notRelevant: Float32Array[] = [];
    for (let round = 0; round <= input.rounds; round++) {
      const point = round === 0 ? vectors[q]! : moveQuery(vectors[q]!, relevant, notRelevant, weights);
      const ranking = nearest(vectors, point, judged, Math.max(cutoff, judgePerRound));
      const hits = ranking.slice(0, cutoff).filter((i) => labels[i] === labels[q]).length;
      sums[round]! += hits / cutoff;
      // The analyst judges the top of this round by the true labels.
      for (const i of ranking.slice(0, judgePerRound)) {
        judged.add(i);
        (labels[i] === labels[q] ? relevant : notRelevant).push(vectors[i]!);
      }
    }
  }
  return {
    rounds: sums.map((sum, round) => ({ round, precision_at_10: queries.length ? sum / queries.length : 0, queries: queries.length })),
    weights,
    judge_per_round: judgePerRound,
    query_ids: queries,
  };
}
