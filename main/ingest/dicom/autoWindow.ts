// The default display window of a monochrome frame (thumbnails and the first view), chosen the way
// OHIF / Slicer viewers do it: the file's own VOI where it suits the data, else a modality default,
// else an automatic window from the histogram of the values inside the body.
//
// 1. Header VOI (window or VOI LUT), first plausible one in header order: it must not clip more than
//    MAX_CLIPPED of the body pixels (nor of the body's brighter Otsu class) to pure black/white, and the
//    body's value spread must fill at least MIN_FILL of the window (a window 100x wider than the data
//    shows a flat grey).
// 2. CT whose values are Hounsfield units: brain (W80/L40), then soft tissue (W400/L40), under the
//    same test. MR (and every other modality) has no standard units: no fixed default.
// 3. Auto: 0.5..99.5 percentiles of the body values.
//
// Body = the pixels that are neither padding nor air/background:
// - padding: an isolated spike in the histogram (one exact value holding >= 0.5% of the pixels with a
//   near-empty neighbourhood: -3024, -2048, -2000, 0 outside the reconstruction circle, a wrapped
//   63488...), and for CT in HU anything below -1100 HU (not physical);
// - CT in HU: values above -500 HU (air and lung are below);
// - otherwise: values above 10% of the robust (2..98 percentile) range, as FSL BET finds background
//   (Otsu would cut through MR tissue, which spreads widely above a dark background).
import type { LutPreset, VoiPreset, WindowPreset } from './types';

/** Largest share of the body pixels a default window may clip to pure black or white. */
export const MAX_CLIPPED = 0.15;
/** Smallest share of the window width the body's 1..99 percentile spread must fill. */
export const MIN_FILL = 0.25;
/** Values sampled for the statistics (evenly strided): enough for percentiles, cheap for 4k x 4k. */
const SAMPLE = 65_536;

export type WindowSource = 'header' | 'modality' | 'auto';

export interface WindowChoice {
  voi: VoiPreset;
  source: WindowSource;
}

/** What the choice reads from the image besides the frame (a local shape: types.ts is not ours to extend). */
export interface WindowContext {
  voiPresets: readonly VoiPreset[];
  modality?: string | undefined;
  rescale?: { slope: number; intercept: number; type?: string | undefined } | undefined;
}

/** CT defaults in HU, narrowest first: the first that fits the body wins. */
export const CT_DEFAULTS: readonly WindowPreset[] = [
  { kind: 'window', center: 40, width: 80, fn: 'LINEAR', explanation: 'brain (CT default)' },
  { kind: 'window', center: 40, width: 400, fn: 'LINEAR', explanation: 'soft tissue (CT default)' },
];

/** Sorted, finite, evenly strided sample of the frame's values. */
export function sortedSample(data: ArrayLike<number>, size = SAMPLE): Float64Array {
  const stride = Math.max(1, Math.floor(data.length / size));
  const out = new Float64Array(Math.ceil(data.length / stride));
  let n = 0;
  for (let i = 0; i < data.length; i += stride) {
    const v = data[i]!;
    if (Number.isFinite(v)) out[n++] = v;
  }
  return out.subarray(0, n).sort();
}

/** First index whose value is >= x (sorted input). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > x (sorted input). */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Values that are padding rather than data: exact values holding >= 1% of the sample whose
 * neighbourhood (+-0.5% of the value range, at least 1.5 value steps; the value itself excluded) holds
 * under a quarter as many. The step floor keeps integer data of a small range (a 16 x 16 MR with values
 * 48..80) from calling every value a spike.
 */
export function paddingValues(sorted: Float64Array): number[] {
  const n = sorted.length;
  if (n === 0) return [];
  const range = sorted[n - 1]! - sorted[0]!;
  if (!(range > 0)) return [];
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < n; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 0 && d < step) step = d;
  }
  const radius = Math.max(range * 0.005, step * 1.5);
  const minCount = Math.max(3, Math.ceil(n * 0.01));
  const out: number[] = [];
  for (let i = 0; i < n; ) {
    const v = sorted[i]!;
    const end = upperBound(sorted, v);
    const count = end - i;
    if (count >= minCount) {
      const around = upperBound(sorted, v + radius) - lowerBound(sorted, v - radius) - count;
      if (around * 4 < count) out.push(v);
    }
    i = end;
  }
  return out;
}

