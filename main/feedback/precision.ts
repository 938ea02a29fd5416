/**
 * Precision the analyst can see, computed from their own marks over a ranked list.
 *
 * Only results marked `relevant` or `not_relevant` count. Unjudged and `unsure` results are left out of
 * both numerator and denominator: the figure says "of what you judged near the top, this share was
 * right", and does not assume anything about what nobody looked at.
 * - precision@k: relevant / judged among the top k ranks; null when none of the top k is judged.
 * - average precision: the ranked list reduced to its judged items (rank order kept); AP = mean over
 *   the relevant items of the precision at their position in that sub-list. 0 when the judged part
 *   holds no relevant item, null when nothing is judged.
 */
import type { FeedbackPrecision, Judgement } from '../../shared/rpc/contract';

export const PRECISION_CUTOFFS = [5, 10, 20] as const;

export type JudgementLookup = ReadonlyMap<number, Judgement>;

/** relevant: true, not_relevant: false, unjudged / unsure: undefined (does not count). */
function verdict(judgements: JudgementLookup, id: number): boolean | undefined {
  const judgement = judgements.get(id);
  if (judgement === 'relevant') return true;
  if (judgement === 'not_relevant') return false;
  return undefined;
}

export function precisionAtK(rankedIds: readonly number[], judgements: JudgementLookup, k: number): number | null {
  let judged = 0;
  let relevant = 0;
  for (const id of rankedIds.slice(0, k)) {
    const v = verdict(judgements, id);
    if (v === undefined) continue;
    judged++;
    if (v) relevant++;
  }
  return judged === 0 ? null : relevant / judged;
}

export function judgedAveragePrecision(rankedIds: readonly number[], judgements: JudgementLookup): number | null {
  let judged = 0;
  let relevant = 0;
  let sum = 0;
  for (const id of rankedIds) {
    const v = verdict(judgements, id);
    if (v === undefined) continue;
    judged++;
    if (v) {
      relevant++;
      sum += relevant / judged;
    }
  }
  if (judged === 0) return null;
  return relevant === 0 ? 0 : sum / relevant;
}

export function feedbackPrecision(rankedIds: readonly number[], judgements: JudgementLookup): FeedbackPrecision {
  let judged = 0;
  let relevant = 0;
  for (const id of rankedIds) {
    const v = verdict(judgements, id);
    if (v === undefined) continue;
    judged++;
    if (v) relevant++;
  }
  return {
    precisionAt5: precisionAtK(rankedIds, judgements, 5),
    precisionAt10: precisionAtK(rankedIds, judgements, 10),
    precisionAt20: precisionAtK(rankedIds, judgements, 20),
    averagePrecision: judgedAveragePrecision(rankedIds, judgements),
    judged,
    relevant,
  };
}
