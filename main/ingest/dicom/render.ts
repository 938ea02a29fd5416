// Display rendition: VOI (window or VOI LUT) to 8 bits, MONOCHROME1 inverted, colour passed through.
import { chooseWindow, lutMapper, type WindowChoice, type WindowContext } from './autoWindow';
import type { DicomFrame, DicomImage, DicomError, DisplayImage, VoiPreset, WindowPreset } from './types';

export type DisplayResult = ({ ok: true } & DisplayImage) | DicomError;

/** A window covering the 0.5th..99.5th percentile of the values (robust to padding and outliers). */
export function defaultWindow(data: Float32Array): WindowPreset {
  const stride = Math.max(1, Math.floor(data.length / 50_000));
  const sample: number[] = [];
  for (let i = 0; i < data.length; i += stride) {
    const v = data[i]!;
    if (!Number.isNaN(v)) sample.push(v);
  }
  sample.sort((a, b) => a - b);
  if (sample.length === 0) return { kind: 'window', center: 0, width: 1, fn: 'LINEAR_EXACT' };
  let low = sample[Math.floor(sample.length * 0.005)]!;
  let high = sample[Math.min(sample.length - 1, Math.ceil(sample.length * 0.995))]!;
  if (high <= low) {
    low = sample[0]!;
    high = sample[sample.length - 1]!;
  }
  const width = Math.max(high - low, 1e-6);
  return { kind: 'window', center: low + width / 2, width, fn: 'LINEAR_EXACT', explanation: 'auto (0.5-99.5 percentile)' };
}

/** Maps one modality value through a window (PS3.3 C.11.2.1.2) to 0..255. */
export function windowValue(x: number, w: WindowPreset): number {
  const { center: c, width } = w;
  if (w.fn === 'SIGMOID') return 255 / (1 + Math.exp((-4 * (x - c)) / width));
  if (w.fn === 'LINEAR_EXACT') {
    if (x <= c - width / 2) return 0;
    if (x > c + width / 2) return 255;
    return ((x - c) / width + 0.5) * 255;
  }
  if (width <= 1) return x < c - 0.5 ? 0 : 255;
  if (x <= c - 0.5 - (width - 1) / 2) return 0;
  if (x > c - 0.5 + (width - 1) / 2) return 255;
  return ((x - (c - 0.5)) / (width - 1) + 0.5) * 255;
}

function voiMapper(voi: VoiPreset): (x: number) => number {
  return voi.kind === 'window' ? (x) => windowValue(x, voi) : lutMapper(voi);
}

function applyVoi(data: Float32Array, voi: VoiPreset, invert: boolean): Uint8Array {
  const out = new Uint8Array(data.length);
  const map = voiMapper(voi);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(map(data[i]!));
    const clamped = v < 0 ? 0 : v > 255 ? 255 : v;
    out[i] = invert ? 255 - clamped : clamped;
  }
  return out;
}

/** What rendering reads from the image: DicomImage fits; modality and rescale steer the default window. */
export type RenderableImage = Pick<DicomImage, 'rows' | 'columns' | 'invert' | 'voiPresets'> & {
  meta?: { modality?: string | undefined };
  rescale?: WindowContext['rescale'];
};

/**
 * The window a monochrome frame shows when nobody chose one (thumbnails, the first view): the header's
 * VOI where it suits the data, else a CT default, else a percentile window of the body (autoWindow.ts).
 */
export function defaultVoi(image: RenderableImage, frame: Extract<DicomFrame, { kind: 'mono' }>): WindowChoice {
  // LUTs are tested through a cached mapper: building one per sampled value would be quadratic.
  const mappers = new Map<VoiPreset, (x: number) => number>();
  const map = (x: number, voi: VoiPreset) => {
    let m = mappers.get(voi);
    if (!m) mappers.set(voi, (m = voiMapper(voi)));
    return m(x);
  };
  return chooseWindow(frame.data, { voiPresets: image.voiPresets, modality: image.meta?.modality, rescale: image.rescale }, map);
}

/** Renders a decoded frame: the given VOI (the user's choice always wins), else `defaultVoi`. */
export function renderFrame(image: RenderableImage, frame: DicomFrame, voi?: VoiPreset): DisplayImage {
  if (frame.kind === 'rgb') return { width: image.columns, height: image.rows, channels: 3, data: frame.data };
  const chosen = voi ?? defaultVoi(image, frame).voi;
  return { width: image.columns, height: image.rows, channels: 1, data: applyVoi(frame.data, chosen, image.invert) };
}

/** Decodes frame `frameIndex` and renders it for display. */
export async function renderDisplay(image: DicomImage, frameIndex: number, voi?: VoiPreset): Promise<DisplayResult> {
  const result = await image.frame(frameIndex);
  if (!result.ok) return result;
  return { ok: true, ...renderFrame(image, result.frame, voi) };
}
