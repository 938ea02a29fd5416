// Stored samples -> output frame: Bits Stored masking and sign extension, then the Modality LUT
// (monochrome, full range as Float32) or colour conversion to 8-bit RGB (YBR, palette).
import type { DecodedSamples } from './codecs/samples';
import type { Lut, PixelHeader } from './header';
import type { DicomFrame } from './types';

/** Turns a raw sample into the stored value: shift by High Bit, mask to Bits Stored, sign-extend. */
export function storedValueReader(bitsStored: number, highBit: number, signed: boolean): (raw: number) => number {
  const shift = Math.max(0, highBit + 1 - bitsStored);
  if (bitsStored >= 32) return signed ? (raw) => raw | 0 : (raw) => raw >>> 0;
  const mask = 2 ** bitsStored - 1;
  const signBit = 2 ** (bitsStored - 1);
  const range = 2 ** bitsStored;
  return (raw) => {
    const v = (raw >>> shift) & mask;
    return signed && v >= signBit ? v - range : v;
  };
}

function lutLookup(lut: Lut, value: number): number {
  let i = value - lut.firstMapped;
  if (i < 0) i = 0;
  else if (i >= lut.count) i = lut.count - 1;
  return lut.data[i]!;
}

function monochromeFrame(decoded: DecodedSamples, header: PixelHeader, pixels: number): DicomFrame {
  const read = storedValueReader(header.bitsStored, header.highBit, header.pixelRepresentation === 1);
  const out = new Float32Array(pixels);
  const { samples } = decoded;
  const lut = header.modalityLut;
  const { slope, intercept } = header.rescale;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pixels; i++) {
    const stored = read(samples[i]!);
    const v = lut ? lutLookup(lut, stored) : stored * slope + intercept;
    out[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { kind: 'mono', data: out, min, max };
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function paletteFrame(decoded: DecodedSamples, header: PixelHeader, pixels: number): DicomFrame {
  const palette = header.palette!;
  const read = storedValueReader(header.bitsStored, header.highBit, header.pixelRepresentation === 1);
  const out = new Uint8Array(pixels * 3);
  const to8 = (lut: Lut, v: number) => (lut.bitsPerEntry > 8 ? lutLookup(lut, v) >> 8 : lutLookup(lut, v) & 0xff);
  for (let i = 0; i < pixels; i++) {
    const v = read(decoded.samples[i]!);
    out[i * 3] = to8(palette.red, v);
    out[i * 3 + 1] = to8(palette.green, v);
    out[i * 3 + 2] = to8(palette.blue, v);
  }
  return { kind: 'rgb', data: out };
}

function colourFrame(decoded: DecodedSamples, header: PixelHeader, pixels: number): DicomFrame {
  const read = storedValueReader(header.bitsStored, header.highBit, false);
  const shift = Math.max(0, header.bitsStored - 8);
  const out = new Uint8Array(pixels * 3);
  const { samples } = decoded;
  for (let i = 0; i < pixels * 3; i++) out[i] = read(samples[i]!) >> shift;
  const p = header.photometric;
  const isYbr = p.startsWith('YBR_');
  if (isYbr && !decoded.rgbAlready) {
    const partial = p.startsWith('YBR_PARTIAL');
    for (let i = 0; i < out.length; i += 3) {
      let y = out[i]!;
      const cb = out[i + 1]! - 128;
      const cr = out[i + 2]! - 128;
      if (partial) {
        // ITU-R BT.601 studio range.
        y = 1.164 * (y - 16);
        out[i] = clamp8(y + 1.596 * cr);
        out[i + 1] = clamp8(y - 0.392 * cb - 0.813 * cr);
        out[i + 2] = clamp8(y + 2.017 * cb);
      } else {
        out[i] = clamp8(y + 1.402 * cr);
        out[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
        out[i + 2] = clamp8(y + 1.772 * cb);
      }
    }
  }
  return { kind: 'rgb', data: out };
}

/** True when the output of this header is monochrome modality values. */
export function isMonochromeOutput(header: PixelHeader): boolean {
  return header.samplesPerPixel === 1 && !(header.photometric === 'PALETTE COLOR' && header.palette);
}

export function toFrame(decoded: DecodedSamples, header: PixelHeader): DicomFrame {
  const pixels = header.rows * header.columns;
  if (isMonochromeOutput(header)) return monochromeFrame(decoded, header, pixels);
  if (header.samplesPerPixel === 1) return paletteFrame(decoded, header, pixels);
  return colourFrame(decoded, header, pixels);
}
