/**
 * How the feedback panel shows figures: precision values with what they rest on (how many of the k ranks
 * are judged, and the range the truth can lie in while some are not), judgement names, and the geometry
 * of the per-query history chart (one point per round, precision@10 on a 0..1 axis). Pure, so it is
 * tested without a DOM.
 */
import type { FeedbackPrecision, FeedbackRound, Judgement, PrecisionAtCutoff } from '@shared/rpc/contract';
import { placeSeries } from './lineChart';
import type { ChartBox, PlacedPoint, SeriesInput } from './lineChart';

export const judgementLabels: Record<Judgement, string> = {
  relevant: 'relevant',
  not_relevant: 'not relevant',
  unsure: 'unsure',
};

export const roundKindLabels: Record<FeedbackRound['kind'], string> = {
  search: 'Search',
  rerank: 'Re-rank',
  refine: 'Refined model',
};

/** '0.80', or an en dash when nothing in that part of the list is judged. */
export function formatPrecision(value: number | null): string {
  return value === null ? '–' : value.toFixed(2);
}

/** One precision figure as the panel words it; `range` only while some of the ranks are unjudged. */
export interface FigureText {
  value: string;
  /** "6 of 10 judged". */
  coverage: string;
  /** "6/10", for the rounds table. */
  shortCoverage: string;
  /** "0.60–1.00": all unjudged wrong .. all unjudged right. */
  range: string | null;
  /** The whole statement, for titles and screen readers. */
  sentence: string;
}

/** P@k from the marks: unjudged count as not relevant in the value, and the coverage always goes with it. */
export function describeCutoff(label: string, cutoff: PrecisionAtCutoff | undefined): FigureText {
  const judged = cutoff?.judged ?? 0;
  const positions = cutoff?.positions ?? 0;
  const value = formatPrecision(cutoff?.precision ?? null);
  const coverage = `${judged} of ${positions} judged`;
  const partial = cutoff !== undefined && cutoff.precision !== null && judged < positions;
  const range = partial ? `${formatPrecision(cutoff.precision)}–${formatPrecision(cutoff.upper)}` : null;
  let sentence = `${label} ${value} - ${coverage}`;
  if (range && cutoff) sentence += `; between ${range} depending on the unjudged (judged only: ${formatPrecision(cutoff.judgedOnly)})`;
  return { value, coverage, shortCoverage: `${judged}/${positions}`, range, sentence };
}

/** AP over the list (unjudged as not relevant), with how much of the list is judged. */
export function describeAveragePrecision(precision: FeedbackPrecision | null | undefined): FigureText {
  const judged = precision?.judged ?? 0;
  const listed = precision?.listed ?? 0;
  const value = formatPrecision(precision?.averagePrecision ?? null);
  const coverage = `${judged} of ${listed} judged`;
  return { value, coverage, shortCoverage: `${judged}/${listed}`, range: null, sentence: `AP ${value} - ${coverage} (unjudged count as not relevant)` };
}

/** The cut-off `k` of a precision summary (undefined for a summary without it). */
export function cutoffOf(precision: FeedbackPrecision | null | undefined, k: number): PrecisionAtCutoff | undefined {
  return precision?.cutoffs.find((c) => c.k === k);
}

export const defaultChart: ChartBox = { width: 220, height: 72, pad: 6 };

/** The rounds as one chart series: x = position in the history, y = precision@10 on 0..1; a round with
 *  nothing judged in its top 10 is drawn hollow on the axis. */
export function precisionSeries(rounds: readonly FeedbackRound[], currentListId: number | null = null): SeriesInput {
  return {
    id: 'p10',
    range: [0, 1],
    unmeasured: 'axis',
    values: rounds.map((r, i) => ({
      x: i,
      y: r.precision.precisionAt10,
      meta: {
        title: `${roundKindLabels[r.kind]} (round ${r.round}): ${describeCutoff('P@10', cutoffOf(r.precision, 10)).sentence}`,
        current: r.listId === currentListId,
        attrs: { 'data-round': r.round },
      },
    })),
  };
}

export function chartPoints(rounds: readonly FeedbackRound[], geometry: ChartBox = defaultChart): PlacedPoint[] {
  const series = precisionSeries(rounds);
  return placeSeries([series], geometry).get(series.id) ?? [];
}
