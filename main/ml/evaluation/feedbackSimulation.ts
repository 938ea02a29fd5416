/**
 * Simulated-user relevance feedback (issue 6): for seeded queries drawn from a labelled archive, an
 * analyst who knows the true labels judges the top `judgePerRound` results of each round; the next round
 * re-ranks with a feedback scorer (Rocchio, multi-point, classifier, or a refined model) from all
 * judgements so far. Precision@10 is measured on the residual ranking:
 * the query and every image judged in an earlier round are left out, so merely pinning judged images
 * cannot raise the figure. Ranking is exact (every archive row is scored). With several data sets joined
 * into one archive (`sets`), each round also reports how much of a query's top 10 comes from a set other
 * than its own: re-ranking must stay in the query's neighbourhood, not drag in unrelated images.
 */
import { DEFAULT_ROCCHIO, type RocchioWeights } from '../../feedback/rocchio';
import { rocchioScorer, scoresAround, type FeedbackMethod, type FeedbackScorer } from '../../feedback/feedbackScorers';
import { seededRandom } from '../samplers/seededRandom';

export interface FeedbackSimulationInput {
  /** One embedding per archive image (same dimension). */
  vectors: readonly Float32Array[];
  /** Class label per archive image. */
  labels: readonly (string | number)[];
  /** Data set per archive image, when several sets form the archive (labels must be distinct across sets). */
  sets?: readonly (string | number)[];
  rounds: number;
  queries: number;
  seed: number;
  judgePerRound?: number;
  /** Cut-off of the reported residual precision (10 in the issue). */
  cutoff?: number;
  weights?: RocchioWeights;
  /** How rounds after the first rank with the judgements (default: Rocchio with `weights`). */
  scorer?: FeedbackScorer;
  onQuery?: (done: number, total: number) => void;
}

export interface FeedbackRoundFigure {
  round: number;
  precision_at_10: number;
  /** The same residual measure without feedback: the next page of the plain query ranking. */
  no_feedback_precision_at_10: number;
  /** Mean relevant images the analyst has seen up to and including this round (of relevant_per_query). */
  relevant_found: number;
  /** The same without feedback: relevant images in the plain ranking's first round + 1 pages. */
  no_feedback_relevant_found: number;
  /** Mean share of the round's top `cutoff` from a data set other than the query's (with `sets` only). */
  cross_set_at_10?: number;
  no_feedback_cross_set_at_10?: number;
  /** Queries whose cross-set share in this round is above their own round 0 (with `sets` only). */
  cross_set_above_round_0?: number;
  queries: number;
}

export interface FeedbackSimulationResult {
  rounds: FeedbackRoundFigure[];
  method: FeedbackMethod;
  weights: RocchioWeights;
  judge_per_round: number;
  /** Mean relevant images per query in the archive: the pool the residual rounds draw down. */
  relevant_per_query: number;
  query_ids: number[];
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

/**
 * The `take` best-scoring rows, skipping `skip`; ties go to the lower index. A row scored -Infinity is not
 * ranked at all (a re-rank that finds fewer than a page in the neighbourhood shows a shorter page; filling
 * it with arbitrary rows would show images the method never chose).
 */
function topScored(scores: Float32Array, skip: ReadonlySet<number>, take: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!skip.has(i) && scores[i]! > -Infinity) rows.push(i);
  rows.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return rows.slice(0, take);
}

export async function simulateFeedback(input: FeedbackSimulationInput): Promise<FeedbackSimulationResult> {
  const { vectors, labels } = input;
  if (vectors.length !== labels.length) throw new RangeError(`simulateFeedback: ${vectors.length} vectors but ${labels.length} labels.`);
  const weights = input.weights ?? DEFAULT_ROCCHIO;
  const scorer = input.scorer ?? rocchioScorer(vectors, weights);
  const judgePerRound = input.judgePerRound ?? 10;
  const cutoff = input.cutoff ?? 10;
  const queries = drawQueries(labels, input.queries, input.seed);
  const mean = (sum: number) => (queries.length ? sum / queries.length : 0);
  const sums = new Array<number>(input.rounds + 1).fill(0);
  const plainSums = new Array<number>(input.rounds + 1).fill(0);
  const foundSums = new Array<number>(input.rounds + 1).fill(0);
  const plainFoundSums = new Array<number>(input.rounds + 1).fill(0);
  const sets = input.sets;
  if (sets && sets.length !== labels.length) throw new RangeError(`simulateFeedback: ${sets.length} set names but ${labels.length} labels.`);
  const crossSums = new Array<number>(input.rounds + 1).fill(0);
  const crossRose = new Array<number>(input.rounds + 1).fill(0);
  const plainCrossSums = new Array<number>(input.rounds + 1).fill(0);
  const crossShare = (rows: readonly number[], q: number) => (sets ? rows.filter((i) => sets[i] !== sets[q]).length / cutoff : 0);
  let relevantTotal = 0;
  for (const [n, q] of queries.entries()) {
    relevantTotal += labels.filter((label, i) => i !== q && label === labels[q]).length;
    // Without feedback, round r is simply the r-th page of the query's own ranking.
    const plain = topScored(scoresAround(vectors, vectors[q]!), new Set([q]), cutoff * (input.rounds + 1));
    let plainFound = 0;
    for (let round = 0; round <= input.rounds; round++) {
      const page = plain.slice(round * cutoff, (round + 1) * cutoff);
      const hits = page.filter((i) => labels[i] === labels[q]).length;
      plainSums[round]! += hits / cutoff;
      plainFound += hits;
      plainFoundSums[round]! += plainFound;
      plainCrossSums[round]! += crossShare(page, q);
    }
    const judged = new Set<number>([q]);
    let crossAtRound0 = 0;
    const relevant: number[] = [];
    const notRelevant: number[] = [];
    for (let round = 0; round <= input.rounds; round++) {
      // Round 0 is the plain search every method starts from.
      const scores = round === 0 ? scoresAround(vectors, vectors[q]!) : await scorer.score({ query: q, relevant, notRelevant });
      const ranking = topScored(scores, judged, Math.max(cutoff, judgePerRound));
      const hits = ranking.slice(0, cutoff).filter((i) => labels[i] === labels[q]).length;
      sums[round]! += hits / cutoff;
      const cross = crossShare(ranking.slice(0, cutoff), q);
      crossSums[round]! += cross;
      if (round === 0) crossAtRound0 = cross;
      else if (cross > crossAtRound0) crossRose[round]!++;
      // The analyst judges the top of this round by the true labels.
      for (const i of ranking.slice(0, judgePerRound)) {
        judged.add(i);
        (labels[i] === labels[q] ? relevant : notRelevant).push(i);
      }
      foundSums[round]! += relevant.length;
    }
    input.onQuery?.(n + 1, queries.length);
  }
  return {
    rounds: sums.map((sum, round) => ({
      round,
      precision_at_10: mean(sum),
      no_feedback_precision_at_10: mean(plainSums[round]!),
      relevant_found: mean(foundSums[round]!),
      no_feedback_relevant_found: mean(plainFoundSums[round]!),
      ...(sets ? { cross_set_at_10: mean(crossSums[round]!), no_feedback_cross_set_at_10: mean(plainCrossSums[round]!), cross_set_above_round_0: crossRose[round]! } : {}),
      queries: queries.length,
    })),
    method: scorer.method,
    weights,
    judge_per_round: judgePerRound,
    relevant_per_query: mean(relevantTotal),
    query_ids: queries,
  };
}
