import sharp from 'sharp';
import type { PreprocessSpec } from './preprocessSpec';

/** A decoded high-depth frame (e.g. DICOM after the Modality LUT): one channel, row-major. */
export interface ModalityFrame {
  kind: 'modality-frame';
  width: number;
  height: number;
  data: Float32Array;
}

/** Anything sharp reads (path or bytes), or a modality frame from the DICOM decoder. */
export type ImageSource = string | Buffer | ModalityFrame;

/**
 * Pixels ready for the network, before normalisation: inputSize x inputSize x channels, row-major
 * (HWC), values in [0, 1] scaled to 0..255. 8-bit sources stay Uint8 so a training cache holds
 * 28 KB-per-image float data in a quarter of the space.
 */
export type InputPixels = Uint8Array | Float32Array;

/**
 * The one preprocessing function of the app: source -> normalised Float32Array of
 * inputSize x inputSize x channels (HWC) as the manifest's spec says.
 */
export async function preprocess(source: ImageSource, spec: PreprocessSpec): Promise<Float32Array> {
  return normalisePixels(await toInputPixels(source, spec), spec);
}

/** Decode + grayscale/RGB + resize: the cacheable step of preprocess. */
export async function toInputPixels(source: ImageSource, spec: PreprocessSpec): Promise<InputPixels> {
  if (typeof source === 'object' && !Buffer.isBuffer(source)) return modalityFrameToPixels(source, spec);
  let pipeline = sharp(source, { failOn: 'error' })
    .rotate()
    .flatten({ background: { r: 0, g: 0, b: 0 } })
    .resize(spec.inputSize, spec.inputSize, { fit: spec.resize, position: 'centre', background: { r: 0, g: 0, b: 0 } });
  // Grayscale as luminance (sharp's b-w conversion); RGB forces three bands even for gray input.
  pipeline = spec.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return selectChannels(new Uint8Array(data.buffer, data.byteOffset, data.length), info.channels, spec.channels, spec.inputSize);
}

/** Scales 0..255 pixels to [0, 1] and applies the spec's per-channel mean/std. */
export function normalisePixels(pixels: InputPixels, spec: PreprocessSpec, out?: Float32Array, offset = 0): Float32Array {
  const channels = spec.channels;
  const target = out ?? new Float32Array(pixels.length);
  const scale = 1 / 255;
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels;
    target[offset + i] = ((pixels[i] as number) * scale - (spec.mean[c] as number)) / (spec.std[c] as number);
  }
  return target;
}

function selectChannels(data: Uint8Array, have: number, want: 1 | 3, size: number): Uint8Array {
  if (have === want) return data;
  const pixels = size * size;
  const out = new Uint8Array(pixels * want);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < want; c++) out[p * want + c] = data[p * have + Math.min(c, have - 1)] as number;
  }
  return out;
}

/**
 * High-depth frames keep their precision: the spec's window rule maps values to [0, 1], then a
 * bilinear resample does cover/contain in float (sharp would quantise to 8 bits first).
 */
export function modalityFrameToPixels(frame: ModalityFrame, spec: PreprocessSpec): Float32Array {
  const { width, height, data } = frame;
  if (width < 1 || height < 1 || data.length !== width * height) throw new Error(`modality frame of ${data.length} values is not ${width}x${height}`);
  let low: number;
  let high: number;
  if (spec.highDepth.rule === 'window') {
    low = spec.highDepth.center - spec.highDepth.width / 2;
    high = spec.highDepth.center + spec.highDepth.width / 2;
  } else {
    low = Infinity;
    high = -Infinity;
    for (const v of data) {
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  const range = high > low ? high - low : 1;
  const size = spec.inputSize;
  // cover: the shorter side fills the square; contain: the longer side does.
  const scale = spec.resize === 'cover' ? Math.min(width, height) / size : Math.max(width, height) / size;
  const x0 = (width - size * scale) / 2;
  const y0 = (height - size * scale) / 2;
  const out = new Float32Array(size * size * spec.channels);
  for (let y = 0; y < size; y++) {
    const sy = y0 + (y + 0.5) * scale - 0.5;
    for (let x = 0; x < size; x++) {
      const sx = x0 + (x + 0.5) * scale - 0.5;
      const inside = sx >= -0.5 && sy >= -0.5 && sx <= width - 0.5 && sy <= height - 0.5;
      const value = inside ? bilinear(data, width, height, sx, sy) : low;
      const unit = Math.min(1, Math.max(0, (value - low) / range)) * 255;
      for (let c = 0; c < spec.channels; c++) out[(y * size + x) * spec.channels + c] = unit;
    }
  }
  return out;
}

function bilinear(data: Float32Array, width: number, height: number, x: number, y: number): number {
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const xa = Math.floor(cx);
  const ya = Math.floor(cy);
  const xb = Math.min(width - 1, xa + 1);
  const yb = Math.min(height - 1, ya + 1);
  const fx = cx - xa;
  const fy = cy - ya;
  const at = (xx: number, yy: number) => data[yy * width + xx] as number;
  return (at(xa, ya) * (1 - fx) + at(xb, ya) * fx) * (1 - fy) + (at(xa, yb) * (1 - fx) + at(xb, yb) * fx) * fy;
}
