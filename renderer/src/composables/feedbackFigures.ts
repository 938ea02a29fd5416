/**
 * How the feedback panel shows figures: precision values, judgement names, and the geometry of the
 * per-query history chart (one point per round, precision@10 on a 0..1 axis). Pure, so it is tested
 * without a DOM.
 */
import type { FeedbackRound, Judgement } from '@shared/rpc/contract';

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

export interface ChartPoint {
  round: number;
  listId: number;
  /** Precision@10 of the round, null when none of its top 10 is judged (drawn hollow on the axis). */
  value: number | null;
  x: number;
  y: number;
}

export interface ChartGeometry {
  width: number;
  height: number;
  /** Inner margin so points and strokes are not clipped at the edges. */
  pad: number;
}

export const defaultChart: ChartGeometry = { width: 220, height: 72, pad: 6 };

export function chartPoints(rounds: readonly FeedbackRound[], geometry: ChartGeometry = defaultChart): ChartPoint[] {
  const { width, height, pad } = geometry;
  const spanX = width - 2 * pad;
  const spanY = height - 2 * pad;
  const step = rounds.length > 1 ? spanX / (rounds.length - 1) : 0;
  return rounds.map((round, i) => {
    const value = round.precision.precisionAt10;
    return {
      round: round.round,
      listId: round.listId,
      value,
      x: rounds.length > 1 ? pad + i * step : width / 2,
      y: pad + (1 - (value ?? 0)) * spanY,
    };
  });
}

/** SVG polyline through the rounds that have a value (a round with nothing judged breaks no line). */
export function chartLine(points: readonly ChartPoint[]): string {
  return points
    .filter((p) => p.value !== null)
    .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(' ');
}
