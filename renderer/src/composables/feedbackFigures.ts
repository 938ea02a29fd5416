/**
 * How the feedback panel shows figures: precision values, judgement names, and the geometry of the
 * per-query history chart (one point per round, precision@10 on a 0..1 axis). Pure, so it is tested
 * without a DOM.
 */
import type { FeedbackRound, Judgement } from '@shared/rpc/contract';
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
        title: `${roundKindLabels[r.kind]} (round ${r.round}): P@10 ${formatPrecision(r.precision.precisionAt10)}`,
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
