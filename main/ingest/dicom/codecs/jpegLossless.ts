// JPEG lossless (process 14, any predictor) through jpeg-lossless-decoder-js.
import { Decoder } from '@cornerstonejs/jpeg-lossless-decoder-js';
import { CodecError, type DecodedSamples, type FrameGeometry } from './samples';

export function decodeJpegLossless(encoded: Uint8Array, geom: FrameGeometry): DecodedSamples {
  const copy = encoded.slice(); // the decoder wants a whole ArrayBuffer
  const bytesPerSample = geom.bitsAllocated <= 8 ? 1 : 2;
  let decoded: Uint8Array | Uint16Array;
  try {
    decoded = new Decoder().decode(copy.buffer, 0, copy.length, bytesPerSample);
  } catch (e) {
    throw new CodecError(e instanceof Error ? e.message : String(e));
  }
  // Lossless JPEG has no colour transform: samples are what the header's photometric says.
  return { samples: decoded, rgbAlready: false };
}
