// What every pixel codec hands back: one frame's samples, interleaved (pixel by pixel), as the stored
// integers (before masking to Bits Stored and sign extension, which the pixel pipeline does).

export type SampleArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

export interface DecodedSamples {
  samples: SampleArray;
  /** True when the codec already turned YBR into RGB (JPEG colour transform, J2K ICT/RCT). */
  rgbAlready: boolean;
}

export interface FrameGeometry {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  photometric: string;
  planarConfiguration: 0 | 1;
}

/** Thrown by codecs for corrupt streams; turned into dicom_decode_error by the frame reader. */
export class CodecError extends Error {}

/** Reinterprets a little-endian byte buffer as samples of the given width (copying to align). */
export function bytesToSamples(bytes: Uint8Array, bitsPerSample: number, signed: boolean): SampleArray {
  const width = bitsPerSample <= 8 ? 1 : bitsPerSample <= 16 ? 2 : 4;
  // A fresh, aligned copy (a Node Buffer's .buffer is a shared pool, so views of it cannot be used).
  const copy = new Uint8Array(bytes.length - (bytes.length % width));
  copy.set(bytes.subarray(0, copy.length));
  if (width === 1) return signed ? new Int8Array(copy.buffer) : copy;
  if (width === 2) return signed ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
  return signed ? new Int32Array(copy.buffer) : new Uint32Array(copy.buffer);
}

/** Planar (RRR..GGG..BBB) to interleaved (RGBRGB..). */
export function interleavePlanes<T extends SampleArray>(planar: T, pixels: number, samplesPerPixel: number): T {
  const out = new (planar.constructor as new (n: number) => T)(pixels * samplesPerPixel);
  for (let s = 0; s < samplesPerPixel; s++) {
    const base = s * pixels;
    for (let p = 0; p < pixels; p++) out[p * samplesPerPixel + s] = planar[base + p]!;
  }
  return out;
}
