/**
 * Precision the analyst can see, computed from their own marks over a ranked list, with what it rests on.
 *
 * Only results marked `relevant` count as relevant; unjudged and `unsure` results never do. Each cut-off
 * reports how many of its ranks are judged, the figure with every unjudged one counted as not relevant
 * (the headline), the figure with every unjudged one counted as relevant (the range's high end), and the
 * judged-only share. A figure of 1.00 over a top 10 with four unjudged would say something nobody checked.
 */
import type { FeedbackPrecision, Judgement, PrecisionAtCutoff } from '../../shared/rpc/contract';

export const PRECISION_CUTOFFS = [5, 10, 20] as const;

export type JudgementLookup = ReadonlyMap<number, Judgement>;

/** relevant: true, not_relevant: false, unjudged / unsure: undefined (the truth is not known). */
function verdict(judgements: JudgementLookup, id: number): boolean | undefined {
  const judgement = judgements.get(id);
  if (judgement === 'relevant') return true;
  if (judgement === 'not_relevant') return false;
  return undefined;
}

export function precisionAtCutoff(rankedIds: readonly number[], judgements: JudgementLookup, k: number): PrecisionAtCutoff {
  const top = rankedIds.slice(0, k);
  let judged = 0;
  let relevant = 0;
  for (const id of top) {
    const v = verdict(judgements, id);
    if (v === undefined) continue;
    judged++;
    if (v) relevant++;
  }
  const positions = top.length;
  const unjudged = positions - judged;
  // Nothing judged: no figure at all rather than a range of 0..1 dressed up as one.
  if (judged === 0) return { k, positions, judged, relevant, precision: null, upper: null, judgedOnly: null };
  return { k, positions, judged, relevant, precision: relevant / positions, upper: (relevant + unjudged) / positions, judgedOnly: relevant / judged };
}

/**
 * Over the judged-relevant items of the list, the precision at their rank with unjudged counted as not
 * relevant. 0 when the list holds judged items but no relevant one, null when nothing is judged.
 */
export function averagePrecision(rankedIds: readonly number[], judgements: JudgementLookup): number | null {
  let judged = 0;
  let relevant = 0;
  let sum = 0;
  rankedIds.forEach((id, rank) => {
    const v = verdict(judgements, id);
    if (v === undefined) return;
    judged++;
    if (v) {
      relevant++;
      sum += relevant / (rank + 1);
    }
  });
  if (judged === 0) return null;
  return relevant === 0 ? 0 : sum / relevant;
}

export function feedbackPrecision(rankedIds: readonly number[], judgements: JudgementLookup): FeedbackPrecision {
  const cutoffs = PRECISION_CUTOFFS.map((k) => precisionAtCutoff(rankedIds, judgements, k));
  const whole = precisionAtCutoff(rankedIds, judgements, rankedIds.length);
  return {
    precisionAt5: cutoffs[0]!.precision,
    precisionAt10: cutoffs[1]!.precision,
    precisionAt20: cutoffs[2]!.precision,
    averagePrecision: averagePrecision(rankedIds, judgements),
    judged: whole.judged,
    relevant: whole.relevant,
    listed: rankedIds.length,
    cutoffs,
  };
}