/** Otsu threshold (256 bins) of sorted values: the body is the class above it. */
export function otsuThreshold(sorted: Float64Array): number {
  const n = sorted.length;
  const lo = sorted[0]!;
  const hi = sorted[n - 1]!;
  if (!(hi > lo)) return lo;
  const bins = 256;
  const hist = new Float64Array(bins);
  const scale = bins / (hi - lo);
  for (let i = 0; i < n; i++) hist[Math.min(bins - 1, Math.floor((sorted[i]! - lo) * scale))]!++;
  let total = 0;
  for (let b = 0; b < bins; b++) total += b * hist[b]!;
  let weightBelow = 0;
  let sumBelow = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    weightBelow += hist[b]!;
    if (weightBelow === 0) continue;
    const weightAbove = n - weightBelow;
    if (weightAbove === 0) break;
    sumBelow += b * hist[b]!;
    const meanBelow = sumBelow / weightBelow;
    const meanAbove = (total - sumBelow) / weightAbove;
    const between = weightBelow * weightAbove * (meanBelow - meanAbove) ** 2;
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  return lo + (bestBin + 1) / scale;
}

/** True when a CT frame's values look like Hounsfield units (air near -1000 is representable). */
export function looksLikeHu(context: Pick<WindowContext, 'modality' | 'rescale'>, sorted: Float64Array): boolean {
  if ((context.modality ?? '').toUpperCase() !== 'CT') return false;
  const r = context.rescale;
  if (r?.type?.toUpperCase() === 'HU' || (r && r.intercept < 0)) return true;
  // No rescale given but signed data with air at about -1000 (e.g. a pixel-representation mix-up).
  return sorted.length > 0 && sorted[Math.floor(sorted.length * 0.05)]! < -500;
}

/**
 * Background threshold of non-HU data, after FSL BET: 10% of the way up the robust (2..98 percentile)
 * range, with padding counted as background. Unlike Otsu it does not cut through MR tissue, whose
 * intensities spread widely above a dark, noisy background.
 */
export function robustThreshold(sorted: Float64Array): number {
  return percentile(sorted, 0.02) + 0.1 * (percentile(sorted, 0.98) - percentile(sorted, 0.02));
}

/** Sorted values of the body pixels (see the header comment); all non-padding values if the mask is degenerate. */
export function bodyValues(sorted: Float64Array, hu: boolean): Float64Array {
  const padding = paddingValues(sorted);
  let kept = sorted;
  if (padding.length) {
    // Sorted input: each padding value is one run, cut out by its bounds.
    kept = new Float64Array(sorted.length);
    let n = 0;
    let from = 0;
    for (const v of padding) {
      const start = lowerBound(sorted, v);
      kept.set(sorted.subarray(from, start), n);
      n += start - from;
      from = upperBound(sorted, v);
    }
    kept.set(sorted.subarray(from), n);
    kept = kept.subarray(0, n + sorted.length - from);
  }
  if (hu) kept = kept.subarray(lowerBound(kept, -1100));
  if (kept.length === 0) return sorted;
  let threshold = -500;
  if (!hu) {
    // Padding counts as background: it stands in at the lowest real value.
    let withBackground = sorted;
    if (padding.length) {
      withBackground = new Float64Array(sorted.length);
      withBackground.fill(kept[0]!, 0, sorted.length - kept.length);
      withBackground.set(kept, sorted.length - kept.length);
    }
    threshold = robustThreshold(withBackground);
  }
  const body = kept.subarray(upperBound(kept, threshold));
  return body.length >= Math.max(1, kept.length * 0.01) ? body : kept;
}

/** Maps one value through a VOI LUT to 0..255 (as the renderer does). */
export function lutMapper(lut: LutPreset): (x: number) => number {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of lut.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  const last = lut.data.length - 1;
  return (x) => {
    const i = Math.min(last, Math.max(0, Math.round(x) - lut.firstMapped));
    return ((lut.data[i]! - lo) / span) * 255;
  };
}

