/**
 * Geometry of a small inline-SVG line chart with one or more series over a shared x axis (e.g. the
 * adaptation's support loss and held-out score per step). Each series is scaled to its own y range, so
 * a loss of 0.4 and a score of 0.9 both use the full height. Pure, so it is tested without a DOM.
 */

/** What a chart shows on one point besides its position: a tooltip, an emphasis, data attributes. */
export interface PointMeta {
  title?: string;
  /** Drawn larger and outlined (e.g. the round now shown). */
  current?: boolean;
  /** Extra attributes on the point's element (e.g. data-round). */
  attrs?: Readonly<Record<string, string | number>>;
}

export interface SeriesValue {
  x: number;
  y: number | null;
  meta?: PointMeta;
}

export interface SeriesInput {
  id: string;
  /** y null = not measured at that x: no line segment through it, and no point unless `unmeasured` is 'axis'. */
  values: readonly SeriesValue[];
  /** Fixed y range (e.g. 0..1 for scores); otherwise the series' own min..max. */
  range?: readonly [number, number];
  /** 'axis' draws an unmeasured value as a hollow point on the x axis; default 'skip' leaves it out. */
  unmeasured?: 'skip' | 'axis';
}

export interface PlacedPoint {
  x: number;
  y: number;
  /** null only for an unmeasured value placed on the axis. */
  value: number | null;
  at: number;
  meta?: PointMeta;
}

export interface ChartBox {
  width: number;
  height: number;
  pad: number;
}

export function placeSeries(series: readonly SeriesInput[], box: ChartBox): Map<string, PlacedPoint[]> {
  const xs = series.flatMap((s) => s.values.map((v) => v.x));
  const minX = xs.length ? Math.min(...xs) : 0;
  const maxX = xs.length ? Math.max(...xs) : 1;
  const spanX = box.width - 2 * box.pad;
  const spanY = box.height - 2 * box.pad;
  const placed = new Map<string, PlacedPoint[]>();
  for (const s of series) {
    const isMeasured = (v: SeriesValue): v is SeriesValue & { y: number } => v.y !== null && Number.isFinite(v.y);
    const ys = s.values.filter(isMeasured).map((v) => v.y);
    const [lo, hi] = s.range ?? [ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1];
    const shown = s.unmeasured === 'axis' ? s.values : s.values.filter(isMeasured);
    placed.set(
      s.id,
      shown.map((v) => ({
        at: v.x,
        value: isMeasured(v) ? v.y : null,
        x: maxX > minX ? box.pad + ((v.x - minX) / (maxX - minX)) * spanX : box.width / 2,
        y: !isMeasured(v)
          ? box.height - box.pad
          : // A flat series sits in the middle.
            hi > lo
            ? box.pad + (1 - (v.y - lo) / (hi - lo)) * spanY
            : box.height / 2,
        ...(v.meta ? { meta: v.meta } : {}),
      })),
    );
  }
  return placed;
}

/** SVG polyline through the measured points (an unmeasured one breaks no line). */
export function polyline(points: readonly PlacedPoint[]): string {
  return points
    .filter((p) => p.value !== null)
    .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(' ');
}
