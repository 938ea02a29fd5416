import type { InputPixels } from './preprocess';
import type { PreprocessSpec } from './preprocessSpec';

/**
 * Training-time augmentation that metric learning on photographs relies on. Applied to the cached
 * inputSize x inputSize pixels (HWC, 0..255), driven by the caller's seeded PRNG so a run is
 * reproducible. Never used at evaluation or search time: only the batch loader calls it.
 */
export interface AugmentationOptions {
  /** Random resized crop: area share drawn from [minScale, 1], aspect ratio log-uniform in [3/4, 4/3]. */
  crop?: { minScale: number };
  /** Mirror left-right with probability 1/2. */
  flip?: boolean;
  /** Colour jitter strength j: brightness, contrast and saturation factors drawn from [1 - j, 1 + j]. */
  jitter?: number;
  /** Random translation of up to this many pixels, edges replicated. */
  maxShift?: number;
}

export const NO_AUGMENTATION: AugmentationOptions = {};

/** The recipe for colour models on photographs and aerial/medical scenes (SimCLR-style, milder). */
export const PHOTO_AUGMENTATION: AugmentationOptions = { crop: { minScale: 0.35 }, flip: true, jitter: 0.3 };

export function isAugmenting(options: AugmentationOptions): boolean {
  return Boolean(options.crop || options.flip || (options.jitter ?? 0) > 0 || (options.maxShift ?? 0) > 0);
}

/** One augmented copy of `pixels`; the source is never modified (it is the decode cache). */
export function augment(pixels: InputPixels, spec: PreprocessSpec, random: () => number, options: AugmentationOptions): InputPixels {
  if (!isAugmenting(options)) return pixels;
  const size = spec.inputSize;
  // Source window in pixels: the whole image unless cropped, shifted by whole pixels when asked.
  let width = size;
  let height = size;
  let left = 0;
  let top = 0;
  if (options.crop) {
    const area = options.crop.minScale + (1 - options.crop.minScale) * random();
    const ratio = Math.exp(Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * random());
    width = Math.min(size, Math.sqrt(area * ratio) * size);
    height = Math.min(size, Math.sqrt(area / ratio) * size);
    left = (size - width) * random();
    top = (size - height) * random();
  }
  const maxShift = options.maxShift ?? 0;
  if (maxShift > 0) {
    left -= Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    top -= Math.floor(random() * (2 * maxShift + 1)) - maxShift;
  }
  const flip = options.flip === true && random() < 0.5;
  const jitter = options.jitter ?? 0;
  const brightness = jitter > 0 ? 1 + jitter * (2 * random() - 1) : 1;
  const contrast = jitter > 0 ? 1 + jitter * (2 * random() - 1) : 1;
  const saturation = jitter > 0 && spec.channels === 3 ? 1 + jitter * (2 * random() - 1) : 1;

  const out = resample(pixels, spec, left, top, width, height, flip);
  if (brightness !== 1 || contrast !== 1 || saturation !== 1) jitterColours(out, spec.channels, brightness, contrast, saturation);
  return out;
}

/** Bilinear resample of the window (left, top, width, height) to the full square; edges replicate. */
function resample(pixels: InputPixels, spec: PreprocessSpec, left: number, top: number, width: number, height: number, flip: boolean): Float32Array {
  const size = spec.inputSize;
  const channels = spec.channels;
  const out = new Float32Array(size * size * channels);
  const sx = width / size;
  const sy = height / size;
  const clamp = (v: number) => (v < 0 ? 0 : v > size - 1 ? size - 1 : v);
  for (let y = 0; y < size; y++) {
    const fy = clamp(top + (y + 0.5) * sy - 0.5);
    const y0 = Math.floor(fy);
    const y1 = Math.min(size - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const tx = flip ? size - 1 - x : x;
      const fx = clamp(left + (tx + 0.5) * sx - 0.5);
      const x0 = Math.floor(fx);
      const x1 = Math.min(size - 1, x0 + 1);
      const wx = fx - x0;
      const a = (y0 * size + x0) * channels;
      const b = (y0 * size + x1) * channels;
      const c = (y1 * size + x0) * channels;
      const d = (y1 * size + x1) * channels;
      const o = (y * size + x) * channels;
      for (let ch = 0; ch < channels; ch++) {
        const upper = (pixels[a + ch] as number) * (1 - wx) + (pixels[b + ch] as number) * wx;
        const lower = (pixels[c + ch] as number) * (1 - wx) + (pixels[d + ch] as number) * wx;
        out[o + ch] = upper * (1 - wy) + lower * wy;
      }
    }
  }
  return out;
}

/** Brightness (scale), contrast (about the image mean) and saturation (about each pixel's luma), clipped to 0..255. */
function jitterColours(pixels: Float32Array, channels: number, brightness: number, contrast: number, saturation: number): void {
  let mean = 0;
  for (let i = 0; i < pixels.length; i++) mean += pixels[i] as number;
  mean = (mean / pixels.length) * brightness;
  for (let p = 0; p < pixels.length; p += channels) {
    let luma = 0;
    if (channels === 3) luma = 0.299 * (pixels[p] as number) + 0.587 * (pixels[p + 1] as number) + 0.114 * (pixels[p + 2] as number);
    for (let c = 0; c < channels; c++) {
      let v = (pixels[p + c] as number) * brightness;
      if (channels === 3) v = luma * brightness + (v - luma * brightness) * saturation;
      v = mean + (v - mean) * contrast;
      pixels[p + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}
