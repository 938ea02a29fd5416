// DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment
// per byte plane (most significant byte first, sample by sample).
import { bytesToSamples, CodecError, type DecodedSamples, type FrameGeometry } from './samples';

function unpackBits(src: Uint8Array, start: number, end: number, out: Uint8Array, outStart: number, outStride: number, count: number): void {
  let pos = start;
  let written = 0;
  while (pos < end && written < count) {
    const n = src[pos++]!;
    if (n < 128) {
      const literal = n + 1;
      for (let i = 0; i < literal && written < count && pos < end; i++) out[outStart + outStride * written++] = src[pos++]!;
    } else if (n > 128) {
      const repeat = 257 - n;
      const value = src[pos++] ?? 0;
      for (let i = 0; i < repeat && written < count; i++) out[outStart + outStride * written++] = value;
    }
    // n === 128 is a no-op by definition
  }
  if (written < count) throw new CodecError(`RLE segment ends after ${written} of ${count} bytes.`);
}

export function decodeRle(encoded: Uint8Array, geom: FrameGeometry): DecodedSamples {
  if (encoded.length < 64) throw new CodecError('RLE frame is shorter than its 64-byte header.');
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.length);
  const segments = view.getUint32(0, true);
  const bytesPerSample = Math.ceil(geom.bitsAllocated / 8);
  const expected = geom.bitsAllocated === 1 ? 1 : geom.samplesPerPixel * bytesPerSample;
  if (segments !== expected) throw new CodecError(`RLE frame has ${segments} segments, expected ${expected}.`);
  const pixels = geom.rows * geom.columns;
  if (geom.bitsAllocated === 1) return { samples: decodePackedBits(encoded, view, pixels), rgbAlready: false };
  const stride = geom.samplesPerPixel * bytesPerSample;
  const out = new Uint8Array(pixels * stride);
  for (let seg = 0; seg < segments; seg++) {
    const start = view.getUint32(4 + 4 * seg, true);
    const end = seg + 1 < segments ? view.getUint32(8 + 4 * seg, true) : encoded.length;
    if (start < 64 || start > encoded.length || end < start) throw new CodecError('RLE segment offsets are inconsistent.');
    const sample = Math.floor(seg / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (seg % bytesPerSample); // little-endian position
    unpackBits(encoded, start, Math.min(end, encoded.length), out, sample * bytesPerSample + byteInSample, stride, pixels);
  }
  return { samples: bytesToSamples(out, geom.bitsAllocated, false), rgbAlready: false };
}

/** 1-bit data: the single segment holds the frame's packed bytes (least significant bit first). */
function decodePackedBits(encoded: Uint8Array, view: DataView, pixels: number): Uint8Array {
  const packed = new Uint8Array(Math.ceil(pixels / 8));
  unpackBits(encoded, view.getUint32(4, true), encoded.length, packed, 0, 1, packed.length);
  const out = new Uint8Array(pixels);
  for (let k = 0; k < pixels; k++) out[k] = (packed[k >> 3]! >> (k & 7)) & 1;
  return out;
}
