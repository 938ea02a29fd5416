// Uncompressed pixel data: locating a frame inside the Pixel Data element and reading its samples
// (byte order, 1-bit packing, planar configuration, YBR_FULL_422 subsampling).
import type { Element } from './dicomParserModule';
import { bytesToSamples, interleavePlanes, type DecodedSamples, type FrameGeometry, type SampleArray } from './codecs/samples';

/** Bytes one native frame occupies (bits for 1-bit data are counted by the caller). */
export function nativeFrameBits(geom: FrameGeometry): number {
  const pixels = geom.rows * geom.columns;
  if (geom.photometric === 'YBR_FULL_422' || geom.photometric === 'YBR_PARTIAL_422') return pixels * 2 * geom.bitsAllocated;
  return pixels * geom.samplesPerPixel * geom.bitsAllocated;
}

function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length - (bytes.length % width));
  for (let i = 0; i < out.length; i += width) for (let b = 0; b < width; b++) out[i + b] = bytes[i + width - 1 - b]!;
  return out;
}

/** Expands Y1 Y2 Cb Cr (two pixels) to Y Cb Cr per pixel. */
function expandYbr422(samples: SampleArray, pixels: number): SampleArray {
  const out = new (samples.constructor as new (n: number) => SampleArray)(pixels * 3);
  let src = 0;
  for (let p = 0; p < pixels; p += 2) {
    const y1 = samples[src]!;
    const y2 = samples[src + 1]!;
    const cb = samples[src + 2]!;
    const cr = samples[src + 3]!;
    src += 4;
    out[p * 3] = y1;
    out[p * 3 + 1] = cb;
    out[p * 3 + 2] = cr;
    // With an odd row length the pair still covers two consecutive pixels.
    if (p + 1 < pixels) {
      out[p * 3 + 3] = y2;
      out[p * 3 + 4] = cb;
      out[p * 3 + 5] = cr;
    }
  }
  return out;
}

export interface NativeFrameSource {
  byteArray: Uint8Array;
  element: Element;
  bigEndian: boolean;
}

/** Reads frame `index` of native pixel data, or returns 'truncated' when the data stops short. */
export function readNativeFrame(source: NativeFrameSource, geom: FrameGeometry, index: number): DecodedSamples | 'truncated' {
  const { byteArray, element } = source;
  const frameBits = nativeFrameBits(geom);
  const pixels = geom.rows * geom.columns;
  const available = Math.min(element.length, byteArray.length - element.dataOffset);
  if (geom.bitsAllocated === 1) {
    const startBit = index * frameBits;
    if (Math.ceil((startBit + frameBits) / 8) > available) return 'truncated';
    const out = new Uint8Array(pixels * geom.samplesPerPixel);
    for (let k = 0; k < out.length; k++) {
      const bit = startBit + k;
      out[k] = (byteArray[element.dataOffset + (bit >> 3)]! >> (bit & 7)) & 1;
    }
    return { samples: out, rgbAlready: false };
  }
  const frameBytes = frameBits / 8;
  const start = index * frameBytes;
  if (start + frameBytes > available) return 'truncated';
  let bytes = byteArray.subarray(element.dataOffset + start, element.dataOffset + start + frameBytes);
  const width = geom.bitsAllocated / 8;
  if (source.bigEndian) {
    if (width > 1) bytes = swapBytes(bytes, width);
    else if (element.vr === 'OW') {
      // 8-bit data stored as OW is word-swapped in big endian; an odd frame ends in the pad byte.
      const evenEnd = Math.min(element.dataOffset + start + frameBytes + (frameBytes % 2), byteArray.length);
      bytes = swapBytes(byteArray.subarray(element.dataOffset + start, evenEnd), 2).subarray(0, frameBytes);
    }
  }
  let samples = bytesToSamples(bytes, geom.bitsAllocated, false);
  if (geom.photometric === 'YBR_FULL_422' || geom.photometric === 'YBR_PARTIAL_422') {
    samples = expandYbr422(samples, pixels);
  } else if (geom.planarConfiguration === 1 && geom.samplesPerPixel > 1) {
    samples = interleavePlanes(samples, pixels, geom.samplesPerPixel);
  }
  return { samples, rgbAlready: false };
}

/** Float / Double Float Pixel Data frame as Float32 values. */
export function readFloatFrame(source: NativeFrameSource, pixels: number, bytesPerValue: 4 | 8, index: number): Float32Array | 'truncated' {
  const frameBytes = pixels * bytesPerValue;
  const start = index * frameBytes;
  const available = Math.min(source.element.length, source.byteArray.length - source.element.dataOffset);
  if (start + frameBytes > available) return 'truncated';
  const view = new DataView(source.byteArray.buffer, source.byteArray.byteOffset + source.element.dataOffset + start, frameBytes);
  const out = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) {
    out[i] = bytesPerValue === 4 ? view.getFloat32(i * 4, !source.bigEndian) : view.getFloat64(i * 8, !source.bigEndian);
  }
  return out;
}
