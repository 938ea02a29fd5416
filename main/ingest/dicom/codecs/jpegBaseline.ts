// JPEG baseline / extended (DCT). libjpeg-turbo (8-bit build) decodes 8-bit precision and converts
// YCbCr to RGB itself; 12-bit precision is not in that build.
import { bytesToSamples, CodecError, type DecodedSamples, type FrameGeometry } from './samples';
import { loadLibJpegTurbo, runWasmDecoder } from './wasmCodecs';

/** Sample precision from the SOF marker (8 or 12), or undefined when no SOF is found. */
export function jpegPrecision(encoded: Uint8Array): number | undefined {
  for (let i = 2; i + 4 < encoded.length; ) {
    if (encoded[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = encoded[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return encoded[i + 4];
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xff) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    i += 2 + ((encoded[i + 2]! << 8) | encoded[i + 3]!);
  }
  return undefined;
}

export class UnsupportedPrecisionError extends Error {}

export async function decodeJpegBaseline(encoded: Uint8Array, _geom: FrameGeometry): Promise<DecodedSamples> {
  const precision = jpegPrecision(encoded);
  if (precision !== undefined && precision > 8) {
    throw new UnsupportedPrecisionError(`${precision}-bit lossy JPEG is not supported by the installed JPEG codec (8-bit only).`);
  }
  const libjpeg = await loadLibJpegTurbo();
  return runWasmDecoder(new libjpeg.JPEGDecoder(), encoded, (bytes, info) => {
    if (info.width <= 0 || info.height <= 0) throw new CodecError('JPEG stream has no image.');
    return { samples: bytesToSamples(bytes, 8, false), rgbAlready: info.componentCount > 1 };
  });
}
