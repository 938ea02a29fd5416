/**
 * Geometry of a small inline-SVG line chart with one or more series over a shared x axis (e.g. the
 * adaptation's support loss and held-out score per step). Each series is scaled to its own y range, so
 * a loss of 0.4 and a score of 0.9 both use the full height. Pure, so it is tested without a DOM.
 */

export interface SeriesInput {
  id: string;
  /** y null = not measured at that x (no point, no line segment through it). */
  values: ReadonlyArray<{ x: number; y: number | null }>;
  /** Fixed y range (e.g. 0..1 for scores); otherwise the series' own min..max. */
  range?: readonly [number, number];
}

export interface PlacedPoint {
  x: number;
  y: number;
  value: number;
  at: number;
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
    const measured = s.values.filter((v): v is { x: number; y: number } => v.y !== null && Number.isFinite(v.y));
    const ys = measured.map((v) => v.y);
    const [lo, hi] = s.range ?? [ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1];
    placed.set(
      s.id,
      measured.map((v) => ({
        at: v.x,
        value: v.y,
        x: maxX > minX ? box.pad + ((v.x - minX) / (maxX - minX)) * spanX : box.width / 2,
        // A flat series sits in the middle.
        y: hi > lo ? box.pad + (1 - (v.y - lo) / (hi - lo)) * spanY : box.height / 2,
      })),
    );
  }
  return placed;
}

export function polyline(points: readonly PlacedPoint[]): string {
  return points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}