/** Share of the (sorted) body values that a VOI maps to pure black or pure white. */
export function clippedShare(voi: VoiPreset, body: Float64Array, map: (x: number, voi: VoiPreset) => number): number {
  if (body.length === 0) return 0;
  let clipped = 0;
  for (let i = 0; i < body.length; i++) {
    const v = Math.round(map(body[i]!, voi));
    if (v <= 0 || v >= 255) clipped++;
  }
  return clipped / body.length;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((sorted.length - 1) * p)))]!;
}

/** The body and its brighter part (above the body's own Otsu threshold), as the clipping test reads them. */
export interface BodySample {
  body: Float64Array;
  /** The body itself for CT in HU. */
  bright: Float64Array;
}

/** `hu`: CT in HU has a crisp body (> -500 HU) whose bright class is bone, which windows rightly clip. */
export function bodySample(body: Float64Array, hu = false): BodySample {
  return { body, bright: !hu && body.length > 1 ? body.subarray(upperBound(body, otsuThreshold(body))) : body };
}

/**
 * True when `voi` suits the body: it clips at most MAX_CLIPPED of the body, and of its brighter part
 * (MR tissue spreads widely: a window may spare the body on average yet white out a quarter of the
 * bright tissue), and (windows) the body's 1..99 percentile spread fills at least MIN_FILL of it.
 */
export function fitsBody(voi: VoiPreset, sample: BodySample, map: (x: number, voi: VoiPreset) => number): boolean {
  const { body, bright } = sample;
  if (body.length === 0) return true;
  if (clippedShare(voi, body, map) > MAX_CLIPPED || clippedShare(voi, bright, map) > MAX_CLIPPED) return false;
  if (voi.kind === 'window') {
    const spread = Math.min(percentile(body, 0.99), voi.center + voi.width / 2) - Math.max(percentile(body, 0.01), voi.center - voi.width / 2);
    if (spread < MIN_FILL * voi.width) return false;
  } else {
    // A LUT that maps the whole body to a handful of grey levels is as useless as a too-wide window.
    const levels = new Set<number>();
    const distinct = new Set<number>();
    for (let i = 0; i < body.length; i += Math.max(1, Math.floor(body.length / 4096))) {
      levels.add(Math.round(map(body[i]!, voi)));
      distinct.add(body[i]!);
    }
    if (levels.size < Math.min(16, distinct.size)) return false;
  }
  return true;
}

/** 0.5..99.5 percentile window of sorted values (all of them when that collapses). */
export function percentileWindow(sorted: Float64Array, explanation = 'auto (0.5-99.5 percentile)'): WindowPreset {
  if (sorted.length === 0) return { kind: 'window', center: 0, width: 1, fn: 'LINEAR_EXACT', explanation };
  let low = percentile(sorted, 0.005);
  let high = percentile(sorted, 0.995);
  if (high <= low) {
    low = sorted[0]!;
    high = sorted[sorted.length - 1]!;
  }
  const width = Math.max(high - low, 1e-6);
  return { kind: 'window', center: low + width / 2, width, fn: 'LINEAR_EXACT', explanation };
}

/**
 * The default VOI of a monochrome frame (see the header comment). `map` is the renderer's mapping of
 * one value through a VOI to 0..255, so the clipping test sees what the display will show.
 */
export function chooseWindow(data: ArrayLike<number>, context: WindowContext, map: (x: number, voi: VoiPreset) => number): WindowChoice {
  const sorted = sortedSample(data);
  const hu = looksLikeHu(context, sorted);
  const body = bodyValues(sorted, hu);
  const sample = bodySample(body, hu);
  for (const preset of context.voiPresets) {
    if (fitsBody(preset, sample, map)) return { voi: preset, source: 'header' };
  }
  if (hu) {
    for (const preset of CT_DEFAULTS) if (fitsBody(preset, sample, map)) return { voi: preset, source: 'modality' };
  }
  return { voi: percentileWindow(body, 'auto (0.5-99.5 percentile of the body)'), source: 'auto' };
}
